"""The elected controller, as Kafka 2.8's KafkaController: one event queue, state in ZooKeeper, orders by wire.

Everything the controller does is an event processed one at a time on the broker's event loop (ZooKeeper
watches only enqueue). ZooKeeper calls run in the executor. Partition state writes are fenced by the
/controller_epoch znode's version, so a controller that lost its election cannot overwrite its successor.
Brokers learn the outcome by LeaderAndIsr (replicas), UpdateMetadata (everyone) and StopReplica.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, Protocol, TypeVar

from strom.cluster import zk_data as zd
from strom.cluster.controller_channel import ControllerChannel
from strom.cluster.controller_election import (
    controlled_shutdown_election,
    offline_election,
    preferred_election,
    reassignment_election,
    shrink_isr,
)
from strom.cluster.controller_log_dirs import OfflineReplicas, leader_and_isr_errors
from strom.cluster.zookeeper import ZkBadVersion, ZkClient, ZkError, ZkNoNode
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import leader_and_isr as lai
from strom.protocol.schema import stop_replica as sr
from strom.protocol.schema import update_metadata as um
from strom.protocol.types import TP
from strom.security.principal import SecurityProtocol
from strom.storage.clock import Clock
from strom.transport.connection import PLAINTEXT_CHANNEL, ChannelSecurity

log = logging.getLogger("kafka.controller.KafkaController")

T = TypeVar("T")


class ControllerMovedError(Exception):
    """This broker is no longer the controller (its epoch was superseded)."""


class ControllerConfig(Protocol):
    """The broker configs the controller reads, by Kafka key (unclean.leader.election.enable, delete.topic.enable,
    leader.imbalance.per.broker.percentage): the broker's BrokerConfig."""

    def __getitem__(self, key: str) -> Any: ...

    @property
    def inter_broker_listener_name(self) -> str: ...


