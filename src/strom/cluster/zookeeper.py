"""The one module that imports kazoo: a small, blocking ZooKeeper client with Kafka's needs.

Every call blocks, so callers run them in an executor, never on the event loop. Watches are kazoo's
DataWatch/ChildrenWatch recipes, which re-arm themselves after a reconnect and after a session expiry;
their callbacks run on kazoo's thread, so users hand them to their event loop with call_soon_threadsafe.
kazoo's exceptions are translated to the four below so no other module needs to know kazoo.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kazoo.client import KazooClient, KazooState  # type: ignore[import-untyped]
from kazoo.exceptions import BadVersionError, KazooException, NodeExistsError, NoNodeError, RolledBackError  # type: ignore[import-untyped]
from kazoo.handlers.threading import KazooTimeoutError  # type: ignore[import-untyped]
from kazoo.retry import KazooRetry  # type: ignore[import-untyped]

from strom.protocol.errors import KafkaError

log = logging.getLogger("kafka.zookeeper.ZooKeeperClient")


class ZkError(OSError):
    """ZooKeeper is unreachable or refused the operation (an OSError: the broker exits with one line, as on a bad port)."""


class ZkNodeExists(ZkError):
    pass


class ZkNoNode(ZkError):
    pass


class ZkBadVersion(ZkError):
    pass


@dataclass(frozen=True, slots=True)
class ZkStat:
    version: int
    czxid: int
    ephemeral_owner: int


F = TypeVar("F", bound=Callable[..., Any])


def zk_errors_as(code: int) -> Callable[[F], F]:
    """For request handlers: ZooKeeper being away is a Kafka error code on the wire, not a dropped connection."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except ZkError as exc:
                raise KafkaError(code, f"ZooKeeper is not available: {exc}") from None

        return inner  # type: ignore[return-value]

    return wrap


def _stat(stat: Any) -> ZkStat:
    return ZkStat(stat.version, stat.czxid, stat.ephemeralOwner)


def _translate(exc: Exception) -> ZkError:
    if isinstance(exc, NodeExistsError):
        return ZkNodeExists(str(exc))
    if isinstance(exc, NoNodeError):
        return ZkNoNode(str(exc))
    if isinstance(exc, BadVersionError):
        return ZkBadVersion(str(exc))
    return ZkError(f"{type(exc).__name__}: {exc}")


SessionListener = Callable[[str], None]  # "connected" | "suspended" | "expired"


