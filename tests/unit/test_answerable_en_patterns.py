"""English evidence that names no answer: a preposition or a season opening a title, the
question's own word capitalised, a plan given up (ragkit.answer.kinds.has_kind,
ragkit.answer.rules_en.superseded_plan, as ragkit.answer.answerable applies them)."""

from __future__ import annotations

from ragkit.answer.answerable import answering_windows
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.kinds import has_kind
from ragkit.answer.rules_en import superseded_plan
from ragkit.text.analysis import Analyzer

OSCARS = "Which movie won Best Picture at the 90th Academy Awards Ceremony?"
OLYMPICS = "which city hosted the olympic games in 2004?"
CYBERPUNK = "What is the release date of Cyberpunk 2077?"


def test_a_preposition_opening_a_sentence_is_no_name() -> None:
    assert not has_kind(
        "name", "Against all odds, love won out at the 90th Academy Awards.", OSCARS
    )
    assert has_kind(
        "name", "The Shape of Water won best picture at the 90th Academy Awards.", OSCARS
    )


def test_a_season_or_a_form_of_the_questions_word_is_no_name() -> None:
    for sentence in (
        "No fewer than eleven cities applied to host the 2004 Summer Olympics.",
        "The costs of hosting the Olympics have skyrocketed.",
    ):
        assert not has_kind("name", sentence, OLYMPICS), sentence
    assert has_kind("name", "Athens hosted the 2004 Summer Olympics.", OLYMPICS)
    assert has_kind("name", "The Olympics of 2004 went to Greece.", OLYMPICS)


def test_a_plan_given_up_is_no_date_of_what_happened() -> None:
    given_up = (
        "Cyberpunk 2077's original release date was April 16, 2020, which was announced "
        "during an E3 2019 trailer."
    )
    assert superseded_plan(CYBERPUNK, given_up)
    assert superseded_plan(
        "When was Cyberpunk 2077 released?", "It was originally scheduled for 2019."
    )
    # What happened instead, or a date that was kept, still answers.
    assert not superseded_plan(
        CYBERPUNK,
        "Cyberpunk 2077's original release date was April 16, 2020, but it was delayed to "
        "December 10, 2020.",
    )
    assert not superseded_plan(CYBERPUNK, "CD Projekt released Cyberpunk 2077 on 10 December 2020.")
    assert not superseded_plan("Who made Cyberpunk 2077?", given_up)  # no date asked
    # Applied to the evidence windows: the plan alone does not answer, the release does.
    scorer = SentenceScorer(Analyzer())
    assert not answering_windows(CYBERPUNK, [given_up], scorer)
    released = "After years of waiting, CD Projekt released Cyberpunk 2077 on 10 December 2020."
    windows = answering_windows(CYBERPUNK, [given_up, released], scorer)
    assert [w.text for w in windows] == [1]
