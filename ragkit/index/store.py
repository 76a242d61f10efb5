"""`store.sqlite`: documents and chunks, the index's source of truth.

Rows carry the generation that added them and the one that removed them, so one
SQLite file serves every generation: a reader of generation G sees the rows with
`added_gen <= G` and not `removed_gen <= G`. A writer prepares generation G+1 in
ordinary transactions; until the manifest names G+1 nobody sees its rows, and a crashed
writer's leftovers are rolled back by the next writer (`discard_after`). The
`embeddings` table caches vectors by chunk-text hash so unchanged text is never
re-embedded and FAISS can be rebuilt without the model. Leaves out vector search
and BM25 (their own files) and the file lock (lock.py).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragkit.errors import IndexCorruptError
from ragkit.types import Chunk, Document, DocumentInfo, StoredChunk

STORE = "store.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_gen INTEGER NOT NULL,
    removed_gen INTEGER
);
CREATE INDEX IF NOT EXISTS files_source ON files(source);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    file_type TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    added_gen INTEGER NOT NULL,
    removed_gen INTEGER
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    terms TEXT NOT NULL,
    page_start INTEGER,
    page_end INTEGER,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    added_gen INTEGER NOT NULL,
    removed_gen INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS embeddings (
    text_hash TEXT PRIMARY KEY,
    vector BLOB NOT NULL
);
"""