class Controller:
    def __init__(
        self,
        zk: ZkClient,
        broker_id: int,
        epoch: int,
        epoch_zk_version: int,
        config: ControllerConfig,
        clock: Clock | None = None,
        security: ChannelSecurity = PLAINTEXT_CHANNEL,
    ) -> None:
        self.zk = zk
        self.broker_id = broker_id
        self.epoch = epoch
        self.epoch_zk_version = epoch_zk_version
        self.config = config
        self.active = True
        self.brokers: dict[int, zd.BrokerInfo] = {}
        self.shutting_down: set[int] = set()
        self.topics: dict[str, zd.TopicAssignment] = {}
        self.states: dict[TP, zd.LeaderIsr] = {}
        self.deleting: set[str] = set()
        self.deletion_pending: dict[str, set[int]] = {}  # topic -> offline replicas not yet told to delete
        self.offline_replicas = OfflineReplicas()  # replicas on failed log dirs of live brokers
        self.channel = ControllerChannel(clock, security)  # to each broker's inter-broker listener
        self._queue: asyncio.Queue[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any] | None]] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = None
        self._topic_watches: set[str] = set()

    # ---- event queue ------------------------------------------------------------------------------------

    async def _zk(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._loop.run_in_executor(None, partial(fn, *args, **kwargs))

    def _enqueue_threadsafe(self, event: Callable[[], Awaitable[Any]]) -> None:
        """From a kazoo watch thread."""
        if self.active:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (event, None))

    async def submit(self, event: Callable[[], Awaitable[T]]) -> T:
        """Run an event on the controller's queue and return its result (API handlers use this)."""
        fut: asyncio.Future[T] = self._loop.create_future()
        self._queue.put_nowait((event, fut))
        return await fut

    async def _process(self) -> None:
        while self.active:
            event, fut = await self._queue.get()
            try:
                result = await event()
            except asyncio.CancelledError:
                # resigned while this event ran: whoever submitted it (a controlled shutdown, an API request)
                # must hear so, or it waits forever
                if fut is not None and not fut.done():
                    fut.set_exception(ControllerMovedError())
                raise
            except ControllerMovedError:
                log.info("[Controller id=%d] epoch %d was superseded; resigning", self.broker_id, self.epoch)
                self.active = False
                if fut is not None and not fut.done():
                    fut.set_exception(ControllerMovedError())
                break
            except ZkError as exc:
                if fut is not None:
                    if not fut.done():
                        fut.set_exception(exc)
                else:  # ZooKeeper is briefly away (a restart): the event runs again, it re-reads what it needs
                    log.warning("[Controller id=%d] ZooKeeper error (%s); retrying the event", self.broker_id, exc)
                    self._loop.call_later(1.0, self._queue.put_nowait, (event, None))
                continue
            except Exception as exc:
                log.exception("[Controller id=%d] error processing an event", self.broker_id)
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
                continue
            if fut is not None and not fut.done():
                fut.set_result(result)
        self._shutdown_now()

    # ---- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        log.info("[Controller id=%d] starting as controller with epoch %d", self.broker_id, self.epoch)
        self._task = asyncio.ensure_future(self._process())
        self.zk.add_session_listener(self._on_session_state)
        await self.submit(self._on_failover)

    def _on_session_state(self, state: str) -> None:
        """kazoo thread. Back on the same session after a lost connection (a ZooKeeper restart, a long pause):
        re-read the brokers, since a broker that went and re-registered meanwhile keeps its name and the
        children watch stays silent -- only its epoch tells the bounce."""
        if state == "connected":
            self._enqueue_threadsafe(partial(self._on_broker_change, []))

    def _shutdown_now(self) -> None:
        self.active = False
        self.zk.remove_session_listener(self._on_session_state)
        self.channel.close()
        while not self._queue.empty():
            _, fut = self._queue.get_nowait()
            if fut is not None and not fut.done():
                fut.set_exception(ControllerMovedError())

    async def resign(self) -> None:
        if not self.active:
            return
        self.active = False
        await self.channel.drain(1.0)
        if self._task is not None:
            self._task.cancel()
        self._shutdown_now()
        log.info("[Controller id=%d] resigned", self.broker_id)

    # ---- failover: read everything, elect what needs electing, tell every broker ---------------------------

    async def _on_failover(self) -> None:
        for name in await self._zk(self.zk.children, zd.BROKER_IDS):
            await self._read_broker(int(name))
        for info in self.brokers.values():
            self.channel.add_broker(info.broker_id, info.host, info.port, info.epoch)
        for name in await self._zk(self.zk.children, zd.BROKER_TOPICS):
            await self._read_topic(name)
        self._zk_watch_children(zd.BROKER_IDS, self._on_broker_change)
        self._zk_watch_children(zd.BROKER_TOPICS, self._on_topic_change)
        self._zk_watch_children(zd.DELETE_TOPICS, self._on_delete_topics)
        # as Kafka: events from before this controller are dropped; the full LeaderAndIsr below asks every broker
        for name in await self._zk(self.zk.children, zd.LOG_DIR_EVENT_NOTIFICATION):
            await self._zk(self.zk.delete, f"{zd.LOG_DIR_EVENT_NOTIFICATION}/{name}")
        self._zk_watch_children(zd.LOG_DIR_EVENT_NOTIFICATION, self._on_log_dir_event)
        self._zk_watch_data(zd.REASSIGN_PARTITIONS, self._on_legacy_reassignment)
        self._zk_watch_data(zd.PREFERRED_REPLICA_ELECTION, self._on_legacy_preferred_election)
        changed = await self._elect_offline(self.states.keys())
        # replicas on brokers that died while nobody was controller go offline: out of the ISR
        for tp, state in list(self.states.items()):
            for r in state.isr:
                if r not in self.brokers and tp[0] not in self.deleting:
                    changed += await self._remove_from_isr(r, [tp])
        self._send_update_metadata(self.brokers.keys())
        for broker_id in self.brokers:
            self._send_leader_and_isr(broker_id, [tp for tp in self.states if broker_id in self._replicas(tp)], full=True)
        log.info(
            "[Controller id=%d] failover done: %d live broker(s), %d topic(s), %d leader(s) elected",
            self.broker_id,
            len(self.brokers),
            len(self.topics),
            len(changed),
        )

    def _zk_watch_children(self, path: str, handler: Callable[[list[str]], Awaitable[None]]) -> None:
        def on_change(children: list[str]) -> bool:
            if not self.active:
                return False
            self._enqueue_threadsafe(partial(handler, children))
            return True

        self.zk.watch_children(path, on_change)

    def _zk_watch_data(self, path: str, handler: Callable[[bytes], Awaitable[None]]) -> None:
        def on_change(data: bytes | None, stat: Any) -> bool:
            if not self.active:
                return False
            if data:
                self._enqueue_threadsafe(partial(handler, data))
            return True

        self.zk.watch_data(path, on_change)

    async def _on_legacy_reassignment(self, data: bytes) -> None:
        """/admin/reassign_partitions, written by 2.8's kafka-reassign-partitions --zookeeper: same as the API."""
        targets: dict[TP, list[int] | None] = dict(zd.decode_legacy_reassignment(data))
        await self._zk(self.zk.delete, zd.REASSIGN_PARTITIONS)
        if targets:
            await self.alter_reassignments(targets)

    async def _on_legacy_preferred_election(self, data: bytes) -> None:
        """/admin/preferred_replica_election, written by 2.8's kafka-preferred-replica-election --zookeeper."""
        partitions = [(p["topic"], int(p["partition"])) for p in (json.loads(data.decode()) or {}).get("partitions", [])]
        await self._zk(self.zk.delete, zd.PREFERRED_REPLICA_ELECTION)
        if partitions:
            await self.elect_leaders(0, partitions)

    def _watch_topic(self, topic: str) -> None:
        if topic in self._topic_watches:
            return
        self._topic_watches.add(topic)

        def on_change(data: bytes | None, stat: Any) -> bool:
            if not self.active or data is None:
                self._topic_watches.discard(topic)
                return False
            self._enqueue_threadsafe(partial(self._on_partition_modification, topic))
            return True

        self.zk.watch_data(zd.topic_path(topic), on_change)

    async def _read_broker(self, broker_id: int) -> zd.BrokerInfo | None:
        got = await self._zk(self.zk.get, zd.broker_path(broker_id))
        if got is None:
            self.brokers.pop(broker_id, None)
            return None
        data, stat = got
        info = zd.BrokerInfo.decode(broker_id, data, stat.czxid, self.config.inter_broker_listener_name)
        self.brokers[broker_id] = info
        return info

    async def _read_topic(self, topic: str) -> None:
        got = await self._zk(self.zk.get, zd.topic_path(topic))
        if got is None:
            return
        self.topics[topic] = zd.TopicAssignment.decode(got[0])
        for p in self.topics[topic].partitions:
            state = await self._zk(self.zk.get, zd.partition_state_path(topic, p))
            if state is not None:
                self.states[(topic, p)] = zd.LeaderIsr.decode(state[0], state[1].version)
        if await self._zk(self.zk.exists, zd.delete_topic_path(topic)):
            self.deleting.add(topic)
        self._watch_topic(topic)

    # ---- helpers -----------------------------------------------------------------------------------------

    def _replicas(self, tp: TP) -> list[int]:
        topic = self.topics.get(tp[0])
        if topic is None:
            return []
        return topic.partitions.get(tp[1], [])

    def _live(self) -> set[int]:
        return set(self.brokers)

    def _online(self, tp: TP) -> set[int]:
        """Live brokers whose replica of tp is not on a failed log dir (Kafka's isReplicaOnline)."""
        return {b for b in self.brokers if not self.offline_replicas.is_offline(b, tp)}

    async def _unclean_allowed(self, topic: str) -> bool:
        got = await self._zk(self.zk.get, zd.topic_config_path(topic))
        configs = zd.decode_topic_config(got[0]) if got else {}
        value = configs.get("unclean.leader.election.enable")
        if value is None:
            return bool(self.config["unclean.leader.election.enable"])
        return value.strip().lower() == "true"

    async def _write_state(self, tp: TP, new: zd.LeaderIsr, create: bool = False) -> zd.LeaderIsr | None:
        """Write a partition state fenced by the controller epoch; None if someone else changed it first."""
        path = zd.partition_state_path(*tp)
        try:
            if create:
                await self._zk(self.zk.ensure_path, zd.partitions_path(tp[0]) + f"/{tp[1]}")
                await self._zk(self.zk.create_if_epoch, path, new.encode(), zd.CONTROLLER_EPOCH, self.epoch_zk_version)
                stat_version = 0
            else:
                stat = await self._zk(
                    self.zk.set_if_epoch, path, new.encode(), self.states[tp].zk_version, zd.CONTROLLER_EPOCH, self.epoch_zk_version
                )
                stat_version = stat.version
        except ZkBadVersion:
            epoch = await self._zk(self.zk.get, zd.CONTROLLER_EPOCH)
            if epoch is None or epoch[1].version != self.epoch_zk_version:
                raise ControllerMovedError() from None
            got = await self._zk(self.zk.get, path)
            if got is not None:
                self.states[tp] = zd.LeaderIsr.decode(got[0], got[1].version)
            return None
        except ZkNoNode:
            if create:
                raise
            got = await self._zk(self.zk.get, zd.CONTROLLER_EPOCH)
            if got is None or got[1].version != self.epoch_zk_version:
                raise ControllerMovedError() from None
            return None
        written = zd.LeaderIsr(new.leader, new.leader_epoch, tuple(new.isr), new.controller_epoch, stat_version)
        self.states[tp] = written
        return written

    async def _change_leader(self, tp: TP, leader: int, isr: Iterable[int], bump_epoch: bool = True) -> zd.LeaderIsr | None:
        """Write a new leader/ISR, retrying once against a concurrent AlterIsr write."""
        for _ in range(3):
            old = self.states[tp]
            new = zd.LeaderIsr(leader, old.leader_epoch + (1 if bump_epoch else 0), tuple(isr), self.epoch, old.zk_version)
            written = await self._write_state(tp, new)
            if written is not None:
                return written
        return None

    # ---- elections -----------------------------------------------------------------------------------------

    async def _elect_offline(self, partitions: Iterable[TP], exclude: int | None = None) -> list[TP]:
        """Partitions whose leader is not live get one from the live ISR (or any live replica if unclean)."""
        changed = []
        for tp in list(partitions):
            state = self.states.get(tp)
            if state is None or tp[0] in self.deleting:
                continue
            live = self._online(tp)
            if state.leader in live and state.leader != exclude:
                continue
            replicas = self._replicas(tp)
            election = offline_election(replicas, state.isr, live, unclean=False)
            if election is None and any(r in live for r in replicas) and await self._unclean_allowed(tp[0]):
                election = offline_election(replicas, state.isr, live, unclean=True)
                if election is not None:
                    log.warning("[Controller id=%d] Unclean leader election for %s-%d: new leader %d", self.broker_id, *tp, election[0])
            if election is None:
                if state.leader == zd.NO_LEADER:
                    continue
                # offline: no leader, the ISR keeps its last member so a clean election can happen when it returns
                isr = shrink_isr(state.isr, state.leader) if state.leader not in live else list(state.isr)
                if await self._change_leader(tp, zd.NO_LEADER, isr) is not None:
                    changed.append(tp)
                continue
            leader, isr = election
            if await self._change_leader(tp, leader, isr) is not None:
                changed.append(tp)
        return changed

    async def _remove_from_isr(self, broker_id: int, partitions: Iterable[TP]) -> list[TP]:
        changed = []
        for tp in partitions:
            state = self.states.get(tp)
            if state is None or broker_id not in state.isr or state.leader == broker_id:
                continue
            if len(state.isr) == 1:
                continue
            isr = [i for i in state.isr if i != broker_id]
            if await self._change_leader(tp, state.leader, isr, bump_epoch=True) is not None:
                changed.append(tp)
        return changed

    # ---- broker membership -----------------------------------------------------------------------------------

    async def _on_broker_change(self, _children: list[str]) -> None:
        """/brokers/ids changed. The list is read again here, not taken from the watch: a retried or late event
        must act on what ZooKeeper holds now, or it could declare dead a broker that has come back."""
        current = {int(c) for c in await self._zk(self.zk.children, zd.BROKER_IDS)}
        before = dict(self.brokers)
        dead = set(before) - current
        new: set[int] = set()
        bounced: dict[int, zd.BrokerInfo] = {}
        for broker_id in current:
            info = await self._read_broker(broker_id)
            if info is None:  # gone between the two reads
                if broker_id in before:
                    dead.add(broker_id)
                continue
            old = before.get(broker_id)
            if old is None:
                new.add(broker_id)
            elif old.epoch != info.epoch:
                log.info("[Controller id=%d] broker %d bounced (epoch %d -> %d)", self.broker_id, broker_id, old.epoch, info.epoch)
                bounced[broker_id] = info
        for broker_id in dead:
            self.brokers.pop(broker_id, None)
        self.offline_replicas.forget(dead | new | set(bounced))
        # Kafka's processBrokerChange: a bounced broker (same id, new registration) is first a failed broker --
        # its leaderships move, it leaves the ISRs, its queued requests (meant for the old process) are dropped --
        # and then a new one, sent everything it must replicate.
        for broker_id in bounced:
            self.brokers.pop(broker_id, None)
        if dead or bounced:
            await self._on_brokers_failure(dead | set(bounced))
        self.brokers.update(bounced)
        if new or bounced:
            await self._on_brokers_startup(new | set(bounced))

    async def _on_brokers_failure(self, dead: set[int]) -> None:
        log.info("[Controller id=%d] broker(s) failed: %s", self.broker_id, sorted(dead))
        for broker_id in dead:
            self.shutting_down.discard(broker_id)
            self.channel.remove_broker(broker_id)
        led = [tp for tp, s in self.states.items() if s.leader in dead]
        changed = await self._elect_offline(led)
        for broker_id in dead:
            followed = [tp for tp in self.states if broker_id in self._replicas(tp)]
            changed += await self._remove_from_isr(broker_id, followed)
        if not changed:  # as Kafka: the others still learn the broker list without it
            self._send_update_metadata(self.brokers.keys())
        self._broadcast(changed)

    async def _on_brokers_startup(self, new: set[int]) -> None:
        log.info("[Controller id=%d] new broker(s): %s", self.broker_id, sorted(new))
        for broker_id in new:
            info = self.brokers[broker_id]
            self.channel.add_broker(broker_id, info.host, info.port, info.epoch)
        # the newcomers learn everything, everyone else learns the new broker list
        self._send_update_metadata(self.brokers.keys())
        for broker_id in new:
            self._send_leader_and_isr(broker_id, [tp for tp in self.states if broker_id in self._replicas(tp)], full=True)
        offline = [tp for tp, s in self.states.items() if s.leader not in self._online(tp)]
        changed = await self._elect_offline(offline)
        self._broadcast(changed)
        await self._resume_deletions(new)
        await self._check_reassignments()

    def _broadcast(self, changed: list[TP]) -> None:
        """After leader/ISR changes: LeaderAndIsr to the replicas of changed partitions, UpdateMetadata to all."""
        if not changed:
            return
        self._send_update_metadata(self.brokers.keys())
        by_broker: dict[int, list[TP]] = {}
        for tp in changed:
            for r in self._all_replicas(tp):
                by_broker.setdefault(r, []).append(tp)
        for broker_id, tps in by_broker.items():
            self._send_leader_and_isr(broker_id, tps)

    def _all_replicas(self, tp: TP) -> list[int]:
        topic = self.topics.get(tp[0])
        if topic is None:
            return []
        out = list(topic.partitions.get(tp[1], []))
        for r in topic.adding.get(tp[1], []):
            if r not in out:
                out.append(r)
        return out

    # ---- requests to brokers --------------------------------------------------------------------------------

    def _send_update_metadata(self, to: Iterable[int], deleting: Iterable[str] = ()) -> None:
        topic_states = self._update_metadata_topic_states(set(deleting))
        live = self._update_metadata_live_brokers()
        for broker_id in to:
            info = self.brokers.get(broker_id)
            if info is None:
                continue
            request = um.UpdateMetadataRequest(
                controller_id=self.broker_id,
                controller_epoch=self.epoch,
                broker_epoch=info.epoch,
                topic_states=topic_states,
                live_brokers=live,
            )
            self.channel.send(broker_id, request)

    def _update_metadata_topic_states(self, deleting: set[str]) -> list[um.UpdateMetadataTopicState]:
        """Every partition's leader and ISR, by topic; a topic being deleted has leader LEADER_DURING_DELETE."""
        by_topic: dict[str, list[um.UpdateMetadataRequestUpdateMetadataPartitionState]] = {}
        for (topic, p), s in sorted(self.states.items()):
            if topic not in self.topics:
                continue
            leader = zd.LEADER_DURING_DELETE if topic in deleting or topic in self.deleting else s.leader
            replicas = self._replicas((topic, p))
            by_topic.setdefault(topic, []).append(
                um.UpdateMetadataRequestUpdateMetadataPartitionState(
                    topic_name=topic,
                    partition_index=p,
                    controller_epoch=s.controller_epoch,
                    leader=leader,
                    leader_epoch=s.leader_epoch,
                    isr=list(s.isr),
                    zk_version=s.zk_version,
                    replicas=list(replicas),
                    offline_replicas=[r for r in replicas if r not in self.brokers or self.offline_replicas.is_offline(r, (topic, p))],
                )
            )
        return [
            um.UpdateMetadataTopicState(topic_name=t, topic_id=uuid.UUID(self.topics[t].topic_id), partition_states=ps)
            for t, ps in by_topic.items()
        ]

    def _update_metadata_live_brokers(self) -> list[um.UpdateMetadataBroker]:
        return [
            um.UpdateMetadataBroker(
                id=b.broker_id,
                endpoints=[
                    um.UpdateMetadataEndpoint(
                        port=e.port, host=e.host, listener=e.listener, security_protocol=_protocol_id(e.security_protocol)
                    )
                    for e in b.all_endpoints()
                ],
                rack=b.rack,
            )
            for b in sorted(self.brokers.values(), key=lambda b: b.broker_id)
        ]

    def _send_leader_and_isr(self, broker_id: int, partitions: Iterable[TP], full: bool = False, is_new: bool = False) -> None:
        info = self.brokers.get(broker_id)
        if info is None:
            return
        by_topic, leaders = self._leader_and_isr_states(partitions, is_new)
        if not by_topic and not full:
            return
        request = lai.LeaderAndIsrRequest(
            controller_id=self.broker_id,
            controller_epoch=self.epoch,
            broker_epoch=info.epoch,
            type=1 if full else 0,
            topic_states=[
                lai.LeaderAndIsrTopicState(topic_name=t, topic_id=uuid.UUID(self.topics[t].topic_id), partition_states=ps)
                for t, ps in by_topic.items()
            ],
            live_leaders=[
                lai.LeaderAndIsrLiveLeader(broker_id=b, host_name=self.brokers[b].host, port=self.brokers[b].port)
                for b in sorted(leaders)
                if b in self.brokers
            ],
        )
        self.channel.send(broker_id, request, self._leader_and_isr_answered)

    def _leader_and_isr_states(
        self, partitions: Iterable[TP], is_new: bool
    ) -> tuple[dict[str, list[lai.LeaderAndIsrRequestLeaderAndIsrPartitionState]], set[int]]:
        """The partition states to send, by topic (none for a topic being deleted), and their leaders."""
        by_topic: dict[str, list[lai.LeaderAndIsrRequestLeaderAndIsrPartitionState]] = {}
        leaders: set[int] = set()
        for tp in sorted(partitions):
            s = self.states.get(tp)
            topic = self.topics.get(tp[0])
            if s is None or topic is None or tp[0] in self.deleting:
                continue
            by_topic.setdefault(tp[0], []).append(
                lai.LeaderAndIsrRequestLeaderAndIsrPartitionState(
                    topic_name=tp[0],
                    partition_index=tp[1],
                    controller_epoch=s.controller_epoch,
                    leader=s.leader,
                    leader_epoch=s.leader_epoch,
                    isr=list(s.isr),
                    partition_epoch=s.zk_version,
                    replicas=self._all_replicas(tp),
                    adding_replicas=list(topic.adding.get(tp[1], [])),
                    removing_replicas=list(topic.removing.get(tp[1], [])),
                    is_new=is_new,
                )
            )
            if s.leader >= 0:
                leaders.add(s.leader)
        return by_topic, leaders

    def _send_stop_replica(self, broker_id: int, partitions: Iterable[TP], delete: bool) -> None:
        info = self.brokers.get(broker_id)
        if info is None:
            return
        by_topic: dict[str, list[sr.StopReplicaPartitionState]] = {}
        for topic, p in sorted(partitions):
            state = self.states.get((topic, p))
            by_topic.setdefault(topic, []).append(
                sr.StopReplicaPartitionState(
                    partition_index=p,
                    leader_epoch=zd.LEADER_DURING_DELETE if delete else (state.leader_epoch if state else -1),
                    delete_partition=delete,
                )
            )
        if not by_topic:
            return
        request = sr.StopReplicaRequest(
            controller_id=self.broker_id,
            controller_epoch=self.epoch,
            broker_epoch=info.epoch,
            topic_states=[sr.StopReplicaTopicState(topic_name=t, partition_states=ps) for t, ps in by_topic.items()],
        )
        self.channel.send(broker_id, request)

    # ---- log dir failures -----------------------------------------------------------------------------------------

    async def _on_log_dir_event(self, children: list[str]) -> None:
        """Brokers wrote /log_dir_event_notification/log_dir_event_<seq>: ask each for all its replicas (a
        LeaderAndIsr; the answers name the offline ones), then delete the events (Kafka's
        processLogDirEventNotification)."""
        names = [c for c in children if c.startswith(zd.LOG_DIR_EVENT_PREFIX)]
        brokers: set[int] = set()
        for name in names:
            got = await self._zk(self.zk.get, f"{zd.LOG_DIR_EVENT_NOTIFICATION}/{name}")
            broker_id = zd.decode_log_dir_event(got[0]) if got else None
            if broker_id is not None:
                brokers.add(broker_id)
        if brokers:
            log.info("[Controller id=%d] log dir failure on broker(s) %s", self.broker_id, sorted(brokers))
        for broker_id in sorted(brokers & set(self.brokers)):
            self._send_leader_and_isr(broker_id, [tp for tp in self.states if broker_id in self._all_replicas(tp)])
        for name in names:
            await self._zk(self.zk.delete, f"{zd.LOG_DIR_EVENT_NOTIFICATION}/{name}")

    def _leader_and_isr_answered(self, broker_id: int, response: Any) -> None:
        """The channel's callback: the answer is handled as an event on the controller's queue."""
        if self.active:
            self._queue.put_nowait((partial(self._on_leader_and_isr_response, broker_id, response), None))

    async def _on_leader_and_isr_response(self, broker_id: int, response: Any) -> None:
        """Kafka's LeaderAndIsrResponseReceived: partitions answered KAFKA_STORAGE_ERROR are on a failed log
        dir; newly offline replicas leave the ISR and, where they led, leadership moves (onReplicasBecomeOffline)."""
        if response.error_code != ErrorCode.NONE:
            log.error(
                "[Controller id=%d] Received error %d in LeaderAndIsr response from broker %d",
                self.broker_id,
                response.error_code,
                broker_id,
            )
            return
        if broker_id not in self.brokers:
            return
        names = {uuid.UUID(t.topic_id): name for name, t in self.topics.items()}
        newly = self.offline_replicas.update(broker_id, leader_and_isr_errors(response, names))
        if not newly:
            return
        log.info(
            "[Controller id=%d] Mark replicas %s on broker %d as offline",
            self.broker_id,
            ", ".join(f"{t}-{p}" for t, p in sorted(newly)),
            broker_id,
        )
        changed = await self._elect_offline([tp for tp in sorted(newly) if tp in self.states and self.states[tp].leader == broker_id])
        changed += await self._remove_from_isr(broker_id, [tp for tp in sorted(newly) if tp in self.states])
        if not changed:
            self._send_update_metadata(self.brokers.keys())  # the offline replicas, for Metadata
        self._broadcast(changed)

    # ---- topics ------------------------------------------------------------------------------------------------

    async def _on_topic_change(self, children: list[str]) -> None:
        for topic in children:
            if topic not in self.topics:
                got = await self._zk(self.zk.get, zd.topic_path(topic))
                if got is None:
                    continue
                self.topics[topic] = zd.TopicAssignment.decode(got[0])
                self._watch_topic(topic)
                log.info("[Controller id=%d] new topic %s", self.broker_id, topic)
                await self._on_new_partitions(topic, sorted(self.topics[topic].partitions))
        for topic in list(self.topics):
            if topic not in children:
                self._forget_topic(topic)

    async def _on_partition_modification(self, topic: str) -> None:
        if topic in self.deleting or topic not in self.topics:
            return
        got = await self._zk(self.zk.get, zd.topic_path(topic))
        if got is None:
            return
        fresh = zd.TopicAssignment.decode(got[0])
        old = self.topics[topic]
        added = sorted(set(fresh.partitions) - set(old.partitions))
        old.partitions.update({p: fresh.partitions[p] for p in added})
        if added:
            log.info("[Controller id=%d] new partitions %s of %s", self.broker_id, added, topic)
            await self._on_new_partitions(topic, added)

    async def _on_new_partitions(self, topic: str, partitions: list[int]) -> None:
        live = self._live()
        created = []
        for p in partitions:
            tp = (topic, p)
            existing = await self._zk(self.zk.get, zd.partition_state_path(topic, p))
            if existing is not None:  # a previous controller got this far
                self.states[tp] = zd.LeaderIsr.decode(existing[0], existing[1].version)
                created.append(tp)
                continue
            replicas = self._replicas(tp)
            alive = [r for r in replicas if r in live]
            state = zd.LeaderIsr(alive[0] if alive else zd.NO_LEADER, 0, tuple(alive or replicas[:1]), self.epoch)
            try:
                await self._write_state(tp, state, create=True)
            except ZkNoNode:
                continue
            created.append(tp)
        self._send_update_metadata(self.brokers.keys())
        by_broker: dict[int, list[TP]] = {}
        for tp in created:
            for r in self._replicas(tp):
                by_broker.setdefault(r, []).append(tp)
        for broker_id, tps in by_broker.items():
            self._send_leader_and_isr(broker_id, tps, is_new=True)

    def _forget_topic(self, topic: str) -> None:
        self.topics.pop(topic, None)
        self.deleting.discard(topic)
        self.deletion_pending.pop(topic, None)
        for tp in [tp for tp in self.states if tp[0] == topic]:
            del self.states[tp]

    async def _on_delete_topics(self, children: list[str]) -> None:
        if not children:
            return
        if not self.config["delete.topic.enable"]:
            for topic in children:
                await self._zk(self.zk.delete, zd.delete_topic_path(topic))
            return
        doomed = [t for t in children if t in self.topics and t not in self.deletion_pending]
        for topic in children:
            if topic not in self.topics:
                await self._zk(self.zk.delete, zd.delete_topic_path(topic))
        if not doomed:
            return
        self.deleting.update(doomed)
        log.info("[Controller id=%d] deleting topic(s) %s", self.broker_id, doomed)
        self._send_update_metadata(self.brokers.keys(), deleting=doomed)
        for topic in doomed:
            replicas = {r for tp in self.states if tp[0] == topic for r in self._all_replicas(tp)}
            for broker_id in replicas & set(self.brokers):
                self._send_stop_replica(broker_id, [tp for tp in self.states if tp[0] == topic], delete=True)
            offline = replicas - set(self.brokers)
            if offline:
                # as Kafka's TopicDeletionManager: the deletion completes when the offline replicas return
                log.info("[Controller id=%d] deletion of %s waits for offline replica(s) %s", self.broker_id, topic, sorted(offline))
                self.deletion_pending[topic] = offline
            else:
                await self._finish_deletion(topic)

    async def _resume_deletions(self, returned: set[int]) -> None:
        for topic, pending in list(self.deletion_pending.items()):
            for broker_id in pending & returned:
                self._send_stop_replica(broker_id, [tp for tp in self.states if tp[0] == topic], delete=True)
                pending.discard(broker_id)
            if not pending:
                await self._finish_deletion(topic)

    async def _finish_deletion(self, topic: str) -> None:
        try:
            await self._zk(self.zk.delete, zd.topic_path(topic), recursive=True)
            await self._zk(self.zk.delete, zd.topic_config_path(topic))
            await self._zk(self.zk.delete, zd.delete_topic_path(topic))
        except ZkError as exc:
            log.warning("[Controller id=%d] could not remove znodes of %s: %s", self.broker_id, topic, exc)
        self.deletion_pending.pop(topic, None)
        self._forget_topic(topic)
        log.info("[Controller id=%d] deletion of topic %s completed", self.broker_id, topic)

    # ---- API events (run on the queue through submit) -----------------------------------------------------------

    async def controlled_shutdown(self, broker_id: int, broker_epoch: int) -> tuple[int, list[TP]]:
        """Move leadership off a broker that is shutting down; returns (error, partitions it still leads)."""
        info = self.brokers.get(broker_id)
        if info is None:
            return ErrorCode.BROKER_NOT_AVAILABLE, []
        if broker_epoch not in (-1, info.epoch):
            return ErrorCode.STALE_BROKER_EPOCH, []
        self.shutting_down.add(broker_id)
        changed = []
        for tp, s in list(self.states.items()):
            replicas = self._replicas(tp)
            if broker_id not in replicas or tp[0] in self.deleting or len(replicas) < 2:
                continue
            if s.leader == broker_id:
                election = controlled_shutdown_election(replicas, s.isr, self._online(tp), self.shutting_down)
                if election is not None and await self._change_leader(tp, election[0], election[1]) is not None:
                    changed.append(tp)
            elif broker_id in s.isr:
                changed += await self._remove_from_isr(broker_id, [tp])
        self._broadcast(changed)
        self._send_stop_replica(broker_id, [tp for tp in changed if self.states[tp].leader != broker_id], delete=False)
        remaining = [tp for tp, s in self.states.items() if s.leader == broker_id and len(self._replicas(tp)) > 1]
        log.info(
            "[Controller id=%d] controlled shutdown of broker %d: %d partition(s) moved, %d remain",
            self.broker_id,
            broker_id,
            len(changed),
            len(remaining),
        )
        return ErrorCode.NONE, remaining

    async def alter_isr(
        self, broker_id: int, broker_epoch: int, items: list[tuple[TP, int, list[int], int]]
    ) -> dict[TP, tuple[int, zd.LeaderIsr | None]]:
        """items: (partition, leader epoch, new ISR, partition epoch) from the leader. Returns per partition (error, state)."""
        info = self.brokers.get(broker_id)
        out: dict[TP, tuple[int, zd.LeaderIsr | None]] = {}
        if info is None or broker_epoch not in (-1, info.epoch):
            return {tp: (ErrorCode.STALE_BROKER_EPOCH, None) for tp, *_ in items}
        changed = []
        for tp, leader_epoch, new_isr, partition_epoch in items:
            state = self.states.get(tp)
            if state is None or tp[0] in self.deleting:
                out[tp] = (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None)
            elif state.leader != broker_id:
                out[tp] = (ErrorCode.NOT_LEADER_OR_FOLLOWER, None)
            elif leader_epoch != state.leader_epoch:
                out[tp] = (ErrorCode.FENCED_LEADER_EPOCH, None)
            elif tuple(new_isr) == state.isr:
                # already so (Kafka's equalsIgnoreZk): the leader retries a change whose answer it lost, e.g. a
                # request that timed out during a partition and was applied after; it gets the current version
                out[tp] = (ErrorCode.NONE, state)
            elif partition_epoch != state.zk_version:
                out[tp] = (ErrorCode.INVALID_UPDATE_VERSION, None)
            elif not new_isr or any(r not in self._all_replicas(tp) for r in new_isr) or broker_id not in new_isr:
                out[tp] = (ErrorCode.INVALID_REQUEST, None)
            else:
                written = await self._write_state(
                    tp, zd.LeaderIsr(state.leader, state.leader_epoch, tuple(new_isr), self.epoch, state.zk_version)
                )
                current = self.states[tp]
                if written is None and (current.leader, current.leader_epoch, current.isr) == (
                    state.leader,
                    state.leader_epoch,
                    tuple(new_isr),
                ):
                    # ZooKeeper already holds this change (Kafka's checkLeaderAndIsrZkData): our own earlier
                    # write whose answer was lost with the connection; the leader gets the current version
                    out[tp] = (ErrorCode.NONE, current)
                elif written is None:
                    out[tp] = (ErrorCode.INVALID_UPDATE_VERSION, None)
                else:
                    out[tp] = (ErrorCode.NONE, written)
                    changed.append(tp)
        if changed:
            self._send_update_metadata(self.brokers.keys())
            await self._check_reassignments()
        return out

    async def elect_leaders(self, election_type: int, partitions: list[TP] | None) -> dict[TP, tuple[int, str | None]]:
        """ElectLeaders: 0 = preferred, 1 = unclean. Returns per partition (error, message)."""
        targets = sorted(self.states) if partitions is None else partitions
        out: dict[TP, tuple[int, str | None]] = {}
        changed = []
        for tp in targets:
            s = self.states.get(tp)
            replicas = self._replicas(tp)
            if s is None or tp[0] in self.deleting:
                out[tp] = (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The partition does not exist.")
                continue
            live = self._online(tp)
            if election_type == 0:
                if replicas and s.leader == replicas[0]:
                    out[tp] = (ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.")
                    continue
                election = preferred_election(replicas, s.isr, live)
                if election is None:
                    out[tp] = (
                        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
                        f"Failed to elect leader for partition {tp[0]}-{tp[1]} under strategy "
                        "PreferredReplicaPartitionLeaderElectionStrategy",
                    )
                    continue
            else:
                if s.leader in live:
                    out[tp] = (ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.")
                    continue
                election = offline_election(replicas, s.isr, live, unclean=True)
                if election is None:
                    out[tp] = (
                        ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
                        f"Failed to elect leader for partition {tp[0]}-{tp[1]} under strategy OfflinePartitionLeaderElectionStrategy",
                    )
                    continue
            if await self._change_leader(tp, election[0], election[1]) is None:
                out[tp] = (ErrorCode.NOT_CONTROLLER, "The partition state changed concurrently; retry.")
                continue
            changed.append(tp)
            out[tp] = (ErrorCode.NONE, None)
        self._broadcast(changed)
        return out

    async def auto_rebalance(self) -> None:
        """auto.leader.rebalance.enable: for each broker whose share of not-led preferred partitions exceeds
        leader.imbalance.per.broker.percentage, move those leaderships back where they are live and in sync."""
        live = self._live()
        threshold = float(self.config["leader.imbalance.per.broker.percentage"]) / 100
        preferred: dict[int, list[TP]] = {}
        for tp in self.states:
            replicas = self._replicas(tp)
            if replicas and tp[0] not in self.deleting:
                preferred.setdefault(replicas[0], []).append(tp)
        wanted = []
        for broker_id, tps in preferred.items():
            off = [tp for tp in tps if self.states[tp].leader != broker_id]
            if broker_id in live and off and len(off) / len(tps) > threshold:
                wanted += [tp for tp in off if broker_id in self.states[tp].isr and broker_id in self._online(tp)]
        if wanted:
            log.info("[Controller id=%d] automatic preferred leader election for %d partition(s)", self.broker_id, len(wanted))
            await self.elect_leaders(0, wanted)

    # ---- reassignment (KIP-455) ----------------------------------------------------------------------------------

    async def alter_reassignments(self, changes: dict[TP, list[int] | None]) -> dict[TP, tuple[int, str | None]]:
        out: dict[TP, tuple[int, str | None]] = {}
        live = self._live()
        touched: dict[str, bool] = {}
        for tp, target in changes.items():
            topic = self.topics.get(tp[0])
            if topic is None or tp[1] not in topic.partitions or tp[0] in self.deleting:
                out[tp] = (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The partition does not exist.")
                continue
            if target is None:  # cancel
                if tp[1] not in topic.adding and tp[1] not in topic.removing:
                    out[tp] = (ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "No ongoing reassignment for this partition.")
                    continue
                original = [r for r in topic.partitions[tp[1]] if r not in topic.adding.get(tp[1], [])]
                topic.partitions[tp[1]] = original
                topic.adding.pop(tp[1], None)
                topic.removing.pop(tp[1], None)
                touched[tp[0]] = True
                out[tp] = (ErrorCode.NONE, None)
                continue
            if not target or len(set(target)) != len(target):
                out[tp] = (ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The proposed assignment contains duplicate or no replicas.")
                continue
            unknown = [r for r in target if r not in live]
            if unknown:
                out[tp] = (ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"The proposed assignment contains non-live brokers {unknown}.")
                continue
            current = [r for r in topic.partitions[tp[1]] if r not in topic.adding.get(tp[1], [])]
            adding = [r for r in target if r not in current]
            removing = [r for r in current if r not in target]
            topic.partitions[tp[1]] = list(target) + removing
            if adding:
                topic.adding[tp[1]] = adding
            else:
                topic.adding.pop(tp[1], None)
            if removing:
                topic.removing[tp[1]] = removing
            else:
                topic.removing.pop(tp[1], None)
            touched[tp[0]] = True
            out[tp] = (ErrorCode.NONE, None)
        for topic_name in touched:
            await self._zk(self.zk.set, zd.topic_path(topic_name), self.topics[topic_name].encode())
        moved = [tp for tp, (code, _) in out.items() if code == ErrorCode.NONE]
        # new replicas start following (LeaderAndIsr with the full replica set); the ISR check finishes the move
        changed = []
        for tp in moved:
            s = self.states[tp]
            if await self._change_leader(tp, s.leader, s.isr) is not None:
                changed.append(tp)
        self._broadcast(changed)
        await self._check_reassignments()
        return out

    def ongoing_reassignments(self, wanted: list[TP] | None) -> dict[TP, tuple[list[int], list[int], list[int]]]:
        out = {}
        for name, topic in self.topics.items():
            for p in sorted(set(topic.adding) | set(topic.removing)):
                if wanted is not None and (name, p) not in wanted:
                    continue
                out[(name, p)] = (list(topic.partitions[p]), list(topic.adding.get(p, [])), list(topic.removing.get(p, [])))
        return out

    async def _check_reassignments(self) -> None:
        """A reassignment completes once every target replica is in the ISR: lead from the target, drop the rest."""
        for name, topic in list(self.topics.items()):
            done = False
            for p in sorted(set(topic.adding) | set(topic.removing)):
                tp = (name, p)
                s = self.states.get(tp)
                removing = topic.removing.get(p, [])
                target = [r for r in topic.partitions[p] if r not in removing]
                if s is None or any(r not in s.isr for r in target):
                    continue
                isr = [r for r in s.isr if r in target]
                leader = s.leader
                if leader not in target or leader not in self._online(tp):
                    election = reassignment_election(target, isr, self._online(tp))
                    if election is None:
                        continue
                    leader = election[0]
                topic.partitions[p] = target
                topic.adding.pop(p, None)
                topic.removing.pop(p, None)
                if await self._change_leader(tp, leader, isr) is not None:
                    self._broadcast([tp])
                for r in removing:
                    self._send_stop_replica(r, [tp], delete=True)
                done = True
                log.info("[Controller id=%d] reassignment of %s-%d completed: replicas %s", self.broker_id, name, p, target)
            if done:
                await self._zk(self.zk.set, zd.topic_path(name), topic.encode())


def _protocol_id(name: str) -> int:
    """UpdateMetadata's security_protocol id of a protocol name (PLAINTEXT for one Kafka does not know)."""
    return int(SecurityProtocol.__members__.get(name, SecurityProtocol.PLAINTEXT))
