"""Strom's module import graph, read from the source with ast: import cycles and function-level imports.

    python scripts/import_graph.py            # largest cycle among imports that run when a module loads
    python scripts/import_graph.py --all      # the same, counting imports inside functions too
    python scripts/import_graph.py --deferred # list imports of strom inside functions

An import of `strom.a.b` also runs `strom/__init__.py` and `strom/a/__init__.py`, so it counts as an edge to
each of them: that is how a package root that imports the client puts every module it reaches into one cycle.
Imports under `if TYPE_CHECKING:` never run and are not counted.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


@dataclass(frozen=True, slots=True)
class Import:
    importer: str
    imported: str
    line: int
    deferred: bool  # inside a function body: runs when called, not when the module loads


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(root: Path = SRC, package: str = "strom") -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from (item for stmt in child.orelse for item in _walk_stmt(stmt, in_function))
            continue
        yield from _walk_stmt(child, in_function)


def _walk_stmt(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, in_function
        return
    yield from _walk(node, in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        anchor = importer.split(".") if is_package else importer.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in modules else base


def _with_ancestors(name: str, modules: set[str]) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            yield candidate


def imports(root: Path = SRC, package: str = "strom") -> list[Import]:
    """Every import of a module under `package` by a module under it, as written (no ancestors added)."""
    paths = source_modules(root, package)
    names = set(paths)
    found = []
    for importer, path in paths.items():
        tree = ast.parse(path.read_text(), str(path))
        for node, deferred in _walk(tree, in_function=False):
            for target in _targets(node, importer, path.name == "__init__.py", names):
                if target in names and target != importer:
                    found.append(Import(importer, target, node.lineno, deferred))
    return found


def graph(found: list[Import], modules: set[str], include_deferred: bool) -> dict[str, set[str]]:
    """Edges of what loading a module runs: its imports and their parent packages."""
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for imp in found:
        if include_deferred or not imp.deferred:
            edges[imp.importer].update(target for target in _with_ancestors(imp.imported, modules) if target != imp.importer)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph is deeper than Python's recursion limit allows)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return [c for c in components if len(c) > 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="count imports inside functions as edges too")
    parser.add_argument("--deferred", action="store_true", help="list the imports of strom made inside functions")
    args = parser.parse_args(argv)
    found = imports()
    if args.deferred:
        deferred = [imp for imp in found if imp.deferred]
        for imp in deferred:
            print(f"{imp.importer}:{imp.line} -> {imp.imported}")
        print(f"{len(deferred)} function-level imports")
        return 0
    cycles = sorted(strongly_connected(graph(found, set(source_modules()), args.all)), key=len, reverse=True)
    for cycle in cycles:
        print(f"{len(cycle)} modules: {' '.join(cycle)}")
    print(f"largest cycle: {len(cycles[0]) if cycles else 0} modules ({len(cycles)} cycles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
