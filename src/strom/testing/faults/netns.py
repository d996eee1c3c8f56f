"""Network partitions without a network: each node (a broker, ZooKeeper) in its own Linux network namespace,
joined by a veth pair to one bridge in the root namespace, where the test's clients run.

    root namespace (clients, 10.211.K.1 on bridge sbrK)
        +-- veth --> namespace strom-K-zk    10.211.K.10   ZooKeeper
        +-- veth --> namespace strom-K-b0    10.211.K.20   broker 0
        +-- veth --> namespace strom-K-b1    10.211.K.21   broker 1 ...

Faults are nftables rules in the receiving namespace's input hook: a partition drops every packet from the
other side (both sides do, so TCP connections hang until their timeouts, as on a real network, rather than
being refused), packet loss drops a random share. Only `ip` (iproute2) and `nft` (nftables) from Debian are
used; every call needs CAP_NET_ADMIN (root in the test container). Each namespace has its own ports, so every
broker listens on 9092 and ZooKeeper on 2181.

The kernel's `sch_netem` qdisc is what `tc netem` latency needs; kernels built without it (Firecracker's
guests, for one) get `available()["netem"] == False` and latency runs through `delay_proxy` instead.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CLIENTS = "clients"  # the root namespace, where the test process and its clients run
_TABLE = "strom_faults"


def run(*args: str, namespace: str | None = None, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    return subprocess.run([*prefix, *args], check=check, capture_output=True, text=True, input=input, timeout=30)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    namespace: str
    ip: str
    veth: str  # the root-side end, on the bridge

    def exec_prefix(self) -> list[str]:
        """Prepended to a command line to run it inside this node's namespace."""
        return ["ip", "netns", "exec", self.namespace]


def _used_third_octets() -> set[int]:
    out = run("ip", "-o", "-4", "addr", "show", check=False).stdout
    used = {int(word.split(".")[2]) for word in out.split() if word.startswith("10.211.")}
    names = run("ip", "netns", "list", check=False).stdout
    used |= {int(n.split("-")[1]) for n in names.split() if n.startswith("strom-") and n.split("-")[1].isdigit()}
    return used


