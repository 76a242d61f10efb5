"""A chat model that a web client's Stop halts between two tokens.

The answer pipeline checks the model's reply sentence by sentence and may hold many
tokens (or all of them) before it hands the server a piece; a stop noticed only at the
pieces lets the model write on to `max_tokens`. Each collection's knowledge base
answers through a `Stoppable` wrapping its model: the model worker says, for the answer
it is writing, how to tell that it was stopped (`stopping`), and the wrapper asks before
each token, closing the model's stream (llama.cpp's token generator, or a remote
stream's connection) as soon as it says yes. Everything else is the wrapped model's.
Leaves out stopping a prompt's evaluation, which llama.cpp does not interrupt: a Stop
during it takes effect at the first token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ragkit.models.llm.base import ChatModel, GenerationOptions, Message, WrappedChatModel


class Stoppable(WrappedChatModel):
    """`model`, whose `stream` ends at the next token once this thread's `stopping`
    predicate says so (it returns "stop" as its finish reason)."""

    def __init__(self, model: ChatModel) -> None:
        super().__init__(model)
        # Per thread: the answer one worker writes must not stop another's.
        self._local = threading.local()

    @contextmanager
    def stopping(self, stopped: Callable[[], bool]) -> Iterator[None]:
        """While inside, streams started on this thread end once `stopped()` is true."""
        before = getattr(self._local, "stopped", None)
        self._local.stopped = stopped
        try:
            yield
        finally:
            self._local.stopped = before

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> Generator[str, None, object]:
        stopped: Callable[[], bool] | None = getattr(self._local, "stopped", None)
        pieces = iter(self.model.stream(messages, options))
        try:
            while stopped is None or not stopped():
                try:
                    piece = next(pieces)
                except StopIteration as end:
                    return end.value  # the model's finish reason ("length", ...)
                yield piece
            return "stop"
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    def __getattr__(self, name: str) -> Any:
        # Loading state, warm-up, tool calling, JSON-schema support: the model's own.
        return getattr(self.model, name)
