"""`ConversationStore`: conversations and their messages, kept in one SQLite file.

    store = ConversationStore(Path("indexes/conversations.sqlite"))
    cid = store.create("Kettle questions")          # -> id (12 hex characters)
    store.append(cid, Message("user", "How long is the warranty?"))
    store.messages(cid)                             # -> list[Message], oldest first
    store.list()                                    # -> list[ConversationInfo], newest first
    store.resolve("3fa")                            # a unique id prefix -> the full id
    store.set_summary(cid, "…", covers=6)           # summary of the first 6 messages
    store.delete(cid)

Messages keep their role, text, tool calls (as JSON) and tool-call id, so an agent's
transcript can be stored as well as a chat. Every call opens its own short connection
(WAL mode), so one store may be shared by threads and processes. Unknown ids raise
`ConversationNotFoundError`. Leaves out what to do with the history (ragkit.agent.chat
rewrites, retrieves, answers and summarizes) and any pickling: rows are plain text.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ragkit.errors import RagkitError
from ragkit.models.llm.base import Message, ToolCall

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    summary_covers INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    tool_calls TEXT NOT NULL DEFAULT '[]',
    tool_call_id TEXT,
    created TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
"""

_ROLES = ("system", "user", "assistant", "tool")


class ConversationNotFoundError(RagkitError):
    """No conversation has the id (or id prefix) given."""


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    created: str
    """ISO 8601, UTC."""
    updated: str
    messages: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ConversationStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise RagkitError(
                f"conversation store {self.path} could not be opened ({exc}); check the path "
                "(setting agent.conversations_db)"
            ) from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            with conn:  # one transaction, committed on success
                yield conn
        finally:
            conn.close()

    def create(self, title: str) -> str:
        cid = uuid.uuid4().hex[:12]
        now = _now()
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, created, updated) VALUES (?, ?, ?, ?)",
                (cid, title.strip() or "untitled", now, now),
            )
        return cid

    def list(self) -> builtins.list[ConversationInfo]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT c.id, c.title, c.created, c.updated, count(m.seq) FROM conversations c "
                "LEFT JOIN messages m ON m.conversation_id = c.id GROUP BY c.id "
                "ORDER BY c.updated DESC, c.rowid DESC"
            ).fetchall()
        return [ConversationInfo(*row) for row in rows]

    def get(self, cid: str) -> ConversationInfo:
        for info in self.list():
            if info.id == cid:
                return info
        raise self._missing(cid)

    def resolve(self, prefix: str) -> str:
        """The full id of the one conversation whose id starts with `prefix`."""
        prefix = prefix.strip().lower()
        if not prefix:
            raise ConversationNotFoundError("give a conversation id (see: ragkit chats ls)")
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE substr(id, 1, ?) = ?", (len(prefix), prefix)
            ).fetchall()
        if not rows:
            raise self._missing(prefix)
        if len(rows) > 1:
            raise ConversationNotFoundError(
                f"conversation id {prefix!r} is ambiguous ({len(rows)} match); give more of it"
            )
        return str(rows[0][0])

    def messages(self, cid: str) -> builtins.list[Message]:
        with self._connect() as conn:
            self._require(conn, cid)
            rows = conn.execute(
                "SELECT role, content, tool_calls, tool_call_id FROM messages "
                "WHERE conversation_id = ? ORDER BY seq",
                (cid,),
            ).fetchall()
        return [
            Message(role, content, tuple(ToolCall(**c) for c in json.loads(calls)), call_id)
            for role, content, calls, call_id in rows
        ]

    def append(self, cid: str, message: Message) -> None:
        if message.role not in _ROLES:
            raise RagkitError(f"message role {message.role!r} is not one of {', '.join(_ROLES)}")
        calls = json.dumps(
            [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        )
        now = _now()
        with self._connect() as conn:
            self._require(conn, cid)
            seq = conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE conversation_id = ?", (cid,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cid, seq, message.role, message.content, calls, message.tool_call_id, now),
            )
            conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))

    def summary(self, cid: str) -> tuple[str, int]:
        """The stored summary and how many of the first messages it stands for."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT summary, summary_covers FROM conversations WHERE id = ?", (cid,)
            ).fetchone()
        if row is None:
            raise self._missing(cid)
        return str(row[0]), int(row[1])

    def set_summary(self, cid: str, text: str, covers: int) -> None:
        with self._connect() as conn:
            self._require(conn, cid)
            conn.execute(
                "UPDATE conversations SET summary = ?, summary_covers = ? WHERE id = ?",
                (text, covers, cid),
            )

    def rename(self, cid: str, title: str) -> None:
        with self._connect() as conn:
            self._require(conn, cid)
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, cid))

    def delete(self, cid: str) -> None:
        with self._connect() as conn:
            self._require(conn, cid)
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (cid,))
            conn.execute("DELETE FROM conversations WHERE id = ?", (cid,))

    def _require(self, conn: sqlite3.Connection, cid: str) -> None:
        if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (cid,)).fetchone() is None:
            raise self._missing(cid)

    def _missing(self, cid: str) -> ConversationNotFoundError:
        # The id and what to do; the store's file is not the user's concern.
        return ConversationNotFoundError(
            f"no conversation {cid!r} is saved; list the saved ones with: ragkit chats ls"
        )
