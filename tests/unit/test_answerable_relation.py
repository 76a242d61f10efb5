"""The relation an English question asks about must be stated by the answering sentence
itself (`ragkit.answer.rules_en.states_relation`), with the real analyzer."""

from __future__ import annotations

from checkers import hit

from ragkit.answer.answerable import answering_windows, can_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.rules_en import relation_groups, states_relation, with_numerals
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())
ANALYZER = SCORER.analyzer


def test_the_relations_a_question_asks_about_leave_its_names_aside() -> None:
    assert len(relation_groups("Who won the Lakeside Open in 2021?", ANALYZER)) == 1
    assert len(relation_groups("What was Orbis's revenue in Q1 2021?", ANALYZER)) == 1
    assert len(relation_groups("When was Harbor Quest 2 released?", ANALYZER)) == 1
    # "Award" is part of the name; "winner" is the relation.
    (won,) = relation_groups("Who is the Kestrel Award winner in 2019?", ANALYZER)
    assert "award" not in won and "win" in won
    assert relation_groups("Super Bowl 2021 location", ANALYZER) == []
    assert relation_groups("Where is the Lakeside Award held?", ANALYZER) == []
    assert relation_groups("谁赢得了2021年的比赛？", ANALYZER) == []


def test_a_neighbour_naming_the_relation_does_not_make_a_sentence_an_answer() -> None:
    question = "Who won the women's singles at the Lakeside Open in 2021?"
    # The window holds every term (the next sentence says "won"), the sentence a name.
    played = (
        "February 18, 2021: Mara Olsen serves against Ida Berg at the Lakeside Open "
        "women's singles. It was a rematch of a final that had been won in three sets."
    )
    assert answering_windows(question, [played], SCORER) == []
    assert not can_answer(question, [hit(played)], SCORER, MIN_RELEVANCE)
    # Other words that state a win do.
    for said in (
        "Mara Olsen won the women's singles at the Lakeside Open in 2021.",
        "Mara Olsen beat Ida Berg in the 2021 Lakeside Open women's singles final.",
        "The 2021 Lakeside Open women's singles title went to Mara Olsen.",
        "Lakeside Open 2021 women's singles winners: Mara Olsen (NOR), Ida Berg (SWE).",
    ):
        assert len(answering_windows(question, [said], SCORER)) == 1, said


def test_a_figure_beside_no_revenue_and_an_announcement_are_no_answers() -> None:
    revenue = "What was Orbis's revenue in Q1 2021?"
    delivered = "In Q1 2021, Orbis delivered 184,877 vehicles and reported record sales."
    assert states_relation(revenue, delivered, ANALYZER)  # "sales" states it
    vehicles = "In Q1 2021, Orbis delivered 184,877 vehicles, more than ever before."
    assert answering_windows(revenue, [vehicles], SCORER) == []
    stated = "Orbis reported revenue of $10.4 billion in Q1 2021."
    assert len(answering_windows(revenue, [stated], SCORER)) == 1
    released = "When was Harbor Quest released in Japan?"
    announced = "Harbor Quest was officially announced in Japan on January 23, 2013."
    assert answering_windows(released, [announced], SCORER) == []
    for said in ("Harbor Quest was released in Japan on March 3, 2017.",):
        assert len(answering_windows(released, [said], SCORER)) == 1, said


def test_the_most_wins_is_a_record_unless_the_question_asks_for_the_most() -> None:
    question = "Who won the women's singles at the Lakeside Open in 2021?"
    record = "As of 2021, the player with the most wins at the Lakeside Open was Mara Olsen."
    assert not states_relation(question, record, ANALYZER)
    assert answering_windows(question, [record], SCORER) == []
    most = "Which country won the most medals at the 2018 Winter Games?"
    haul = (
        "Norway collected 39 medals in 2018, the largest haul by any country at the Winter Games."
    )
    assert states_relation(most, haul, ANALYZER)
    assert len(answering_windows(most, [haul], SCORER)) == 1
    dominated = (
        "The United States dominated the 2018 Winter Games snowboard events with gold medals."
    )
    assert not states_relation(most, dominated, ANALYZER)


def test_a_numbered_thing_written_with_an_ordinal_holds_the_questions_number() -> None:
    assert with_numerals("Orbis's third-quarter revenue") == "Orbis's third-quarter revenue (Q3)"
    assert with_numerals("the 11th season").endswith("(season 11)")
    assert with_numerals("The first time they met") == "The first time they met"
    quarter = "What was Orbis's revenue in Q3 2019?"
    said = "Orbis's third-quarter results for 2019 showed $6.3 billion in revenue."
    assert len(answering_windows(quarter, [said], SCORER)) == 1
    assert can_answer(quarter, [hit(said)], SCORER, MIN_RELEVANCE)
    season = "What is the premiere date of Harbor Lights Season 11?"
    eleventh = "The eleventh and final season of Harbor Lights premiered on August 22, 2021."
    assert len(answering_windows(season, [eleventh], SCORER)) == 1
    # Another season's ordinal is another season.
    tenth = "The tenth season of Harbor Lights premiered on October 4, 2020."
    assert answering_windows(season, [tenth], SCORER) == []


