"""``Topology.describe()``: the text Java's TopologyDescription prints for the same topology, byte for byte.

Java's text depends on the iteration order of its HashSets and HashMaps (topic and store lists, the order nodes
are connected in) and on TreeSets whose sort keys (sub-tree sizes) change after insertion. So this module
reproduces those orders: String.hashCode, HashMap bucket order, and TreeMap's red-black insertion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_HASHMAP_DEFAULT_CAPACITY = 16


def java_string_hash(text: str) -> int:
    """Java's String.hashCode (over UTF-16 code units), as a signed 32-bit int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def _bucket(text: str, capacity: int) -> int:
    h = java_string_hash(text) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & (capacity - 1)


def _table_size_for(n: int) -> int:
    cap = 1
    while cap < n:
        cap <<= 1
    return cap


def _grown_capacity(size: int, initial: int = _HASHMAP_DEFAULT_CAPACITY) -> int:
    cap = initial
    while size > cap * 3 // 4:
        cap <<= 1
    return cap


def hash_order(items: Iterable[str], copied: bool = False) -> list[str]:
    """The iteration order of a Java HashSet/HashMap keyed by these strings, added in this order.

    ``copied`` is ``new HashSet<>(collection)``, whose table is sized for the collection up front; otherwise the
    table starts at 16 and doubles as it fills.
    """
    unique = list(dict.fromkeys(items))
    if copied:
        capacity = _table_size_for(max(int(len(unique) / 0.75) + 1, _HASHMAP_DEFAULT_CAPACITY))
    else:
        capacity = _grown_capacity(len(unique))
    order = {name: i for i, name in enumerate(unique)}
    return sorted(unique, key=lambda name: (_bucket(name, capacity), order[name]))


def java_set_string(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


# --- TreeSet with a comparator whose keys move (Java's TreeMap red-black insertion) ------------------------------


class _TreeNode:
    __slots__ = ("key", "left", "right", "parent", "black")

    def __init__(self, key: Node, parent: _TreeNode | None) -> None:
        self.key = key
        self.left: _TreeNode | None = None
        self.right: _TreeNode | None = None
        self.parent = parent
        self.black = True


class JavaTreeSet:
    """A set ordered by ``compare`` at insertion time, iterated as Java's TreeSet would after the same inserts."""

    def __init__(self, compare: Callable[[Node, Node], int]) -> None:
        self._compare = compare
        self._root: _TreeNode | None = None
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, key: Node) -> bool:
        t = self._root
        if t is None:
            self._root = _TreeNode(key, None)
            self._size = 1
            return True
        parent = t
        cmp = 0
        while t is not None:
            parent = t
            cmp = self._compare(key, t.key)
            if cmp < 0:
                t = t.left
            elif cmp > 0:
                t = t.right
            else:
                return False
        node = _TreeNode(key, parent)
        if cmp < 0:
            parent.left = node
        else:
            parent.right = node
        self._fix_after_insertion(node)
        self._size += 1
        return True

    def __iter__(self) -> Iterator[Node]:
        out: list[Node] = []
        stack: list[_TreeNode] = []
        t = self._root
        while stack or t is not None:
            while t is not None:
                stack.append(t)
                t = t.left
            t = stack.pop()
            out.append(t.key)
            t = t.right
        return iter(out)

    # the red-black fix-up (CLR), as java.util.TreeMap does it
    @staticmethod
    def _black(p: _TreeNode | None) -> bool:
        return True if p is None else p.black

    def _rotate_left(self, p: _TreeNode | None) -> None:
        if p is None or p.right is None:
            return
        r = p.right
        p.right = r.left
        if r.left is not None:
            r.left.parent = p
        r.parent = p.parent
        if p.parent is None:
            self._root = r
        elif p.parent.left is p:
            p.parent.left = r
        else:
            p.parent.right = r
        r.left = p
        p.parent = r

    def _rotate_right(self, p: _TreeNode | None) -> None:
        if p is None or p.left is None:
            return
        left = p.left
        p.left = left.right
        if left.right is not None:
            left.right.parent = p
        left.parent = p.parent
        if p.parent is None:
            self._root = left
        elif p.parent.right is p:
            p.parent.right = left
        else:
            p.parent.left = left
        left.right = p
        p.parent = left

    def _fix_after_insertion(self, x: _TreeNode) -> None:
        x.black = False
        while x is not None and x is not self._root and x.parent is not None and not x.parent.black:
            parent = x.parent
            grand = parent.parent
            if grand is None:
                break
            if parent is grand.left:
                y = grand.right
                if not self._black(y):
                    assert y is not None
                    parent.black = True
                    y.black = True
                    grand.black = False
                    x = grand
                else:
                    if x is parent.right:
                        x = parent
                        self._rotate_left(x)
                    assert x.parent is not None and x.parent.parent is not None
                    x.parent.black = True
                    x.parent.parent.black = False
                    self._rotate_right(x.parent.parent)
            else:
                y = grand.left
                if not self._black(y):
                    assert y is not None
                    parent.black = True
                    y.black = True
                    grand.black = False
                    x = grand
                else:
                    if x is parent.left:
                        x = parent
                        self._rotate_right(x)
                    assert x.parent is not None and x.parent.parent is not None
                    x.parent.black = True
                    x.parent.parent.black = False
                    self._rotate_left(x.parent.parent)
        assert self._root is not None
        self._root.black = True


