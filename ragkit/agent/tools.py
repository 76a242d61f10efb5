"""Tools an agent can call: typed Python functions with a JSON schema derived from them.

`Tool.from_function` reads a function's signature and docstring: every parameter becomes
a field of a pydantic model (its type from the annotation, its description from the
docstring's `Args:` section, its default kept), and the model's JSON schema is what the
chat model sees. A parameter annotated `ToolContext` is not shown to the model; the agent
passes the context there, so tools reach the knowledge base and settings without globals.
`ToolRegistry` is an explicit, per-agent set of tools (`@registry.tool` registers a
function); there is no global registry.

`Tool.invoke` validates raw arguments (JSON text or a dict) against the schema and runs
the function. Bad arguments raise `ToolArgumentsError` with a message meant for the
model; a failure inside the tool raises `ToolError`. A tool may return a `ToolResult`:
its text is what the model reads, its search hits are what the agent keeps in the run's
record (`Tool.run` returns both; `invoke` the text). Leaves out choosing tools and
talking to models (ragkit.agent.loop, ragkit.agent.json_calls).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ragkit.agent.context import ToolContext
from ragkit.errors import RagkitError
from ragkit.models.llm.base import ToolSpec
from ragkit.types import SearchHit

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class ToolError(RagkitError):
    """A tool could not do what it was asked; the message goes back to the model."""


class ToolArgumentsError(ToolError):
    """A tool call's arguments are not valid JSON or do not match the tool's schema."""


class ToolDefinitionError(RagkitError):
    """A function cannot be made into a tool (missing annotation, bad name, …)."""


@dataclass(frozen=True)
class ToolResult:
    """What a tool returns when it has more to give than text: `text` is what the model
    reads, `hits` the search hits that text shows (search_documents), kept with the
    run's record so the agent can answer from them without searching again."""

    text: str
    hits: tuple[SearchHit, ...] = ()


class _Arguments(BaseModel):
    # A misspelt argument is an error shown to the model, never silently dropped.
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Tool:
    """A callable tool: a name, a description, an argument model and the function."""

    name: str
    description: str
    arguments: type[BaseModel]
    function: Callable[..., object]
    context_parameter: str | None = None
    """The parameter that receives the `ToolContext`, if the function takes one."""

    @classmethod
    def from_function(
        cls,
        function: Callable[..., object],
        name: str | None = None,
        description: str | None = None,
    ) -> Tool:
        tool_name = name or function.__name__
        if not _NAME.match(tool_name):
            raise ToolDefinitionError(
                f"tool name {tool_name!r} is not valid; use letters, digits and underscores"
            )
        summary, arg_docs = parse_docstring(inspect.getdoc(function) or "")
        text = description or summary
        if not text:
            raise ToolDefinitionError(
                f"tool {tool_name!r} has no description; give the function a docstring"
            )
        try:
            hints = get_type_hints(function)
        except NameError as exc:
            raise ToolDefinitionError(f"tool {tool_name!r}: {exc}") from None
        fields: dict[str, Any] = {}
        context_parameter: str | None = None
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ToolDefinitionError(
                    f"tool {tool_name!r}: *args and **kwargs cannot be described to a model"
                )
            if param.name not in hints:
                raise ToolDefinitionError(
                    f"tool {tool_name!r}: parameter {param.name!r} needs a type annotation"
                )
            hint = hints[param.name]
            if hint is ToolContext:
                context_parameter = param.name
                continue
            default = ... if param.default is param.empty else param.default
            fields[param.name] = (hint, Field(default, description=arg_docs.get(param.name)))
        model = create_model(f"{tool_name}_arguments", __base__=_Arguments, **fields)
        return cls(tool_name, text, model, function, context_parameter)

    def spec(self) -> ToolSpec:
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return ToolSpec(self.name, self.description, schema)

    def validate(self, arguments: str | dict[str, Any]) -> BaseModel:
        """Parse and check arguments; raise `ToolArgumentsError` saying what is wrong."""
        if isinstance(arguments, str):
            text = arguments.strip() or "{}"
            try:
                arguments = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ToolArgumentsError(
                    f"arguments for {self.name} are not valid JSON ({exc.msg})"
                ) from None
        if not isinstance(arguments, dict):
            raise ToolArgumentsError(f"arguments for {self.name} must be a JSON object")
        try:
            return self.arguments.model_validate(arguments)
        except ValidationError as exc:
            raise ToolArgumentsError(describe_validation(self.name, exc)) from None

    def invoke(self, arguments: str | dict[str, Any], context: ToolContext) -> str:
        """Validate `arguments`, run the tool and return its result as text."""
        return self.run(arguments, context).text

    def run(self, arguments: str | dict[str, Any], context: ToolContext) -> ToolResult:
        """Validate `arguments`, run the tool and return its text and any search hits."""
        values = self.validate(arguments)
        kwargs = {name: getattr(values, name) for name in type(values).model_fields}
        if self.context_parameter is not None:
            kwargs[self.context_parameter] = context
        try:
            result = self.function(**kwargs)
        except ToolError:
            raise
        except Exception as exc:  # any failure of user code goes to the model
            raise ToolError(f"{self.name} failed: {type(exc).__name__}: {exc}") from exc
        return result if isinstance(result, ToolResult) else ToolResult(result_text(result))

    def __call__(self, *args: Any, **kwargs: Any) -> object:
        """Call the underlying function directly, as if it were not decorated."""
        return self.function(*args, **kwargs)


