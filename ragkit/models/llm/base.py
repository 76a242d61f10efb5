"""The `ChatModel` protocol every backend implements, and its message/option types.

A backend streams text pieces for a list of chat messages and counts tokens the way
its model does, so prompts can be packed to fit its window. Leaves out tool calling and
remote transport details (each backend owns those). Tool calling is an optional
second protocol, `ToolCallingChatModel`, for backends with native function calling.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A model's request to run one tool; `arguments` is the raw JSON text it wrote."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    """Assistant messages only: the tool calls the model asked for."""
    tool_call_id: str | None = None
    """Tool messages only: which call this is the result of."""


@dataclass(frozen=True)
class ToolSpec:
    """A tool as a model sees it: name, description and a JSON schema for its arguments."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatTurn:
    """One complete reply: text, tool calls, or both."""

    content: str
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 256
    temperature: float = 0.1
    seed: int | None = 0
    stop: tuple[str, ...] = ()
    repeat_penalty: float = 1.1
    """Local backends only: >1 discourages repeating tokens, which small models need."""
    json_schema: dict[str, Any] | None = None
    """A JSON schema the reply must match. Backends that set `supports_json_schema`
    (llama.cpp in-process) enforce it with a grammar while decoding; the others ignore
    it, so callers still validate the reply."""


class ChatModel(Protocol):
    """A backend may also set `supports_json_schema = True` when it enforces
    `GenerationOptions.json_schema` while decoding (read with `supports_json_schema`)."""

    @property
    def id(self) -> str:
        """A name for the model, shown to users and recorded with answers."""
        ...

    @property
    def context_window(self) -> int:
        """Tokens the model can attend to: prompt plus generated text."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` costs in a prompt."""
        ...

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        """Yield the reply as it is generated, piece by piece."""
        ...


class WrappedChatModel:
    """Base for a `ChatModel` that wraps another and changes only `stream`: the name,
    window and token counting are the wrapped model's. Tool calling is not passed on, so
    a wrapper is never taken for a tool-calling model unless it says so itself."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def context_window(self) -> int:
        return self.model.context_window

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)


def model_label(model: ChatModel) -> str:
    """The model as a person knows it, for a header or a note: its `label` where it has
    one (a GGUF model's name and the quantization it answers in), through any wrappers,
    else its `id` (a server's model name)."""
    inner: object = model
    while isinstance(inner, WrappedChatModel) and not hasattr(inner, "label"):
        inner = inner.model
    label = getattr(inner, "label", None)
    return label if isinstance(label, str) and label else model.id


def supports_json_schema(model: object) -> bool:
    """Whether `model` enforces `GenerationOptions.json_schema` while decoding."""
    return getattr(model, "supports_json_schema", False) is True


@runtime_checkable
class ToolCallingChatModel(ChatModel, Protocol):
    """A backend with native function calling (OpenAI-style `tools` / `tool_calls`)."""

    def chat_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: GenerationOptions
    ) -> ChatTurn:
        """One reply that may ask for tools instead of (or besides) answering."""
        ...
