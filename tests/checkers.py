"""An answer checker over texts given as retrieved chunks, for the answer-check tests.

Leaves out retrieval and the model: each text is one hit, ranked in the order given."""

from __future__ import annotations

from ragkit.answer.checking import AnswerChecker
from ragkit.answer.evidence import select_passages
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer
from ragkit.types import SearchHit, StoredChunk


def hit(text: str, rank: int = 1) -> SearchHit:
    """`text` as the retrieved chunk of rank `rank`, from a server-side path."""
    chunk = StoredChunk(rank, text, f"/srv/u/f{rank}.txt", f"/srv/u/f{rank}.txt", "", 0, None, None)
    return SearchHit(rank, 1.0, chunk)


def checker(question: str, *texts: str) -> AnswerChecker:
    """The checker of an answer to `question` whose passages come from `texts`."""
    scorer = SentenceScorer(Analyzer())
    hits = [hit(t, i + 1) for i, t in enumerate(texts)]
    return AnswerChecker(question, select_passages(question, hits, scorer), scorer)
