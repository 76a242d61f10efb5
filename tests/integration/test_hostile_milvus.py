"""The hostile corpus added to a knowledge base kept in Milvus (milvus-lite): the same
contract as the local backend, every bad entry one line, every good file indexed."""

from __future__ import annotations

import os
from pathlib import Path

import hostile_corpus
import pytest
from milvus_kbs import open_milvus

from ragkit import HashingEmbedder

pytestmark = pytest.mark.slow(reason="starts the real Milvus engine (milvus-lite)")


def test_hostile_corpus_into_milvus(tmp_path: Path) -> None:
    corpus = hostile_corpus.make(
        tmp_path / "docs", unreadable_folder=False, bomb_bytes=64 * 1024 * 1024
    )
    index = tmp_path / "ix"
    with open_milvus(index, HashingEmbedder(dim=32)) as kb:
        report = kb.add([corpus.root])
        got = {
            os.fsencode(Path(f.path).name).decode("utf-8", "backslashreplace"): (
                f.status,
                f.reason,
            )
            for f in report.files
        }
        for name, status, fragment in corpus.bad:
            assert got[name][0] == status and fragment in got[name][1], (name, got[name])
        for name in corpus.good:
            assert got[name][0] == "indexed", (name, got[name])
