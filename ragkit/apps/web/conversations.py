"""The page's conversations: each collection keeps its threads of questions and answers
in `conversations.sqlite` inside its folder, so deleting the collection deletes them.

Messages live in the library's `ConversationStore` (ragkit.agent.memory), the same store
the terminal chat uses; the answer is given with that history by
`KnowledgeBase.ask_stream(history=…)`. What the page needs beyond the messages (each
answer's sources, the sentences they cite, whether the answer was stopped and what the
checks left out of it) is kept as JSON in one extra table of the same file, keyed by the
answer's message number.
Served read-only indexes keep theirs under `data_dir/conversations/<name>.sqlite`.
Leaves out summarising long threads: the knowledge base packs as much recent history
as fits the model's window and drops the oldest first.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ragkit import Message
from ragkit.agent.memory import ConversationNotFoundError, ConversationStore
from ragkit.apps.web.errors import ApiError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_turns (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
"""
TITLE_CHARS = 80
HISTORY_TURNS = 6  # question-answer pairs handed to the model with a follow-up


class Conversations:
    """The conversations of one collection."""

    def __init__(self, path: Path) -> None:
        self.store = ConversationStore(path)
        self.path = path
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def list(self) -> list[dict[str, Any]]:
        return [
            {"id": c.id, "title": c.title, "updated": c.updated, "turns": c.messages // 2}
            for c in self.store.list()
        ]

    def create(self, first_question: str) -> str:
        title = " ".join(first_question.split())
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1].rstrip() + "…"
        return self.store.create(title or "New conversation")

    def require(self, conversation: str) -> None:
        try:
            self.store.get(conversation)
        except ConversationNotFoundError:
            raise self._missing(conversation) from None

    def history(self, conversation: str) -> builtins.list[Message]:
        """The last turns as user/assistant messages, for the model."""
        try:
            messages = self.store.messages(conversation)
        except ConversationNotFoundError:
            raise self._missing(conversation) from None
        chat = [m for m in messages if m.role in ("user", "assistant") and m.content.strip()]
        return chat[-2 * HISTORY_TURNS :]

    def record(self, conversation: str, question: str, answer: str, data: dict[str, Any]) -> None:
        """Store one turn: the question, the answer and the page's extra data for it."""
        # The page's data goes in first, under the number the answer will get, so a
        # reader never sees the answer without it. Turns are recorded by the one model
        # thread, so no other turn takes that number meanwhile.
        seq = len(self.store.messages(conversation)) + 2
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO web_turns VALUES (?, ?, ?)",
                (conversation, seq, json.dumps(data)),
            )
        self.store.append(conversation, Message("user", question))
        self.store.append(conversation, Message("assistant", answer))

    def turns(self, conversation: str) -> dict[str, Any]:
        """The conversation as the page shows it: title and turns, oldest first."""
        try:
            info = self.store.get(conversation)
            messages = self.store.messages(conversation)
        except ConversationNotFoundError:
            raise self._missing(conversation) from None
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT seq, data FROM web_turns WHERE conversation_id = ?", (conversation,)
            ).fetchall()
        extra = {int(seq): json.loads(data) for seq, data in rows}
        turns: builtins.list[dict[str, Any]] = []
        question = ""
        for seq, message in enumerate(messages, start=1):
            if message.role == "user":
                question = message.content
            elif message.role == "assistant":
                data = extra.get(seq, {})
                turns.append(
                    {
                        "question": question,
                        "text": message.content,
                        "sources": data.get("sources", []),
                        "citations": data.get("citations", []),
                        "state": data.get("state", "done"),
                        "left_out": data.get("left_out", ""),
                    }
                )
        return {"id": info.id, "title": info.title, "turns": turns}

    def delete(self, conversation: str) -> None:
        try:
            self.store.delete(conversation)
        except ConversationNotFoundError:
            raise self._missing(conversation) from None
        with self._connect() as conn:
            conn.execute("DELETE FROM web_turns WHERE conversation_id = ?", (conversation,))

    @staticmethod
    def _missing(conversation: str) -> ApiError:
        return ApiError(
            404,
            f"no conversation {conversation!r} in this collection; it may have been deleted",
            "not_found_error",
            "conversation",
        )