class Network:
    """A bridge and its nodes; `close()` removes all of it (processes inside must be stopped first)."""

    def __init__(self) -> None:
        used = _used_third_octets()
        self.k = next(k for k in itertools.count(1 + os.getpid() % 200) if k not in used and k < 255)
        self.subnet = f"10.211.{self.k}"
        self.bridge = f"sbr{self.k}"
        self.client_ip = f"{self.subnet}.1"
        self.nodes: dict[str, Node] = {}
        self._blocked: set[tuple[str, str]] = set()  # (receiver, sender): receiver drops what sender sends
        self._loss: dict[tuple[str, str], int] = {}  # (receiver, sender) -> percent dropped
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.client_ip}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def add_node(self, name: str, host: int) -> Node:
        """A namespace `strom-K-<name>` at 10.211.K.<host>, reachable from the clients and every other node."""
        node = Node(name, f"strom-{self.k}-{name}", f"{self.subnet}.{host}", f"sv{self.k}h{host}")
        inner = f"si{self.k}h{host}"
        run("ip", "netns", "add", node.namespace)
        run("ip", "link", "add", node.veth, "type", "veth", "peer", "name", inner)
        run("ip", "link", "set", inner, "netns", node.namespace)
        run("ip", "link", "set", node.veth, "master", self.bridge, "up")
        run("ip", "link", "set", "lo", "up", namespace=node.namespace)
        run("ip", "addr", "add", f"{node.ip}/24", "dev", inner, namespace=node.namespace)
        run("ip", "link", "set", inner, "up", namespace=node.namespace)
        run("ip", "route", "add", "default", "via", self.client_ip, namespace=node.namespace)
        self.nodes[name] = node
        self._apply(name)
        return node

    def _ip(self, name: str) -> str:
        return self.client_ip if name == CLIENTS else self.nodes[name].ip

    def _apply(self, receiver: str) -> None:
        """Rewrites the receiver's rule set in one nft transaction (no window with half the rules)."""
        rules = [f"ip saddr {self._ip(s)} drop" for r, s in sorted(self._blocked) if r == receiver]
        rules += [f"ip saddr {self._ip(s)} numgen random mod 100 < {p} drop" for (r, s), p in sorted(self._loss.items()) if r == receiver]
        script = "\n".join(
            [
                f"table inet {_TABLE}",
                f"delete table inet {_TABLE}",
                f"table inet {_TABLE} {{",
                "  chain input {",
                "    type filter hook input priority 0; policy accept;",
                *(f"    {rule}" for rule in rules),
                "  }",
                "}",
                "",
            ]
        )
        if receiver == CLIENTS:
            raise ValueError("faults are applied in the nodes' namespaces; name the node, not the clients")
        run("nft", "-f", "-", namespace=self.nodes[receiver].namespace, input=script)

    def _set(self, pairs: Iterable[tuple[str, str]], blocked: bool) -> None:
        touched: set[str] = set()
        for a, b in pairs:
            for receiver, sender in ((a, b), (b, a)):
                if receiver == CLIENTS:
                    continue
                (self._blocked.add if blocked else self._blocked.discard)((receiver, sender))
                touched.add(receiver)
        for receiver in sorted(touched):
            self._apply(receiver)

    def partition(self, side_a: Sequence[str], side_b: Sequence[str]) -> None:
        """Nothing passes between a node of `side_a` and a node of `side_b` (CLIENTS names the clients);
        links inside each side, and to anyone not named, are untouched."""
        self._set(((a, b) for a in side_a for b in side_b), blocked=True)

    def isolate(self, node: str, others: Sequence[str]) -> None:
        self.partition([node], others)

    def connect(self, side_a: Sequence[str], side_b: Sequence[str]) -> None:
        """Heals the links between the two sides (the opposite of `partition`)."""
        self._set(((a, b) for a in side_a for b in side_b), blocked=False)

    def loss(self, node: str, peers: Sequence[str], percent: int) -> None:
        """Drops `percent` % of the packets between `node` and each peer, both ways (0 heals)."""
        touched = set()
        for peer in peers:
            for receiver, sender in ((node, peer), (peer, node)):
                if receiver == CLIENTS:
                    continue
                if percent:
                    self._loss[(receiver, sender)] = percent
                else:
                    self._loss.pop((receiver, sender), None)
                touched.add(receiver)
        for receiver in sorted(touched):
            self._apply(receiver)

    def heal(self) -> None:
        """Every link back: no partitions, no loss."""
        self._blocked.clear()
        self._loss.clear()
        for name in self.nodes:
            self._apply(name)

    @property
    def blocked(self) -> set[tuple[str, str]]:
        return set(self._blocked)

    def close(self) -> None:
        for node in self.nodes.values():
            run("ip", "link", "del", node.veth, check=False)
            run("ip", "netns", "del", node.namespace, check=False)
        run("ip", "link", "del", self.bridge, check=False)
        self.nodes.clear()


def available() -> dict[str, bool]:
    """What this machine can do: namespaces (ip + CAP_NET_ADMIN), nftables, tc netem."""
    found: dict[str, bool] = {"netns": False, "nft": False, "netem": False}
    probe = f"strom-probe-{os.getpid()}"
    try:
        found["netns"] = run("ip", "netns", "add", probe, check=False).returncode == 0
        if found["netns"]:
            found["nft"] = run("nft", "add", "table", "inet", "probe", namespace=probe, check=False).returncode == 0
            found["netem"] = (
                run("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms", namespace=probe, check=False).returncode == 0
            )
    except FileNotFoundError:
        pass
    finally:
        run("ip", "netns", "del", probe, check=False)
    return found
