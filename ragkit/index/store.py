"""`store.sqlite`: documents and chunks, the index's source of truth.

Rows carry the generation that added them and the one that removed them, so one
SQLite file serves every generation: a reader of generation G sees the rows with
`added_gen <= G` and not `removed_gen <= G`. A writer prepares generation G+1 in
ordinary transactions; until the manifest names G+1 nobody sees its rows, and a crashed
writer's leftovers are rolled back by the next writer (`discard_after`). The
`embeddings` table caches vectors by chunk-text hash so unchanged text is never
re-embedded and FAISS can be rebuilt without the model.

Verification: every chunk row carries the sha256 of its text and every document row
one of its key, path and title; chunks read for a search are checked against both, so an
edited or damaged byte of stored text is reported, never served. `verify` adds SQLite's
own `integrity_check` and checks every chunk and document. Every SQLite error becomes
one `RagkitError` line that says what happened and what to do (`store_error`). Source
paths whose bytes are not UTF-8 (SQLite text must be) are stored with those bytes
escaped as `\\xHH`, and the exact bytes kept in the document's metadata (`source_bytes`,
hex).
Leaves out vector search and BM25 (their own files) and the file lock (lock.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.errors import IndexCorruptError, IndexStoreError, RagkitError
from ragkit.types import Chunk, Document, DocumentInfo, StoredChunk

if TYPE_CHECKING:
    import numpy as np

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
    removed_gen INTEGER,
    ident_hash TEXT
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
-- Generation columns, so that rolling back a crashed writer (`discard_after`), purging
-- removed rows and the per-commit counts touch the rows of the generations concerned,
-- not every row. Few rows are ever removed, so `removed_gen` is indexed where set.
CREATE INDEX IF NOT EXISTS files_added ON files(added_gen);
CREATE INDEX IF NOT EXISTS files_removed ON files(removed_gen) WHERE removed_gen IS NOT NULL;
CREATE INDEX IF NOT EXISTS documents_added ON documents(added_gen);
CREATE INDEX IF NOT EXISTS documents_removed ON documents(removed_gen)
    WHERE removed_gen IS NOT NULL;
CREATE INDEX IF NOT EXISTS chunks_added ON chunks(added_gen);
CREATE INDEX IF NOT EXISTS chunks_removed ON chunks(removed_gen) WHERE removed_gen IS NOT NULL;
CREATE TABLE IF NOT EXISTS embeddings (
    text_hash TEXT PRIMARY KEY,
    vector BLOB NOT NULL
);
"""

