"""What answers a message in each chat mode, behind one small interface.

A `Backend` turns the user's message (and the turns before it) into a stream of events:
ragkit's one event vocabulary (ragkit.events): `Sources` (the passages an answer is built
on), `Text` (a piece of the reply), `Done` (the finished answer, whose citations carry the
sentence each source supports), `ToolStarted`/`ToolFinished` (an agent's tool calls, as
they run) and `Status` (a line about the work, shown but not kept). The app draws events
and knows nothing of how they are made. `RagBackend` answers through ragkit's one conversation path,
`KnowledgeBase.ask_stream` with the recent turns as history (which rewrites a follow-up into
a standalone question before searching); `ChatBackend` talks to the model directly with
recent turns as context. Closing the event iterator stops generation.
Leaves out the agent loop (agent_backend.py adapts `ragkit.agent.Agent`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import Protocol

from ragkit import ChatModel, GenerationOptions, KnowledgeBase, Message
from ragkit.apps.tui.history import Turn
from ragkit.events import Done, Event, Sources, Status, Text

RAG_HISTORY = 8
"""Messages of earlier turns a RAG answer sees; `ask_stream` drops the oldest that do not
fit its share of the window, and the rewrite looks at the last four."""


def conversation(history: Sequence[Turn], limit: int | None = None) -> list[Message]:
    """The user and assistant turns of `history` as messages, the last `limit` of them,
    starting on a question (a reply without its question would confuse the model)."""
    messages = [Message(t.role, t.content) for t in history if t.role in ("user", "assistant")]
    if limit is not None:
        messages = messages[-limit:] if limit > 0 else []
    while messages and messages[0].role != "user":
        messages.pop(0)
    return messages


class Backend(Protocol):
    """One chat mode: answers a message as a stream of events."""

    def run(self, message: str, history: Sequence[Turn]) -> Generator[Event, None, None]:
        """Events of one answer; closing the generator stops the work behind it."""
        ...


class RagBackend:
    """Answers from the documents: make the question standalone, retrieve, then stream a
    cited answer that also sees the recent turns."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def run(self, message: str, history: Sequence[Turn]) -> Generator[Event, None, None]:
        recent = conversation(history, RAG_HISTORY)
        stream = self.kb.ask_stream(message, history=recent)
        query = stream.standalone_question
        if query != message.strip():
            yield Status(f"searching for: {query}")
        yield Sources(stream.sources)
        yield from texts(iter(stream))
        # Its citations name the sentence each source supports the answer with.
        yield Done(stream.answer)


def texts(pieces: Iterator[str]) -> Generator[Event, None, None]:
    """Each piece as `Text`. The pieces are closed however this ends: closing an answer
    stream closes the model's generator, which stops decoding (Ctrl-C)."""
    try:
        for piece in pieces:
            yield Text(piece)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


CHAT_SYSTEM = "You are a helpful assistant. Answer briefly and plainly."
HISTORY_MARGIN = 32  # tokens for the chat template around the messages


class ChatBackend:
    """Talks to the model directly, with as many recent turns as fit its window."""

    def __init__(self, model: ChatModel, options: GenerationOptions) -> None:
        self.model = model
        self.options = options

    def messages(self, message: str, history: Sequence[Turn]) -> list[Message]:
        budget = (
            self.model.context_window
            - self.options.max_tokens
            - HISTORY_MARGIN
            - self.model.count_tokens(CHAT_SYSTEM)
            - self.model.count_tokens(message)
        )
        earlier: list[Message] = []
        for turn in reversed(history):
            if turn.role not in ("user", "assistant"):
                continue
            cost = self.model.count_tokens(turn.content)
            if cost > budget:
                break
            budget -= cost
            earlier.append(Message(turn.role, turn.content))
        # A reply without its question would confuse the model; start on a user turn.
        while earlier and earlier[-1].role != "user":
            earlier.pop()
        earlier.reverse()
        return [Message("system", CHAT_SYSTEM), *earlier, Message("user", message)]

    def run(self, message: str, history: Sequence[Turn]) -> Generator[Event, None, None]:
        yield from texts(self.model.stream(self.messages(message, history), self.options))
