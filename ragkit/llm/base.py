"""The `ChatModel` protocol every backend implements, and its message/option types.

A backend streams text pieces for a list of chat messages and counts tokens the way
its model does, so prompts can be packed to fit its window. Leaves out tool calling and
remote transport details (each backend owns those).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 256
    temperature: float = 0.1
    seed: int | None = 0
    stop: tuple[str, ...] = ()
    repeat_penalty: float = 1.1
    """Local backends only: >1 discourages repeating tokens, which small models need."""


class ChatModel(Protocol):
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
