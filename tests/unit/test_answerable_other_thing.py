"""An English window about another thing of the kind asked about is no answer: another
edition, quarter, award or work, a date still planned, a win under way or a part of
the event won, another time, a nationality for who (`ragkit.answer.answerable`)."""

from __future__ import annotations

from checkers import hit as _hit

from ragkit.answer.answerable import answering_windows, can_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.rules_en import (
    lower_case_words,
    nationality_only,
    numbered_things,
    other_category,
    other_edition,
    other_title,
    other_work,
    other_year,
    planned_only,
    states_relation,
)
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())
ANALYZER = SCORER.analyzer


def _answers(question: str, text: str) -> bool:
    return bool(answering_windows(question, [text], SCORER))


def test_a_place_named_by_its_adjective_or_short_form_is_the_place() -> None:
    question = "Who won the Lumen Open in France in 2017?"
    said = "Mara Olsen won the French Lumen Open in 2017."
    assert _answers(question, said)
    assert can_answer(question, [_hit(said)], SCORER, MIN_RELEVANCE)
    us = "Who won the US Lumen Open in 2020?"
    states = "Ida Berg won the 2020 United States Lumen Open."
    assert _answers(us, states)
    assert can_answer(us, [_hit(states)], SCORER, MIN_RELEVANCE)
    # Another country is still another place.
    assert not _answers(question, "Mara Olsen won the German Lumen Open in 2017.")


def test_a_window_reaches_past_a_few_words_cut_off_by_an_ellipsis() -> None:
    question = "Who won the Harbor Council election in 2020?"
    cut = (
        "View the results of the 2020 Harbor Council election. For more information ... "
        "Mara Olsen wins election to be the next Harbor Council leader."
    )
    assert _answers(question, cut)
    # A sentence that says something parts the year from the win.
    said = (
        "View the results of the 2020 Harbor Council election. Turnout rose in the east. "
        "Mara Olsen wins election to be the next Harbor Council leader."
    )
    assert not _answers(question, said)
    # A Chinese clause cut by an ellipsis may say anything: the window stays.
    zh = "2020年港岛议会选举结果公布。详情见官网... 林小明当选港岛议会主席。"
    assert not _answers("2020年港岛议会选举谁当选主席？", zh)


def test_a_win_under_way_or_a_part_of_the_event_won_is_no_win() -> None:
    question = "Who won the 2021 Tour de Lune?"
    running = "Results of the 2021 Tour de Lune, and who is winning the race, from Jon Berg."
    assert not states_relation(question, running, ANALYZER)
    needed = "Points needed to win the 2021 Tour de Lune: 270, Jon Berg said."
    assert not states_relation(question, needed, ANALYZER)
    stage = "Jon Berg sprinted to the stage 21 victory of the 2021 Tour de Lune."
    assert not states_relation(question, stage, ANALYZER)
    assert not _answers(question, stage)
    tally = "In the 2021 Tour de Lune Jon Berg took his fourth victory in Paris."
    assert not states_relation(question, tally, ANALYZER)
    # The event won, beside a count of wins, still answers.
    won = "Jon Berg won the 2021 Tour de Lune, his fourth victory in a grand tour."
    assert states_relation(question, won, ANALYZER)
    assert _answers(question, won)
    # Asked for the stage, a stage victory answers.
    asked = "Who won stage 21 of the 2021 Tour de Lune?"
    assert states_relation(asked, stage, ANALYZER)


def test_a_time_before_the_pages_own_is_another_year() -> None:
    question = "Who won the 2021 Tour de Lune?"
    ago = "Jon Berg made history a year ago when he became the youngest winner of the Tour de Lune."
    assert other_year(question, ago)
    assert not _answers(question, ago)
    assert other_year(question, "Last year's Tour de Lune was won by Jon Berg.")
    # With the question's year, or for a question naming none, it is no other year.
    assert not other_year(question, "A year ago Jon Berg won the 2021 Tour de Lune.")
    assert not other_year("Who won the Tour de Lune?", ago)


def test_another_season_quarter_or_edition_is_another_thing() -> None:
    assert numbered_things("the 90th Harbor Awards") == {("harbor", "90")}
    assert numbered_things("Orbis's first-quarter revenue") == {("quarter", "1")}
    assert ("season", "4") in numbered_things("When does season 4 of Harbor Lights premiere?")
    season = "When does season 4 of Harbor Lights premiere?"
    first = "Season 1 of Harbor Lights aired November 4, 2016."
    assert other_edition(season, first)
    assert not _answers(season, first)
    assert not other_edition(season, "Season 4 of Harbor Lights premieres November 15.")
    revenue = "What was Orbis's revenue in Q2 2020?"
    q1 = "Orbis's revenue for the first quarter of 2020 was $5.1 billion."
    assert other_edition(revenue, q1)
    assert not _answers(revenue, q1)
    assert _answers(revenue, "Orbis's revenue for the second quarter of 2020 was $6.0 billion.")
    awards = "Which film won Best Picture at the 90th Harbor Awards?"
    assert other_edition(awards, "Moon Lake took best picture at the 93rd Harbor Awards.")
    assert not other_edition(awards, "Moon Lake took best picture at the 90th Harbor Awards.")
    sequel = "When was Harbor Quest 2 released?"
    assert other_edition(sequel, "Harbor Quest 1 was released in 2015.")
    assert not other_edition(sequel, "Harbor Quest 1 and Harbor Quest 2 were released in 2015.")