_VISIBLE = "{t}.added_gen <= :gen AND ({t}.removed_gen IS NULL OR {t}.removed_gen > :gen)"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_hash(doc: Document) -> str:
    """Identifies a document's indexed content: its title and the text of its pages."""
    digest = hashlib.sha256(doc.title.encode("utf-8"))
    for page in doc.pages:
        digest.update(b"\x00" + str(page.number).encode() + b"\x00" + page.text.encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class FileState:
    """What the store knows of one source file at a generation."""

    source: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass
class FileChange:
    """What replacing one file's content changed: added chunks as (id, text hash, text),
    removed chunk ids, and document counts."""

    added: list[tuple[int, str, str]]
    removed: list[int]
    documents_added: int
    documents_removed: int


def connect(index_dir: Path, readonly: bool = False) -> sqlite3.Connection:
    path = index_dir / STORE
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        else:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise IndexCorruptError(
            f"{path} is damaged ({exc}); it holds the index's documents, so the index must "
            f"be rebuilt: delete {index_dir} and run ragkit index again"
        ) from None
    return conn


class Store:
    """Typed queries over one open SQLite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # --- reading -------------------------------------------------------------------
    def file_states(self, gen: int) -> dict[str, FileState]:
        rows = self.conn.execute(
            "SELECT source, size, mtime_ns, sha256 FROM files f WHERE " + _VISIBLE.format(t="f"),
            {"gen": gen},
        )
        return {r[0]: FileState(r[0], r[1], r[2], r[3]) for r in rows}

    def chunks_by_id(self, ids: Sequence[int], gen: int) -> dict[int, StoredChunk]:
        out: dict[int, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT c.id, c.text, d.key, d.source, d.title, c.ordinal, c.page_start, "
                "c.page_end FROM chunks c JOIN documents d ON d.id = c.doc_id "
                f"WHERE c.id IN ({marks}) AND c.added_gen <= ? "
                "AND (c.removed_gen IS NULL OR c.removed_gen > ?)",
                [*part, gen, gen],
            )
            for r in rows:
                out[r[0]] = StoredChunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        return out

    def chunk_document_fields(
        self, ids: Sequence[int], gen: int
    ) -> dict[int, tuple[str, dict[str, str]]]:
        """(file type, document metadata) by chunk id, for search filters; one query per
        500 ids. Metadata values are returned as strings whatever JSON type they have."""
        out: dict[int, tuple[str, dict[str, str]]] = {}
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT c.id, d.file_type, d.metadata FROM chunks c JOIN documents d "
                f"ON d.id = c.doc_id WHERE c.id IN ({marks}) AND c.added_gen <= ? "
                "AND (c.removed_gen IS NULL OR c.removed_gen > ?)",
                [*part, gen, gen],
            )
            for chunk_id, file_type, metadata in rows:
                try:
                    raw = json.loads(metadata) if metadata else {}
                except ValueError:
                    raw = {}
                fields = (
                    {str(key): str(value) for key, value in raw.items()}
                    if isinstance(raw, dict)
                    else {}
                )
                out[chunk_id] = (file_type, fields)
        return out

    def iter_chunk_terms(self, gen: int) -> Iterator[tuple[int, list[str]]]:
        """(chunk id, BM25 terms) of every visible chunk, analysed once at insert time."""
        for chunk_id, terms in self.conn.execute(
            "SELECT id, terms FROM chunks c WHERE " + _VISIBLE.format(t="c") + " ORDER BY id",
            {"gen": gen},
        ):
            yield chunk_id, terms.split(" ") if terms else []

    def iter_chunk_texts(self, gen: int) -> Iterator[tuple[int, str]]:
        yield from self.conn.execute(
            "SELECT id, text FROM chunks c WHERE " + _VISIBLE.format(t="c") + " ORDER BY id",
            {"gen": gen},
        )

    def chunk_ids_and_hashes(self, gen: int) -> list[tuple[int, str]]:
        return list(
            self.conn.execute(
                "SELECT id, text_hash FROM chunks c WHERE "
                + _VISIBLE.format(t="c")
                + " ORDER BY id",
                {"gen": gen},
            )
        )

    def counts(self, gen: int) -> tuple[int, int]:
        docs = self.conn.execute(
            "SELECT count(*) FROM documents d WHERE " + _VISIBLE.format(t="d"), {"gen": gen}
        ).fetchone()[0]
        chunks = self.conn.execute(
            "SELECT count(*) FROM chunks c WHERE " + _VISIBLE.format(t="c"), {"gen": gen}
        ).fetchone()[0]
        return int(docs), int(chunks)

    def documents(self, gen: int) -> list[tuple[str, str, int]]:
        """(source, key, chunk count) of every visible document."""
        return list(
            self.conn.execute(
                "SELECT d.source, d.key, count(c.id) FROM documents d LEFT JOIN chunks c ON "
                "c.doc_id = d.id AND "
                + _VISIBLE.format(t="c")
                + " WHERE "
                + _VISIBLE.format(t="d")
                + " GROUP BY d.id ORDER BY d.source, d.id",
                {"gen": gen},
            )
        )

    def document_infos(self, gen: int, source: str | None = None) -> list[DocumentInfo]:
        """Every visible document (of file `source` only, when given) with its chunk
        count and, for paged formats, the last page any of its chunks reaches."""
        where = _VISIBLE.format(t="d") + (" AND d.source = :source" if source is not None else "")
        rows = self.conn.execute(
            "SELECT d.source, d.key, d.title, d.file_type, count(c.id), max(c.page_end) "
            "FROM documents d LEFT JOIN chunks c ON c.doc_id = d.id AND "
            + _VISIBLE.format(t="c")
            + " WHERE "
            + where
            + " GROUP BY d.id ORDER BY d.source, d.id",
            {"gen": gen, "source": source},
        )
        return [DocumentInfo(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def file_state(self, source: str, gen: int) -> FileState | None:
        """What the store knows of file `source` at `gen`; None when it is not indexed."""
        row = self.conn.execute(
            "SELECT source, size, mtime_ns, sha256 FROM files f WHERE f.source = :source AND "
            + _VISIBLE.format(t="f"),
            {"gen": gen, "source": source},
        ).fetchone()
        return None if row is None else FileState(row[0], row[1], row[2], row[3])

    def document_chunks(self, key: str, gen: int) -> list[tuple[int, int, str]]:
        """(char_start, char_end, text) of one visible document's chunks, in order."""
        return list(
            self.conn.execute(
                "SELECT c.char_start, c.char_end, c.text FROM chunks c JOIN documents d ON "
                "d.id = c.doc_id WHERE d.key = :key AND "
                + _VISIBLE.format(t="d")
                + " AND "
                + _VISIBLE.format(t="c")
                + " ORDER BY c.ordinal",
                {"key": key, "gen": gen},
            )
        )

    def max_generation(self) -> int:
        """Largest generation any row mentions (0 for an empty store)."""
        row = self.conn.execute(
            "SELECT max(g) FROM (SELECT max(added_gen) AS g FROM chunks UNION ALL "
            "SELECT max(removed_gen) FROM chunks UNION ALL SELECT max(added_gen) FROM documents "
            "UNION ALL SELECT max(added_gen) FROM files)"
        ).fetchone()
        return int(row[0] or 0)

    def quick_check(self) -> str:
        """SQLite's own consistency check: 'ok' or a description of the damage."""
        return "; ".join(str(r[0]) for r in self.conn.execute("PRAGMA quick_check"))

    def cached_vectors(self, hashes: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self.conn.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE text_hash IN ({marks})", part
            ):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (dim,):
                    out[h] = vec
        return out

    # --- writing (callers hold the write lock) ---------------------------------------
    def discard_after(self, gen: int) -> None:
        """Undo whatever a crashed writer prepared beyond the committed generation."""
        with self.conn:
            for table in ("chunks", "documents", "files"):
                self.conn.execute(f"DELETE FROM {table} WHERE added_gen > ?", (gen,))
                self.conn.execute(
                    f"UPDATE {table} SET removed_gen = NULL WHERE removed_gen > ?", (gen,)
                )

    def remove_source(self, source: str, new_gen: int) -> list[int]:
        """Mark a file and its documents and chunks removed as of `new_gen`; return the
        removed chunk ids."""
        with self.conn:
            self.conn.execute(
                "UPDATE files SET removed_gen = ? WHERE source = ? AND removed_gen IS NULL",
                (new_gen, source),
            )
            doc_ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM documents WHERE source = ? AND removed_gen IS NULL", (source,)
                )
            ]
            return self._remove_documents(doc_ids, new_gen)

    def _remove_documents(self, doc_ids: Sequence[int], new_gen: int) -> list[int]:
        removed: list[int] = []
        for start in range(0, len(doc_ids), 500):
            part = list(doc_ids[start : start + 500])
            marks = ",".join("?" * len(part))
            removed.extend(
                r[0]
                for r in self.conn.execute(
                    f"SELECT id FROM chunks WHERE doc_id IN ({marks}) AND removed_gen IS NULL", part
                )
            )
            self.conn.execute(
                f"UPDATE chunks SET removed_gen = ? WHERE doc_id IN ({marks}) "
                "AND removed_gen IS NULL",
                [new_gen, *part],
            )
            self.conn.execute(
                f"UPDATE documents SET removed_gen = ? WHERE id IN ({marks})", [new_gen, *part]
            )
        return removed

    def replace_file(
        self,
        state: FileState,
        docs: Sequence[tuple[Document, list[Chunk]]],
        new_gen: int,
        analyze: Callable[[str], list[str]],
    ) -> FileChange:
        """Make `docs` the content of file `state.source` as of `new_gen`.

        Documents whose key and content are unchanged keep their rows (a JSON-lines file
        with one edited line re-indexes one document); the others are added or removed.
        """
        source = state.source
        with self.conn:
            self.conn.execute(
                "UPDATE files SET removed_gen = ? WHERE source = ? AND removed_gen IS NULL",
                (new_gen, source),
            )
            self.conn.execute(
                "INSERT INTO files (source, size, mtime_ns, sha256, added_gen) VALUES (?,?,?,?,?)",
                (source, state.size, state.mtime_ns, state.sha256, new_gen),
            )
            existing: dict[tuple[str, str], list[int]] = {}
            for doc_id, key, digest in self.conn.execute(
                "SELECT id, key, content_hash FROM documents WHERE source = ? "
                "AND removed_gen IS NULL",
                (source,),
            ):
                existing.setdefault((key, digest), []).append(doc_id)
            change = FileChange([], [], 0, 0)
            for doc, chunks in docs:
                digest = document_hash(doc)
                same = existing.get((doc.key, digest))
                if same:
                    same.pop()  # unchanged: its rows stay as they are
                    continue
                change.added.extend(self._insert_document(doc, digest, chunks, new_gen, analyze))
                change.documents_added += 1
            leftover = [i for ids in existing.values() for i in ids]
            change.removed.extend(self._remove_documents(leftover, new_gen))
            change.documents_removed = len(leftover)
        return change

    def _insert_document(
        self,
        doc: Document,
        digest: str,
        chunks: Sequence[Chunk],
        new_gen: int,
        analyze: Callable[[str], list[str]],
    ) -> list[tuple[int, str, str]]:
        cur = self.conn.execute(
            "INSERT INTO documents (key, source, title, file_type, content_hash, metadata,"
            " added_gen) VALUES (?,?,?,?,?,?,?)",
            (
                doc.key,
                doc.source,
                doc.title,
                doc.file_type,
                digest,
                json.dumps(doc.metadata, ensure_ascii=False),
                new_gen,
            ),
        )
        doc_id = cur.lastrowid
        added: list[tuple[int, str, str]] = []
        for chunk in chunks:
            h = text_hash(chunk.text)
            cur = self.conn.execute(
                "INSERT INTO chunks (doc_id, ordinal, text, text_hash, terms, page_start,"
                " page_end, char_start, char_end, added_gen) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    doc_id,
                    chunk.ordinal,
                    chunk.text,
                    h,
                    " ".join(analyze(chunk.text)),
                    chunk.page_start,
                    chunk.page_end,
                    chunk.char_start,
                    chunk.char_end,
                    new_gen,
                ),
            )
            assert cur.lastrowid is not None
            added.append((cur.lastrowid, h, chunk.text))
        return added

    def cache_vectors(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (text_hash, vector) VALUES (?, ?)",
                ((h, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for h, v in items),
            )

    def purge_removed(self, up_to_gen: int) -> None:
        """Drop rows no reader of generation >= up_to_gen can see."""
        with self.conn:
            self.conn.execute(
                "DELETE FROM files WHERE removed_gen IS NOT NULL AND removed_gen <= ?",
                (up_to_gen,),
            )
            self.conn.execute(
                "DELETE FROM chunks WHERE removed_gen IS NOT NULL AND removed_gen <= ?",
                (up_to_gen,),
            )
            self.conn.execute(
                "DELETE FROM documents WHERE removed_gen IS NOT NULL AND removed_gen <= ? AND id "
                "NOT IN (SELECT doc_id FROM chunks)",
                (up_to_gen,),
            )
