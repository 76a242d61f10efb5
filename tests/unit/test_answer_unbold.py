"""Markdown's bold marks in a document never reach a reader in a quote: not in
extractive quotes, not in the checked answer's quotes. The model's own Markdown stays
(the web page renders it)."""

from __future__ import annotations

from ragkit.answer.checking import AnswerChecker, as_quote, clean
from ragkit.answer.evidence import select_passages
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer
from ragkit.types import SearchHit, StoredChunk

SCORER = SentenceScorer(Analyzer())
HISTORY = (
    "## Founding (1987)\n\nThe cooperative was founded on **14 March 1987** by eleven "
    "families. The two founders are **Mirela Osei** and **Tomas Varga**."
)


def _hits() -> list[SearchHit]:
    chunk = StoredChunk(1, HISTORY, "history.md", "history.md", "", 0, None, None)
    return [SearchHit(1, 1.0, chunk)]


def test_extractive_quotes_show_no_bold_marks() -> None:
    answer = extract_answer("When was the cooperative founded?", _hits(), SCORER)
    assert "14 March 1987" in answer.text and "**" not in answer.text


def test_quotes_lose_bold_marks_but_keep_other_asterisks() -> None:
    assert as_quote("- founded on **14 March 1987**") == "founded on 14 March 1987"
    assert as_quote("2 * 3 ** 2 is 18.") == "2 * 3 ** 2 is 18."
    assert as_quote("2**10**2 is a power.") == "2**10**2 is a power."
    assert clean("**Mirela Osei** founded it.") == "**Mirela Osei** founded it."


def test_the_checked_answers_quote_shows_no_bold_marks() -> None:
    question = "When was the cooperative founded?"
    checker = AnswerChecker(question, select_passages(question, _hits(), SCORER), SCORER)
    shown = "".join(checker.stream(iter(["It was founded in spring [1]."])))
    assert "14 March 1987" in shown and "**" not in shown
