"""The layers call one way: no package imports one above it, and no module imports in a cycle.

The ranks are the map of ``docs/design.md``; a new package gets its rank here, with a reason.
Imports inside functions count too (they must not hide a cycle).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
RANK: dict[str, int] = {
    # the vocabulary every layer shares
    "osos": 0, "errors": 0, "timeutil": 0, "domain": 0, "obis": 0, "channels": 0, "eic": 0,
    "readings": 0, "settings": 0, "settings_web": 0, "sections": 0,  # what settings re-exports
    # codecs and links: bytes only
    "protocol": 1, "transport": 1, "exports": 1,  # files people download: format only
    # the store, and what runs on it
    "store": 2, "audit": 3, "runtime": 3, "regulation": 3,
    "headend": 4, "simulator": 4, "registry": 4, "scope": 4,
    "mdm": 5, "losses": 6,
    "readmodel": 6, "identity": 6, "sharing": 7, "alerts": 7,
    # the HTTP edge, then the composition root and the commands
    "web": 8, "app": 9, "cli": 10,
}  # fmt: skip
ALLOWED = {("store", "protocol")}  # migration 0006 parses the reset times once with the codec


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "osos"


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    modules = {_module(p) for p in SRC.rglob("*.py")}
    for path in SRC.rglob("*.py"):
        here = _module(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not node.module.startswith("osos"):
                    continue
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph[here].add(full if full in modules else node.module)
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = here.split(".")[: -node.level + (1 if path.name == "__init__.py" else 0)]
                target = ".".join([*base, node.module] if node.module else base)
                graph[here].add(target)
    return graph


def test_no_package_imports_one_above_it() -> None:
    wrong = []
    for module, targets in _imports().items():
        for target in targets:
            a, b = _package(module), _package(target)
            if a == b or (a, b) in ALLOWED:
                continue
            assert a in RANK and b in RANK, f"give {a!r} or {b!r} a rank in this test"
            if RANK[b] > RANK[a]:
                wrong.append(f"{module} imports {target} ({a} {RANK[a]} < {b} {RANK[b]})")
    assert wrong == []


def test_no_module_imports_in_a_cycle() -> None:
    graph = _imports()
    assert "osos.headend.scheduler" in graph["osos.headend.service"]  # the graph is read
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert cycles == []
