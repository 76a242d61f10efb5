"""Markdown's inline marks in a document never reach a reader: not in extractive quotes,
not in the checked answer's quotes, not in the model's sentences that copy them (the
answer is plain text in every front end: ragkit.text.marks)."""

from __future__ import annotations

from ragkit.answer.checking import AnswerChecker, as_quote, clean
from ragkit.answer.evidence import select_passages
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer
from ragkit.text.marks import strip_marks
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


WRAPPED = (
    "## The cooperative today\n\nThe head office is next door. Since 2021 the board has "
    "been chaired by **Priya\n"
    "Nandakumar**, a third-generation grower who is the first chair elected from\n"
    "outside the founding families."
)


def test_bold_wrapped_across_a_line_break_loses_its_marks() -> None:
    # The file wrapped inside the bold name: the marks still pair up.
    assert as_quote("chaired by **Priya\nNandakumar**, a grower.") == (
        "chaired by Priya Nandakumar, a grower."
    )
    chunk = StoredChunk(1, WRAPPED, "history.md", "history.md", "", 0, None, None)
    answer = extract_answer("Who chairs the board?", [SearchHit(1, 1.0, chunk)], SCORER)
    assert "Priya Nandakumar" in answer.text and "**" not in answer.text


def test_bold_marks_do_not_pair_across_a_blank_line() -> None:
    # Two paragraphs each with a stray "**" are no bold phrase: both stay as written.
    text = "A footnote **\n\nanother paragraph** here."
    assert strip_marks(text) == text


def test_the_models_copied_marks_are_not_shown() -> None:
    # Before, only quotes lost them: the model's "**14 March 1987**" reached the reader
    # (the web page drew it bold, a /v1 client or --json got the asterisks).
    question = "When was the cooperative founded?"
    checker = AnswerChecker(question, select_passages(question, _hits(), SCORER), SCORER)
    reply = (
        "## Founding\nThe cooperative was founded on **14 March 1987** by _eleven_ families [1]."
    )
    shown = "".join(checker.stream(iter([reply])))
    assert "14 March 1987" in shown, shown
    assert not any(mark in shown for mark in ("**", "##", "_eleven_")), shown
    # The model's sentence is shown, its marks gone (the heading line alone says nothing).
    assert shown.startswith("The cooperative was founded on 14 March 1987 by eleven"), shown


def test_chinese_bold_marks_touching_their_words_are_dropped() -> None:
    # Before, "**开始日期：**2001年" kept its marks: the closing one touches a digit.
    assert as_quote("**开始日期：**2001年11月19日") == "开始日期：2001年11月19日"
    assert (
        as_quote("宣传海报方面，**北京2022冬奥组委**发起了")
        == "宣传海报方面，北京2022冬奥组委发起了"
    )


def test_what_only_looks_like_a_mark_stays() -> None:
    for text in (
        "2 * 3 ** 2 is 18.",  # arithmetic
        "2**10**2 is a power.",
        "Set snake_case_name in file_name.",  # underscores inside words
        "非石油开采业：_____；天然气生产：_____。",  # blanks to fill in
        "备注：数学*、综合科学*（中一至中二）",  # footnote marks
    ):
        assert strip_marks(text) == text
    assert strip_marks("see `faq` and [the guide](guide.md)") == "see faq and the guide"
