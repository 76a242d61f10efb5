"""Which value answers: the question's kind of value tied to its own words (an amount
bound to the term asked about, a contact detail of its shape, an area for "how much
land"), and a sentence about another thing, side of a year or price refused
(ragkit.answer.evidence, ragkit.answer.answerable, ragkit.answer.attributes)."""

from __future__ import annotations

from checkers import hit

from ragkit.answer.answerable import MIN_COVER, answering_windows, coverage, lead_in
from ragkit.answer.attributes import asks_form, attribute_terms, unit_values
from ragkit.answer.evidence import bound, rank_sentences
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.rules_en import other_priced, other_side, states_relation
from ragkit.text.analysis import Analyzer
from ragkit.text.sentences import split_sentences

SCORER = SentenceScorer(Analyzer())
ANALYZER = SCORER.analyzer

SHARE = "New members buy a one-time entry share of 1,200 dollars."
INSTALMENTS = "The entry share may be paid in full or in three yearly instalments of 400 dollars."
FEE = "For the 2025 season the fee was 0.18 dollars per kilogram."
FEES = (
    f"## Entry share and fees\n\n{SHARE} {INSTALMENTS}\n\n"
    f"In addition, members pay a processing fee for each kilogram of leaf delivered. {FEE}\n"
)


def _first(question: str, *texts: str) -> str:
    answer = extract_answer(question, [hit(t, n) for n, t in enumerate(texts, 1)], SCORER)
    assert not answer.not_found, answer.text
    return answer.text.splitlines()[0]


def _refused(question: str, *texts: str) -> bool:
    return extract_answer(question, [hit(t, n) for n, t in enumerate(texts, 1)], SCORER).not_found


def _raw(question: str, text: str, sentence: str) -> float:
    ranking = rank_sentences(question, [hit(text)], SCORER)
    return next(ranking.raw[p] for p in ranking.order if ranking.split[0][p[1]].text == sentence)


def test_an_amount_bound_to_the_questions_own_term_answers() -> None:
    question = "How much is the entry share?"
    assert bound("number", SHARE, question, ANALYZER)
    assert not bound("number", INSTALMENTS, question, ANALYZER)  # the instalments' amount
    assert not bound("number", FEE, question, ANALYZER)
    assert bound("number", "Ticket price: $12 for adults.", "What is the ticket price?", ANALYZER)
    assert not bound("name", SHARE, "Who bought the entry share?", ANALYZER)
    assert "1,200 dollars" in _first(question, FEES)


def test_a_question_asking_for_no_one_kind_takes_the_amount_bound_to_its_term() -> None:
    # "What is the entry share?" asks for no one kind; the share's amount is its value,
    # not the instalments' that the next sentence gives after the same words.
    question = "What is the entry share?"
    assert bound(None, SHARE, question, ANALYZER)
    assert not bound(None, INSTALMENTS, question, ANALYZER)
    shares = f"{INSTALMENTS} {SHARE}"
    assert "1,200 dollars" in _first(question, shares)
    assert "1,200 dollars" in _first(question, FEES)


def test_a_heading_lends_its_terms_to_a_value_only_where_no_sentence_states_them() -> None:
    question = "How much is the entry share?"
    # The fee scores the same with the heading over it and without: "entry share" is
    # the sentence's that says it, in the same section.
    bare = FEES.replace("## Entry share and fees\n\n", "")
    assert _raw(question, FEES, FEE) == _raw(question, bare, FEE)
    # Where no sentence of the section says them, a value takes them (the oxidation step).
    steps = "4. Oxidation\n\nRolled leaf is spread in a cool, humid room for 2.5 hours.\n"
    sentence = "Rolled leaf is spread in a cool, humid room for 2.5 hours."
    question = "How long does oxidation last?"
    assert _raw(question, steps, sentence) > _raw(question, steps.split("\n\n", 1)[1], sentence)


