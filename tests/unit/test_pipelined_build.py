"""Pipelined and checkpointed builds.

Files prepared in the worker process give the same index as files prepared in-process,
bad files included; a long `add` commits checkpoint generations that readers see as
consistent states; a build killed after a checkpoint keeps it, and the next run carries
on without duplicating or losing a chunk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ceilings import HANG_S

from ragkit import HashingEmbedder
from ragkit.index.engine import PIPELINE_MIN_FILES, IndexReader, IndexWriter
from ragkit.index.manifest import read_manifest
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.ingest.loaders import LoaderOptions
from ragkit.text.analysis import Analyzer

ROOT = Path(__file__).resolve().parents[2]
FILES = PIPELINE_MIN_FILES + 8


def _corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(FILES):
        body = " ".join(f"word{i}x{j} about topic {i}" for j in range(40))
        (root / f"doc{i:03d}.md").write_text(f"# Doc {i}\n\n{body}\n", encoding="utf-8")
    (root / "empty.txt").write_text("   \n", encoding="utf-8")  # no text: one failed line
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")  # parser error
    (root / "notes.xyz").write_text("unsupported", encoding="utf-8")
    return root


def _writer(index: Path, **kwargs: object) -> IndexWriter:
    return IndexWriter(
        index,
        HashingEmbedder(dim=32),
        Chunker(ChunkerParams(chunk_size=200, chunk_overlap=20)),
        Analyzer(),
        LoaderOptions(),
        **kwargs,  # type: ignore[arg-type]
    )


def _rows(index: Path) -> list[tuple[str, str]]:
    """(document key, chunk text) of every chunk the committed generation shows."""
    reader = IndexReader.open(index)
    try:
        gen = reader.generation
        rows = reader.store.conn.execute(
            "SELECT d.key, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "WHERE c.added_gen <= ? AND (c.removed_gen IS NULL OR c.removed_gen > ?)",
            (gen, gen),
        ).fetchall()
        assert len(reader.bm25) == len(reader.vectors) == len(rows)
        return sorted((Path(k).name, t) for k, t in rows)
    finally:
        reader.close()


def test_worker_and_in_process_preparation_give_the_same_index(tmp_path: Path) -> None:
    docs = _corpus(tmp_path / "docs")
    piped = _writer(tmp_path / "a", pipeline=True).add([docs])
    plain = _writer(tmp_path / "b", pipeline=False).add([docs])

    def summary(report: object) -> list[tuple[str, str, int]]:
        files = report.files  # type: ignore[attr-defined]
        return sorted((Path(f.path).name, f.status, f.chunks) for f in files)

    assert summary(piped) == summary(plain)
    statuses = {name: status for name, status, _ in summary(piped)}
    assert statuses["empty.txt"] == "failed" and statuses["broken.pdf"] == "failed"
    assert statuses["notes.xyz"] == "skipped"
    assert sum(s == "indexed" for s in statuses.values()) == FILES
    assert _rows(tmp_path / "a") == _rows(tmp_path / "b")
    # Unchanged on a second run, through the worker too.
    again = _writer(tmp_path / "a", pipeline=True).add([docs])
    assert {f.status for f in again.files if f.path.endswith(".md")} == {"unchanged"}


def test_checkpoints_commit_generations_with_every_chunk_once(tmp_path: Path) -> None:
    docs = _corpus(tmp_path / "docs")
    report = _writer(tmp_path / "ix", checkpoint_chunks=10).add([docs])
    manifest = read_manifest(tmp_path / "ix")
    assert manifest.generation > 3  # several checkpoints, then the final commit
    rows = _rows(tmp_path / "ix")
    assert len(rows) == len(set(rows)) == report.chunks_added == manifest.counts.chunks
    plain = tmp_path / "plain"
    _writer(plain, pipeline=False).add([docs])
    assert rows == _rows(plain)


SLOW_BUILD = """
import sys, time
from pathlib import Path
from ragkit import HashingEmbedder
from ragkit.text.analysis import Analyzer
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.index.engine import IndexWriter
from ragkit.ingest.loaders import LoaderOptions

class Slow(HashingEmbedder):
    def embed_batch(self, texts):
        time.sleep(0.05)
        return super().embed_batch(texts)

writer = IndexWriter(
    Path(sys.argv[1]), Slow(dim=32, batch_size=4),
    Chunker(ChunkerParams(chunk_size=200, chunk_overlap=20)), Analyzer(), LoaderOptions(),
    checkpoint_chunks=10,
)
writer.add([Path(sys.argv[2])])
"""


def test_a_build_killed_after_a_checkpoint_resumes_without_loss_or_duplicates(
    tmp_path: Path,
) -> None:
    docs = _corpus(tmp_path / "docs")
    index = tmp_path / "ix"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, str(index), str(docs)], env=env, cwd=tmp_path
    )
    deadline = time.monotonic() + HANG_S
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            committed = json.loads((index / "manifest.json").read_text())["generation"]
        except (OSError, ValueError, KeyError):
            committed = 0
        if committed >= 2:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the build finished before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _rows(index)  # a checkpoint is a consistent state of its own
    assert before and len(before) == len(set(before))
    kept = {name for name, _ in before}
    report = _writer(index, checkpoint_chunks=10).add([docs])
    status = {Path(f.path).name: f.status for f in report.files}
    assert {status[name] for name in kept} == {"unchanged"}  # committed work is kept
    rows = _rows(index)
    plain = tmp_path / "plain"
    _writer(plain, pipeline=False).add([docs])
    assert rows == _rows(plain)  # nothing lost, nothing twice


def test_checkpoint_settings_reach_the_writer(tmp_path: Path) -> None:
    from ragkit.config import load_settings
    from ragkit.wiring import knowledge_base

    settings = load_settings(
        None,
        {
            "index": {"home": str(tmp_path), "checkpoint_chunks": 7, "checkpoint_seconds": 9.5},
            "embedder": {"model": "bundled-onnx"},
        },
    )
    writer = knowledge_base(settings, "ix")._writer()
    assert (writer.checkpoint_chunks, writer.checkpoint_seconds) == (7, 9.5)
