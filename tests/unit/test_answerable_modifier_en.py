"""An English window holding the question's noun without the words modifying it
speaks of another thing of the kind ("tea" for "white tea", standard delivery for
express delivery: `ragkit.answer.rules_en.modifier_unsaid`); what it must keep: a
modifier said in another form or in the section's heading, words ranking the thing
(lead, most, new), and phrases whose run may hold a verb."""

from __future__ import annotations

from checkers import hits

from ragkit.answer.answerable import answering_windows, can_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.rules_en import modified_nouns, modifier_unsaid
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())
ANALYZER = SCORER.analyzer

GUIDE = (
    "Leaf for Kestrel Gold black tea is withered for 14 hours. Green tea leaf is steamed "
    "within two hours of arrival instead. Tea is best used within 24 months of its "
    "processing date, and it is processed in the valley."
)


def _answers(question: str, text: str) -> bool:
    return bool(answering_windows(question, [text], SCORER))


def test_the_noun_without_the_questions_modifier_is_another_thing() -> None:
    assert modified_nouns("How is white tea processed?", ANALYZER) == [(("white",), "tea")]
    assert modifier_unsaid("How is white tea processed?", GUIDE, ANALYZER)
    assert not can_answer("How is white tea processed?", hits(GUIDE), SCORER, MIN_RELEVANCE)
    delivery = "Standard delivery within Alderhaven takes 3 to 5 working days."
    assert not _answers("How long does express delivery take?", delivery)
    assert _answers("How long does standard delivery take?", delivery)
    tour = "A private tour lasts two hours. A guided tour costs 12 dollars per adult."
    assert not _answers("How much does a night tour cost?", tour.split(". ")[1])
    assert _answers("How much does a guided tour cost?", tour)


def test_membership_speaks_of_members_without_saying_which() -> None:
    fees = "There is no annual membership fee. New members buy an entry share of 1,200 dollars."
    question = "What is the membership fee for student members?"
    assert modifier_unsaid(question, fees.split(". ")[0], ANALYZER)
    assert not can_answer(question, hits(fees), SCORER, MIN_RELEVANCE)
    # Asked without a modifier of members, the same window answers.
    assert _answers("What is the membership fee?", fees)
    assert not modifier_unsaid("What is the fee for members?", fees, ANALYZER)


def test_a_modifier_said_in_another_form_or_in_the_heading_is_held() -> None:
    # The green tea of the guide is processed: its window holds "green".
    assert not modifier_unsaid("How is green tea processed?", GUIDE, ANALYZER)
    # "organic" of the question, "organically" of the text: one word.
    grown = "All organically grown tea is picked by hand in May."
    assert _answers("When is organic tea picked?", grown)
    # The section's heading says what its sentences are about.
    headed = "## Express delivery\n\nOrders arrive within 2 working days."
    assert _answers("How long does express delivery take?", headed)


def test_ranking_words_and_the_asked_kind_need_not_be_said() -> None:
    # "lead" and "most" rank the thing; "best actress" answers "the lead actress".
    actress = "Emma Stone won best actress for La La Land."
    assert not modifier_unsaid("Who is the lead actress in La La Land?", actress, ANALYZER)
    medals = "Norway collected 39 medals in 2018, the largest haul at a Winter Olympics."
    most = "Which country won the most medals at the 2018 Winter Olympics?"
    assert not modifier_unsaid(most, medals, ANALYZER)
    # The "date" of "release date" is the kind asked for, not the thing.
    launched = "God of War launched on April 20, 2018, for the PlayStation 4."
    assert not modifier_unsaid("What is the release date of God of War?", launched, ANALYZER)


def test_runs_that_may_hold_a_verb_give_no_modifier() -> None:
    # The subject then its verb: "cooperative" does not modify "produce".
    produce = "How much tea did the cooperative produce in its first harvest?"
    assert modified_nouns(produce, ANALYZER) == [(("first",), "harvest")]
    # A question word's noun and its verb, a verb after "to", a participle, a particle.
    assert modified_nouns("Which city hosted the olympic games?", ANALYZER) == [
        (("olympic",), "games")
    ]
    assert modified_nouns("How many days do I have to return unopened tea?", ANALYZER) == [
        (("unopened",), "tea")
    ]
    assert modified_nouns("When is the annual general meeting held?", ANALYZER) == [
        (("annual", "general"), "meeting")
    ]
    assert modified_nouns("When was the cooperative set up?", ANALYZER) == []
    # A unit after "per" and a named thing's own words are no other thing of the kind:
    # "leaf delivered" answers "per kilogram of fresh leaf", and a chunk cut in the middle
    # of "the Ember brewing kettle … carries a warranty of seven years" still answers.
    fee = "What is the processing fee per kilogram of fresh leaf?"
    assert modified_nouns(fee, ANALYZER) == [(("processing",), "fee")]
    assert modified_nouns("How many years is the Ember brewing kettle warranty?", ANALYZER) == []
    assert modified_nouns("白茶是怎么加工的？", ANALYZER) == []
