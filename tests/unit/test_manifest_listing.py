"""A manifest lists every file of its generation (the writer lists the whole folder), so
a manifest whose list was emptied or shortened is damaged: opening refuses it with the
repair hint instead of reading files no checksum vouched for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit import HashingEmbedder, KnowledgeBase, Models
from ragkit.errors import IndexCorruptError


def _index(tmp_path: Path) -> Path:
    doc = tmp_path / "kettle.txt"
    doc.write_text("The Ember kettle carries a warranty of seven years.\n", encoding="utf-8")
    folder = tmp_path / "ix"
    KnowledgeBase.open(folder, models=Models(embedder=HashingEmbedder())).add([doc])
    return folder


def _edit_files(folder: Path, keep: int) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = dict(list(manifest["files"].items())[:keep])
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("keep", [0, 1])
def test_a_manifest_listing_fewer_files_is_damaged(tmp_path: Path, keep: int) -> None:
    folder = _index(tmp_path)
    kb = KnowledgeBase.open(folder, models=Models(embedder=HashingEmbedder()))
    assert kb.search("kettle warranty")  # intact: opens
    kb.close()
    _edit_files(folder, keep)
    kb = KnowledgeBase.open(folder, models=Models(embedder=HashingEmbedder()))
    with pytest.raises(IndexCorruptError, match=r"manifest is damaged.*ragkit repair"):
        kb.search("kettle warranty")
    assert kb.repair() > 0  # the repair the message names brings it back
    reopened = KnowledgeBase.open(folder, models=Models(embedder=HashingEmbedder()))
    assert reopened.search("kettle warranty")


def test_a_changed_generation_number_is_damaged_not_a_faiss_error(tmp_path: Path) -> None:
    folder = _index(tmp_path)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["generation"] += 7
    path.write_text(json.dumps(manifest), encoding="utf-8")
    kb = KnowledgeBase.open(folder, models=Models(embedder=HashingEmbedder()))
    with pytest.raises(IndexCorruptError, match=r"manifest is damaged") as caught:
        kb.search("kettle warranty")
    assert "faiss" not in str(caught.value).lower()