def test_per_after_an_attribute_keeps_it_the_head() -> None:
    question = "What is the processing fee per kilogram of fresh leaf?"
    assert attribute_terms(question, ANALYZER) == {"fee"}
    assert not attribute_terms("What fee schedules apply?", ANALYZER)
    assert "0.18 dollars" in _first(question, FEES)


def test_founding_before_a_noun_states_no_founder() -> None:
    question = "Who founded the cooperative?"
    chair = (
        "Since 2021 the board has been chaired by Priya Nandakumar, the first chair "
        "elected from outside the founding families."
    )
    assert not states_relation(question, chair, ANALYZER)
    for said in (
        "The two people credited as founders are Mirela Osei and Tomas Varga.",
        "The cooperative was founded by Ada Lee in 1990.",
        "Founding the cooperative in 1990, Ada Lee pooled eleven gardens.",
    ):
        assert states_relation(question, said, ANALYZER), said
    founders = "The two people credited as founders are Mirela Osei and Tomas Varga."
    assert "Mirela Osei" in _first(question, f"{chair}\n\n{founders}")


def test_the_other_side_of_a_year_does_not_answer() -> None:
    since = "Since 2021 the board has been chaired by Priya Nandakumar."
    assert other_side("Who chaired the board before 2021?", since)
    assert other_side("Who has led the team since 2019?", "Until 2019 Ada Lee led the team.")
    assert not other_side("Who chaired the board before 2021?", "Until 2021 Tomas Varga did.")
    assert not other_side("Who chaired the board before 2021?", "In 2021 Priya was elected.")
    assert not other_side("Who chaired the board in 2021?", since)
    assert _refused("Who chaired the board before 2021?", since)
    assert "Priya Nandakumar" in _first("Who has chaired the board since 2021?", since)


def test_the_price_of_another_thing_does_not_answer() -> None:
    flight = "The tasting bar offers a flight of five teas for 8 dollars, including Kestrel Gold."
    tin = "A 100-gram tin of Kestrel Gold costs 14 dollars."
    question = "How much does a tin of Kestrel Gold cost?"
    assert other_priced(question, flight, ANALYZER)
    assert not other_priced(question, tin, ANALYZER)
    # A question naming only the thing's name leaves the sentence to the other tests.
    assert not other_priced("How much does Kestrel Gold cost?", flight, ANALYZER)
    assert _refused(question, flight)
    assert "14 dollars" in _first(question, f"{flight}\n\n{tin}")


def test_the_price_word_said_prices_what_the_sentence_before_names() -> None:
    # "the fee was 0.18 dollars" is the processing fee its previous sentence names.
    for question in ("What is the processing fee?", "How much is the processing fee?"):
        window = f"In addition, members pay a processing fee for each kilogram. {FEE}"
        assert not other_priced(question, FEE, ANALYZER, window)
        assert other_priced(question, FEE, ANALYZER)  # alone, it names no processing
        # The fee's sentence could answer (the ranking's order is the embedder's: a
        # lexical score gives it none of the question's words, "fee" only asks).
        windows = answering_windows(question, [FEES], SCORER)
        assert FEE in [" ".join(w.sentence.split()) for w in windows]
    # "The fee" points back: the sentence after it names another fee.
    after = f"{FEE} There is no annual membership fee."
    assert other_priced("What is the membership fee?", FEE, ANALYZER, after)
    # Said without the price word, the thing must stand in the sentence itself: the
    # flight's 8 dollars after a sentence on tins is still no tin's price.
    flight = "The tasting bar offers a flight of five teas for 8 dollars, including Kestrel Gold."
    tins = f"Kestrel Gold is sold in tins and bags. {flight}"
    assert other_priced("How much does a tin of Kestrel Gold cost?", flight, ANALYZER, tins)
    assert _refused("How much does a tin of Kestrel Gold cost?", tins)