# The unary + keeps SQLite from answering "visible at G" through the generation indexes:
# nearly every row is visible, so a table scan beats a lookup per row.
_VISIBLE = "+{t}.added_gen <= :gen AND (+{t}.removed_gen IS NULL OR +{t}.removed_gen > :gen)"


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
    """Open the store; `readonly` opens it so that nothing is ever written, which also
    works on read-only media (there SQLite cannot create its shared-memory file, so the
    file is opened as immutable: no writer can exist on such media)."""
    path = index_dir / STORE
    try:
        if readonly:
            _check_header(path, index_dir)
            conn = _connect_readonly(path, index_dir)
            _check_pages(conn, path, index_dir)
        else:
            conn = sqlite3.connect(path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            if not _has_column(conn, "documents", "ident_hash"):
                # Stores written before documents carried a checksum of their key,
                # source and title: their rows keep NULL (not checked); new rows get one.
                conn.execute("ALTER TABLE documents ADD COLUMN ident_hash TEXT")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise store_error(exc, index_dir) from None
    return conn


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def ident_hash(key: str, source: str, title: str) -> str:
    """Checksum of what a citation shows of a document: its key, file path and title."""
    return text_hash("\x00".join((key, source, title)))


def _connect_readonly(path: Path, index_dir: Path) -> sqlite3.Connection:
    # The path is quoted: '#', '?' and '%' in a folder name are URI syntax otherwise,
    # and SQLite would silently open (and create) some other file.
    uri = "file:" + urllib.parse.quote(os.fsencode(path.absolute()), safe="/") + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        if os.access(index_dir, os.W_OK) or not path.is_file():
            raise
    conn = sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _check_header(path: Path, index_dir: Path) -> None:
    """The cheap check made before every read-only open: the file exists. Its header is
    checked through SQLite's own connection (`_check_pages`), never through a second
    file descriptor: closing any descriptor of a database file drops every POSIX lock
    this process holds on it, SQLite's included, after which another process may
    checkpoint or delete the WAL under a live connection and lose committed data."""
    try:
        path.stat()
    except FileNotFoundError:
        raise IndexCorruptError(
            f"{path} is missing; it holds the index's documents, so the index must be "
            f"rebuilt: delete {index_dir} and run ragkit index again"
        ) from None
    except OSError as exc:
        raise IndexStoreError(
            f"cannot read {path} ({exc.strerror or exc}); check its permissions"
        ) from None


def _check_pages(conn: sqlite3.Connection, path: Path, index_dir: Path) -> None:
    """Catch truncation, which otherwise surfaces as odd errors from later queries: the
    pages SQLite counts must fit in the file (checked only when the WAL is empty, since
    pages not yet checkpointed live in the WAL)."""
    try:
        wal = Path(str(path) + "-wal").stat().st_size
    except OSError:
        wal = 0
    if wal:
        return
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    if pages * page_size > path.stat().st_size:
        raise IndexCorruptError(_damaged(path, index_dir, "not a valid SQLite file"))


def _damaged(path: Path, index_dir: Path, what: str) -> str:
    return (
        f"{path} is damaged ({what}); it holds the index's documents, so the index must "
        f"be rebuilt: delete {index_dir} and run ragkit index again"
    )


def store_error(exc: sqlite3.Error, index_dir: Path) -> RagkitError:
    """One line for an SQLite error on the store of `index_dir`, with what to do."""
    path = index_dir / STORE
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if (
        name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        or "malformed" in text
        or ("not a database" in text)
    ):
        return IndexCorruptError(_damaged(path, index_dir, text))
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return IndexStoreError(
            f"{path} is read-only ({text}); give the user write permission to {index_dir} "
            "or index into a folder on writable storage"
        )
    if name == "SQLITE_FULL" or "disk is full" in text:
        return IndexStoreError(
            f"the disk holding {index_dir} is full ({text}); the index keeps its previous "
            "state: free some space and run the command again"
        )
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        return IndexStoreError(
            f"{path} is locked by another program ({text}); close it and try again"
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return IndexStoreError(
            f"cannot open {path} ({text}); check that {index_dir} exists and that you may "
            "read (and, to index, write) it"
        )
    if name.startswith("SQLITE_IOERR") or "disk I/O" in text:
        return IndexStoreError(
            f"input/output error on {path} ({text}); check the disk, then run: "
            f"ragkit verify --index {index_dir}"
        )
    return IndexStoreError(f"{path}: {text}")


def storable_text(text: str) -> str:
    """`text` as SQLite can store it: lone surrogates (bytes of a file name that are not
    UTF-8, as Python decodes them) written as `\\xHH`."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def storable_document(doc: Document) -> Document:
    """`doc` with every field SQLite-storable; the exact bytes of a source path that is
    not UTF-8 are kept (hex) in the metadata as `source_bytes`."""
    fields = (doc.source, doc.key, doc.title, *(p.text for p in doc.pages))
    if all(storable_text(f) is f for f in fields):
        return doc
    metadata = dict(doc.metadata)
    if storable_text(doc.source) != doc.source:
        metadata["source_bytes"] = os.fsencode(doc.source).hex()
    pages = tuple(
        dataclasses.replace(p, text=p.text.encode("utf-8", "replace").decode("utf-8"))
        for p in doc.pages
    )
    return dataclasses.replace(
        doc,
        source=storable_text(doc.source),
        key=storable_text(doc.key),
        title=storable_text(doc.title),
        pages=pages,
        metadata={k: storable_text(v) for k, v in metadata.items()},
    )


class Store:
    """Typed queries over one open SQLite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # Stores from before the documents' checksum column are read without it.
        self._ident = _has_column(conn, "documents", "ident_hash")

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
            ident = "d.ident_hash" if self._ident else "NULL"
            rows = self.conn.execute(
                "SELECT c.id, c.text, d.key, d.source, d.title, c.ordinal, c.page_start, "
                f"c.page_end, c.text_hash, c.char_start, c.char_end, {ident} FROM chunks c "
                "JOIN documents d ON d.id = c.doc_id "
                f"WHERE c.id IN ({marks}) AND +c.added_gen <= ? "
                "AND (+c.removed_gen IS NULL OR +c.removed_gen > ?)",
                [*part, gen, gen],
            )
            for r in rows:
                # Cheap (a sha256 of a few KB per returned chunk) and it means a damaged
                # or edited store is reported instead of served.
                if not isinstance(r[1], str) or text_hash(r[1]) != r[8]:
                    raise IndexCorruptError(
                        f"the index's store is damaged: the stored text of chunk {r[0]} "
                        f"(from {r[3]}) does not match its checksum; rebuild the index "
                        "(delete it and run ragkit index again)"
                    )
                if r[11] is not None and ident_hash(r[2], r[3], r[4]) != r[11]:
                    raise IndexCorruptError(
                        f"the index's store is damaged: the file path or title of chunk "
                        f"{r[0]}'s document does not match its checksum; rebuild the index "
                        "(delete it and run ragkit index again)"
                    )
                out[r[0]] = StoredChunk(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], char_start=r[9], char_end=r[10]
                )
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
                f"ON d.id = c.doc_id WHERE c.id IN ({marks}) AND +c.added_gen <= ? "
                "AND (+c.removed_gen IS NULL OR +c.removed_gen > ?)",
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

    def chunk_terms(self, ids: Sequence[int]) -> list[tuple[int, list[str]]]:
        """(chunk id, BM25 terms) of the given chunks, whatever their generation; one
        query per 500 ids."""
        out: list[tuple[int, list[str]]] = []
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(part))
            for chunk_id, terms in self.conn.execute(
                f"SELECT id, terms FROM chunks WHERE id IN ({marks})", part
            ):
                out.append((chunk_id, terms.split(" ") if terms else []))
        return out

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

    def count_change(self, gen: int) -> tuple[int, int]:
        """How many documents and chunks generation `gen` shows more than `gen - 1`
        (negative when it shows fewer): rows added at `gen` and still there, less rows of
        earlier generations removed at `gen`. Reads only those rows, through the
        generation indexes, where `counts` reads every row."""
        out = []
        for table in ("documents", "chunks"):
            added = self.conn.execute(
                f"SELECT count(*) FROM {table} WHERE added_gen = :gen "
                "AND (removed_gen IS NULL OR removed_gen > :gen)",
                {"gen": gen},
            ).fetchone()[0]
            removed = self.conn.execute(
                f"SELECT count(*) FROM {table} WHERE removed_gen = :gen AND added_gen < :gen",
                {"gen": gen},
            ).fetchone()[0]
            out.append(int(added) - int(removed))
        return out[0], out[1]

    def documents(self, gen: int) -> list[tuple[str, str, int]]:
        """(source, key, chunk count) of every visible document."""
        return [(d.source, d.key, d.chunks) for d in self.document_infos(gen)]

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

    def integrity_check(self, limit: int = 20) -> str:
        """SQLite's full check (`quick_check` plus every index against its table):
        'ok' or the first `limit` problems found."""
        rows = self.conn.execute(f"PRAGMA integrity_check({int(limit)})")
        return "; ".join(str(r[0]) for r in rows)

    def damaged_chunks(self, gen: int, limit: int = 20) -> list[int]:
        """Ids of visible chunks whose text no longer matches its stored checksum (the
        first `limit`); reads every chunk, so for `verify`, not for every open."""
        bad: list[int] = []
        for chunk_id, text, digest in self.conn.execute(
            "SELECT id, text, text_hash FROM chunks c WHERE " + _VISIBLE.format(t="c"),
            {"gen": gen},
        ):
            if not isinstance(text, str) or text_hash(text) != digest:
                bad.append(chunk_id)
                if len(bad) >= limit:
                    break
        return bad

    def damaged_documents(self, gen: int, limit: int = 20) -> list[str]:
        """Keys of visible documents whose key, path or title no longer match their
        checksum (the first `limit`; rows written before the checksum are skipped)."""
        if not self._ident:
            return []
        bad: list[str] = []
        for key, source, title, digest in self.conn.execute(
            "SELECT key, source, title, ident_hash FROM documents d WHERE "
            + _VISIBLE.format(t="d")
            + " AND ident_hash IS NOT NULL",
            {"gen": gen},
        ):
            if ident_hash(str(key), str(source), str(title)) != digest:
                bad.append(str(key))
                if len(bad) >= limit:
                    break
        return bad

    def cached_vectors(self, hashes: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        import numpy as np  # here, not at the top: `ragkit ls` reads the store without it

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
            " added_gen, ident_hash) VALUES (?,?,?,?,?,?,?,?)",
            (
                doc.key,
                doc.source,
                doc.title,
                doc.file_type,
                digest,
                json.dumps(doc.metadata, ensure_ascii=False),
                new_gen,
                ident_hash(doc.key, doc.source, doc.title),
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
        import numpy as np

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
                # NOT EXISTS looks up each candidate's chunks by index, where NOT IN
                # would first list the document of every chunk in the store.
                "DELETE FROM documents WHERE removed_gen IS NOT NULL AND removed_gen <= ? AND "
                "NOT EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = documents.id)",
                (up_to_gen,),
            )
