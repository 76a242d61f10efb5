"""Texts given as retrieved chunks, the "not in the documents" gate and an answer checker
over them, for the answer tests.

Leaves out retrieval and the model: each text is one hit of its own file, ranked in the
order given."""

from __future__ import annotations

from pathlib import Path

from ragkit.answer.answerable import can_answer
from ragkit.answer.checking import AnswerChecker
from ragkit.answer.evidence import select_passages
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.text.analysis import Analyzer
from ragkit.types import SearchHit, StoredChunk


def hit(text: str, rank: int = 1) -> SearchHit:
    """`text` as the retrieved chunk of rank `rank`, from a server-side path."""
    chunk = StoredChunk(rank, text, f"/srv/u/f{rank}.txt", f"/srv/u/f{rank}.txt", "", 0, None, None)
    return SearchHit(rank, 1.0, chunk)


def hits(*texts: str) -> list[SearchHit]:
    """`texts` as the retrieved chunks of ranks 1, 2, ... (`hit`)."""
    return [hit(t, n) for n, t in enumerate(texts, start=1)]


def checker(question: str, *texts: str) -> AnswerChecker:
    """The checker of an answer to `question` whose passages come from `texts`."""
    scorer = SentenceScorer(Analyzer())
    return AnswerChecker(question, select_passages(question, hits(*texts), scorer), scorer)


def answerable(question: str, *texts: str) -> bool:
    """Whether the "not in the documents" gate lets `question` be answered from `texts` as
    the retrieved chunks (`hits`), at the default relevance, with the real analyzer."""
    return can_answer(question, hits(*texts), SentenceScorer(Analyzer()), MIN_RELEVANCE)


SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus"


def stream_shown(answer: AnswerChecker, reply: str) -> str:
    """What `answer` shows of a model's `reply` streamed a word at a time."""
    return "".join(answer.stream(iter(w + " " for w in reply.split(" ")))).rstrip()


def sample_section(name: str, start: str, end: str) -> str:
    """The sample corpus file `name` from the line holding `start` up to `end`."""
    text = (SAMPLE_CORPUS / name).read_text(encoding="utf-8")
    at = text.index(start)
    return text[at : text.index(end, at)]
