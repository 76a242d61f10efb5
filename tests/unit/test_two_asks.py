"""A question joining two asks ("Who founded the cooperative and when?") quotes a
sentence for each: the ranking of its first ask, then the best sentence that could
answer its second (`ragkit.answer.kinds.two_asks`, `Ranking.also`); a single ask and a
sentence answering both keep one quote."""

from __future__ import annotations

from checkers import checker, hits

from ragkit.answer.answerable import can_answer
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.kinds import two_asks
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())

HISTORY = (
    "The cooperative was founded on 14 March 1987 by eleven families of the "
    "valley. The two people usually credited as founders are Mirela Osei and Tomas "
    "Varga. The annual meeting is held on the first Saturday in October in the Copperleaf "
    "hall."
)


def test_a_question_joining_two_asks_is_two_questions() -> None:
    assert two_asks("Who founded the cooperative and when?") == (
        "Who founded the cooperative?",
        "when founded the cooperative?",
    )
    assert two_asks("When was the cooperative founded and by whom?") == (
        "When was the cooperative founded?",
        "by whom was the cooperative founded?",
    )
    assert two_asks("Where and when is the annual meeting held?") == (
        "Where is the annual meeting held?",
        "when is the annual meeting held?",
    )
    # One ask, a list of things, or a Chinese question: no split.
    assert two_asks("Who founded the cooperative?") is None
    assert two_asks("Who founded the cooperative and the drying house?") is None
    assert two_asks("谁创立了合作社，什么时候？") is None


def test_each_ask_gets_its_sentence() -> None:
    for question in (
        "Who founded the cooperative and when?",
        "When was the cooperative founded and by whom?",
    ):
        answer = extract_answer(question, hits(HISTORY), SCORER)
        assert "Mirela Osei" in answer.text, answer.text
        assert "14 March 1987" in answer.text, answer.text
    # A single ask keeps its one answer: the founders, not the date beside them.
    one = extract_answer("Who founded the cooperative?", hits(HISTORY), SCORER)
    assert "Mirela Osei" in one.text and "1987" not in one.text


def test_one_sentence_answering_both_is_quoted_once_and_one_ask_answered_answers() -> None:
    answer = extract_answer("Where and when is the annual meeting held?", hits(HISTORY), SCORER)
    assert answer.text.count("Copperleaf") == 1 and "October" in answer.text
    assert answer.text.count("[") == 1, answer.text
    # The documents say who founded it, not where: the question is still answered.
    where = "Who founded the cooperative and where?"
    assert can_answer(where, hits(HISTORY), SCORER, MIN_RELEVANCE)
    assert "Mirela Osei" in extract_answer(where, hits(HISTORY), SCORER).text


def test_the_checked_answer_quotes_the_other_asks_sentence() -> None:
    # The model answers the first ask in its own words; the founders, the second ask's
    # answer, are quoted after it (before, the date carried the first quote and no
    # other was added).
    question = "When was the cooperative founded and by whom?"
    reply = "The cooperative was founded on 14 March 1987."
    shown = "".join(checker(question, HISTORY).stream(iter(w + " " for w in reply.split())))
    assert "14 March 1987" in shown and "Mirela Osei" in shown, shown
    # A single ask: the model's words carry the answer, nothing more is quoted.
    one = "When was the cooperative founded?"
    alone = "".join(checker(one, HISTORY).stream(iter(w + " " for w in reply.split())))
    assert "14 March 1987" in alone and "Mirela Osei" not in alone, alone
