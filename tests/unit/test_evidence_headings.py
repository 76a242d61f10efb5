"""A heading names what the sentences under it are about: its terms count for them when
the question's answerability and ranking are judged, and a sentence of a sibling
section (another step of the same list) yields to one in the section the question names."""

from __future__ import annotations

from checkers import hits as _hits

from ragkit.answer.answerable import answering_windows
from ragkit.answer.evidence import rank_sentences
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())

# A plain-text guide: numbered headings alone on their lines, each over one paragraph.
STEPS = (
    "2. Withering\n\n"
    "Leaf is spread on wire-mesh troughs to a depth of 20 centimetres. Withering lasts "
    "between 14 and 18 hours, depending on humidity.\n\n"
    "4. Oxidation\n\n"
    "Rolled leaf is spread in a cool, humid room for 2.5 hours. The room is held at 26 "
    "degrees Celsius.\n\n"
    "5. Firing\n\n"
    "Oxidation is stopped by firing the leaf in the ovens at 110 degrees Celsius for 22 "
    "minutes.\n"
)

# Sections side by side where the heading holding the question's word holds no answer.
HISTORY = (
    "## Kestrel Gold and growth\n\n"
    "The cooperative received organic certification for all member gardens in 2009, "
    "after a four-year transition period.\n\n"
    "## The cooperative today\n\n"
    "The head office is at 27 Mill Lane, next door to the drying house.\n"
)


def test_a_statement_under_a_heading_naming_the_subject_could_answer() -> None:
    # "oxidation" stands only in the heading over the statement.
    windows = answering_windows("How long does oxidation last?", [STEPS], SCORER)
    assert "Rolled leaf is spread in a cool, humid room for 2.5 hours." in {
        w.sentence for w in windows
    }


def test_the_heading_counts_for_coverage_only_not_for_the_numbers() -> None:
    # The heading's "4" is no number the question asked for beside the statement.
    windows = answering_windows("What happened in step 4 of oxidation?", [STEPS], SCORER)
    assert "Rolled leaf is spread in a cool, humid room for 2.5 hours." not in {
        w.sentence for w in windows
    }


def test_the_section_the_question_names_is_quoted_not_a_sibling_step() -> None:
    answer = extract_answer("How long does oxidation last?", _hits(STEPS), SCORER)
    first = answer.text.splitlines()[0]
    assert "2.5 hours" in first
    assert "14 and 18 hours" not in answer.text and "22 minutes" not in answer.text


def test_each_step_keeps_its_own_answer() -> None:
    answer = extract_answer("How long does withering last?", _hits(STEPS), SCORER)
    assert "14 and 18 hours" in answer.text.splitlines()[0]
    assert "2.5 hours" not in answer.text


def test_a_sibling_section_answers_where_the_named_one_does_not() -> None:
    # "## The cooperative today" holds "cooperative" but no year: the year under the
    # other heading stays the answer.
    answer = extract_answer(
        "When did the cooperative get organic certification?", _hits(HISTORY), SCORER
    )
    assert "2009" in answer.text and not answer.not_found


def test_a_value_of_the_asked_kind_takes_the_headings_terms() -> None:
    # Under "4. Oxidation" a duration stands in for "last"; a temperature does not.
    ranking = rank_sentences("How long does oxidation last?", _hits(STEPS), SCORER)
    raw = {ranking.split[h][i].text: ranking.raw[(h, i)] for h, i in ranking.order}
    rolled = raw["Rolled leaf is spread in a cool, humid room for 2.5 hours."]
    assert rolled > raw["The room is held at 26 degrees Celsius."]
