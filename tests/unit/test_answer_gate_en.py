"""The checker's gate for English questions: what a question's words, and nothing else,
decide about a model's sentence (ragkit.answer.checking.AnswerChecker)."""

from __future__ import annotations

from checkers import hit

from ragkit.answer.checking import AnswerChecker
from ragkit.answer.evidence import select_passages
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer

KETTLE = (
    "The Ember brewing kettle comes with a warranty of 18 months from the date of purchase. "
    "Descale it every 4 weeks.",
    "Mail help@ember.example for warranty claims. The kettle holds 1.7 litres.",
)
PLACEHOLDERS = ("[API_KEY_1]", "[EMAIL_1]")


def _guarded(question: str, *texts: str) -> AnswerChecker:
    """The checker of a guarded answer: the question carries the guard's placeholders."""
    scorer = SentenceScorer(Analyzer())
    hits = [hit(t, i + 1) for i, t in enumerate(texts)]
    passages = select_passages(question, hits, scorer)
    return AnswerChecker(question, passages, scorer, placeholders=PLACEHOLDERS)


def test_a_redacted_value_in_the_question_is_no_term_to_answer() -> None:
    # "[API_KEY_1]" stands for the user's key: its words ("API", "KEY", "1") are in no
    # source, and once counted they left the warranty sentence answering too little.
    for question in (
        "How long is the warranty of [API_KEY_1]?",
        "How long is the warranty? My key: [API_KEY_1]",
        "[API_KEY_1] warranty?",
    ):
        checker = _guarded(question, *KETTLE)
        shown = "".join(checker.stream(iter(["The warranty lasts 18 months. "])))
        assert shown.startswith("The warranty lasts 18 months ["), (question, shown)
        # The answer still names the question as asked, placeholder and all.
        assert checker.answer(shown, None, ()).question == question


def test_a_question_on_something_else_is_still_refused_with_a_placeholder() -> None:
    checker = _guarded("How long is the warranty of the Falcon toaster [API_KEY_1]?", *KETTLE)
    shown = "".join(checker.stream(iter(["The warranty lasts 18 months. "])))
    assert shown == "I cannot find the answer in the documents."