def test_a_contact_detail_is_answered_by_a_value_of_its_shape() -> None:
    question = "What is the customer service email address?"
    desk = (
        "The customer desk answers email on weekdays from 09:00 to 16:00 and aims to "
        "reply within one working day.\nEmail hello@shop.example."
    )
    assert asks_form(question, ANALYZER) and not asks_form("How long is the warranty?", ANALYZER)
    assert unit_values(question, "Email hello@shop.example.", ANALYZER) == {"hello@shop.example"}
    assert "hello@shop.example" in _first(question, desk)
    assert _refused(question, desk.split("\n")[0])
    assert _refused("What is the phone number of the head office?", desk)
    assert "+44 20 7946 0018" in _first(
        "What is the phone number of the head office?",
        "The head office can be reached by phone on +44 20 7946 0018 on weekdays.",
    )


def test_how_much_land_asks_for_an_area() -> None:
    question = "How much land do I need to farm to become a member?"
    item = "1. the applicant farms at least 0.5 hectares of tea;"
    assert unit_values(question, item, ANALYZER) == {"0.5 hectares"}
    assert unit_values(question, "Each member farm has one vote.", ANALYZER) == set()
    assert not attribute_terms("Who owns the land?", ANALYZER)


def test_a_list_item_is_read_with_the_sentence_its_list_completes() -> None:
    lead = "Any grower may apply to become a member, provided that:"
    policy = (
        f"{lead}\n\n1. the applicant farms at least 0.5 hectares of tea;\n"
        "2. the applicant attends the new member course.\n\n"
        "Each member farm has one vote, regardless of its size."
    )
    sentences = split_sentences(policy)
    leads = {
        s.text: lead_in(sentences, [x.text for x in sentences], i) for i, s in enumerate(sentences)
    }
    assert leads["1. the applicant farms at least 0.5 hectares of tea;"] == lead
    assert leads["2. the applicant attends the new member course."] == lead
    assert leads["Each member farm has one vote, regardless of its size."] == ""
    # The item holds none of the question's words; its lead-in holds them.
    windows = answering_windows("Who may apply to become a member?", [policy], SCORER)
    assert "1. the applicant farms at least 0.5 hectares of tea;" in {w.sentence for w in windows}
    question = "How much land do I need to farm to become a member?"
    farms = "- 214 member farms, most of them family holdings of under 10 hectares;"
    assert "0.5 hectares" in _first(question, policy, f"The cooperative has:\n\n{farms}")


def test_a_value_in_the_attributes_unit_or_shape_says_the_attribute() -> None:
    land = "How much land is planted in total?"
    with_area, without = coverage(
        land,
        ["a combined planted area of 1,140 hectares in total", "a combined planted area in total"],
        ANALYZER,
    )
    assert with_area == 1.0 and without < 1.0
    email = "What email address can I write to?"
    shown, unshown = coverage(email, ["Email hello@shop.example.", "Email us."], ANALYZER)
    assert shown >= MIN_COVER > unshown
    assert "1,140 hectares" in _first(land, "The cooperative has:\n\n- 1,140 hectares planted;")
    assert _refused(email, "The customer desk answers email on weekdays.")


def test_names_in_a_sentence_not_stating_the_relation_gain_no_value_bonus() -> None:
    question = "Who founded the Lumen Tea Cooperative?"
    lead = (
        "The Lumen Tea Cooperative is a farmer-owned tea producer based in the Kestrel "
        "Valley, a misty upland district in the province of Alderhaven."
    )
    founders = "The two people credited as founders are Mirela Osei and Tomas Varga."
    ranking = rank_sentences(question, [hit(lead), hit(founders, 2)], SCORER)
    score = {ranking.split[h][i].text: ranking.score[(h, i)] for h, i in ranking.order}
    raw = {ranking.split[h][i].text: ranking.raw[(h, i)] for h, i in ranking.order}
    assert score[lead] == raw[lead]  # no bonus for the valley and the province
    assert score[founders] > raw[founders]
    # A question naming no relation keeps the names' bonus.
    where = rank_sentences("Where is the Lumen Tea Cooperative based?", [hit(lead)], SCORER)
    assert all(where.score[p] > where.raw[p] for p in where.order)