def test_a_win_hoped_for_or_still_to_be_announced_is_no_answer() -> None:
    question = "Who won the men's singles at the Lakeside Open in 2020?"
    favored = "Favored to win the title, Jon Berg lost the first set of the 2020 Lakeside Open."
    assert not states_relation(question, favored, ANALYZER)
    assert answering_windows(question, [favored], SCORER) == []
    rule = "It is no requirement for a player to win the Lakeside Open in 2020, Jon Berg said."
    assert not states_relation(question, rule, ANALYZER)
    # A win that happened beside a hoped-for one still counts.
    upset = "Jon Berg, not favored to win, beat Tom Lund in the 2020 Lakeside Open men's singles."
    assert states_relation(question, upset, ANALYZER)
    assert len(answering_windows(question, [upset], SCORER)) == 1
    award = "Who is the Kestrel Award winner in 2019?"
    later = "The winner of the 2019 Kestrel Award will be announced at the Harbor Hall Show."
    assert not states_relation(award, later, ANALYZER)
    assert answering_windows(award, [later], SCORER) == []
    named = "Mara Olsen is the winner of the 2019 Kestrel Award."
    assert len(answering_windows(award, [named], SCORER)) == 1


def test_a_prize_awarded_states_a_win_unless_the_question_names_the_award_itself() -> None:
    question = "Who won the 2019 Lakeside Prize for fiction?"
    awarded = "The 2019 Lakeside Prize for fiction was awarded to Mara Olsen."
    assert states_relation(question, awarded, ANALYZER)
    assert len(answering_windows(question, [awarded], SCORER)) == 1
    # The question's own "award" says what it is about, not that anyone won.
    topic = "Who won the best director award at the 2019 Lakeside Festival?"
    nominees = "The best director award nominees at the 2019 Lakeside Festival: Ida Berg, Jon Lund."
    assert not states_relation(topic, nominees, ANALYZER)
    assert answering_windows(topic, [nominees], SCORER) == []


def test_a_stage_or_a_match_won_is_not_the_event_won() -> None:
    question = "Who won the 2021 Tour de Lune?"
    stage = "Jon Berg wins stage 13 of the 2021 Tour de Lune, his fourth this year."
    assert not states_relation(question, stage, ANALYZER)
    assert answering_windows(question, [stage], SCORER) == []
    event = "Jon Berg won the 2021 Tour de Lune after winning stage 13."
    assert states_relation(question, event, ANALYZER)
    assert len(answering_windows(question, [event], SCORER)) == 1
    # Asked for the match, a match won answers.
    match = "Who won the final match of the 2019 Lakeside Cup?"
    assert states_relation(
        match, "Ida Berg won the final match of the 2019 Lakeside Cup.", ANALYZER
    )


def test_a_soundtrack_or_sequel_released_is_not_the_work_released() -> None:
    question = "When was Harbor Quest released?"
    album = "A second soundtrack album for Harbor Quest was released on 2 August 2023."
    assert not states_relation(question, album, ANALYZER)
    assert answering_windows(question, [album], SCORER) == []
    # The work's own noun nearer the release word: the work was released.
    game = "This soundtrack holds the music of Harbor Quest, the game released on May 29, 2020."
    assert states_relation(question, game, ANALYZER)
    assert len(answering_windows(question, [game], SCORER)) == 1
    # Asked for the soundtrack, the soundtrack's release answers.
    asked = "When was the Harbor Quest soundtrack released?"
    assert states_relation(asked, album, ANALYZER)


def test_an_election_is_won_by_being_chosen() -> None:
    question = "Who won the Harbor Council Election 2017?"
    chosen = "In the 2017 council election, voters in Harbor chose Mara Olsen to lead it."
    assert states_relation(question, chosen, ANALYZER)
    assert answering_windows(question, [chosen], SCORER)
    # Only for an election: a player chosen for a team has won nothing.
    assert not states_relation(
        "Who won the Harbor Open 2017?", "The coach chose Mara Olsen for the Harbor Open.", ANALYZER
    )
    # The election named again, voters at the polls, say no winner.
    polls = "Voters in Harbor went to the polls on Sunday in the first round of the election."
    assert not states_relation(question, polls, ANALYZER)
