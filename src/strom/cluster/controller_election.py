"""Leader election rules of Kafka's controller (PartitionLeaderElectionAlgorithms), pure functions.

Each returns (new leader, new ISR) or None when no replica qualifies. Replicas are tried in assignment
order, so the preferred replica (the first) wins whenever it is eligible.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

Election = tuple[int, list[int]]


def offline_election(replicas: Sequence[int], isr: Sequence[int], live: Collection[int], unclean: bool) -> Election | None:
    """The leader died or the partition is new: first live replica in the ISR; with unclean election
    enabled, any live replica (then the ISR is that replica alone: data outside it may be lost)."""
    for r in replicas:
        if r in live and r in isr:
            return r, [i for i in isr if i in live]
    if unclean:
        for r in replicas:
            if r in live:
                return r, [r]
    return None


def reassignment_election(target: Sequence[int], isr: Sequence[int], live: Collection[int]) -> Election | None:
    for r in target:
        if r in live and r in isr:
            return r, list(isr)
    return None


def preferred_election(replicas: Sequence[int], isr: Sequence[int], live: Collection[int]) -> Election | None:
    if replicas and replicas[0] in live and replicas[0] in isr:
        return replicas[0], list(isr)
    return None


def controlled_shutdown_election(
    replicas: Sequence[int], isr: Sequence[int], live: Collection[int], shutting_down: Collection[int]
) -> Election | None:
    for r in replicas:
        if r in live and r in isr and r not in shutting_down:
            return r, [i for i in isr if i not in shutting_down]
    return None


def shrink_isr(isr: Sequence[int], gone: int) -> list[int]:
    """ISR without a replica that went offline; the last member stays (a later clean election needs it)."""
    rest = [i for i in isr if i != gone]
    return rest if rest else list(isr)
