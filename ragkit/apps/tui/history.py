"""The chat's turns, kept in a small SQLite file and written out as Markdown.

`Turn` is one entry of the transcript: a question, an answer (with the sources it was
given), a tool call or a note from the app. `HistoryStore` appends turns as they finish
and restores the latest ones when the chat starts again; sources are stored as JSON, never
pickled. `transcript_markdown` renders turns for `/save`. Leaves out conversation memory
for the model (chat mode sends recent turns itself) and any sharing between processes
beyond what SQLite's own locking gives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from ragkit import Citation, ConfigError
from ragkit.types import format_location

Role = Literal["user", "assistant", "tool", "info", "error"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    role TEXT NOT NULL,
    mode TEXT NOT NULL,
    index_name TEXT NOT NULL,
    content TEXT NOT NULL,
    sources TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str
    mode: str = ""
    index_name: str = ""
    sources: tuple[Citation, ...] = field(default=())
    created: float = field(default_factory=time.time)


class HistoryStore:
    """Turns in a SQLite file; created (with its folder) on first use. A file that cannot
    be opened is a `ConfigError` naming it and the setting that moves it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(path), check_same_thread=False)
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"chat history {path} cannot be opened ({exc}); set RAGKIT_CHAT__HISTORY to a "
                "writable file"
            ) from None

    def append(self, turn: Turn) -> None:
        sources = json.dumps([asdict(c) for c in turn.sources], ensure_ascii=False)
        with self._conn:
            self._conn.execute(
                "INSERT INTO turns (created, role, mode, index_name, content, sources) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (turn.created, turn.role, turn.mode, turn.index_name, turn.content, sources),
            )

    def load(self, limit: int = 200) -> list[Turn]:
        """The latest `limit` turns, oldest first."""
        rows = self._conn.execute(
            "SELECT created, role, mode, index_name, content, sources FROM turns "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        turns = []
        for created, role, mode, index_name, content, sources in reversed(rows):
            cites = tuple(Citation(**c) for c in json.loads(sources))
            turns.append(Turn(role, content, mode, index_name, cites, created))
        return turns

    def clear(self) -> None:
        with self._conn:
            self._conn.execute("DELETE FROM turns")

    def close(self) -> None:
        self._conn.close()


_HEADINGS: Mapping[str, str] = MappingProxyType(
    {"user": "You", "assistant": "Assistant", "tool": "Tool", "info": "Note"}
)


def by_document(sources: Sequence[Citation]) -> list[tuple[Citation, ...]]:
    """`sources` grouped by the document they come from, in the order of their numbers:
    two passages of one file are one line (of the Sources pane, of a saved transcript),
    not the same name twice."""
    rows: dict[tuple[str, str], list[Citation]] = {}
    for c in sorted(sources, key=lambda c: c.number):
        rows.setdefault((c.source, c.doc_key), []).append(c)
    return [tuple(row) for row in rows.values()]


def document_location(row: Sequence[Citation], shown: str) -> str:
    """`shown` (the file as named) and the pages the row's passages stand on: each
    citation's own page when known, else its chunk's span."""
    starts = [c.page if c.page is not None else c.page_start for c in row]
    ends = [c.page if c.page is not None else (c.page_end or c.page_start) for c in row]
    first = [p for p in starts if p is not None]
    last = [p for p in ends if p is not None]
    return format_location(shown, min(first) if first else None, max(last) if last else None)


def transcript_markdown(turns: Sequence[Turn]) -> str:
    """The conversation as Markdown: one section per turn, its sources as a list with one
    item per document (its numbers, file and pages), the sentence each citation supports
    the answer with quoted under it."""
    lines = ["# ragkit chat", ""]
    for turn in turns:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(turn.created))
        heading = _HEADINGS.get(turn.role, turn.role.capitalize())
        lines += [f"## {heading} ({when})", "", turn.content.strip(), ""]
        if turn.sources:
            lines += ["Sources:", ""]
            for row in by_document(turn.sources):
                numbers = " ".join(f"[{c.number}]" for c in row)
                lines.append(f"- {numbers} {document_location(row, row[0].source)}")
                # One line each: a sentence is quoted as it stands, its line breaks joined.
                lines += [
                    f"  - [{c.number}] {' '.join(c.sentence.split())}" for c in row if c.sentence
                ]
            lines.append("")
    return "\n".join(lines)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` so that `path` holds the old content or the new, never a part."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
