"""How an answer's sentences read, whichever path chose them: the source mark inside the
sentence it cites, before its full stop, and a first letter a capital where a quoted list
item starts lower case (ragkit.answer.citations.marked, ragkit.answer.checking.capitalised,
extractive answers and checked ones alike)."""

from __future__ import annotations

from checkers import checker, hits

from ragkit.answer.checking import capitalised
from ragkit.answer.citations import marked
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer

POLICY = (
    "Any grower in the valley may apply to join the cooperative, provided that:\n\n"
    "1. the applicant farms at least 0.5 hectares of tea, owned or leased for\n"
    "   at least five more years;\n"
    "2. the garden follows the cooperative's organic transition programme.\n"
)
LAND = "How much land must an applicant farm to join the cooperative?"
ITEM = (
    "The applicant farms at least 0.5 hectares of tea, owned or leased for at least five "
    "more years [1]."
)


def test_the_mark_stands_before_the_full_stop() -> None:
    assert marked("It lasts 18 months.", 2) == "It lasts 18 months [2]."
    assert marked("Tomas Varga", 1) == "Tomas Varga [1]"
    assert marked("茶园的平均海拔是1650米。", 1) == "茶园的平均海拔是1650米[1]。"
    # A Chinese answer's sentence ending in a Latin unit takes no space either.
    assert marked("年降雨量约1400mm。", 3, chinese=True) == "年降雨量约1400mm[3]。"


def test_an_ellipsis_keeps_its_three_dots_before_the_mark() -> None:
    # A search snippet cut off with "..." is no full stop: the mark follows it whole.
    assert marked("Sundar Pichai sent an email to employees ...", 5) == (
        "Sundar Pichai sent an email to employees ... [5]"
    )
    assert marked("The kettle is rated for 1,500 watts…", 1) == (
        "The kettle is rated for 1,500 watts… [1]"
    )
    assert marked("It lasts 18 months.", 2) == "It lasts 18 months [2]."


def test_a_lower_case_first_word_is_capitalised_for_display_only() -> None:
    assert capitalised("the applicant farms at least 0.5 hectares.") == (
        "The applicant farms at least 0.5 hectares."
    )
    assert capitalised("“the valley”, it says.") == "“The valley”, it says."
    # Written so on purpose: a capital or a mark inside the first word.
    for kept in (
        "iPhone sales rose.",
        "e-mail us.",
        "hello@lumentea.example is the address.",
        "雾溪茶园",
    ):
        assert capitalised(kept) == kept


def test_an_extractive_answer_reads_as_a_checked_one() -> None:
    scorer = SentenceScorer(Analyzer())
    answer = extract_answer(LAND, hits(POLICY), scorer, sentences=1)
    # Before: "1. the applicant farms … five more years; [1]".
    assert answer.text == ITEM
    # The citation still names the sentence as the file has it, for the page to light.
    assert answer.citations[0].sentence.startswith("1. the applicant farms")


def test_a_quoted_list_item_opens_a_checked_answer_with_a_capital() -> None:
    answer = checker(LAND, POLICY)
    shown = "".join(answer.stream(iter(["The garden must be organic in 2031."]))).strip()
    assert shown == ITEM
    # What the checker compares keeps the source's case.
    assert answer.state.released[0].text.startswith("the applicant farms")