class ZkClient:
    """One ZooKeeper session (zookeeper.connect may carry a chroot: host:port/chroot, created if missing)."""

    def __init__(self, connect: str, session_timeout_ms: int = 18000, connection_timeout_ms: int | None = None) -> None:
        self.connect_string = connect
        self.connection_timeout = (connection_timeout_ms or session_timeout_ms) / 1000
        self.session_timeout_s = session_timeout_ms / 1000
        # how long one operation may wait for ZooKeeper to come back (a restart) before it fails
        self.op_timeout = min(6.0, max(1.0, self.session_timeout_s / 3))
        hosts, slash, chroot = connect.partition("/")
        self._chroot = "/" + chroot.strip("/") if slash and chroot.strip("/") else ""
        self._zk = KazooClient(
            hosts=hosts + self._chroot,
            timeout=session_timeout_ms / 1000,
            connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=0.5),
            command_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=0.5),
        )
        self._listeners: list[SessionListener] = []
        self._expired = False
        self._zk.add_listener(self._on_state)

    # ---- session ----------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._chroot:
            self._ensure_chroot()
        try:
            self._zk.start(timeout=self.connection_timeout)
        except KazooTimeoutError:
            self._zk.stop()
            raise ZkError(f"Timed out waiting for connection to ZooKeeper at {self.connect_string}") from None

    def _ensure_chroot(self) -> None:
        hosts = self.connect_string.partition("/")[0]
        bare = KazooClient(hosts=hosts, timeout=self._zk._session_timeout / 1000)
        try:
            bare.start(timeout=self.connection_timeout)
            bare.ensure_path(self._chroot)
        except KazooTimeoutError:
            raise ZkError(f"Timed out waiting for connection to ZooKeeper at {self.connect_string}") from None
        finally:
            bare.stop()
            bare.close()

    def close(self) -> None:
        try:
            self._zk.stop()
            self._zk.close()
        except KazooException:  # pragma: no cover - best effort on shutdown
            pass

    @property
    def session_id(self) -> int:
        client_id = self._zk.client_id
        return int(client_id[0]) if client_id else -1

    @property
    def connected(self) -> bool:
        return bool(self._zk.connected)

    def add_session_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)

    def remove_session_listener(self, listener: SessionListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _on_state(self, state: str) -> None:
        # kazoo calls this on its own thread and forbids blocking calls here: only notify
        if state == KazooState.LOST:
            self._expired = True
            name = "expired"
        elif state == KazooState.SUSPENDED:
            name = "suspended"
        else:
            name = "connected"
        if name == "connected" and self._expired:
            self._expired = False
            name = "reconnected-new-session"
        log.info("ZooKeeper session state: %s", name)
        for listener in self._listeners:
            try:
                listener(name)
            except Exception:  # pragma: no cover - listeners must not break kazoo
                log.exception("session listener failed")

    # ---- operations (blocking) -------------------------------------------------------------------------

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one asynchronous kazoo operation and wait at most op_timeout: while ZooKeeper is away kazoo
        would otherwise block the caller until it comes back."""
        try:
            return fn(*args, **kwargs).get(timeout=self.op_timeout)
        except KazooTimeoutError:
            raise ZkError(f"ZooKeeper at {self.connect_string} did not answer in {self.op_timeout:.1f}s") from None
        except KazooException as exc:
            raise _translate(exc) from None

    def create(self, path: str, data: bytes = b"", ephemeral: bool = False, sequence: bool = False, makepath: bool = True) -> str:
        return str(self._call(self._zk.create_async, path, data, ephemeral=ephemeral, sequence=sequence, makepath=makepath))

    def ensure_path(self, path: str) -> None:
        self._call(self._zk.ensure_path_async, path)

    def get(self, path: str) -> tuple[bytes, ZkStat] | None:
        try:
            data, stat = self._call(self._zk.get_async, path)
        except ZkNoNode:
            return None
        return data, _stat(stat)

    def exists(self, path: str) -> ZkStat | None:
        stat = self._call(self._zk.exists_async, path)
        return _stat(stat) if stat is not None else None

    def set(self, path: str, data: bytes, version: int = -1) -> ZkStat:
        return _stat(self._call(self._zk.set_async, path, data, version=version))

    def delete(self, path: str, recursive: bool = False, version: int = -1) -> None:
        if recursive:
            for child in self.children(path):
                self.delete(f"{path}/{child}", recursive=True)
        try:
            self._call(self._zk.delete_async, path, version=version)
        except ZkNoNode:
            pass

    def children(self, path: str) -> list[str]:
        try:
            return sorted(self._call(self._zk.get_children_async, path))
        except ZkNoNode:
            return []

    def _commit(self, tx: Any) -> list[Any]:
        results: list[Any] = self._call(tx.commit_async)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, RolledBackError):
                raise _translate(result) if isinstance(result, KazooException) else ZkError(str(result))
        return results

    def set_if_epoch(self, path: str, data: bytes, version: int, epoch_path: str, epoch_version: int) -> ZkStat:
        """Conditional set fenced by the controller epoch znode's version (Kafka's checkControllerEpoch multi-op)."""
        tx = self._zk.transaction()
        tx.check(epoch_path, epoch_version)
        tx.set_data(path, data, version=version)
        return _stat(self._commit(tx)[1])

    def create_and_set(self, path: str, data: bytes, ephemeral: bool, set_path: str, set_data: bytes, set_version: int) -> ZkStat:
        """Create one znode and conditionally set another atomically (registering as controller and bumping
        /controller_epoch happen together, as in Kafka's registerControllerAndIncrementControllerEpoch)."""
        tx = self._zk.transaction()
        tx.create(path, data, ephemeral=ephemeral)
        tx.set_data(set_path, set_data, version=set_version)
        return _stat(self._commit(tx)[1])

    def create_ephemeral(self, path: str, data: bytes) -> ZkStat:
        """Create an ephemeral znode and return its stat in one round trip (a create and an unconditional set in
        one multi, as Kafka's checkedEphemeralCreate): its czxid is known the moment the znode is visible."""
        tx = self._zk.transaction()
        tx.create(path, data, ephemeral=True)
        tx.set_data(path, data, version=-1)
        return _stat(self._commit(tx)[1])

    def create_if_epoch(self, path: str, data: bytes, epoch_path: str, epoch_version: int) -> None:
        tx = self._zk.transaction()
        tx.check(epoch_path, epoch_version)
        tx.create(path, data)
        self._commit(tx)

    # ---- watches (callbacks on kazoo's thread) --------------------------------------------------------------

    def watch_children(self, path: str, callback: Callable[[list[str]], bool | None]) -> None:
        """callback(children) now and after every change; the watch ends when the callback returns False.
        After a lost connection (same session) kazoo calls back only if the NAMES changed: a znode deleted and
        re-created meanwhile goes unseen, so users who care (the controller) re-check on "connected"."""

        def on_change(children: list[str] | None) -> bool | None:
            return callback(sorted(children or []))

        self.ensure_path(path)
        self._zk.ChildrenWatch(path, on_change, send_event=False)

    def watch_data(self, path: str, callback: Callable[[bytes | None, ZkStat | None], bool | None]) -> None:
        """callback(data, stat) now and after every change ((None, None) while the node is missing);
        the watch ends when the callback returns False."""

        def on_change(data: bytes | None, stat: Any) -> bool | None:
            return callback(data, _stat(stat) if stat is not None else None)

        self._zk.DataWatch(path, on_change)
