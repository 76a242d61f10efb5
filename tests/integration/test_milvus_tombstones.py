"""Replacing and removing a large file in a Milvus knowledge base (milvus-lite 2.5.1, the
real engine; each test its own `.db` file): the rows it retires are named by one
tombstone per file or per document, never one per chunk, so the expression every reader
filters with stays small however many chunks the file had; and collections written with
layout 2 (one tombstone per chunk) are read as they are and upgraded by the next commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from embedders import CountingEmbedder
from milvus_kbs import open_milvus

from ragkit import KnowledgeBase
from ragkit.errors import IndexMismatchError
from ragkit.index.milvus import MilvusReader, _Collections

pytestmark = pytest.mark.slow(reason="starts the real Milvus engine (milvus-lite) per test")

RECORDS = 2000


def _records(path: Path, texts: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"_id": f"r{i}", "text": t}) for i, t in enumerate(texts)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _reader(kb: KnowledgeBase) -> MilvusReader:
    reader = kb.reader()
    assert isinstance(reader, MilvusReader)
    return reader


def _tombstones(kb: KnowledgeBase) -> list[str]:
    reader = _reader(kb)
    return sorted(key for key, _ in reader.cols.tombstones())


def _rows(kb: KnowledgeBase, expr: str) -> int:
    reader = _reader(kb)
    return reader.cols.count(reader.cols.chunks, expr)


def _texts(kb: KnowledgeBase, query: str) -> list[str]:
    return [h.chunk.text for h in kb.search(query, k=10, mode="bm25")]


def test_removing_a_large_file_is_one_tombstone(tmp_path: Path) -> None:
    big = _records(tmp_path / "docs" / "big.jsonl", [f"Teapot record {i}." for i in range(RECORDS)])
    small = tmp_path / "docs" / "kettle.txt"
    small.write_text("The Ember kettle has a warranty of eighteen months.", encoding="utf-8")
    with open_milvus(tmp_path / "ix") as kb:
        kb.add([tmp_path / "docs"])
        assert _reader(kb).manifest.counts.chunks == RECORDS + 1
        assert kb.remove([big]) == [str(big.resolve())]
        reader = _reader(kb)
        generation = reader.generation
        # The file's row and all its chunk rows: two tombstones, not one per chunk.
        assert [k.split(":")[0] for k in _tombstones(kb)] == ["rf", "rs"]
        expr = reader.view.chunks()
        assert len(expr) < 200 and "big.jsonl" in expr, expr
        assert reader.manifest.counts.chunks == 1
        assert reader.verify_store() == []
        assert [Path(h.chunk.source).name for h in kb.search("teapot record", k=5)] == [
            "kettle.txt"
        ]
        # Until the next commit the rows are still there (a reader of the previous
        # generation may be using them); the next commit deletes them.
        source = json.dumps(str(big.resolve()))
        assert _rows(kb, f"source == {source}") == RECORDS
        small.write_text("The Ember kettle now has a warranty of two years.", encoding="utf-8")
        kb.add([small])
        assert _reader(kb).generation == generation + 1
        assert _rows(kb, f"source == {source}") == 0
        assert _rows(kb, "gen >= 0") == 2  # the kettle's new row, and its old one till the next
        assert _texts(kb, "kettle warranty") == [
            "The Ember kettle now has a warranty of two years."
        ]


def test_reindexing_a_file_retires_it_whole_or_by_document(tmp_path: Path) -> None:
    """A file none of whose documents is kept is retired by one tombstone; one that
    keeps some is retired by one tombstone per replaced document. A file replaced at
    two commits in a row keeps only its newest rows (each tombstone hides the rows added
    before its own generation, and the keys of the two differ)."""
    texts = [f"Teapot record {i}." for i in range(RECORDS)]
    items = _records(tmp_path / "docs" / "items.jsonl", texts)
    with open_milvus(tmp_path / "ix") as kb:
        kb.add([items])
        # Every record changed: the file is retired whole.
        _records(items, [t + " Glazed." for t in texts])
        kb.add([items])
        reader = _reader(kb)
        assert [k.split(":")[0] for k in _tombstones(kb)] == ["rf", "rs"]
        assert len(reader.view.chunks()) < 200
        assert reader.verify_store() == []
        assert _texts(kb, "teapot record 7")[0] == "Teapot record 7. Glazed."
        # Again at once: the first generation's rows are purged, the second's hidden.
        _records(items, [t + " Lidded." for t in texts])
        kb.add([items])
        reader = _reader(kb)
        assert reader.verify_store() == []
        assert reader.manifest.counts.chunks == RECORDS
        assert _rows(kb, "gen >= 0") == 2 * RECORDS  # this generation's and the last's
        found = _texts(kb, "teapot record 7")
        assert found[0] == "Teapot record 7. Lidded." and not any("Glazed" in t for t in found)
        # Three records of 2,000 changed: one tombstone per replaced document.
        changed = [t + " Lidded." for t in texts]
        for i in (3, 500, 1999):
            changed[i] = f"Kettle record {i}, stainless."
        _records(items, changed)
        report = kb.add([items])
        assert report.chunks_added == 3
        assert sorted(k.split(":")[0] for k in _tombstones(kb)) == ["rd", "rd", "rd", "rf"]
        reader = _reader(kb)
        assert reader.verify_store() == []
        assert reader.manifest.counts.chunks == RECORDS
        assert sorted(_texts(kb, "kettle stainless")[:3]) == sorted(
            f"Kettle record {i}, stainless." for i in (3, 500, 1999)
        )
        assert not any("Teapot record 500." in t for t in _texts(kb, "teapot record 500"))
        kb.add([items])  # nothing changed: nothing committed
        assert _reader(kb).generation == reader.generation


def _state(kb: KnowledgeBase) -> tuple[str, dict[str, Any]]:
    cols = _reader(kb).cols
    rows = cols.client.query(cols.meta, filter='key like "state:%"', output_fields=["key", "value"])
    newest = max(rows, key=lambda r: str(r["key"]))
    return str(newest["key"]), json.loads(newest["value"])


def test_layout_2_collection_is_read_and_upgraded(tmp_path: Path) -> None:
    """A collection written by a layout-2 ragkit — its committed state says layout 2 and
    its removed file is hidden by one tombstone per chunk — reads as it did; the next
    commit writes layout 3 (and purges the old tombstones), which a ragkit reading only
    layout 2 refuses in one line rather than misreading."""
    docs = tmp_path / "docs"
    big = _records(docs / "big.jsonl", [f"Teapot record {i}." for i in range(50)])
    kettle = docs / "kettle.txt"
    kettle.write_text("The Ember kettle has a warranty of eighteen months.", encoding="utf-8")
    index = tmp_path / "ix"
    with open_milvus(index) as kb:
        kb.add([docs])
        _, value = _state(kb)
        assert value["schema"] == 3
        cols: _Collections = _reader(kb).cols
        gen = int(value["manifest"]["generation"])
        # What a layout-2 writer committed on removing big.jsonl: rc per chunk, rf, state.
        ids = [
            int(r["id"])
            for r in cols.query(cols.chunks, f"source == {json.dumps(str(big.resolve()))}", ["id"])
        ]
        (file_row,) = cols.query(cols.files, f"source == {json.dumps(str(big.resolve()))}", ["key"])
        tombs = [f"rc:{i}" for i in ids] + [f"rf:{file_row['key']}"]
        cols.client.insert(
            cols.meta, [{"key": k, "value": str(gen + 1), "v": [0.0, 0.0]} for k in tombs]
        )
        value["schema"] = 2
        value["manifest"]["generation"] = gen + 1
        value["manifest"]["counts"] = {"documents": 1, "chunks": 1}
        cols.client.insert(
            cols.meta,
            [{"key": f"state:{gen + 1:012d}", "value": json.dumps(value), "v": [0.0, 0.0]}],
        )
    with open_milvus(index) as kb:
        reader = _reader(kb)
        assert reader.generation == gen + 1 and reader.verify_store() == []
        assert [d.source for d in kb.documents()] == [str(kettle.resolve())]
        assert [Path(h.chunk.source).name for h in kb.search("teapot record", k=5)] == [
            "kettle.txt"
        ]
        kettle.write_text("The Ember kettle now has a warranty of two years.", encoding="utf-8")
        kb.add([kettle])
        _, upgraded = _state(kb)
        assert upgraded["schema"] == 3
        # The removed file's rows are purged by this commit, as a layout-2 writer's would.
        assert _rows(kb, f"source == {json.dumps(str(big.resolve()))}") == 0
        assert not [k for k in _tombstones(kb) if k.startswith("rc:")]
        assert _reader(kb).verify_store() == []
        assert _texts(kb, "kettle warranty") == [
            "The Ember kettle now has a warranty of two years."
        ]
    # A ragkit that reads layout 2 only refuses what this one wrote.
    with open_milvus(index) as kb, pytest.MonkeyPatch.context() as patch:
        patch.setattr("ragkit.index.milvus.READS_SCHEMAS", (2,))
        patch.setattr("ragkit.index.milvus.SCHEMA_VERSION", 2)
        with pytest.raises(IndexMismatchError) as refused:
            kb.search("kettle")
    line = str(refused.value)
    assert "\n" not in line and "layout version 3, written by a newer ragkit" in line


def test_a_file_replacing_many_documents_is_rewritten_whole(tmp_path: Path) -> None:
    """A file that keeps some documents but replaces more than `MAX_DOC_TOMBSTONES` is
    retired by one tombstone, its kept documents' rows copied into the new generation
    (vectors as stored: only the changed records are embedded), so the expression stays
    small; the copies are whole documents that search, `verify` and later updates see."""
    from ragkit.index.milvus import MAX_DOC_TOMBSTONES

    records = MAX_DOC_TOMBSTONES + 500
    texts = [f"Teapot record {i}." for i in range(records)]
    items = _records(tmp_path / "docs" / "items.jsonl", texts)
    embedder = CountingEmbedder()
    with open_milvus(tmp_path / "ix", embedder) as kb:
        kb.add([items])
        kept_hit = kb.search("teapot record 1400", k=1, mode="bm25")[0].chunk
        assert kept_hit.text == "Teapot record 1400."
        changed = list(texts)
        for i in range(MAX_DOC_TOMBSTONES + 1):
            changed[i] = f"Kettle record {i}, stainless."
        _records(items, changed)
        embedder.embedded.clear()
        report = kb.add([items])
        assert report.chunks_added == MAX_DOC_TOMBSTONES + 1
        assert len(embedder.embedded) == MAX_DOC_TOMBSTONES + 1
        assert [k.split(":")[0] for k in _tombstones(kb)] == ["rf", "rs"]
        reader = _reader(kb)
        assert len(reader.view.chunks()) < 200
        assert reader.verify_store() == []
        assert reader.manifest.counts.chunks == records
        assert _rows(kb, reader.view.chunks()) == records
        assert len(kb.documents(items)) == records
        copy = kb.search("teapot record 1400", k=1, mode="bm25")[0].chunk
        assert copy.text == "Teapot record 1400." and copy.id != kept_hit.id
        assert kb.chunk(kept_hit.id) is None  # the copy has a new id
        assert _texts(kb, "kettle stainless 7")[0] == "Kettle record 7, stainless."
        # A later change of one kept record replaces that document alone.
        changed[1400] = "Teapot record 1400, now with a cork lid."
        _records(items, changed)
        assert kb.add([items]).chunks_added == 1
        assert sorted(k.split(":")[0] for k in _tombstones(kb)) == ["rd", "rf"]
        reader = _reader(kb)
        assert reader.verify_store() == []
        assert reader.manifest.counts.chunks == records
        assert _texts(kb, "cork lid")[0] == "Teapot record 1400, now with a cork lid."


def test_repair_remaking_many_chunks_retires_the_file_whole(tmp_path: Path) -> None:
    """`repair` remaking more than `MAX_DOC_TOMBSTONES` chunks of one file for their
    BM25 terms remakes all the file's rows under one tombstone, not one per chunk; the
    result is what `verify` accepts, and nothing is embedded."""
    from ragkit.index.milvus import _CHUNK_FIELDS, _DOC_FIELDS, MAX_DOC_TOMBSTONES

    records = MAX_DOC_TOMBSTONES + 100
    items = _records(
        tmp_path / "docs" / "items.jsonl", [f"Teapot record {i}." for i in range(records)]
    )
    embedder = CountingEmbedder()
    with open_milvus(tmp_path / "ix", embedder) as kb:
        kb.add([items])
        cols = _reader(kb).cols
        fields = [*_CHUNK_FIELDS, *_DOC_FIELDS, "terms", "dense"]
        rows = sorted(cols.query(cols.chunks, "gen >= 0", fields), key=lambda r: int(r["id"]))
        damaged = rows[: MAX_DOC_TOMBSTONES + 1]
        ids = [int(r["id"]) for r in damaged]
        for start in range(0, len(ids), 500):
            part = ",".join(map(str, ids[start : start + 500]))
            cols.client.delete(cols.chunks, filter=f"id in [{part}]")
        for start in range(0, len(damaged), 500):
            cols.client.insert(
                cols.chunks,
                [
                    {**r, "terms": "kettl stainless", "dense": [float(x) for x in r["dense"]]}
                    for r in damaged[start : start + 500]
                ],
            )
        problems = _reader(kb).verify_store()
        assert any("have BM25 terms that are not" in p for p in problems), problems
        embedder.embedded.clear()
        assert kb.repair() == records
        assert embedder.embedded == []
        assert _tombstones(kb) == [f"rs:{_reader(kb).generation}:{items.resolve()}"]
        reader = _reader(kb)
        assert len(reader.view.chunks()) < 200
        assert reader.verify_store() == []
        assert reader.manifest.counts.chunks == records
        assert _texts(kb, "teapot record 7")[0] == "Teapot record 7."
        assert _texts(kb, "kettle stainless") == []