# --- the description ---------------------------------------------------------------------------------------------


def _node_compare(a: Node, b: Node) -> int:
    if a.name == b.name:
        return 0
    if a.size != b.size:
        return b.size - a.size
    return -1 if a.name < b.name else (1 if a.name > b.name else 0)


def _node_names(nodes: JavaTreeSet) -> str:
    names = [n.name for n in nodes]
    return ", ".join(names) if names else "none"


class Node:
    """A node of the description; ``size`` is the size of the sub-tree rooted here, as Java counts it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.size = 1
        self._predecessors = JavaTreeSet(_node_compare)
        self._successors = JavaTreeSet(_node_compare)

    @property
    def predecessors(self) -> list[Node]:
        return list(self._predecessors)

    @property
    def successors(self) -> list[Node]:
        return list(self._successors)

    def add_predecessor(self, node: Node) -> None:
        self._predecessors.add(node)

    def add_successor(self, node: Node) -> None:
        self._successors.add(node)


class Source(Node):
    def __init__(self, name: str, topics: list[str] | None, pattern: re.Pattern[str] | None) -> None:
        super().__init__(name)
        self.topic_set = None if topics is None else hash_order(topics, copied=True)
        self.topic_pattern = pattern

    def add_predecessor(self, node: Node) -> None:
        raise TypeError("Sources don't have predecessors.")

    def __str__(self) -> str:
        if self.topic_set is not None:
            topics = java_set_string(self.topic_set)
        else:
            assert self.topic_pattern is not None
            topics = self.topic_pattern.pattern
        return f"Source: {self.name} (topics: {topics})\n      --> {_node_names(self._successors)}"


class Processor(Node):
    def __init__(self, name: str, stores: list[str]) -> None:
        super().__init__(name)
        self.stores = hash_order(stores, copied=True)

    def __str__(self) -> str:
        return (
            f"Processor: {self.name} (stores: {java_set_string(self.stores)})\n      --> {_node_names(self._successors)}"
            f"\n      <-- {_node_names(self._predecessors)}"
        )


class Sink(Node):
    def __init__(self, name: str, topic: str | None, topic_name_extractor: Any = None) -> None:
        super().__init__(name)
        self.topic = topic
        self.topic_name_extractor = topic_name_extractor

    def add_successor(self, node: Node) -> None:
        raise TypeError("Sinks don't have successors.")

    def __str__(self) -> str:
        if self.topic is not None:
            return f"Sink: {self.name} (topic: {self.topic})\n      <-- {_node_names(self._predecessors)}"
        return f"Sink: {self.name} (extractor class: {self.topic_name_extractor})\n      <-- {_node_names(self._predecessors)}"


def _update_size(node: Node, delta: int) -> None:
    node.size += delta
    for predecessor in node._predecessors:
        _update_size(predecessor, delta)


class Subtopology:
    def __init__(self, subtopology_id: int, nodes: list[Node]) -> None:
        self.id = subtopology_id
        self.nodes = sorted(nodes, key=lambda n: (-n.size, n.name))

    def __str__(self) -> str:
        return f"Sub-topology: {self.id}\n" + "".join(f"    {node}\n" for node in self.nodes) + "\n"


class GlobalStore:
    def __init__(self, source_name: str, processor_name: str, store_name: str, topic: str, store_id: int) -> None:
        self.id = store_id
        self.source = Source(source_name, [topic], None)
        self.processor = Processor(processor_name, [store_name])
        self.source.add_successor(self.processor)
        self.processor.add_predecessor(self.source)

    def __str__(self) -> str:
        return f"Sub-topology: {self.id} for global store (will not generate tasks)\n    {self.source}\n    {self.processor}\n"


class TopologyDescription:
    """The topology's subtopologies and global stores; ``str()`` is Java's TopologyDescription text."""

    def __init__(self, subtopologies: list[Subtopology], global_stores: list[GlobalStore]) -> None:
        self.subtopologies = sorted(subtopologies, key=lambda s: s.id)
        self.global_stores = sorted(global_stores, key=lambda g: g.id)

    def __str__(self) -> str:
        parts = ["Topologies:\n "]
        subs = list(self.subtopologies)
        globs = list(self.global_stores)
        expected = 0
        while subs and globs:
            parts.append("  ")
            if subs[0].id == expected:
                parts.append(str(subs.pop(0)))
            else:
                parts.append(str(globs.pop(0)))
            expected += 1
        for sub in subs:
            parts.append("  " + str(sub))
        for glob in globs:
            parts.append("  " + str(glob))
        return "".join(parts)

    __repr__ = __str__


def describe_subtopology(
    subtopology_id: int, node_names: list[str], make: Callable[[str], Node], predecessors: Callable[[str], tuple[str, ...]]
) -> Subtopology:
    """Connects the nodes in Java's HashMap order (which decides the sizes the TreeSets see) and sorts them."""
    by_name = {name: make(name) for name in node_names}
    for name in hash_order(node_names):
        node = by_name[name]
        for predecessor_name in predecessors(name):
            predecessor = by_name[predecessor_name]
            node.add_predecessor(predecessor)
            predecessor.add_successor(node)
            _update_size(predecessor, node.size)
    return Subtopology(subtopology_id, list(by_name.values()))