def result_text(result: object) -> str:
    if isinstance(result, str):
        return result
    if isinstance(result, ToolResult):
        return result.text
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    try:
        return json.dumps(result, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(result)


def describe_validation(tool: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown argument {where!r}")
        elif err["type"] == "missing":
            parts.append(f"missing argument {where!r}")
        else:
            parts.append(f"argument {where!r}: {err['msg']}")
    return f"bad arguments for {tool}: " + "; ".join(parts)


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (text before `Args:`) and per-argument descriptions of a Google-style
    docstring. Other sections (Returns:, Raises:) are left out of both."""
    summary: list[str] = []
    args: dict[str, str] = {}
    section = "summary"
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        header = stripped.rstrip(":").lower()
        if stripped.endswith(":") and header in {"args", "arguments", "parameters"}:
            section, current = "args", None
            continue
        if stripped.endswith(":") and header in {"returns", "raises", "yields", "examples"}:
            section, current = "other", None
            continue
        if section == "summary":
            summary.append(stripped)
        elif section == "args" and stripped:
            match = re.match(r"^(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)$", stripped)
            if match and line.startswith((" ", "\t")) and not line.startswith(" " * 8):
                current = match.group(1)
                args[current] = match.group(2)
            elif current is not None:
                args[current] = (args[current] + " " + stripped).strip()
    return " ".join(" ".join(summary).split()), args


class ToolRegistry:
    """The tools one agent may call, by name. An object, not a module-level table."""

    def __init__(self, tools: Iterable[Tool | Callable[..., object]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.register(item)

    def register(self, item: Tool | Callable[..., object]) -> Tool:
        made = item if isinstance(item, Tool) else Tool.from_function(item)
        if made.name in self._tools:
            raise ToolDefinitionError(f"a tool named {made.name!r} is already registered")
        self._tools[made.name] = made
        return made

    @overload
    def tool(self, function: Callable[..., object], /) -> Tool: ...

    @overload
    def tool(
        self, /, *, name: str | None = None, description: str | None = None
    ) -> Callable[[Callable[..., object]], Tool]: ...

    def tool(
        self,
        function: Callable[..., object] | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Tool | Callable[[Callable[..., object]], Tool]:
        """Decorator: `@registry.tool` or `@registry.tool(name=..., description=...)`."""

        def register(fn: Callable[..., object]) -> Tool:
            return self.register(Tool.from_function(fn, name, description))

        return register(function) if function is not None else register

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[ToolSpec]:
        return [t.spec() for t in self._tools.values()]

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools


@overload
def tool(function: Callable[..., object], /) -> Tool: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., object]], Tool]: ...


def tool(
    function: Callable[..., object] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Tool | Callable[[Callable[..., object]], Tool]:
    """Decorator turning a function into a `Tool` (not registered anywhere):
    `@tool` or `@tool(name="lookup")`. Add it to an agent with `ToolRegistry([...])`."""

    def make(fn: Callable[..., object]) -> Tool:
        return Tool.from_function(fn, name, description)

    return make(function) if function is not None else make
