"""Public signatures stay short: options travel as types, not as loose parameters.

Reads every public function and method of the package from the source (ast): one in a
module, class and function none of whose names start with "_" (`__init__` counts, as a
public class's constructor). Constructors that dataclasses and pydantic generate from
fields are not functions in the source and are left out; so are the CLI's flags, which
typer reads from the commands' signatures (they are counted too: each command is a
function). `self`/`cls` do not count; `*args` and `**kwargs` count one each, except
`**kwargs: Unpack[T]`, which counts each key of `T`.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, get_type_hints

from ragkit.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2] / "ragkit"
MAX_PARAMETERS = 10


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _public_functions() -> list[tuple[str, int]]:
    """(module path:qualified name, parameter count) of each public function."""
    found: list[tuple[str, int]] = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if not any(p.startswith("_") and p not in ("__init__", "__main__") for p in parts):
            module = ast.parse(path.read_text(encoding="utf-8"))
            _visit(module, module, f"{path.relative_to(ROOT.parent)}:", found)
    return found


def _visit(node: ast.AST, module: ast.Module, prefix: str, found: list[tuple[str, int]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
            _visit(child, module, f"{prefix}{child.name}.", found)
        elif isinstance(child, Function):
            if child.name == "__init__" or not child.name.startswith("_"):
                found.append((prefix + child.name, _count(child, module)))


def _count(fn: Function, module: ast.Module) -> int:
    a = fn.args
    named = [x for x in a.posonlyargs + a.args + a.kwonlyargs if x.arg not in ("self", "cls")]
    return len(named) + (a.vararg is not None) + _keywords(a.kwarg, module)


def _keywords(kwarg: ast.arg | None, module: ast.Module) -> int:
    """1 for `**kwargs`; for `**kwargs: Unpack[T]` with T a class of the same module,
    the number of T's fields."""
    if kwarg is None:
        return 0
    hint = kwarg.annotation
    if (
        isinstance(hint, ast.Subscript)
        and isinstance(hint.value, ast.Name)
        and hint.value.id == "Unpack"
        and isinstance(hint.slice, ast.Name)
    ):
        typed = hint.slice.id
        for node in module.body:
            if isinstance(node, ast.ClassDef) and node.name == typed:
                return sum(isinstance(field, ast.AnnAssign) for field in node.body)
        raise AssertionError(f"Unpack[{typed}]: no class {typed} in the same module")
    return 1


def _parameters(fn: Any) -> list[str]:
    """A live function's parameter names, `**kwargs: Unpack[T]` expanded to T's keys."""
    hints = get_type_hints(fn)
    names = []
    for p in inspect.signature(fn).parameters.values():
        hint = hints.get(p.name)
        if p.kind is p.VAR_KEYWORD and getattr(hint, "__origin__", None) is not None:
            (typed,) = hint.__args__
            names += sorted(typed.__required_keys__ | typed.__optional_keys__)
        else:
            names.append(p.name)
    return names


def test_the_walk_finds_the_public_api() -> None:
    counts = {name.split(":")[1]: n for name, n in _public_functions()}
    # A walk that found nothing would pass the check below without checking anything.
    assert {"KnowledgeBase.open", "KnowledgeBase.ask_stream", "default_guard"} <= counts.keys()
    last = [n.split(".")[-1] for n in counts]
    assert not [n for n in last if n.startswith("_") and n != "__init__"]
    # `**parts: Unpack[Parts]` counts Parts's six keys, besides the path.
    assert counts["KnowledgeBase.open"] == 7


def test_no_public_function_takes_more_than_ten_parameters() -> None:
    long = {name: n for name, n in _public_functions() if n > MAX_PARAMETERS}
    assert long == {}


def test_unpacked_keyword_arguments_count_each_key() -> None:
    def probe(a: int, **parts: Any) -> None: ...

    assert _parameters(probe) == ["a", "parts"]
    assert "models" in _parameters(KnowledgeBase.__init__)


def test_knowledge_base_open_takes_at_most_seven_parameters() -> None:
    params = _parameters(KnowledgeBase.open)
    assert params[0] == "path" and len(params) <= 7, params
    assert set(params) == {"path", "models", "index", "search", "answer", "guard", "backend"}
