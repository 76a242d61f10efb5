"""A `SentenceScorer` embeds each text once (one answer scores the same sentences for
its evidence, its answerability test and its checks), its scores the same as a fresh
scorer's, and what it keeps is bounded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from embedders import CountingEmbedder

from ragkit.answer import grounding
from ragkit.answer.grounding import SentenceScorer
from ragkit.models.embeddings.base import Vectors
from ragkit.text.analysis import Analyzer

QUESTION = "How long is the warranty on the Ember kettle?"
SENTENCES = [
    "The Ember kettle ships with a stainless steel body.",
    "Its warranty lasts 18 months from the date of purchase.",
    "Descale it every month in hard-water areas.",
]


def test_each_text_is_embedded_once_and_scores_as_a_fresh_scorer_would() -> None:
    embedder = CountingEmbedder()
    scorer = SentenceScorer(Analyzer(), embedder)
    scorer.matrix([QUESTION], SENTENCES[:2])
    again = scorer.matrix([QUESTION], SENTENCES)
    assert Counter(embedder.embedded) == Counter([QUESTION, *SENTENCES])  # none twice
    fresh = SentenceScorer(Analyzer(), CountingEmbedder())
    assert np.array_equal(again, fresh.matrix([QUESTION], SENTENCES))


def test_a_text_twice_in_one_call_is_embedded_once() -> None:
    embedder = CountingEmbedder()
    scorer = SentenceScorer(Analyzer(), embedder)
    scores = scorer.matrix([QUESTION], [SENTENCES[1], SENTENCES[1]])
    assert embedder.embedded.count(SENTENCES[1]) == 1 and scores[0, 0] == scores[0, 1]


def test_what_a_scorer_keeps_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grounding, "VECTORS_KEPT", 3)
    embedder = CountingEmbedder()
    scorer = SentenceScorer(Analyzer(), embedder)
    scorer.matrix([QUESTION], SENTENCES[:2])
    scores = scorer.matrix([QUESTION], SENTENCES)  # 4 texts: the 3 kept are let go
    assert len(scorer._vectors) == 4 and embedder.embedded.count(QUESTION) == 2
    fresh = SentenceScorer(Analyzer(), CountingEmbedder())
    assert np.array_equal(scores, fresh.matrix([QUESTION], SENTENCES))


class _Interleaving(CountingEmbedder):
    """While embedding `trigger`, another caller of the same scorer overflows what it
    keeps, as a server's second thread can between this call's lookup and its store."""

    def __init__(self, trigger: str) -> None:
        super().__init__()
        self.trigger = trigger
        self.scorer: SentenceScorer | None = None

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        if self.trigger in texts and self.scorer is not None:
            scorer, self.scorer = self.scorer, None
            scorer.matrix(["another question"], ["one more text", "and another"])
        return super().embed_batch(texts)


def test_a_call_overflowing_the_kept_vectors_midway_leaves_another_call_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(grounding, "VECTORS_KEPT", 4)
    embedder = _Interleaving(trigger=SENTENCES[2])
    scorer = SentenceScorer(Analyzer(), embedder)
    scorer.matrix([QUESTION], SENTENCES[:2])  # 3 texts kept
    embedder.scorer = scorer
    scores = scorer.matrix([QUESTION], SENTENCES)  # the question is kept, one text missing
    fresh = SentenceScorer(Analyzer(), CountingEmbedder())
    assert np.array_equal(scores, fresh.matrix([QUESTION], SENTENCES))
