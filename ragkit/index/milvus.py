"""A knowledge base stored in Milvus instead of an index folder (`index.backend = "milvus"`).

Three collections per knowledge base, named from its index name:

- `<name>_chunks`: one row per chunk with what a reader on another machine needs: the
  text, its BM25 terms from ragkit's analyzer (space-separated in `terms`, which Milvus's
  BM25 function, with the `whitespace` tokenizer, turns into the `sparse` field: the
  local index's terms and BM25, so both backends rank alike), document key, title,
  file, file type, page span, character offsets, ordinal, document metadata (JSON),
  text hash and dense vector; and its document's identity (`doc_id`: the id its first
  chunk got when the document was stored), content hash, chunk count and last page;
- `<name>_files`: one row per indexed file (size, mtime, sha256 and how many documents
  and chunks it has), which incremental indexing and `ls`/`info` read;
- `<name>_meta`: one row, the committed state: a `Manifest` (generation, embedder,
  chunker, counts), the next chunk id and the schema version (`SCHEMA_VERSION`).

Which chunks make a file or a document is said by the chunk rows themselves (`source`,
`doc_id`, `ordinal`), and asked for with an expression (`source == "..."`), never listed
on a row: a file row stays a few hundred bytes however many documents the file holds
(schema 1 listed every document and chunk id on its file row, 4 MB for a 20,000-record
JSON-lines file, past Milvus's query result limit). A collection of a layout this ragkit
does not read (`READS_SCHEMAS`) is refused with one line: an older one saying to copy
the local index again (`migrate`), a newer one to upgrade ragkit.

Commit protocol. Every chunk and file row carries the generation that added it (`gen`);
rows are only ever inserted or deleted, never rewritten (Milvus applies an upsert as a
delete and an insert that a concurrent reader can see apart: measured on milvus-lite
2.5.1, 39 of ~300 reads during upserts missed the row). A writer prepares G+1 by
inserting rows with `gen = G+1` and tombstone rows (in the meta collection, valued G+1)
for what it replaces: `rs:<G+1>:<source>` for every chunk row of a file replaced or
removed whole, `rd:<doc_id>` for every chunk row of one document of a file that keeps
others, `rc:<chunk id>` for one chunk row (`repair`), `rf:<file row key>` for a file
row. A file keeping some documents but replacing more than `MAX_DOC_TOMBSTONES` is
retired whole and its kept documents' rows copied into G+1 (vectors as stored). Then it
commits by inserting the state row `state:<G+1>`. A reader takes the newest state row,
G, and sees rows with `gen <= G` that no tombstone of a generation `<= G` names (a file
or document tombstone of T names the rows added before T), so the expression grows with
the files and documents replaced, not with their chunks. A killed writer leaves rows and
tombstones of a generation no state row names: nobody sees them, and the next writer
deletes them before it starts. After a commit of G+1, rows tombstoned at G or before are
deleted (invisible to readers of G and G+1) with their tombstones and the older state
rows. Content hashes decide what is embedded: a chunk whose text hash has a vector in
the collection reuses it.

Search runs in Milvus: dense and BM25 rankings with the search filters pushed down as
expressions (path glob → `like`, file type → `in`, page range, metadata JSON), fused
by Milvus (`hybrid_search` with `RRFRanker`) for `fusion="rrf"`, or by ragkit's convex
fusion of the two engine rankings for `fusion="convex"` (Milvus's `WeightedRanker`
normalises scores with arctan, not min-max, so its order differs from the local index).

`verify` checks that the collections agree (each document's chunk rows against its chunk
count, each file's documents and chunks against its row, text checksums, the state's
counts) and that the stored BM25 terms are what
ragkit's analyzer makes of the stored text (every chunk up to `TERMS_SAMPLE`, a random
sample of that many above); `repair` re-syncs them as a new generation, indexing
damaged files again from disk and making rows with wrong terms again from their stored
text and vector.

Writers of a local `.db` take the lock file next to it; writers against a server take a
claim row with a lease, renewed while they write (`_ServerLock`), so two `ragkit index`
runs against one collection take turns.

Leaves out: access control inside Milvus (a token or user/password is passed through,
nothing more); documents that yield no chunk (they have no chunk row to say so, and are
not counted); reading collections of an older schema (`migrate` replaces them).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shlex
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
from pydantic import SecretStr, ValidationError

from ragkit._version import __version__
from ragkit.errors import (
    ConfigError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    RagkitError,
)
from ragkit.index.engine import IndexReader, IndexWriter
from ragkit.index.fusion import convex_fuse
from ragkit.index.ingest import Prepared, Request
from ragkit.index.lock import IndexBusyError, WriteLock
from ragkit.index.manifest import (
    Manifest,
    chunker_info,
    fresh_manifest,
    next_generation,
    now_iso,
)
from ragkit.index.progress import IndexProgress, NoProgress
from ragkit.index.store import (
    FileState,
    Store,
    document_hash,
    text_hash,
)
from ragkit.index.writer import Writer, covered, embedder_mismatch, mismatch
from ragkit.ingest.chunking import Chunker
from ragkit.ingest.loaders import BoundedLoader, LoaderOptions
from ragkit.models.embeddings import Embedder
from ragkit.text.analysis import Analyzer
from ragkit.types import Chunk, Document, DocumentInfo, FileOutcome, StoredChunk

if TYPE_CHECKING:
    from pymilvus import MilvusClient

    from ragkit.options import SearchFilter

BATCH = 500  # rows per insert/upsert and ids per `in` expression
# A re-indexed file replacing more documents than this, while keeping others, is retired
# whole, its kept documents' rows copied into the new generation: every reader filters
# with one number per document tombstone until the next commit (30,000 of them made a
# 169 KB expression and searches 30-60x slower on milvus-lite 2.5.1).
MAX_DOC_TOMBSTONES = 1000
MAX_VARCHAR = 65_535
DUMMY_DIM = 2  # Milvus wants a vector field in every collection; files and meta have none
INSTALL_HINT = "pip install 'ragkit[milvus]'"
_NAME_OK = re.compile(r"[^A-Za-z0-9_]")
_T = TypeVar("_T")

# The version of the collections' layout, kept in each state row; readers and writers
# refuse any other. 1: file rows listed their documents and chunk ids; 2: chunk rows
# carry their document's fields and membership is queried; 3: a replaced document or
# file is tombstoned by its doc_id or source, not by one tombstone per chunk. A layout 2
# collection is read as it is (its tombstones are layout 3's per-chunk kind), and the
# first commit into it writes layout 3, which a layout-2 ragkit then refuses in one line
# (it would not see the new tombstones).
SCHEMA_VERSION = 3
READS_SCHEMAS = (2, 3)

_DOC_FIELDS = ["doc_id", "doc_hash", "doc_chunks", "doc_pages"]

_CHUNK_FIELDS = [
    "id",
    "gen",
    "doc_key",
    "source",
    "file_name",
    "title",
    "file_type",
    "ordinal",
    "page_start",
    "page_end",
    "page_last",
    "char_start",
    "char_end",
    "text",
    "text_hash",
    "metadata",
]

# Milvus's BM25 (k1 = 1.2, b = 0.75, as the local index) multiplies Lucene's score, which
# the local index reports, by k1 + 1: dividing gives the same scores on both backends.
BM25_SCALE = 1 / 2.2


def bm25_terms(analyzer: Analyzer, text: str) -> str:
    """`text`'s BM25 terms from ragkit's analyzer, space-separated for the `terms` field
    (Milvus's `whitespace` tokenizer splits them back and its BM25 function counts them),
    cut at a term boundary to fit a VARCHAR field."""
    joined = " ".join(analyzer.tokenize(text))
    raw = joined.encode("utf-8")
    if len(raw) <= MAX_VARCHAR:
        return joined
    cut = raw[:MAX_VARCHAR].decode("utf-8", errors="ignore")
    return cut[: cut.rfind(" ")] if " " in cut else ""


@dataclass(frozen=True)
class MilvusTarget:
    """Where a knowledge base lives in Milvus: `uri` is a local `.db` file (milvus-lite,
    started in this process) or `http(s)://host:port` (a server or cluster); `collection`
    prefixes its collections. Secrets are `SecretStr`: their repr shows no value."""

    uri: str = field(repr=False)  # may hold user:password; `display_uri` shows it without
    collection: str
    token: SecretStr | None = None
    user: str = ""
    password: SecretStr | None = None
    index_type: str = "AUTOINDEX"
    index_params: dict[str, int] = field(default_factory=dict)
    # A writer's claim on a server's collection, renewed every sixth of this; one not
    # renewed for this long is a killed writer's and is cleared by the next one.
    lock_lease_s: float = 60.0

    @property
    def is_local(self) -> bool:
        return not self.uri.startswith(("http://", "https://", "tcp://", "unix:"))

    @property
    def display_uri(self) -> str:
        """The uri without any user:password part, for messages."""
        if self.is_local:
            return self.uri
        parts = urlsplit(self.uri)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    @property
    def label(self) -> str:
        return f"{self.collection} at {self.display_uri}"


def missing_index(index_dir: Path, target: MilvusTarget) -> IndexNotFoundError:
    """The error for an index whose collections are not in Milvus, with the commands
    that make it, as typed with the same settings (index.backend = "milvus" and its uri
    come from the settings file or environment; `ragkit index` has no flag for them)."""
    # The collections are named after the index folder's name; only a milvus-lite file
    # kept in the index's own folder (index.milvus_uri empty) depends on the folder too.
    in_folder = target.is_local and Path(target.uri) == index_dir / "milvus.db"
    name = shlex.quote(str(index_dir) if in_folder else index_dir.name)
    return IndexNotFoundError(
        f"index {target.label} does not exist; build it first with: ragkit index DOCS "
        f'--index {name} (with the same index.backend = "milvus" settings), or copy a '
        f"local index into it with: ragkit migrate --index {name} "
        f"--to {shlex.quote(target.display_uri)}"
    )


def collection_name(index_name: str) -> str:
    """A Milvus collection prefix for index `index_name`: letters, digits and `_`."""
    clean = _NAME_OK.sub("_", index_name)
    return "ragkit_" + clean[:180]


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError:
        raise ConfigError(
            f"index.backend is 'milvus' but pymilvus is not installed; run: {INSTALL_HINT}"
        ) from None
    return pymilvus


def connect(target: MilvusTarget) -> MilvusClient:
    """A client for `target`; one clear line when Milvus cannot be reached or opened."""
    pymilvus = _pymilvus()
    # pymilvus warns on every query iterator that milvus-lite gives it no MVCC timestamp;
    # it falls back to its own, which is what ragkit wants: say nothing.
    logging.getLogger("pymilvus.orm.iterator").setLevel(logging.ERROR)
    # pymilvus logs every failed call at ERROR before raising it; ragkit says what failed
    # in one line, or retries (a query batch past the result size limit, in smaller ones).
    logging.getLogger("pymilvus.decorators").setLevel(logging.CRITICAL)
    kwargs: dict[str, Any] = {}
    if target.token is not None and target.token.get_secret_value():
        kwargs["token"] = target.token.get_secret_value()
    elif target.user:
        password = target.password.get_secret_value() if target.password else ""
        kwargs["token"] = f"{target.user}:{password}"
    uri = target.uri
    if target.is_local:
        path = Path(uri).expanduser().resolve()
        if path.suffix != ".db":
            raise ConfigError(
                f"setting index.milvus_uri: {uri} is neither a local .db file nor an "
                "http(s)://host:port address"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = str(path)
    try:
        client: MilvusClient = pymilvus.MilvusClient(uri=uri, **kwargs)
    except Exception as exc:
        if target.is_local:
            raise IndexNotFoundError(
                f"Milvus file {target.uri} could not be opened: another process has it open, "
                "or milvus-lite is missing; serve it to several processes with a Milvus "
                f"server (docs/milvus.md), or run: {INSTALL_HINT}"
            ) from None
        raise IndexNotFoundError(
            f"cannot reach Milvus at {target.display_uri} ({type(exc).__name__}); check "
            "index.milvus_uri and its token or user/password"
        ) from None
    return client


def _quote(value: str) -> str:
    """A Milvus string literal (JSON's escapes are Milvus's)."""
    return json.dumps(value, ensure_ascii=False)


def _ids_expr(ids: Sequence[int]) -> str:
    return "id in [" + ",".join(str(int(i)) for i in ids) + "]"


# Tombstone rows in the meta collection, valued with the generation T that retires what
# they name: `rc:<chunk id>` one chunk row, `rf:<file row key>` one file row,
# `rd:<doc_id>` the chunk rows of one document added before T, `rs:<T>:<source>` the chunk
# rows of one file added before T (T in the key too: a file can be retired at T and again
# at T + 1 before T's tombstone is purged, and keys must not repeat).
def _tombstone(key: str) -> tuple[str, str]:
    """(kind, what it names) of a tombstone key."""
    kind, _, ref = key.partition(":")
    if kind == "rs":
        ref = ref.partition(":")[2]
    return kind, ref


@dataclass(frozen=True)
class _View:
    """What a reader of generation `gen` sees: rows added up to `gen`, less those
    tombstoned by a generation up to `gen`: chunk ids, whole documents and whole files
    (each of the last two with the generation T that retired it: it hides the rows
    added before T, not the file's or document's new rows of T), and file row keys."""

    gen: int
    hidden_chunks: tuple[int, ...] = ()
    hidden_files: tuple[str, ...] = ()
    hidden_docs: tuple[tuple[int, int], ...] = ()  # (T, doc_id)
    hidden_sources: tuple[tuple[int, str], ...] = ()  # (T, source)

    def chunks(self) -> str:
        """The expression for the visible chunk rows. Its length grows with the chunks
        retired one by one (only `repair` does), the documents retired from files that
        keep others (`MAX_DOC_TOMBSTONES` at most per file), and the files retired whole
        — not with a retired file's chunks."""
        expr = f"gen <= {self.gen}"
        if self.hidden_chunks:
            expr += " and id not in [" + ",".join(str(i) for i in self.hidden_chunks) + "]"
        for tomb_gen, docs in _by_gen(self.hidden_docs):
            expr += f" and (gen >= {tomb_gen} or doc_id not in [{','.join(map(str, docs))}])"
        for tomb_gen, sources in _by_gen(self.hidden_sources):
            names = ",".join(_quote(s) for s in sources)
            expr += f" and (gen >= {tomb_gen} or source not in [{names}])"
        return expr

    def files(self) -> str:
        expr = f"gen <= {self.gen}"
        if self.hidden_files:
            expr += " and key not in [" + ",".join(_quote(k) for k in self.hidden_files) + "]"
        return expr


def _by_gen(pairs: Sequence[tuple[int, _T]]) -> list[tuple[int, list[_T]]]:
    """`(generation, item)` pairs grouped by generation, in generation order."""
    out: dict[int, list[_T]] = {}
    for tomb_gen, item in pairs:
        out.setdefault(tomb_gen, []).append(item)
    return sorted(out.items())


def glob_to_like(glob: str) -> str | None:
    """The Milvus `like` pattern matching what fnmatch's `glob` matches, or None when
    the glob has classes (`[...]`) that `like` cannot say."""
    if "[" in glob or "\\" in glob:
        return None
    out = []
    for ch in glob:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch in "%_":
            out.append("\\\\" + ch)  # `\\_` in the literal: a literal `_` for `like`
        elif ch == '"':
            out.append('\\"')
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def filter_expr(filters: SearchFilter | None) -> tuple[str, bool]:
    """The Milvus expression for `filters` and whether it says everything the filter
    does (when not, callers check `filters.matches` on what comes back)."""
    if filters is None or not filters.active:
        return "", True
    parts: list[str] = []
    exact = True
    if filters.path_glob is not None:
        like = glob_to_like(filters.path_glob)
        if like is None:
            exact = False
        else:
            parts.append(f"(source like {like} or file_name like {like})")
    if filters.file_types is not None:
        types = ",".join(_quote(t) for t in sorted(filters.file_types))
        parts.append(f"file_type in [{types}]")
    if filters.page_min is not None or filters.page_max is not None:
        parts.append("page_start >= 0")
        if filters.page_min is not None:
            parts.append(f"page_last >= {int(filters.page_min)}")
        if filters.page_max is not None:
            parts.append(f"page_start <= {int(filters.page_max)}")
    for key, value in (filters.metadata or {}).items():
        parts.append(f"metadata[{_quote(key)}] == {_quote(value)}")
    return " and ".join(parts), exact


def _file_counts(row: dict[str, Any]) -> tuple[int, int]:
    """(documents, chunks) a file row says its file has."""
    docs = row.get("docs")
    if not isinstance(docs, dict):
        return 0, 0
    return int(docs.get("documents", 0)), int(docs.get("chunks", 0))


def _stored(row: dict[str, Any]) -> StoredChunk:
    start = int(row["page_start"])
    end = int(row["page_end"])
    return StoredChunk(
        int(row["id"]),
        str(row["text"]),
        str(row["doc_key"]),
        str(row["source"]),
        str(row["title"]),
        int(row["ordinal"]),
        None if start < 0 else start,
        None if end < 0 else end,
        char_start=int(row["char_start"]) if "char_start" in row else None,
        char_end=int(row["char_end"]) if "char_end" in row else None,
    )


def _metadata_strings(raw: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


@dataclass(frozen=True)
class _DocFields:
    """What every chunk row of one document says about the document."""

    doc_id: int  # the id its first chunk got when it was stored
    content_hash: str
    chunks: int
    pages: int | None  # its last page, None without pages


def _doc_fields(doc_id: int, doc: Document, chunks: Sequence[Chunk]) -> _DocFields:
    pages = [c.page_end for c in chunks if c.page_end is not None]
    return _DocFields(doc_id, document_hash(doc), len(chunks), max(pages) if pages else None)


def _chunk_row(
    chunk_id: int, doc: Document, chunk: Chunk, gen: int, analyzer: Analyzer, info: _DocFields
) -> dict[str, Any]:
    start = -1 if chunk.page_start is None else chunk.page_start
    end = -1 if chunk.page_end is None else chunk.page_end
    return {
        "id": chunk_id,
        "gen": gen,
        "doc_id": info.doc_id,
        "doc_hash": info.content_hash,
        "doc_chunks": info.chunks,
        "doc_pages": -1 if info.pages is None else info.pages,
        "doc_key": doc.key,
        "source": doc.source,
        "file_name": PurePath(doc.source).name,
        "title": doc.title,
        "file_type": doc.file_type.lower(),
        "ordinal": chunk.ordinal,
        "page_start": start,
        "page_end": end,
        "page_last": end if end >= 0 else start,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "text": chunk.text,
        "terms": bm25_terms(analyzer, chunk.text),
        "text_hash": text_hash(chunk.text),
        "metadata": doc.metadata,
    }


class _Collections:
    """The three collections of one knowledge base over one client."""

    def __init__(self, client: MilvusClient, target: MilvusTarget) -> None:
        self.client = client
        self.target = target
        self.chunks = target.collection + "_chunks"
        self.files = target.collection + "_files"
        self.meta = target.collection + "_meta"

    def exist(self) -> bool:
        return all(self.client.has_collection(n) for n in (self.chunks, self.files, self.meta))

    def schema_error(self, found: int) -> IndexMismatchError:
        """The one line for collections of schema version `found`, not this ragkit's."""
        if found > SCHEMA_VERSION:
            return IndexMismatchError(
                f"Milvus collection {self.chunks} at {self.target.display_uri} has layout "
                f"version {found}, written by a newer ragkit (this one reads "
                f"{SCHEMA_VERSION}); upgrade ragkit"
            )
        return IndexMismatchError(
            f"Milvus collection {self.chunks} at {self.target.display_uri} has layout version "
            f"{found}, written by an older ragkit (this one reads {READS_SCHEMAS[0]} to "
            f"{SCHEMA_VERSION}); copy the "
            "local index into it again with: ragkit migrate --index "
            f"{self.target.collection.removeprefix('ragkit_')} --to "
            f"{shlex.quote(self.target.display_uri)} (it replaces the old collections), or "
            "index into a new collection"
        )

    def old_layout(self) -> int | None:
        """The schema version of an existing chunks collection that is not this ragkit's
        (1: no document fields on chunk rows), or None when it is this one's or absent."""
        if not self.client.has_collection(self.chunks):
            return None
        fields = self.client.describe_collection(self.chunks).get("fields", [])
        names = {str(f.get("name")) for f in fields}
        return None if set(_DOC_FIELDS) <= names else 1

    def layout_version(self) -> int | None:
        """The schema version of the collections: the chunks collection's fields, then
        the newest state row's; None when there is neither."""
        found = self.old_layout()
        if found is not None or not self.client.has_collection(self.meta):
            return found
        newest = self._newest_state()
        if newest is None:
            return None
        try:
            return int(json.loads(newest["value"]).get("schema", 1))
        except (ValueError, TypeError, AttributeError):
            return None  # damaged: `state` says so

    def check_layout(self) -> None:
        found = self.old_layout()
        if found is not None:
            raise self.schema_error(found)

    def create(self, dim: int) -> None:
        pymilvus = _pymilvus()
        DataType, Function, FunctionType = (
            pymilvus.DataType,
            pymilvus.Function,
            pymilvus.FunctionType,
        )
        client = self.client
        self.check_layout()
        if not client.has_collection(self.chunks):
            s = client.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("id", DataType.INT64, is_primary=True)
            for name in ("gen", "ordinal", "page_start", "page_end", "page_last"):
                s.add_field(name, DataType.INT64)
            s.add_field("doc_id", DataType.INT64)
            s.add_field("doc_hash", DataType.VARCHAR, max_length=64)
            s.add_field("doc_chunks", DataType.INT64)
            s.add_field("doc_pages", DataType.INT64)
            s.add_field("char_start", DataType.INT64)
            s.add_field("char_end", DataType.INT64)
            s.add_field("doc_key", DataType.VARCHAR, max_length=MAX_VARCHAR)
            s.add_field("source", DataType.VARCHAR, max_length=MAX_VARCHAR)
            s.add_field("file_name", DataType.VARCHAR, max_length=4096)
            s.add_field("title", DataType.VARCHAR, max_length=MAX_VARCHAR)
            s.add_field("file_type", DataType.VARCHAR, max_length=64)
            s.add_field("text_hash", DataType.VARCHAR, max_length=64)
            s.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
            # ragkit's analyzer terms, space-separated: Milvus's BM25 function then scores
            # the terms the local index scores (same k1 and b), so both backends rank alike.
            s.add_field(
                "terms",
                DataType.VARCHAR,
                max_length=MAX_VARCHAR,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "whitespace"},
            )
            s.add_field("metadata", DataType.JSON)
            s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
            s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            s.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["terms"],
                    output_field_names=["sparse"],
                )
            )
            ip = client.prepare_index_params()
            ip.add_index(
                "dense",
                index_type=self.target.index_type,
                metric_type="IP",
                params=dict(self.target.index_params),
            )
            ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
            client.create_collection(
                self.chunks, schema=s, index_params=ip, consistency_level="Strong"
            )
        for name, fields in (
            (self.files, ("source", "size", "mtime_ns", "sha256", "docs")),
            (self.meta, ("value",)),
        ):
            if client.has_collection(name):
                continue
            s = client.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=MAX_VARCHAR)
            if "source" in fields:
                s.add_field("source", DataType.VARCHAR, max_length=MAX_VARCHAR)
                s.add_field("size", DataType.INT64)
                s.add_field("mtime_ns", DataType.INT64)
                s.add_field("sha256", DataType.VARCHAR, max_length=64)
                s.add_field("docs", DataType.JSON)
                s.add_field("gen", DataType.INT64)
            else:
                s.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR)
            s.add_field("v", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)
            ip = client.prepare_index_params()
            ip.add_index("v", index_type="FLAT", metric_type="L2")
            client.create_collection(name, schema=s, index_params=ip, consistency_level="Strong")

    # --- reading ---------------------------------------------------------------------
    def query(self, name: str, expr: str, fields: Sequence[str]) -> list[dict[str, Any]]:
        """Every row of `name` matching `expr` (an iterator: no 16k result cap). Batches
        of 1000 rows, fewer when a batch is past Milvus's result size limit (1000 chunk
        rows of 64 KB texts would be)."""
        if any(f in ("dense", "v") for f in fields) and self.count(name, expr) == 0:
            # milvus-lite 2.5.1 fails asking an empty segment for vectors; nothing to get.
            return []
        for batch_size in (1000, 100, 10, 1):
            try:
                return self._query_batches(name, expr, fields, batch_size)
            except Exception as exc:
                if batch_size == 1 or "exceed the limit size" not in str(exc):
                    raise
        raise AssertionError("unreachable")

    def _query_batches(
        self, name: str, expr: str, fields: Sequence[str], batch_size: int
    ) -> list[dict[str, Any]]:
        it = self.client.query_iterator(
            name, batch_size=batch_size, filter=expr, output_fields=list(fields)
        )
        out: list[dict[str, Any]] = []
        try:
            while True:
                batch = it.next()
                if not batch:
                    break
                out.extend(dict(r) for r in batch)
        finally:
            it.close()
        return out

    def query_ids(
        self, name: str, ids: Sequence[int], extra: str, fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            part = ids[start : start + BATCH]
            expr = _ids_expr(part) + (f" and {extra}" if extra else "")
            if any(f in ("dense", "v") for f in fields) and self.count(name, expr) == 0:
                continue
            rows = self.client.query(name, filter=expr, output_fields=list(fields))
            out.extend(dict(r) for r in rows)
        return out

    def state(self) -> tuple[Manifest, int] | None:
        """The committed manifest and next chunk id (the newest state row), or None
        before the first commit."""
        if not self.client.has_collection(self.meta):
            return None
        newest = self._newest_state()
        if newest is None:
            return None
        try:
            raw = json.loads(newest["value"])
            version = int(raw.get("schema", 1))
            if version in READS_SCHEMAS:
                return Manifest.model_validate(raw["manifest"]), int(raw["next_id"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            raise IndexCorruptError(
                f"the state row of Milvus collection {self.meta} is damaged; index into "
                "a new collection"
            ) from None
        raise self.schema_error(version)

    def _newest_state(self) -> dict[str, Any] | None:
        """The newest state row (its key and value), None when there is none."""
        rows = self.client.query(
            self.meta, filter='key like "state:%"', output_fields=["key", "value"]
        )
        return max(rows, key=lambda r: str(r["key"])) if rows else None

    def states(self) -> list[str]:
        """Keys of every state row."""
        return [str(r["key"]) for r in self.query(self.meta, 'key like "state:%"', ["key"])]

    def tombstones(self) -> list[tuple[str, int]]:
        """(key, generation) of every tombstone row, committed or not."""
        rows = self.query(self.meta, 'key like "r%"', ["key", "value"])
        return [(str(r["key"]), int(r["value"])) for r in rows]

    def view(self, gen: int) -> _View:
        chunks: list[int] = []
        files: list[str] = []
        docs: list[tuple[int, int]] = []
        sources: list[tuple[int, str]] = []
        for key, tomb_gen in self.tombstones():
            if tomb_gen > gen:
                continue
            kind, ref = _tombstone(key)
            if kind == "rc":
                chunks.append(int(ref))
            elif kind == "rf":
                files.append(ref)
            elif kind == "rd":
                docs.append((tomb_gen, int(ref)))
            elif kind == "rs":
                sources.append((tomb_gen, ref))
        return _View(
            gen,
            tuple(sorted(chunks)),
            tuple(sorted(files)),
            tuple(sorted(docs)),
            tuple(sorted(sources)),
        )

    def delete_keys(self, name: str, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), BATCH):
            part = keys[start : start + BATCH]
            self.client.delete(name, filter="key in [" + ",".join(_quote(k) for k in part) + "]")

    def count(self, name: str, expr: str) -> int:
        rows = self.client.query(name, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0


class MilvusStore:
    """The read queries `ragkit.index.store.Store` answers, answered from Milvus."""

    def __init__(self, cols: _Collections, view: _View) -> None:
        self.cols = cols
        self.view = view

    def _view(self, gen: int) -> _View:
        return self.view if gen == self.view.gen else self.cols.view(gen)

    def _visible(self, gen: int) -> str:
        return self._view(gen).chunks()

    def _files(self, gen: int, source: str | None = None) -> list[dict[str, Any]]:
        expr = self._view(gen).files()
        expr += f" and source == {_quote(source)}" if source is not None else ""
        rows = self.cols.query(
            self.cols.files, expr, ["key", "source", "size", "mtime_ns", "sha256", "docs"]
        )
        return sorted(rows, key=lambda r: str(r["source"]))

    def file_states(self, gen: int) -> dict[str, FileState]:
        return {
            r["source"]: FileState(r["source"], r["size"], r["mtime_ns"], r["sha256"])
            for r in self._files(gen)
        }

    def file_state(self, source: str, gen: int) -> FileState | None:
        rows = self._files(gen, source)
        if not rows:
            return None
        r = rows[0]
        return FileState(r["source"], r["size"], r["mtime_ns"], r["sha256"])

    def chunks_by_id(self, ids: Sequence[int], gen: int) -> dict[int, StoredChunk]:
        rows = self.cols.query_ids(self.cols.chunks, list(ids), self._visible(gen), _CHUNK_FIELDS)
        return {int(r["id"]): _stored(r) for r in rows}

    def chunk_document_fields(
        self, ids: Sequence[int], gen: int
    ) -> dict[int, tuple[str, dict[str, str]]]:
        rows = self.cols.query_ids(
            self.cols.chunks, list(ids), self._visible(gen), ["id", "file_type", "metadata"]
        )
        return {int(r["id"]): (r["file_type"], _metadata_strings(r["metadata"])) for r in rows}

    def chunk_ids_and_hashes(self, gen: int) -> list[tuple[int, str]]:
        rows = self.cols.query(self.cols.chunks, self._visible(gen), ["id", "text_hash"])
        return sorted((int(r["id"]), str(r["text_hash"])) for r in rows)

    def counts(self, gen: int) -> tuple[int, int]:
        docs = sum(_file_counts(r)[0] for r in self._files(gen))
        return docs, self.cols.count(self.cols.chunks, self._visible(gen))

    def first_chunks(
        self, gen: int, source: str | None, fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        """One row per visible document (its first chunk's: ordinal 0), of one file or
        all, in the order the documents were stored."""
        expr = f"ordinal == 0 and {self._visible(gen)}"
        expr += f" and source == {_quote(source)}" if source is not None else ""
        rows = self.cols.query(self.cols.chunks, expr, ["id", "source", "doc_id", *fields])
        return sorted(rows, key=lambda r: (str(r["source"]), int(r["doc_id"]), int(r["id"])))

    def documents(self, gen: int) -> list[tuple[str, str, int]]:
        """(source, key, chunk count) of every visible document."""
        return [
            (r["source"], r["doc_key"], int(r["doc_chunks"]))
            for r in self.first_chunks(gen, None, ["doc_key", "doc_chunks"])
        ]

    def document_infos(self, gen: int, source: str | None = None) -> list[DocumentInfo]:
        rows = self.first_chunks(
            gen, source, ["doc_key", "title", "file_type", "doc_chunks", "doc_pages"]
        )
        return [
            DocumentInfo(
                r["source"],
                r["doc_key"],
                r["title"],
                r["file_type"],
                int(r["doc_chunks"]),
                None if int(r["doc_pages"]) < 0 else int(r["doc_pages"]),
            )
            for r in rows
        ]

    def chunk_ids_where(self, gen: int, expr: str) -> list[int]:
        """Ids of the visible chunks matching `expr` (a file's: `source == ...`)."""
        rows = self.cols.query(self.cols.chunks, f"{expr} and {self._visible(gen)}", ["id"])
        return sorted(int(r["id"]) for r in rows)

    def document_chunks(self, key: str, gen: int) -> list[tuple[int, int, str]]:
        rows = self.cols.query(
            self.cols.chunks,
            f"doc_key == {_quote(key)} and {self._visible(gen)}",
            ["ordinal", "char_start", "char_end", "text"],
        )
        rows.sort(key=lambda r: int(r["ordinal"]))
        return [(int(r["char_start"]), int(r["char_end"]), str(r["text"])) for r in rows]

    def cached_vectors(self, hashes: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        """Dense vectors by text hash, from any chunk row holding that text."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), BATCH):
            part = wanted[start : start + BATCH]
            expr = "text_hash in [" + ",".join(_quote(h) for h in part) + "]"
            if self.cols.count(self.cols.chunks, expr) == 0:
                continue  # see `_Collections.query`
            for r in self.cols.client.query(
                self.cols.chunks, filter=expr, output_fields=["text_hash", "dense"]
            ):
                vec = np.asarray(r["dense"], dtype=np.float32)
                if vec.shape == (dim,):
                    out[str(r["text_hash"])] = vec
        return out


@dataclass(frozen=True)
class MilvusAudit:
    """Where the collections of one generation disagree with each other and with its
    state row: what `verify` reports and `repair` re-syncs."""

    missing: dict[str, int]  # by file: chunks its documents or its row count, no row holds
    orphans: frozenset[int]  # a chunk row of no file, or past its document's chunks
    repeated: frozenset[int]  # one id on several chunk rows
    bad_text: frozenset[int]  # text does not match its text hash
    repeated_sources: frozenset[str]  # one file on several file rows
    damaged_sources: frozenset[str]  # files with any of the above
    stated: tuple[int, int]  # (documents, chunks) the state row says
    counted: tuple[int, int]  # (documents, chunks) the collections hold
    # Chunks (of files not otherwise damaged) whose stored BM25 terms are not what
    # ragkit's analyzer makes of their text, by file; and how many chunks were checked.
    bad_terms: dict[str, frozenset[int]] = field(default_factory=dict)
    terms_checked: int = 0
    analyzer_problem: str = ""  # the terms cannot be checked by this ragkit's analyzer
    # Files whose row's document or chunk count is not what their chunk rows hold.
    miscounted: frozenset[str] = frozenset()

    @property
    def clean(self) -> bool:
        return (
            not (self.damaged_sources or self.orphans or self.bad_terms)
            and self.stated == self.counted
        )

    def problems(self) -> list[str]:
        def some(ids: frozenset[int] | frozenset[str]) -> str:
            shown = sorted(ids, key=str)
            return ", ".join(map(str, shown[:10])) + (" ..." if len(shown) > 10 else "")

        out = []
        if self.missing:
            out.append(
                f"{sum(self.missing.values())} chunks of indexed files have no row "
                f"(in {some(frozenset(self.missing))})"
            )
        if self.orphans:
            out.append(f"{len(self.orphans)} chunk rows belong to no file ({some(self.orphans)})")
        if self.repeated:
            out.append(f"chunk ids on more than one row ({some(self.repeated)})")
        if self.bad_text:
            out.append(f"chunk text does not match its checksum (chunks {some(self.bad_text)})")
        if self.miscounted:
            out.append(
                "files whose row's document or chunk count is not their chunk rows' "
                f"({some(self.miscounted)})"
            )
        if self.bad_terms:
            ids = frozenset(i for part in self.bad_terms.values() for i in part)
            out.append(
                f"{len(ids)} of {self.terms_checked} chunks checked have BM25 terms that are "
                f"not ragkit's analyzer's for their text (chunks {some(ids)})"
            )
        if self.analyzer_problem:
            out.append(self.analyzer_problem)
        if self.repeated_sources:
            out.append(f"files with more than one row ({some(self.repeated_sources)})")
        if self.stated != self.counted:
            out.append(
                f"the state says {self.stated[0]} documents and {self.stated[1]} chunks, the "
                f"collections hold {self.counted[0]} and {self.counted[1]}"
            )
        return out


# `verify` checks the BM25 terms of every chunk up to this many, else of this many chosen
# at random (analysing costs about what indexing's BM25 stage does); `repair` checks all.
TERMS_SAMPLE = 20_000


def _members(
    rows: Sequence[dict[str, Any]], sources: set[str]
) -> tuple[set[int], dict[str, int], set[str], dict[str, tuple[int, int]]]:
    """Chunk rows sorted into documents by their own fields: the surplus rows (of no
    indexed file, or a second row of one document's ordinal, or past its chunk count;
    the lowest id of an ordinal is the one kept), the chunks missing by file, the files
    whose documents' rows disagree on the document, and (documents, chunks) per file."""
    surplus: set[int] = set()
    by_doc: dict[tuple[str, int], dict[int, int]] = {}
    stated: dict[tuple[str, int], set[int]] = {}
    for r in sorted(rows, key=lambda r: int(r["id"])):
        cid, source = int(r["id"]), str(r["source"])
        if source not in sources:
            surplus.add(cid)
            continue
        doc = (source, int(r["doc_id"]))
        ordinal, total = int(r["ordinal"]), int(r["doc_chunks"])
        stated.setdefault(doc, set()).add(total)
        ordinals = by_doc.setdefault(doc, {})
        if ordinal in ordinals or not 0 <= ordinal < total:
            surplus.add(cid)
        else:
            ordinals[ordinal] = cid
    missing: dict[str, int] = {}
    torn: set[str] = set()
    held: dict[str, tuple[int, int]] = {}
    for (source, doc_id), ordinals in by_doc.items():
        totals = stated[(source, doc_id)]
        if len(totals) > 1:
            torn.add(source)
        lost = max(totals) - len(ordinals)
        if lost > 0:
            missing[source] = missing.get(source, 0) + lost
        docs, chunks = held.get(source, (0, 0))
        held[source] = (docs + 1, chunks + len(ordinals))
    return surplus, missing, torn, held


def _audit(
    store: MilvusStore,
    manifest: Manifest,
    analyzer: Analyzer,
    terms_sample: int | None = TERMS_SAMPLE,
) -> MilvusAudit:
    """Read every visible chunk and file row of `manifest`'s generation and check that
    ids, texts and counts agree — each document's rows against its chunk count, each
    file's rows against the counts on its file row — and that the stored BM25 terms (of
    all chunks, or of `terms_sample` of them) are what `analyzer` makes of the stored
    text. Reads the whole collection: a command of its own."""
    gen = manifest.generation
    check_all = terms_sample is None or manifest.counts.chunks <= terms_sample
    fields = ["id", "text", "text_hash", "source", "doc_id", "doc_chunks", "ordinal"]
    fields += ["terms"] if check_all else []
    rows = store.cols.query(store.cols.chunks, store._visible(gen), fields)
    seen = Counter(int(r["id"]) for r in rows)
    files = store._files(gen)
    by_source = Counter(str(f["source"]) for f in files)
    surplus, missing, torn, held = _members(rows, set(by_source))
    source_of = {int(r["id"]): str(r["source"]) for r in rows}
    bad_text = {int(r["id"]) for r in rows if text_hash(str(r["text"])) != r["text_hash"]}
    repeated = {i for i, n in seen.items() if n > 1}
    repeated_sources = {src for src, n in by_source.items() if n > 1}
    # A file whose row counts more documents or chunks than its rows hold lost whole
    # documents (no row is left to say so).
    miscounted = set()
    for f in files:
        source = str(f["source"])
        want, have = _file_counts(f), held.get(source, (0, 0))
        if have[1] < want[1] and source not in missing:
            missing[source] = want[1] - have[1]
        elif want != have and source not in missing:
            miscounted.add(source)
    damaged = {source_of[i] for i in repeated | bad_text if source_of[i] in by_source}
    damaged |= repeated_sources | set(missing) | torn | miscounted
    orphans = surplus - repeated
    bad_terms: dict[str, set[int]] = {}
    checked = 0
    analyzer_problem = ""
    if manifest.analyzer != analyzer.id:
        analyzer_problem = (
            f"the BM25 terms were made by analyzer {manifest.analyzer}, this ragkit's is "
            f"{analyzer.id}: index into a new collection, or migrate the local index again"
        )
    else:
        # Only chunks whose file is otherwise whole: a damaged file is indexed again.
        texts = {
            int(r["id"]): r
            for r in rows
            if int(r["id"]) not in orphans and str(r["source"]) not in damaged
        }
        if not check_all:
            assert terms_sample is not None
            picked = random.sample(sorted(texts), min(terms_sample, len(texts)))
            for r in store.cols.query_ids(
                store.cols.chunks, picked, store._visible(gen), ["id", "terms"]
            ):
                texts[int(r["id"])] = {**texts[int(r["id"])], "terms": r["terms"]}
            texts = {i: texts[i] for i in picked}
        for cid, r in texts.items():
            checked += 1
            if str(r.get("terms", "")) != bm25_terms(analyzer, str(r["text"])):
                bad_terms.setdefault(source_of[cid], set()).add(cid)
    return MilvusAudit(
        missing=missing,
        orphans=frozenset(orphans),
        repeated=frozenset(repeated),
        bad_text=frozenset(bad_text),
        repeated_sources=frozenset(repeated_sources),
        damaged_sources=frozenset(damaged),
        stated=(manifest.counts.documents, manifest.counts.chunks),
        counted=(sum(_file_counts(f)[0] for f in files), len(rows)),
        bad_terms={s: frozenset(ids) for s, ids in bad_terms.items()},
        terms_checked=checked,
        analyzer_problem=analyzer_problem,
        miscounted=frozenset(miscounted),
    )


class MilvusReader:
    """One committed generation of a knowledge base in Milvus, opened for searching."""

    def __init__(self, index_dir: Path, cols: _Collections, manifest: Manifest) -> None:
        self.index_dir = index_dir
        self.cols = cols
        self.manifest = manifest
        self.view = cols.view(manifest.generation)
        self.store = MilvusStore(cols, self.view)
        # A query goes through the analyzer that made the stored terms (`_audit` says
        # when the manifest names another one).
        self._analyzer = Analyzer()

    def query_terms(self, query: str) -> str:
        """What the `sparse` field is searched with for `query`: its analyzer terms,
        space-separated (empty when it has none, e.g. only stop words)."""
        return bm25_terms(self._analyzer, query)

    @classmethod
    def open(cls, index_dir: Path, client: MilvusClient, target: MilvusTarget) -> MilvusReader:
        cols = _Collections(client, target)
        state = cols.state() if cols.exist() else None
        if state is None:
            raise missing_index(index_dir, target)
        return cls(index_dir, cols, state[0])

    @property
    def generation(self) -> int:
        return self.manifest.generation

    def is_stale(self) -> bool:
        state = self.cols.state()
        return state is None or state[0].generation != self.generation

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        return self.store.chunks_by_id(ids, self.generation)

    def verify_store(self) -> list[str]:
        """What is wrong with this generation, as lines (empty: nothing found): each
        document's chunk rows against its chunk count and each file's against its file
        row (missing, orphaned, repeated), every chunk's text against its checksum, the
        stored BM25 terms against the analyzer's (`TERMS_SAMPLE` chunks at most) and the
        state row's counts."""
        return self.audit().problems()

    def audit(self, terms_sample: int | None = TERMS_SAMPLE) -> MilvusAudit:
        """`verify_store`'s findings, with how many chunks' terms were checked."""
        return _audit(self.store, self.manifest, self._analyzer, terms_sample)

    def close(self) -> None:
        """The client belongs to the knowledge base (`MilvusBackend`), which closes it."""

    def engine_search(
        self,
        query: str,
        vector: np.ndarray | None,
        want: int,
        filters: SearchFilter | None,
        *,
        fusion: str,
        dense_weight: float,
        rrf_k: int,
        candidates: int,
    ) -> list[tuple[StoredChunk, float]]:
        """Up to `want` chunks passing `filters`, best first, ranked by Milvus: dense only
        (`query` empty), BM25 only (`vector` None) or both fused. Filters are pushed
        down; what an expression cannot say is checked here, searching deeper."""
        expr, exact = filter_expr(filters)
        if query:
            query = self.query_terms(query)
            if not query and vector is None:
                return []  # BM25 with no term to look up finds nothing, as locally
        visible = self.view.chunks()
        full = f"{visible} and {expr}" if expr else visible
        total = max(self.manifest.counts.chunks, 1)
        depth = want if exact else min(max(want * 4, candidates), total)
        depth = max(depth, want)
        while True:
            ranked = self._ranked(
                query, vector, depth, full, fusion, dense_weight, rrf_k, candidates
            )
            if exact or filters is None:
                return ranked[:want]
            fields = self.store.chunk_document_fields([c.id for c, _ in ranked], self.generation)
            kept = [(c, s) for c, s in ranked if filters.matches(c, fields.get(c.id))]
            if len(kept) >= want or depth >= total:
                return kept[:want]
            depth = min(depth * 4, total, 16_384)

    def _ranked(
        self,
        query: str,
        vector: np.ndarray | None,
        k: int,
        expr: str,
        fusion: str,
        dense_weight: float,
        rrf_k: int,
        candidates: int,
    ) -> list[tuple[StoredChunk, float]]:
        pymilvus = _pymilvus()
        client = self.cols.client
        name = self.cols.chunks
        k = min(k, 16_384)
        dense_req = None
        if vector is not None:
            dense_req = {
                "data": [np.asarray(vector, dtype=np.float32).reshape(-1).tolist()],
                "anns_field": "dense",
                "param": {"metric_type": "IP"},
            }
        sparse_req = {"data": [query], "anns_field": "sparse", "param": {"metric_type": "BM25"}}

        def hits(req: dict[str, Any], limit: int) -> Any:
            """The hits of one request alone (dense or BM25), best first."""
            res = client.search(
                name,
                data=req["data"],
                anns_field=req["anns_field"],
                search_params=req["param"],
                limit=limit,
                filter=expr,
                output_fields=_CHUNK_FIELDS,
            )
            return res[0]

        if dense_req is None or not query.strip():
            req = dense_req if dense_req is not None else sparse_req
            scale = 1.0 if req is dense_req else BM25_SCALE
            return [(_stored(h["entity"]), float(h["distance"]) * scale) for h in hits(req, k)]
        depth = min(max(k, candidates), 16_384)
        if fusion == "rrf":
            reqs = [
                pymilvus.AnnSearchRequest(limit=depth, expr=expr, **r)
                for r in (dense_req, sparse_req)
            ]
            res = client.hybrid_search(
                name, reqs, pymilvus.RRFRanker(rrf_k), limit=k, output_fields=_CHUNK_FIELDS
            )
            return [(_stored(h["entity"]), float(h["distance"])) for h in res[0]]
        chunks: dict[int, StoredChunk] = {}
        lists: list[list[tuple[int, float]]] = []
        for req in (dense_req, sparse_req):
            ranking = []
            for h in hits(req, depth):
                chunk = _stored(h["entity"])
                chunks[chunk.id] = chunk
                ranking.append((chunk.id, float(h["distance"])))
            lists.append(ranking)
        fused = convex_fuse(lists, [dense_weight, 1.0 - dense_weight])[:k]
        return [(chunks[i], s) for i, s in fused]


@dataclass
class _Plan:
    """What one write changes: rows to insert and rows to retire, by collection."""

    chunk_rows: list[dict[str, Any]] = field(default_factory=list)
    file_rows: list[dict[str, Any]] = field(default_factory=list)
    retire_chunks: list[int] = field(default_factory=list)  # one by one (repair)
    retire_files: list[str] = field(default_factory=list)  # file row keys
    retire_docs: list[int] = field(default_factory=list)  # doc_ids: all their chunk rows
    retire_sources: list[str] = field(default_factory=list)  # all of a file's chunk rows
    # Rows of kept documents copied into the new generation, vectors and terms as stored.
    copied_rows: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    @property
    def empty(self) -> bool:
        return not (
            self.chunk_rows
            or self.copied_rows
            or self.file_rows
            or self.retire_chunks
            or self.retire_files
            or self.retire_docs
            or self.retire_sources
        )


class _ServerLock:
    """One writer at a time per knowledge base on a Milvus server, which has no lock or
    compare-and-set: a claim row in the meta collection (`lock:<owner>:<n>`, valued with
    its expiry), taken by retreat. A writer that sees no live claim of another inserts its
    own and looks again; seeing another one then, it deletes its own and retries after a
    random pause. Reads are `Strong` (they see every write acknowledged before them), so
    of two writers whose claims overlap at least one sees the other's: both may retreat,
    never both go on. A thread renews the claim (a new row, then the old one deleted)
    every sixth of the lease; a claim past its expiry is a killed writer's and is deleted
    by whoever finds it. Writers' clocks are trusted to agree well within the lease."""

    def __init__(
        self,
        cols: _Collections,
        wait: bool,
        on_wait: Callable[[str], None] | None,
        lease_s: float,
    ) -> None:
        self.cols = cols
        self.wait = wait
        self.on_wait = on_wait
        self.lease_s = lease_s
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._seq = 0
        self._key = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _claim(self) -> str:
        self._seq += 1
        key = f"lock:{self.owner}:{self._seq:010d}"
        value = json.dumps({"owner": self.owner, "expires": time.time() + self.lease_s})
        self.cols.client.insert(
            self.cols.meta, [{"key": key, "value": value, "v": [0.0] * DUMMY_DIM}]
        )
        return key

    def others(self) -> list[str]:
        """Owners of other writers' live claims; expired claims are deleted."""
        rows = self.cols.client.query(
            self.cols.meta, filter='key like "lock:%"', output_fields=["key", "value"]
        )
        now = time.time()
        live: list[str] = []
        expired: list[str] = []
        for r in rows:
            try:
                claim = json.loads(r["value"])
                owner, expires = str(claim["owner"]), float(claim["expires"])
            except (ValueError, KeyError, TypeError):
                expired.append(str(r["key"]))  # unreadable: nobody can renew it
                continue
            if owner == self.owner:
                continue
            if expires > now:
                live.append(owner)
            else:
                expired.append(str(r["key"]))
        self.cols.delete_keys(self.cols.meta, expired)
        return sorted(set(live))

    def __enter__(self) -> _ServerLock:
        told = False
        while True:
            if not self.others():
                key = self._claim()
                if not self.others():
                    self._key = key
                    break
                self.cols.delete_keys(self.cols.meta, [key])  # both saw each other
            if not self.wait:
                raise IndexBusyError(
                    f"index {self.cols.target.label} is being written by another process; "
                    "wait for it to finish and try again"
                )
            if not told and self.on_wait is not None:
                self.on_wait(
                    f"index {self.cols.target.label} is being written by another process; "
                    "waiting for it to finish (--no-wait fails at once instead)"
                )
                told = True
            time.sleep(random.uniform(0.2, 1.0))
        self._thread = threading.Thread(target=self._renew, name="ragkit-milvus-lock")
        self._thread.daemon = True
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_s / 6):
            try:
                key = self._claim()
                old, self._key = self._key, key
                self.cols.delete_keys(self.cols.meta, [old])
            except Exception:
                pass  # the next beat tries again; `check` before the commit catches a loss

    def check(self, base: int) -> None:
        """Raise unless this writer still holds the claim and the committed generation
        is still `base`, the one it builds on (before inserting and before committing)."""
        state = self.cols.state()
        if self.others() or (state[0].generation if state is not None else 0) != base:
            raise RagkitError(
                f"index {self.cols.target.label}: this writer's claim expired and another "
                "writer took over; nothing of this run was committed, run it again"
            )

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            mine = [
                str(r["key"])
                for r in self.cols.client.query(
                    self.cols.meta,
                    filter=f'key like "lock:{self.owner}:%"',
                    output_fields=["key"],
                )
            ]
            self.cols.delete_keys(self.cols.meta, mine)
        except Exception:
            pass  # Milvus unreachable: the claim expires with its lease; keep the real error


class MilvusWriter(Writer):
    """Adds files to, or removes them from, a knowledge base in Milvus; one generation per
    call, committed by the meta row. Writers of a local `.db` file take the lock file next
    to it; writers against a server a claim row with a lease (`_ServerLock`)."""

    def __init__(
        self,
        index_dir: Path,
        client: MilvusClient,
        target: MilvusTarget,
        embedder: Embedder,
        chunker: Chunker,
        analyzer: Analyzer,
        loader_options: LoaderOptions,
        wait: bool = True,
    ) -> None:
        super().__init__(index_dir, embedder, chunker, analyzer, loader_options, wait)
        self.cols = _Collections(client, target)
        self.target = target
        self._lock: _ServerLock | None = None

    # --- public ----------------------------------------------------------------------
    def _add(self, paths: Sequence[Path], prog: IndexProgress) -> tuple[list[FileOutcome], int]:
        with self._session(prog) as (base, next_id):
            plan = _Plan(next_id=next_id)
            outcomes = self._add_files(base, paths, plan, prog)
            if not plan.empty:
                self._embed_rows(plan.chunk_rows, prog)
                self._commit(base, plan, prog)
        return outcomes, len(plan.chunk_rows)

    def remove(self, paths: Sequence[Path], progress: IndexProgress | None = None) -> list[str]:
        prog = progress or NoProgress()
        with self._session(prog) as (base, next_id):
            gone = covered(self.store.file_states(base.generation), paths)
            if gone:
                plan = _Plan(next_id=next_id)
                for source in gone:
                    self._retire_source(source, base.generation, plan)
                self._commit(base, plan, prog)
        return gone

    def repair(self, progress: IndexProgress | None = None) -> int:
        """Re-sync the collections with each other as one new generation: chunk rows no
        file lists are retired; a file with a missing, repeated or damaged chunk row is
        retired and indexed again from disk (vectors reused by text hash; a file gone
        from disk stays out); chunks whose BM25 terms are not the analyzer's (all are
        checked) get new rows made from their stored text, terms analysed again (the
        file need not be on disk, nothing is embedded); the state row is rewritten with
        the counts the collections hold. Returns the chunk count; with nothing wrong,
        commits nothing."""
        prog = progress or NoProgress()
        with self._session(prog) as (base, next_id):
            audit = _audit(self.store, base, self.analyzer, terms_sample=None)
            if audit.clean:
                return audit.counted[1]
            plan = _Plan(next_id=next_id)
            plan.retire_chunks.extend(sorted(audit.orphans))
            gen = base.generation
            ingest = self._ingest(analyzed=False)
            with BoundedLoader(self.loader_options) as loader:
                for source in sorted(audit.damaged_sources):
                    self._retire_source(source, gen, plan)
                    path = Path(source)
                    if path.is_file():
                        prepared = ingest.prepare(Request(path, source, None), loader)
                        prog.file_done(self._store_file(prepared, None, gen, plan))
            if plan.chunk_rows:
                self._embed_rows(plan.chunk_rows, prog)
            for source, ids in sorted(audit.bad_terms.items()):
                self._reanalyse(source, ids, gen, plan)
            self._commit(base, plan, prog)
            return MilvusStore(self.cols, self.cols.view(gen + 1)).counts(gen + 1)[1]

    def _reanalyse(self, source: str, ids: frozenset[int], gen: int, plan: _Plan) -> None:
        """Plan new rows for the chunks `ids` of `source` with their terms analysed again
        from the stored text, vector and fields (their document's too) kept, under new
        ids (a tombstone hides an id for good); the file row stays as it is. Past
        `MAX_DOC_TOMBSTONES` chunks, every row of the file is remade (the others copied
        as stored) under one tombstone for the file, not one per chunk."""
        if len(ids) > MAX_DOC_TOMBSTONES:
            retired = set(plan.retire_chunks)  # orphans, retired on their own
            fields = [*_CHUNK_FIELDS, *_DOC_FIELDS, "terms", "dense"]
            expr = f"source == {_quote(source)} and {self.store._visible(gen)}"
            for row in sorted(
                self.cols.query(self.cols.chunks, expr, fields), key=lambda r: int(r["id"])
            ):
                if int(row["id"]) in retired:
                    continue
                fixed = {**row, "id": plan.next_id, "gen": gen + 1}
                if int(row["id"]) in ids:
                    fixed["terms"] = bm25_terms(self.analyzer, str(row["text"]))
                fixed["dense"] = np.asarray(row["dense"], dtype=np.float32).tolist()
                plan.chunk_rows.append(fixed)
                plan.next_id += 1
            plan.retire_sources.append(source)
            return
        rows = self.cols.query_ids(
            self.cols.chunks,
            sorted(ids),
            self.store._visible(gen),
            [*_CHUNK_FIELDS, *_DOC_FIELDS, "dense"],
        )
        for row in sorted(rows, key=lambda r: int(r["id"])):
            fixed = {**row, "id": plan.next_id, "gen": gen + 1}
            fixed["terms"] = bm25_terms(self.analyzer, str(row["text"]))
            fixed["dense"] = np.asarray(row["dense"], dtype=np.float32).tolist()
            plan.chunk_rows.append(fixed)
            plan.retire_chunks.append(int(row["id"]))
            plan.next_id += 1

    # --- session ---------------------------------------------------------------------
    @contextmanager
    def _session(self, prog: IndexProgress) -> Iterator[tuple[Manifest, int]]:
        if self.target.is_local:
            lock_dir = Path(self.target.uri).expanduser().resolve().parent
            lock_dir.mkdir(parents=True, exist_ok=True)
            with WriteLock(lock_dir, wait=self.wait, on_wait=prog.waiting):
                yield self._begin()
            return
        self._create_shared()
        with _ServerLock(
            self.cols, self.wait, prog.waiting, self.target.lock_lease_s
        ) as self._lock:
            try:
                yield self._begin()
            finally:
                self._lock = None

    def _create_shared(self) -> None:
        """Create the collections, or wait for them to be loaded: on a first write two
        writers may create them at once, and one can see a collection the other is
        still indexing and loading (before any claim can be taken)."""
        deadline = time.monotonic() + 120
        while True:
            try:
                self.cols.create(self.embedder.dim)
                names = (self.cols.chunks, self.cols.files, self.cols.meta)
                if all(str(self.cols.client.get_load_state(n)["state"]) == "Loaded" for n in names):
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise IndexNotFoundError(
                    f"the collections of index {self.target.label} exist but are not loaded;"
                    " load them in Milvus, or drop them and index again"
                )
            time.sleep(0.5)

    def _begin(self) -> tuple[Manifest, int]:
        """The committed state to build on, after deleting a killed writer's leftovers
        and finishing an interrupted clean-up."""
        self.cols.create(self.embedder.dim)
        state = self.cols.state()
        base = self._check(state[0]) if state is not None else self._fresh_manifest()
        next_id = state[1] if state is not None else 1
        gen = base.generation
        for name in (self.cols.chunks, self.cols.files):
            self.cols.client.delete(name, filter=f"gen > {gen}")
        stray = [k for k, g in self.cols.tombstones() if g > gen]
        self.cols.delete_keys(self.cols.meta, stray)
        self._purge(gen)
        self.store = MilvusStore(self.cols, self.cols.view(gen))
        return base, next_id

    def _purge(self, gen: int) -> None:
        """Delete the rows tombstoned before `gen` (no reader of `gen` or later sees
        them), then their tombstones, then the state rows older than `gen`."""
        old = [(k, g) for k, g in self.cols.tombstones() if g < gen]
        named = [(*_tombstone(k), g) for k, g in old]
        chunk_ids = [int(ref) for kind, ref, _ in named if kind == "rc"]
        file_keys = [ref for kind, ref, _ in named if kind == "rf"]
        for start in range(0, len(chunk_ids), BATCH):
            self.cols.client.delete(
                self.cols.chunks, filter=_ids_expr(chunk_ids[start : start + BATCH])
            )
        # Whole documents and files: one delete per batch of them, however many chunks.
        docs = [(g, int(ref)) for kind, ref, g in named if kind == "rd"]
        for tomb_gen, doc_ids in _by_gen(docs):
            for start in range(0, len(doc_ids), BATCH):
                part = ",".join(map(str, doc_ids[start : start + BATCH]))
                self.cols.client.delete(
                    self.cols.chunks, filter=f"gen < {tomb_gen} and doc_id in [{part}]"
                )
        sources = [(g, ref) for kind, ref, g in named if kind == "rs"]
        for tomb_gen, names in _by_gen(sources):
            for start in range(0, len(names), BATCH):
                part = ",".join(_quote(n) for n in names[start : start + BATCH])
                self.cols.client.delete(
                    self.cols.chunks, filter=f"gen < {tomb_gen} and source in [{part}]"
                )
        self.cols.delete_keys(self.cols.files, file_keys)
        self.cols.delete_keys(self.cols.meta, [k for k, _ in old])
        self.cols.delete_keys(
            self.cols.meta, [k for k in self.cols.states() if k < _state_key(gen)]
        )

    def _check(self, manifest: Manifest) -> Manifest:
        e = manifest.embedder
        if (e.id, e.dim) != (self.embedder.id, self.embedder.dim):
            raise embedder_mismatch(self.target.label, manifest, self.embedder.id)
        if manifest.chunker != chunker_info(self.chunker) or manifest.analyzer != self.analyzer.id:
            raise mismatch(self.target.label, manifest)
        return manifest

    def _fresh_manifest(self) -> Manifest:
        return fresh_manifest(self.embedder, self.chunker, self.analyzer.id)

    # --- planning --------------------------------------------------------------------
    def _add_files(
        self, base: Manifest, paths: Sequence[Path], plan: _Plan, prog: IndexProgress
    ) -> list[FileOutcome]:
        rows = {r["source"]: r for r in self.store._files(base.generation)}
        known = {s: FileState(s, r["size"], r["mtime_ns"], r["sha256"]) for s, r in rows.items()}
        # Each row's BM25 terms are analysed as the row is made (`_chunk_row`).
        return self._ingest(analyzed=False).run(
            paths,
            known,
            prog,
            lambda p: self._store_file(p, rows.get(p.source), base.generation, plan),
            lambda source: self._retire_source(source, base.generation, plan),
        )

    def _store_file(
        self, prepared: Prepared, known: dict[str, Any] | None, gen: int, plan: _Plan
    ) -> FileOutcome:
        """Plan one prepared file's rows for generation `gen + 1`."""
        if prepared.outcome is not None:
            return prepared.outcome
        source, state = prepared.source, prepared.state
        assert state is not None
        new_gen = gen + 1
        # Documents whose key and content are unchanged keep their chunk rows: the stored
        # ones, one row per document (its first chunk's), by key and content hash.
        kept: dict[tuple[str, str], list[dict[str, Any]]] = {}
        if known is not None:
            for r in self.store.first_chunks(gen, source, ["doc_key", "doc_hash", "doc_chunks"]):
                kept.setdefault((str(r["doc_key"]), str(r["doc_hash"])), []).append(r)
        documents = chunk_count = added = changed = 0
        kept_ids: set[int] = set()
        for doc, chunks in prepared.docs:
            if not chunks:
                continue  # no chunk row to carry it (see the module docstring)
            documents += 1
            same = kept.get((doc.key, document_hash(doc)))
            if same:
                row = same.pop(0)
                kept_ids.add(int(row["doc_id"]))
                chunk_count += int(row["doc_chunks"])
                continue
            changed += 1
            info = _doc_fields(plan.next_id, doc, chunks)
            for chunk in chunks:
                plan.chunk_rows.append(self._chunk_row(plan.next_id, doc, chunk, new_gen, info))
                plan.next_id += 1
                added += 1
            chunk_count += len(chunks)
        gone = [int(r["doc_id"]) for rs in kept.values() for r in rs]
        if known is not None and (not kept_ids or len(gone) > MAX_DOC_TOMBSTONES):
            # One tombstone for all the file's rows, however many; what it keeps is copied.
            self._copy_documents(source, kept_ids, gen, plan)
            plan.retire_sources.append(source)
        else:
            plan.retire_docs.extend(gone)  # one tombstone per replaced document
        if known is not None:
            plan.retire_files.append(str(known["key"]))
        plan.file_rows.append(
            _file_row(new_gen, source, state, documents, chunk_count),
        )
        return prepared.indexed(added, changed, len(gone))

    def _copy_documents(self, source: str, doc_ids: set[int], gen: int, plan: _Plan) -> None:
        """Plan copies of the chunk rows of `source`'s documents `doc_ids` for generation
        `gen + 1`: text, terms, vector and document fields as stored (nothing embedded
        or analysed), under new ids (a citation of an old id no longer resolves)."""
        if not doc_ids:
            return
        fields = [*_CHUNK_FIELDS, *_DOC_FIELDS, "terms", "dense"]
        expr = f"source == {_quote(source)} and {self.store._visible(gen)}"
        rows = self.cols.query(self.cols.chunks, expr, fields)
        for row in sorted(rows, key=lambda r: int(r["id"])):
            if int(row["doc_id"]) not in doc_ids:
                continue
            copy = {**row, "id": plan.next_id, "gen": gen + 1}
            copy["dense"] = np.asarray(row["dense"], dtype=np.float32).tolist()
            plan.copied_rows.append(copy)
            plan.next_id += 1

    def _chunk_row(
        self, chunk_id: int, doc: Document, chunk: Chunk, gen: int, info: _DocFields
    ) -> dict[str, Any]:
        return _chunk_row(chunk_id, doc, chunk, gen, self.analyzer, info)

    def _retire_source(self, source: str, gen: int, plan: _Plan) -> None:
        for r in self.store._files(gen, source):
            plan.retire_files.append(str(r["key"]))
        plan.retire_sources.append(source)

    def _embed_rows(self, rows: list[dict[str, Any]], prog: IndexProgress) -> None:
        """Give every row its dense vector: from a row of the same text, else embedded."""
        hashes = [r["text_hash"] for r in rows]
        cached = self.store.cached_vectors(hashes, self.embedder.dim)
        texts = [r["text"] for r in rows]
        for done, vectors in self._embed_missing(hashes, texts, cached, BATCH, prog):
            for h, v in zip(done, vectors, strict=True):
                cached[h] = np.asarray(v, dtype=np.float32)
        for r in rows:
            r["dense"] = cached[r["text_hash"]].tolist()

    # --- commit ----------------------------------------------------------------------
    def _commit(self, base: Manifest, plan: _Plan, prog: IndexProgress) -> None:
        client = self.cols.client
        new_gen = base.generation + 1
        if self._lock is not None:
            self._lock.check(base.generation)
        prog.stage("vectors")
        rows = plan.chunk_rows + plan.copied_rows
        for start in range(0, len(rows), BATCH):
            client.insert(self.cols.chunks, rows[start : start + BATCH])
        if plan.file_rows:
            client.insert(self.cols.files, plan.file_rows)
        # Replaced rows stay visible to generation `base`; the tombstones hide them from
        # `new_gen` on, once the state row names it.
        tombs = [f"rc:{i}" for i in plan.retire_chunks] + [f"rf:{k}" for k in plan.retire_files]
        tombs += [f"rd:{d}" for d in dict.fromkeys(plan.retire_docs)]
        tombs += [f"rs:{new_gen}:{s}" for s in dict.fromkeys(plan.retire_sources)]
        for start in range(0, len(tombs), BATCH):
            client.insert(
                self.cols.meta,
                [
                    {"key": k, "value": str(new_gen), "v": [0.0] * DUMMY_DIM}
                    for k in tombs[start : start + BATCH]
                ],
            )
        prog.stage("commit")
        counts = MilvusStore(self.cols, self.cols.view(new_gen)).counts(new_gen)
        manifest = next_generation(base, counts)
        if self._lock is not None:
            self._lock.check(base.generation)
        _write_state(client, self.cols.meta, manifest, plan.next_id)  # the commit point
        self._purge(new_gen)


def _file_row(
    gen: int, source: str, state: FileState, documents: int, chunks: int
) -> dict[str, Any]:
    return {
        "key": f"{gen}:{source}",
        "source": source,
        "size": state.size,
        "mtime_ns": state.mtime_ns,
        "sha256": state.sha256,
        "docs": {"documents": documents, "chunks": chunks},
        "gen": gen,
        "v": [0.0] * DUMMY_DIM,
    }


def _state_key(gen: int) -> str:
    return f"state:{gen:012d}"


def _write_state(client: MilvusClient, meta: str, manifest: Manifest, next_id: int) -> None:
    """Commit `manifest`: insert (never upsert: see the module docstring) its state row."""
    value = json.dumps(
        {
            "manifest": manifest.model_dump(mode="json"),
            "next_id": next_id,
            "schema": SCHEMA_VERSION,
        }
    )
    client.insert(
        meta, [{"key": _state_key(manifest.generation), "value": value, "v": [0.0] * DUMMY_DIM}]
    )


class MilvusBackend:
    """The Milvus side of one knowledge base: its target and one client, opened on first
    use and closed with the knowledge base."""

    def __init__(self, target: MilvusTarget) -> None:
        self.target = target
        self._client: MilvusClient | None = None

    def client(self) -> MilvusClient:
        if self._client is None:
            self._client = connect(self.target)
        return self._client

    def exists(self) -> bool:
        if self.target.is_local and not Path(self.target.uri).expanduser().exists():
            return False
        cols = _Collections(self.client(), self.target)
        return cols.exist() and cols.state() is not None

    def reader(self, index_dir: Path) -> MilvusReader:
        if self.target.is_local and not Path(self.target.uri).expanduser().exists():
            # Opening would create the file: a search must not leave one behind.
            raise missing_index(index_dir, self.target)
        return MilvusReader.open(index_dir, self.client(), self.target)

    def writer(
        self,
        index_dir: Path,
        embedder: Embedder,
        chunker: Chunker,
        analyzer: Analyzer,
        loader_options: LoaderOptions,
        wait: bool = True,
    ) -> MilvusWriter:
        return MilvusWriter(
            index_dir, self.client(), self.target, embedder, chunker, analyzer, loader_options, wait
        )

    def drop(self) -> None:
        """Delete the knowledge base's collections (tests, `migrate` into a fresh one)."""
        cols = _Collections(self.client(), self.target)
        for name in (cols.chunks, cols.files, cols.meta):
            if cols.client.has_collection(name):
                cols.client.drop_collection(name)

    def close(self) -> None:
        """Close the client and, for a `.db` file, stop this process's milvus-lite on it,
        so that another process can open the file."""
        if self._client is None:
            return
        client, self._client = self._client, None
        try:
            client.close()
        except Exception:
            pass
        if self.target.is_local:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(str(Path(self.target.uri).expanduser()))


@dataclass(frozen=True)
class MigrateReport:
    """What `migrate` copied, counted again in Milvus after the commit."""

    documents: int
    chunks: int
    files: int


def migrate(
    index_dir: Path, backend: MilvusBackend, progress: IndexProgress | None = None
) -> MigrateReport:
    """Copy the local index in `index_dir` into `backend`'s (new, empty) collections as
    generation 1: chunk rows with their vectors from the local embedding cache — nothing
    is embedded — and chunk ids kept, so citations stay valid. The state row is written
    last; the copy's counts are checked against the local index before it returns."""
    from ragkit.index.peek import open_catalog

    prog = progress or NoProgress()
    catalog = open_catalog(index_dir)
    try:
        return _copy(catalog.manifest, catalog.store, backend, prog)
    finally:
        catalog.close()


def _copy(
    local: Manifest, store: Store, backend: MilvusBackend, prog: IndexProgress
) -> MigrateReport:
    conn = store.conn
    target = backend.target
    cols = _Collections(backend.client(), target)
    found = cols.layout_version()
    if found is not None and found > SCHEMA_VERSION:
        raise cols.schema_error(found)
    if found is not None and found < READS_SCHEMAS[0]:
        backend.drop()  # an older ragkit's copy, which this one cannot read: replaced
    elif cols.exist() and cols.state() is not None:
        raise RagkitError(
            f"index {target.label} already exists; migrate into a new collection "
            "(another index name) or drop it first"
        )
    gen, dim = local.generation, local.embedder.dim
    analyzer = Analyzer()  # the terms are analysed again here; the manifest names this one
    if gen == 0:
        raise IndexNotFoundError(f"index {index_label(local)} holds no documents to migrate")
    cols.create(dim)
    for name in (cols.chunks, cols.files, cols.meta):  # an earlier, interrupted copy
        cols.client.delete(name, filter='key != ""' if name == cols.meta else "gen >= 0")
    visible = "{t}.added_gen <= :gen AND ({t}.removed_gen IS NULL OR {t}.removed_gen > :gen)"
    per_source: dict[str, tuple[int, int]] = {}  # (documents, chunks) of each file
    doc_rows = conn.execute(
        "SELECT d.id, d.key, d.source, d.title, d.file_type, d.content_hash, d.metadata "
        "FROM documents d WHERE " + visible.format(t="d") + " ORDER BY d.source, d.id",
        {"gen": gen},
    ).fetchall()
    chunk_sql = (
        "SELECT c.id, c.ordinal, c.text, c.text_hash, c.page_start, c.page_end, c.char_start,"
        " c.char_end FROM chunks c WHERE c.doc_id = :doc AND "
        + visible.format(t="c")
        + " ORDER BY c.ordinal"
    )
    prog.files_found(len({r[2] for r in doc_rows}))
    pending: list[dict[str, Any]] = []
    max_id = 0
    copied = 0

    def flush() -> None:
        nonlocal pending, copied
        if not pending:
            return
        vectors = store.cached_vectors([r["text_hash"] for r in pending], dim)
        for row in pending:
            vec = vectors.get(row["text_hash"])
            if vec is None:
                raise IndexCorruptError(
                    f"index {index_label(local)} has no cached vector for chunk {row['id']}; "
                    "index the files into Milvus instead (they are embedded then)"
                )
            row["dense"] = vec.tolist()
        for start in range(0, len(pending), BATCH):
            cols.client.insert(cols.chunks, pending[start : start + BATCH])
        copied += len(pending)
        prog.embedded(len(pending))
        pending = []

    prog.embedding(local.counts.chunks)
    for doc_id, key, source, title, file_type, content_hash, metadata_json in doc_rows:
        try:
            metadata = json.loads(metadata_json) if metadata_json else {}
        except ValueError:
            metadata = {}
        doc = Document(
            source=source,
            key=key,
            pages=(),
            title=title,
            file_type=file_type,
            metadata=metadata if isinstance(metadata, dict) else {},
        )
        found_chunks = conn.execute(chunk_sql, {"doc": doc_id, "gen": gen}).fetchall()
        if not found_chunks:
            continue  # no chunk row to carry it (see the module docstring)
        pages = [p_end for *_, p_end, _c_start, _c_end in found_chunks if p_end is not None]
        info = _DocFields(
            int(found_chunks[0][0]), content_hash, len(found_chunks), max(pages) if pages else None
        )
        for cid, ordinal, text, h, p_start, p_end, c_start, c_end in found_chunks:
            chunk = Chunk(text, key, ordinal, c_start, c_end, p_start, p_end)
            row = _chunk_row(cid, doc, chunk, 1, analyzer, info)
            row["text_hash"] = h
            pending.append(row)
            max_id = max(max_id, cid)
        if len(pending) >= BATCH:
            flush()
        held = per_source.get(source, (0, 0))
        per_source[source] = (held[0] + 1, held[1] + len(found_chunks))
    flush()
    file_rows = []
    for source, size, mtime_ns, sha in conn.execute(
        "SELECT f.source, f.size, f.mtime_ns, f.sha256 FROM files f WHERE " + visible.format(t="f"),
        {"gen": gen},
    ):
        documents, chunk_count = per_source.get(source, (0, 0))
        file_rows.append(
            _file_row(1, source, FileState(source, size, mtime_ns, sha), documents, chunk_count)
        )
        prog.file_done(FileOutcome(source, "indexed", "copied", documents))
    for start in range(0, len(file_rows), BATCH):
        cols.client.insert(cols.files, file_rows[start : start + BATCH])
    docs, chunks = MilvusStore(cols, _View(1)).counts(1)
    if (docs, chunks) != (local.counts.documents, local.counts.chunks) or chunks != copied:
        raise IndexCorruptError(
            f"copy into {target.label} holds {docs} documents and {chunks} chunks, the local "
            f"index {local.counts.documents} and {local.counts.chunks}; nothing was committed — "
            "run migrate again"
        )
    prog.stage("commit")
    manifest = local.model_copy(
        update={
            "generation": 1,
            "updated": now_iso(),
            "ragkit_version": __version__,
            "analyzer": analyzer.id,
            "files": {},
        }
    )
    _write_state(cols.client, cols.meta, manifest, max_id + 1)
    return MigrateReport(docs, chunks, len(file_rows))


def index_label(manifest: Manifest) -> str:
    return f"(generation {manifest.generation}, {manifest.counts.chunks} chunks)"


AnyReader = IndexReader | MilvusReader
"""An opened knowledge base of either backend: what `KnowledgeBase.reader` returns."""
AnyWriter = IndexWriter | MilvusWriter
