"""Kafka Streams applications, as the cluster sees them: a Streams application is a consumer group (its
application.id) whose members use the "stream" assignor, with internal topics named `<application.id>-...`:
`-repartition` topics between its sub-topologies and `-changelog` topics behind its state stores.

The topology itself never reaches the brokers (Kafka 3.9's protocol has no call for it), so the console shows
the application's outline from what the cluster holds: input topics, repartition topics, state stores, the
instances and their stream threads, and lag. The same works for Strom's Streams and Java's Kafka Streams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strom.client.admin import AsyncAdmin
from strom.client.admin_types import ConsumerGroupDescription
from strom.console.groups import GroupDetail, describe_group

ASSIGNOR = "stream"
# client ids of stream threads' consumers: <client.id>-StreamThread-<n>-consumer, where client.id defaults to
# <application.id>-<process uuid>
_THREAD = re.compile(r"^(?P<client>.+)-StreamThread-(?P<n>\d+)-consumer$")


@dataclass(frozen=True, slots=True)
class StreamThreadRow:
    instance: str  # the instance's client.id (<application.id>-<process id> by default)
    thread: str
    host: str
    partitions: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class StreamsApp:
    application_id: str
    state: str
    input_topics: tuple[str, ...]
    repartition_topics: tuple[str, ...]
    stores: tuple[tuple[str, str], ...]  # (store name, its changelog topic)
    threads: tuple[StreamThreadRow, ...]
    group: GroupDetail

    @property
    def instances(self) -> tuple[str, ...]:
        return tuple(sorted({t.instance for t in self.threads}))


def _internal(app_id: str, topics: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    prefix = app_id + "-"
    repartition = sorted(t for t in topics if t.startswith(prefix) and t.endswith("-repartition"))
    stores = sorted((t[len(prefix) : -len("-changelog")], t) for t in topics if t.startswith(prefix) and t.endswith("-changelog"))
    return repartition, stores


async def list_apps(admin: AsyncAdmin) -> list[str]:
    """Groups that run the stream assignor now, or that own repartition / changelog topics (stopped apps)."""
    listed = await admin.list_consumer_groups()
    ids = sorted(g.group_id for g in listed.valid if g.protocol_type == "consumer")
    described = await admin.describe_consumer_groups(ids)
    topics = sorted((await admin.partitions_of()).keys())
    out = []
    for gid in ids:
        d = described.get(gid)
        running = isinstance(d, ConsumerGroupDescription) and d.partition_assignor == ASSIGNOR
        repartition, stores = _internal(gid, topics)
        if running or repartition or stores:
            out.append(gid)
    return out


async def describe_app(admin: AsyncAdmin, app_id: str) -> StreamsApp:
    group = await describe_group(admin, app_id)
    topics = sorted((await admin.partitions_of()).keys())
    repartition, stores = _internal(app_id, topics)
    internal = set(repartition) | {t for _, t in stores}
    consumed = {r.topic for r in group.lags} | {t for m in group.members for t, _ in m.assignment}
    threads = []
    for m in group.members:
        match = _THREAD.match(m.client_id)
        instance, thread = (match["client"], f"StreamThread-{match['n']}") if match else (m.client_id, m.member_id)
        threads.append(StreamThreadRow(instance, thread, m.host, m.assignment))
    return StreamsApp(
        app_id,
        group.state,
        tuple(sorted(consumed - internal)),
        tuple(repartition),
        tuple(stores),
        tuple(sorted(threads, key=lambda t: (t.instance, t.thread))),
        group,
    )
