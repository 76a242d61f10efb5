"""`ScriptedChatModel`: a fake chat model for tests and demos without a model file.

It replies with scripted texts in turn (or a function of the messages), streamed word by
word, and records every prompt it was given so tests can inspect them. It counts a
token per four characters, roughly like real tokenizers on English, and stops at
`max_tokens` as real models do."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Sequence

from ragkit.models.llm.base import GenerationOptions, Message

Reply = str | Callable[[Sequence[Message]], str]


class ScriptedChatModel:
    def __init__(self, replies: Sequence[Reply], context_window: int = 4096) -> None:
        if not replies:
            raise ValueError("ScriptedChatModel needs at least one reply")
        self._replies = list(replies)
        self._window = context_window
        self.prompts: list[list[Message]] = []

    @property
    def id(self) -> str:
        return "scripted"

    @property
    def context_window(self) -> int:
        return self._window

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> Generator[str, None, str]:
        self.prompts.append(list(messages))
        reply = self._replies[min(len(self.prompts), len(self._replies)) - 1]
        text = reply(messages) if callable(reply) else reply
        written = ""
        for piece in re.findall(r"\S+\s*|\s+", text):
            # Like a real model, stop at max_tokens and say so (the generator's return).
            if self.count_tokens(written + piece) > options.max_tokens:
                return "length"
            written += piece
            yield piece
        return "stop"
