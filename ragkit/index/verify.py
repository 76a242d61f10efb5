"""Consistency checks of one opened generation: do its parts agree with each other?

`problems` compares the manifest's counts, the SQLite rows visible at the generation,
the vector count and BM25 rows, and (with `files=True`) the chunk ids of the live vectors
and of the live rows of the BM25 segments. `uncommitted`
counts what a writer prepared beyond a generation and never committed. Crash tests and
benchmarks use these; they leave out repairing anything (see `IndexWriter.repair`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ragkit.index.engine import IndexReader
from ragkit.index.store import STORE

# (source, ordinal, text) of every visible chunk, sorted: what a generation shows.
State = tuple[tuple[str, int, str], ...]


def visible_state(reader: IndexReader) -> State:
    ids = [i for i, _ in reader.store.chunk_ids_and_hashes(reader.generation)]
    chunks = reader.chunks(ids)
    return tuple(sorted((c.source, c.ordinal, c.text) for c in chunks.values()))


def problems(reader: IndexReader, files: bool = True) -> list[str]:
    """What disagrees within the reader's generation; empty when it is consistent.
    `files` also reads the ids inside the generation's files, which only works while no
    writer may delete them."""
    m = reader.manifest
    out: list[str] = []
    ids = sorted(i for i, _ in reader.store.chunk_ids_and_hashes(m.generation))
    chunks = reader.chunks(ids)
    if len(chunks) != len(ids):
        out.append(f"{len(ids) - len(chunks)} chunk rows without their document")
    if reader.store.counts(m.generation) != (m.counts.documents, m.counts.chunks):
        out.append(
            f"manifest counts {m.counts.documents}/{m.counts.chunks} != SQLite "
            f"{reader.store.counts(m.generation)}"
        )
    sizes = (len(ids), m.counts.chunks, len(reader.vectors), len(reader.bm25))
    if len(set(sizes)) != 1:
        out.append("chunks {}, manifest {}, vectors {}, bm25 {}".format(*sizes))
    if files and m.generation > 0:
        if reader.vectors.chunk_ids().tolist() != ids:
            out.append("FAISS ids != visible chunk ids")
        if reader.bm25.chunk_ids().tolist() != ids:
            out.append("BM25 rows != visible chunk ids")
    return out


def uncommitted(index_dir: Path, generation: int) -> tuple[int, int]:
    """(rows, generation folders) prepared beyond `generation` and never committed."""
    conn = sqlite3.connect(f"file:{index_dir / STORE}?mode=ro", uri=True)
    try:
        rows = sum(
            conn.execute(
                f"SELECT count(*) FROM {table} WHERE added_gen > ? OR removed_gen > ?",
                (generation, generation),
            ).fetchone()[0]
            for table in ("files", "documents", "chunks")
        )
    finally:
        conn.close()
    folders = [p for p in index_dir.glob("gen-*") if int(p.name.removeprefix("gen-")) > generation]
    return rows, len(folders)
