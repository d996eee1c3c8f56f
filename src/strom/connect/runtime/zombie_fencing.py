"""The leader's round of zombie fencing for an exactly-once source connector (KIP-618; Java's
DistributedHerder.ZombieFencing and Worker.fenceZombies).

When a connector's task configs change, tasks of the previous generation may still be running somewhere (a worker
cut off from the group does not know it lost them). Before any task of the new generation produces, the leader
bumps the epoch of the transactional id of every task of the previous generation (`<group.id>-<connector>-<n>`
for n below the count in the connector's last tasks-fencing record), so their producers can neither send nor
commit, then writes a new tasks-fencing record with the current task count. Requests for the same connector that
arrive while a round is under way wait for that round.

The fencing itself is what Kafka's Admin.fenceProducers sends: InitProducerId for each transactional id (here
through a transactional producer's init_transactions, which the broker answers the same way: a new epoch, any
open transaction aborted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strom.aio import AIOProducer

log = logging.getLogger("org.apache.kafka.connect.runtime.distributed.DistributedHerder")

# the broker may still be aborting a fenced transaction: InitProducerId answers CONCURRENT_TRANSACTIONS meanwhile
FENCE_TIMEOUT_S = 60.0


def transactional_id(group_id: str, connector: str, task: int) -> str:
    """The transactional.id of a source task's producer (Java's Worker.taskTransactionalId)."""
    return f"{group_id}-{connector}-{task}"


async def fence_producers(client_config: Mapping[str, Any], transactional_ids: list[str], timeout: float = FENCE_TIMEOUT_S) -> None:
    """Bumps the producer epoch of each transactional id (Admin.fenceProducers), all at once."""

    async def fence(tid: str) -> None:
        producer = AIOProducer({**client_config, "transactional.id": tid, "client.id": f"connect-fencer-{tid}"})
        try:
            await producer.init_transactions(timeout)
        finally:
            await producer.close(5)

    await asyncio.gather(*(fence(t) for t in transactional_ids))


class ZombieFencing:
    """One round for one connector: fence the previous generation's producers, then record the new task count.
    Its outcome is a future every waiting request shares."""

    def __init__(
        self,
        connector: str,
        tasks_to_fence: int,
        tasks_to_record: int,
        task_generation: int,
        fence: Callable[[list[str]], Awaitable[None]],
        group_id: str,
        record: Callable[[str, int, int], Awaitable[None]],
    ) -> None:
        self.connector = connector
        self.tasks_to_fence = tasks_to_fence
        self.tasks_to_record = tasks_to_record
        self.task_generation = task_generation
        self._fence = fence
        self._group_id = group_id
        self._record = record
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        ids = [transactional_id(self._group_id, self.connector, n) for n in range(self.tasks_to_fence)]
        try:
            log.info("Fencing out %d task producers for source connector %s", len(ids), self.connector)
            await self._fence(ids)
            log.info("Successfully fenced out %d task producers for source connector %s", len(ids), self.connector)
            await self._record(self.connector, self.tasks_to_record, self.task_generation)
        except BaseException as exc:
            if not self.done.done():
                self.done.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if not self.done.done():
            self.done.set_result(None)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