def test_a_slot_still_planned_does_not_say_when_it_happened() -> None:
    question = "When was Harbor Quest 2 released?"
    slated = "Harbor Quest 2 release date slated for July ..."
    assert planned_only(question, slated)
    assert not _answers(question, slated)
    # An announced day is the date kept; what happened is said in the past.
    day = "Orbis has revealed that Harbor Quest 2 will release on March 3, 2017."
    assert not planned_only(question, day)
    assert _answers(question, day)
    done = "Harbor Quest 2 was released in May 2012, and Harbor Quest 3 might be a 2022 game."
    assert not planned_only(question, done)
    # A question about what is to come is answered by a plan.
    assert not planned_only("When does Harbor Quest 2 release?", slated)


def test_another_award_or_event_of_the_kind_is_another_thing() -> None:
    question = "Who is the Maxwell Award winner in 2019?"
    cfda = "2019 Lumen Awards winners: Brandon Maxwell, Rick Owens take top honors."
    assert other_title(question, cfda)
    assert not _answers(question, cfda)
    named = "Joe Burrow is the 2019 Maxwell Award winner."
    assert not other_title(question, named)
    assert _answers(question, named)
    camp = "Who is the Walter Camp Award winner in 2017?"
    arm = "Winner of the 2017 Johnny Unitas Golden Arm Award, Mara Olsen, was honored."
    assert other_title(camp, arm)
    # One title written two ways ("U.S. Open", "US Open") is the same.
    open_ = "Who won the women's singles U.S. Open in 2019?"
    assert not other_title(open_, "Ida Berg won the women's singles title at the 2019 US Open.")


def test_a_nationality_names_no_one() -> None:
    question = "Who won the 2019 Tour de Lune?"
    colombian = "After decades of trying, a Colombian has finally won the 2019 Tour de Lune."
    assert nationality_only(question, colombian, ANALYZER)
    assert not _answers(question, colombian)
    named = "Colombian Egan Bernal won the 2019 Tour de Lune."
    assert not nationality_only(question, named, ANALYZER)
    assert _answers(question, named)
    # A question for a country is answered by one.
    assert not nationality_only("Which country won the 2019 Lumen Cup?", colombian, ANALYZER)


def test_a_title_with_another_word_after_it_is_another_work() -> None:
    question = "Who is the director of the Harbor Quest movie?"
    other = "Mara Olsen, creative director of Harbor Quest Syndicate and ..."
    assert other_work(question, other)
    assert not _answers(question, other)
    label = "Harbor Quest: Directed by Jon Berg."
    assert not other_work(question, label)
    assert _answers(question, label)
    assert not other_work(question, "Harbor Quest is the boldest film yet from director Jon Berg.")
    assert other_work(
        "Who is the director of the Avatar movie?", "Avatar 2 is directed by Jon Berg."
    )


def test_another_category_of_the_award_is_another_thing() -> None:
    question = "Which actor won Best Actor at the 12th Lumen Film Awards?"
    supporting = "Tomas Varga won the best supporting actor prize at the 12th Lumen Film Awards."
    listed = (
        "Harbor Lights won four prizes at the 12th Lumen Film Awards, including Best Picture,"
        " Best Director."
    )
    said = "Mara Olsen wins Best Actor at the 12th Lumen Film Awards."
    assert other_category(question, supporting)
    assert other_category(question, listed)
    assert not other_category(question, said)
    assert not _answers(question, supporting)
    assert _answers(question, said)
    # Another word after the category's first word is no other category when the pair
    # stands too, or when it is a form of the asked word ("US President", "US
    # Presidential Election") or a joining word ("The Avengers", "The Harbor Crew").
    assert not other_category(
        question, "Best Actor went to Mara Olsen; best supporting actor to Ida Berg."
    )
    assert not other_category(
        "Who won the Lumen Presidential Election 2020?",
        "Ida Berg wins election to be the 46th Lumen President.",
    )
    assert not other_category(
        "Who directed The Harbor?", "The Harbor Crew directed The Harbor in 2019."
    )
    # A word after the title's later words is the text's own: "World Cup title" is no
    # other category of "World Cup Final".
    assert not other_category(
        "Who won the Lumen Cup Final in 2018?",
        "Harbor FC won its second Lumen Cup title in the 2018 final.",
    )


def test_a_title_word_written_as_a_common_noun_is_no_name_the_text_must_hold() -> None:
    question = "Which actor won Best Actor at the 12th Lumen Film Awards Ceremony?"
    texts = [
        "The 11th Lumen Film Awards ceremony took place in March.",
        "Mara Olsen wins Best Actor ...",
    ]
    assert lower_case_words(question, texts) == frozenset({"Ceremony"})
    assert lower_case_words(question, texts[1:]) == frozenset()
    page = "The 12th Lumen Film Awards | 2020 ... Mara Olsen wins Best Actor ..."
    assert _answers(question, page) is False  # no text writes "ceremony": still a name
    assert answering_windows(question, [page, texts[0]], SCORER)
