"""The package reads in the order data flows: no module imports a later stage, no circles.

Imports are read from the source (ast), run-time ones only: a `typing.TYPE_CHECKING` block
costs nothing at run time and may name any layer. Function-level (lazy) imports count for
the layers, so a lazy import cannot hide an upward dependency; circles are checked on
module-level imports, the ones Python runs at import time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "ragkit"

# Lowest first. A module may import its own layer and the ones before it, never after it.
# Same-layer imports are allowed; the circle check keeps them one-way.
LAYERS: list[set[str]] = [
    {"_version", "_lazy", "errors", "types", "text", "durable"},
    {"models", "ingest", "guard"},
    {"index"},
    {"options"},
    {"search"},
    {"answer", "events"},
    {"kb", "config", "testing"},
    {"agent", "evaluation", "integrations"},
    {"wiring"},
    {"apps", "ragkit", "__main__"},
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _area(module: str) -> str:
    parts = module.split(".")
    return "ragkit" if len(parts) == 1 else parts[1]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, top_level_only: bool) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST, depth: int) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child, depth)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ragkit"):
            # `from a.b import c` may name a module `a.b.c` or a name in `a.b`: keep `a.b.c`,
            # and let each check take the longest prefix that is one of our modules.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ragkit"))
        nested = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        if nested and top_level_only:
            return
        for child in ast.iter_child_nodes(node):
            visit(child, depth + (1 if nested else 0))

    visit(tree, 0)
    return found


@pytest.fixture(scope="module")
def sources() -> dict[str, ast.Module]:
    """Every module of the package, parsed once for the checks below (which only read it)."""
    return {
        _module_name(p): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(ROOT.rglob("*.py"))
    }


def _resolve(target: str, sources: dict[str, ast.Module]) -> str:
    """The longest prefix of an imported name that is one of our modules."""
    while target not in sources and "." in target:
        target = target.rpartition(".")[0]
    return target


def _layer(area: str) -> int:
    for rank, members in enumerate(LAYERS):
        if area in members:
            return rank
    raise AssertionError(f"ragkit/{area} has no layer: add it to LAYERS in {__file__}")


def test_no_module_imports_a_later_stage(sources: dict[str, ast.Module]) -> None:
    upward = []
    for module, tree in sources.items():
        mine = _layer(_area(module))
        for name in _imports(tree, top_level_only=False):
            target = _resolve(name, sources)
            if _layer(_area(target)) > mine:
                upward.append(f"{module} -> {target}")
    assert upward == []


SHARED_BY_FRONT_ENDS = (
    "ragkit.apps.snippets",
    "ragkit.apps.inline_markdown",
    "ragkit.apps.left_out",
)
"""Modules of ragkit/apps/ that are no front end but what several of them draw with."""


def test_the_library_never_imports_a_front_end(sources: dict[str, ast.Module]) -> None:
    # Front ends sit on the library; among them only the CLI starts the others (`ragkit chat`,
    # `ragkit serve`), and `python -m ragkit` is the CLI.
    offenders = []
    for module, tree in sources.items():
        home = ".".join(module.split(".")[:3])
        for target in _imports(tree, top_level_only=False):
            if not target.startswith("ragkit.apps.") or target.startswith(home):
                continue
            if home == "ragkit.apps.cli" or module == "ragkit.__main__":
                continue
            if module.startswith("ragkit.apps.") and target.startswith(SHARED_BY_FRONT_ENDS):
                continue  # helpers the front ends share, which the library never imports
            offenders.append(f"{module} -> {target}")
    assert offenders == []


def test_no_import_circles(sources: dict[str, ast.Module]) -> None:
    graph: dict[str, set[str]] = {}
    for module, tree in sources.items():
        targets = set()
        for target in _imports(tree, top_level_only=True):
            target = _resolve(target, sources)
            if target != module:
                targets.add(target)
        graph[module] = targets

    # Tarjan's strongly connected components: any component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    assert circles == []


def test_the_layer_checks_can_fail() -> None:
    # The checks above pass on clean code; make sure they would see an upward import.
    tree = ast.parse("from ragkit.apps.web import app\n")
    assert "ragkit.apps.web.app" in _imports(tree, top_level_only=False)
    guarded = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ragkit.kb\n"
    )
    assert _imports(guarded, top_level_only=False) == set()
    lazy = ast.parse("def f():\n    from ragkit.search import retrieval\n")
    assert _imports(lazy, top_level_only=True) == set()
    assert _imports(lazy, top_level_only=False) == {"ragkit.search.retrieval"}
    assert _layer("index") < _layer("search") < _layer("answer") < _layer("apps")
