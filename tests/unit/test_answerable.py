"""Negative rejection: evidence about the right topic that cannot answer the question is
"not in the documents", before the model (ragkit.answer.answerable) and after it
(AnswerChecker): questions as evidence, key terms apart, no value of the asked kind, and
answer sentences that only restate the question."""

from __future__ import annotations

from pathlib import Path

from checkers import hit as _hit

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.answer.answerable import (
    adds_content,
    answering_windows,
    can_answer,
    carries,
    question_scores,
)
from ragkit.answer.checking import AnswerChecker
from ragkit.answer.evidence import select_passages
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import MIN_RELEVANCE, NOT_FOUND, NOT_FOUND_ZH, SentenceScorer
from ragkit.answer.kinds import answer_kind, has_kind, is_question
from ragkit.answer.pipelines import answer
from ragkit.answer.question_terms import asking_terms, variant
from ragkit.answer.rules_en import other_year, platform_only
from ragkit.models.prompts import PromptTemplates
from ragkit.options import Models
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())


def test_the_kind_of_value_a_question_asks_for() -> None:
    assert answer_kind("Who won the 2019 Tour de France?") == "name"
    assert answer_kind("Which country won the most medals?") == "name"
    assert answer_kind("Super Bowl 2021 location") == "name"
    assert answer_kind("When was Diablo 3 released?") == "date"
    assert answer_kind("In what year did the plant open?") == "date"
    assert answer_kind("What year did the plant open?") == "date"
    assert answer_kind("How many passengers does the ferry carry?") == "number"
    assert answer_kind("What was the company's revenue in Q2 2020?") == "number"
    assert answer_kind("What is the old bridge built from?") is None
    assert answer_kind("第七届立法会宣誓仪式是什么时候？") == "date"
    assert answer_kind("广茂铁路全长多少公里？") == "number"
    assert answer_kind("赵鹏的职业是什么？") is None
    assert answer_kind("电影《四海》的导演是谁") == "name"
    assert answer_kind("Who may join the cooperative?") is None  # a description
    assert answer_kind("What is the premiere date of the show?") == "date"


def test_a_value_counts_only_when_the_question_does_not_already_hold_it() -> None:
    q = "Who won the women's singles at Wimbledon in 2019?"
    assert has_kind("name", "Simona Halep won the final.", q)
    assert not has_kind("name", "The final of Wimbledon was played in July.", q)
    d = "When was Diablo 3 released?"
    assert has_kind("date", "It came out on 15 May 2012.", d)
    assert has_kind("date", "It came out in May.", d)
    assert not has_kind("date", "Diablo 3 is an action game by Blizzard.", d)
    n = "How many medals did Norway win in 2018?"
    assert has_kind("number", "Norway won 39 medals.", n)
    assert not has_kind("number", "Norway won many medals in 2018.", n)
    assert has_kind("number", "The warranty lasts two years.", "How long is the warranty?")
    # A date is no quantity.
    assert not has_kind("number", "Australia said so on December 8.", "How many athletes came?")
    assert not has_kind("number", "澳大利亚于12月8日宣布。", "澳大利亚运动员数量是多少？")
    assert has_kind("number", "预测美联储将加息四次。", "美联储将加息几次？")
    assert has_kind("date", "仪式于1月3日举行。", "宣誓仪式是什么时候？")
    # Chinese names by part-of-speech tags.
    analyzer = Analyzer()
    assert has_kind("name", "这部电影由韩寒执导。", "电影《四海》的导演是谁", analyzer)
    assert not has_kind("name", "这部电影在春节上映。", "电影《四海》的导演是谁", analyzer)
    assert has_kind("number", "全长三百公里。", "全长多少公里？")
    assert has_kind(None, "anything", "What is it built from?")


def test_questions_and_restatements_are_not_answers() -> None:
    assert is_question("What is the location of the Super Bowl in 2022?")
    assert is_question("首趟班列的起点是哪里？")
    assert not is_question("The game was played in Tampa.")
    analyzer = Analyzer()
    q = "Who won the women's singles at Wimbledon in 2019?"
    assert not adds_content("The women's singles at Wimbledon in 2019 was won.", q, analyzer)
    assert adds_content("Simona Halep won the women's singles in 2019.", q, analyzer)


def test_topic_evidence_without_the_answer_has_no_answering_window() -> None:
    q = "Who won the women's singles at Wimbledon in 2019?"
    near_misses = [
        "What happened at the women's singles at Wimbledon in 2019? Read on.",  # a question
        "Elena Rybakina won the women's singles at Wimbledon in 2022.",  # another year
        "Serena Williams played at Wimbledon. Tickets for 2019 sold out in May.",  # apart
    ]
    assert answering_windows(q, near_misses, SCORER) == []
    answer = "Simona Halep won the women's singles at Wimbledon in 2019, beating Serena Williams."
    found = answering_windows(q, [*near_misses, answer], SCORER)
    assert [w.text for w in found] == [3]


def _checker(question: str, sources: list[str]) -> AnswerChecker:
    hits = [_hit(t, i) for i, t in enumerate(sources, start=1)]
    return AnswerChecker(question, select_passages(question, hits, SCORER), SCORER)


def _stream(checker: AnswerChecker, reply: str) -> str:
    # The shown text, less the space that follows each released sentence.
    return "".join(checker.stream(iter(w + " " for w in reply.split(" ")))).rstrip()


def test_a_restatement_is_not_shown_as_the_answer() -> None:
    question = "When did the plant convert its boilers to electricity?"
    source = "The plant opened in March. It converted its boilers to electricity in 1921."
    checker = _checker(question, [source])
    shown = _stream(checker, "The plant converted its boilers to electricity.")
    assert shown == "It converted its boilers to electricity in 1921 [1]."
    assert checker.state.unsupported == ["The plant converted its boilers to electricity."]


def test_a_reply_without_the_asked_kind_over_evidence_without_it_is_not_found() -> None:
    question = "Who founded the Saltmere tea company?"
    # The passages are about the company but name nobody who founded it.
    sources = [
        "The Saltmere tea company was founded in 1875 near the harbour.",
        "The Saltmere tea company sells green tea in the provincial capital.",
    ]
    checker = _checker(question, sources)
    shown = _stream(checker, "The tea company was founded near the harbour.")
    assert shown == NOT_FOUND
    assert checker.state.not_found
    answer = checker.answer(shown)
    assert answer.not_found and answer.citations == ()


def test_a_chinese_number_question_over_evidence_without_a_number_is_not_found() -> None:
    question = "广茂铁路全长多少公里？"
    sources = ["广茂铁路是广东西部的一条铁路线，由河唇站出岔，经化州到茂名。"]
    checker = _checker(question, sources)
    assert _stream(checker, "广茂铁路是广东西部的一条铁路线。") == NOT_FOUND_ZH


def test_withheld_evidence_is_not_found_without_asking_the_model(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "finals.txt").write_text(
        "Elena Rybakina won the women's singles final at Wimbledon in 2022.\n\n"
        "What happened in the women's singles at Wimbledon in 2019? Read our preview.\n\n"
        "Wimbledon tickets for 2019 sold out in May.",
        encoding="utf-8",
    )
    model = ScriptedChatModel(["Elena Rybakina won the women's singles at Wimbledon in 2019."])
    kb = KnowledgeBase.open(
        tmp_path / "ix", models=Models(embedder=HashingEmbedder(), chat_model=model)
    )
    kb.add([docs])
    answer = kb.ask("Who won the women's singles at Wimbledon in 2019?", k=3)
    assert answer.not_found and answer.sources == () and model.prompts == []
    # Extractive mode quotes no topic sentence as the answer either.
    quoted = kb.ask(
        "Who won the women's singles at Wimbledon in 2019?",
        kb.answer_options.with_(mode="extractive"),
    )
    assert quoted.not_found and quoted.sources == ()
    # The same documents answer what they do hold.
    held = kb.ask("Who won the women's singles final at Wimbledon in 2022?", k=3)
    assert not held.not_found and "Rybakina" in held.text
    quoted = kb.ask(
        "Who won the women's singles final at Wimbledon in 2022?",
        kb.answer_options.with_(mode="extractive"),
    )
    assert not quoted.not_found and "Rybakina" in quoted.text


def test_names_inside_words_and_title_articles_are_not_anchors() -> None:
    from ragkit.answer.checking import missing_anchors

    # "iPhone" names no "Phone"; the "The" of a title is no name to look for.
    assert missing_anchors("When does the iPhone 11 release?", ["The iPhone 11 came out."]) == ()
    assert missing_anchors("Who wrote The Legend of Zelda?", ["the legend of zelda"]) == ()
    assert missing_anchors("When does the iPhone 11 release?", ["The Pixel 12."]) == ("11",)
    assert missing_anchors("Who founded Nintendo?", ["Sega was founded in 1960."]) == ("Nintendo",)


def test_a_chinese_name_the_chunks_never_mention_is_a_missing_anchor() -> None:
    from ragkit.answer.checking import missing_anchors

    garden = "雾溪茶园是流明茶叶合作社的合作茶园，位于云南省普洱市景谷县的一处山谷中。"
    # Asked about another garden: its name stands in no chunk, so nothing can answer.
    assert missing_anchors("寄畅园位于哪里？", [garden], SCORER.analyzer) == ("寄畅园",)
    # The garden the chunks name is no missing anchor; without an analyzer Chinese names
    # are not looked at (the old behaviour, kept for callers without one).
    assert missing_anchors("雾溪茶园位于哪里？", [garden], SCORER.analyzer) == ()
    assert missing_anchors("寄畅园位于哪里？", [garden]) == ()


def test_a_chinese_answer_is_found_where_the_subject_is_named_in_other_words() -> None:
    # Word segmentation splits the question (司马晏是) and the text (司马晏，) apart;
    # characters still meet.
    text = "司马晏，字平度，晋武帝司马炎之子。太康十年被封为吴王。"
    assert answering_windows("司马晏是谁的儿子呀？", [text], SCORER)


def test_whether_an_answer_carries_the_value_its_source_sentence_holds() -> None:
    a = Analyzer()
    q = "When was Diablo 3 released?"
    source = "Diablo 3 was released on May 15, 2012."
    assert carries("date", source, "It came out in May 2012.", q, a)
    assert not carries("date", source, "Diablo 3 was released by Blizzard.", q, a)
    n = "How many medals did Norway win in 2018?"
    assert not carries("number", "Norway won 39 medals in 2018.", "Norway won in 2018.", n, a)
    assert carries("number", "Norway won 39 medals in 2018.", "39 medals.", n, a)
    w = "Who acquired Instagram?"
    assert not carries("name", "Facebook bought Instagram.", "Instagram was bought.", w, a)
    # A question asking for no one kind: two thirds of the source's new terms.
    b = "What is the old bridge built from?"
    assert carries(None, "The old bridge is built from red granite.", "Red granite.", b, a)
    assert not carries(None, "The old bridge is built from red granite.", "Stone.", b, a)


ZHAO = "赵鹏（），中国足球运动员，司职后卫。赵鹏于1997年便加入河南建业青年队。"
XU = (
    "徐晓飞于2005年毕业，并因在大学生足球联赛中表现出色签约日本职业足球乙级联赛球队。校长又是什么？"
)


def test_asking_words_do_not_score_and_a_chinese_name_anchors_the_window() -> None:
    question = "赵鹏的职业是什么？"
    # "什么" asks; a sentence holding it is no better an answer for it.
    scores = question_scores(question, ["校长又是什么？", "赵鹏，中国足球运动员。"], SCORER)
    assert scores[1] > scores[0] == 0.0
    # The question names 赵鹏: a window about another footballer's career is no answer,
    # however many of its other words it shares.
    found = answering_windows(question, [XU, ZHAO], SCORER)
    assert found and {w.text for w in found} == {1}
    assert extract_answer(question, [_hit(XU, 1), _hit(ZHAO, 2)], SCORER).text.startswith(
        "赵鹏（），中国足球运动员"
    )


def test_the_checked_answer_is_not_found_only_where_extractive_mode_is_too() -> None:
    # The best sentence by shared words is about another subject; the one that answers
    # is in another chunk. Both modes answer from it, neither says "not in the documents".
    question = "赵鹏的职业是什么？"
    hits = [_hit(XU, 1), _hit(ZHAO, 2)]
    model = ScriptedChatModel(["赵鹏是一名中国足球运动员。"])
    stream = answer(question, hits, model, PromptTemplates(), scorer=SCORER)
    shown = "".join(stream)
    assert not stream.answer.not_found and "足球运动员" in shown
    assert not can_answer("白岳峰是哪一个少数民族的？", hits, SCORER, 0.2)
    refused = answer("白岳峰是哪一个少数民族的？", hits, model, PromptTemplates(), scorer=SCORER)
    assert refused.answer.not_found
    assert extract_answer("白岳峰是哪一个少数民族的？", hits, SCORER).not_found


def test_the_checked_answer_quotes_every_value_extractive_mode_shows() -> None:
    # Two lengths stand in the sources; the first-ranked one counts two branch lines.
    # Extractive mode shows both sentences; the checked answer, whose model names
    # neither, quotes both too (after the model's words in English).
    sources = [
        "With its two branch lines counted, the Lumen railway is 421 kilometres long.",
        "The Lumen railway runs from Harbour Street to Saltmere and is 365 kilometres long.",
    ]
    question = "How long is the Lumen railway?"
    hits = [_hit(t, i) for i, t in enumerate(sources, start=1)]
    extractive = extract_answer(question, hits, SCORER).text
    assert "421" in extractive and "365" in extractive
    model = ScriptedChatModel(["The Lumen railway is a long railway."])
    shown = "".join(answer(question, hits, model, PromptTemplates(), scorer=SCORER))
    assert "421 kilometres" in shown and "365 kilometres" in shown
    # A model answer that carries a value is not followed by the same value quoted.
    carried = ScriptedChatModel(["The Lumen railway is 365 kilometres long."])
    again = "".join(answer(question, hits, carried, PromptTemplates(), scorer=SCORER))
    assert again.count("365 kilometres") == 1 and "421 kilometres" in again


SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"


def test_another_form_of_a_question_word_is_held_and_how_long_only_asks() -> None:
    guide = (SAMPLES / "processing_guide.txt").read_text(encoding="utf-8")
    section = guide[guide.index("4. Oxidation") : guide.index("5. Firing")]
    question = "How long is Kestrel Gold left to oxidise?"
    # "oxidise" stems to oxidis, "oxidation" to oxid; "long" asks, as "many" does.
    assert "long" in asking_terms(question, SCORER.analyzer)
    assert can_answer(question, [_hit(section)], SCORER, MIN_RELEVANCE)
    quoted = extract_answer(question, [_hit(section)], SCORER)
    assert quoted.text.startswith("Rolled leaf for Kestrel Gold is spread in a cool, humid room")
    assert "2.5 hours" in quoted.text.splitlines()[0]
    # Stems that only share letters are not forms of one word.
    assert variant("oxidis", "oxid") and variant("found", "foundat")
    assert not variant("count", "countri") and not variant("win", "winter")
    # Without the oxidation section the guide's other sections still do not answer.
    firing = guide[guide.index("6. Sorting") : guide.index("7. Lot codes")]
    assert not can_answer(question, [_hit(firing)], SCORER, MIN_RELEVANCE)


def test_a_numbered_name_needs_its_own_number() -> None:
    question = "When was Xenoblade Chronicles 2 released?"
    # Another title of the series, with a "2" elsewhere in the sentence.
    other = (
        "The soundtrack of Xenoblade Chronicles: Definitive Edition was released on 2 August 2023."
    )
    assert answering_windows(question, [other], SCORER) == []
    assert not can_answer(question, [_hit(other)], SCORER, MIN_RELEVANCE)
    own = "Xenoblade Chronicles 2 was released for the Switch on December 1, 2017."
    assert [w.text for w in answering_windows(question, [other, own], SCORER)] == [1]
    # Written with a hyphen, it is the same name.
    diablo = "Diablo-3 was released on May 15, 2012."
    assert can_answer("When was Diablo 3 released?", [_hit(diablo)], SCORER, MIN_RELEVANCE)
    assert not can_answer("When was Diablo 4 released?", [_hit(diablo)], SCORER, MIN_RELEVANCE)


def test_a_sentence_on_another_year_is_no_answer_though_its_neighbour_names_the_year() -> None:
    question = "Who won the women's singles at the U.S. Open in 2021?"
    other = (
        "In 2021 the tournament drew record crowds. "
        "Iga Swiatek won the women's singles at the U.S. Open in 2022."
    )
    assert other_year(question, "Iga Swiatek won the women's singles at the U.S. Open in 2022.")
    assert answering_windows(question, [other], SCORER) == []
    right = "Emma Raducanu won the women's singles at the U.S. Open in 2021 as a qualifier."
    assert not other_year(question, right)
    assert [w.text for w in answering_windows(question, [other, right], SCORER)] == [1]


def test_a_share_is_no_answer_to_a_question_for_a_count() -> None:
    question = "2021年宝马集团在全球卖出了多少辆汽车？"
    share = "2021年，宝马集团在中国市场卖出的汽车已占其全球销量的近34%。"
    assert answering_windows(question, [share], SCORER) == []
    count = "2021年，宝马集团在全球共卖出汽车2521525辆。"
    assert [w.text for w in answering_windows(question, [share, count], SCORER)] == [1]
    # A question for a rate is answered by a percentage.
    rate = "2021年宝马集团全球销量增长了多少？"
    assert answering_windows(rate, ["2021年，宝马集团全球销量增长了8.4%。"], SCORER)
    english = "How many cars did the Saltmere plant build in 2021?"
    assert not can_answer(
        english, [_hit("In 2021 the Saltmere plant built 12 percent more cars.")], SCORER, 0.2
    )


def test_a_datelines_year_dates_the_passage_and_a_name_may_be_spelt_in_another_form() -> None:
    question = "Who was the year-end number one of women's tennis in 2020?"
    passage = (
        "Nov 16, 2020 ... Ashleigh Barty finishes the season as the year-end number one of "
        "women's tennis for the second straight year."
    )
    assert can_answer(question, [_hit(passage)], SCORER, MIN_RELEVANCE)
    undated = passage.split("... ", 1)[1]
    assert not can_answer(question, [_hit(undated)], SCORER, MIN_RELEVANCE)
    # "Definite" for "Definitive": both stem to definit.
    misspelt = "When was Xenoblade Chronicles Definite Edition released?"
    text = "Nintendo released Xenoblade Chronicles: Definitive Edition on May 29, 2020."
    assert can_answer(misspelt, [_hit(text)], SCORER, MIN_RELEVANCE)
    assert not can_answer(
        "When was Xenoblade Chronicles Infinite Edition released?", [_hit(text)], SCORER, 0.2
    )


def test_how_long_counts_only_numbers_with_a_unit_of_time_or_length() -> None:
    from ragkit.answer.answerable import value_bonus

    analyzer = Analyzer()
    question = "How long is the warranty on the Ember brewing kettle?"
    warranty = (
        "The Ember brewing kettle comes with a warranty of 18 months from the date of purchase."
    )
    described = (
        "The most popular item is the Ember brewing kettle, a 1.2 litre electric kettle "
        "with five temperature settings between 70 and 100 degrees Celsius."
    )
    assert value_bonus("number", warranty, question, analyzer) > 0
    assert value_bonus("number", described, question, analyzer) == 0
    assert value_bonus("number", "冲泡时每次浸泡3分钟。", "每次浸泡多久？", analyzer) > 0
    # Other questions for a number still count every number.
    assert value_bonus("number", described, "How many settings does it have?", analyzer) > 0


def test_a_datelines_year_counts_toward_the_coverage_of_the_question() -> None:
    # The question's terms besides its names are only its year: a statement under a
    # dateline of that year holds them, one under another year's dateline does not.
    question = "Who is the CEO of Lego in 2021?"
    passage = 'Apr 26, 2021 ... "Play matters," CEO Niels B. Christiansen tells the Lego staff.'
    assert [w.text for w in answering_windows(question, [passage], SCORER)] == [0]
    assert can_answer(question, [_hit(passage)], SCORER, MIN_RELEVANCE)
    earlier = passage.replace("2021", "2019")
    assert answering_windows(question, [earlier], SCORER) == []
    undated = passage.split("... ", 1)[1]
    assert answering_windows(question, [undated], SCORER) == []


def test_a_platform_after_on_may_be_missing_where_the_title_stands() -> None:
    question = "When was Super Mario Odyssey released on Nintendo Switch?"
    text = "Super Mario Odyssey was released on October 27, 2017 to universal acclaim."
    # Another retrieved document names the platform (documents that never name it do
    # not answer: `missing_anchors`); the answer's own document need not.
    console = "The Nintendo Switch is a hybrid console that docks to a television."
    assert can_answer(question, [_hit(text), _hit(console, 2)], SCORER, MIN_RELEVANCE)
    assert [w.text for w in answering_windows(question, [text, console], SCORER)] == [0]
    names = ["Super", "Mario", "Odyssey", "Nintendo", "Switch"]
    assert platform_only(question, names, ["Nintendo", "Switch"])
    # The title itself missing, or a qualifier that is not the platform, is another thing.
    assert not platform_only(question, names, ["Odyssey", "Nintendo", "Switch"])
    other = "Super Mario Bros. Wonder was released on October 20, 2023."
    assert answering_windows(question, [other, console], SCORER) == []
    in_japan = "When was Super Mario Odyssey released in Japan?"
    tokyo = "Japan's Tokyo Game Show opened in September."
    assert answering_windows(in_japan, [text, tokyo], SCORER) == []
    zelda = "When was The Legend of Zelda: Breath of the Wild released?"
    ocarina = "The Legend of Zelda: Ocarina of Time was released on November 21, 1998."
    wild = "Breath of the Wild is an open-world game."
    assert answering_windows(zelda, [ocarina, wild], SCORER) == []


def test_a_subtitle_names_the_work_without_its_series_title() -> None:
    question = "When was The Legend of Zelda: Breath of the Wild released?"
    names = ["Legend", "Zelda", "Wild"]
    assert platform_only(question, names, ["Legend", "Zelda"])
    assert not platform_only(question, names, ["Wild"])  # the series without the work
    text = "Nintendo has revealed that Breath of the Wild will release on March 3, 2017."
    series = "The Legend of Zelda series began on the NES."
    assert [w.text for w in answering_windows(question, [text, series], SCORER)] == [0]
    assert can_answer(question, [_hit(text), _hit(series, 2)], SCORER, MIN_RELEVANCE)
    # A one-word subtitle is too thin to name a work by itself.
    assert not platform_only("When was Halo: Reach released?", ["Halo"], ["Halo"])


def test_an_irregular_verb_form_and_the_winner_hold_the_question_won() -> None:
    question = "Who won the Lakeside Open golf tournament in 2020?"
    champion = (
        "The 2020 Lakeside Open was cancelled, so the reigning champion remains Ana Ruiz of Spain."
    )
    assert can_answer(question, [_hit(champion)], SCORER, MIN_RELEVANCE)
    hosted = "The 2020 Lakeside Open was cancelled, so the club hosted Ana Ruiz of Spain."
    assert not can_answer(question, [_hit(hosted)], SCORER, MIN_RELEVANCE)
    # "took" holds the question's "take" (without it, the window holds only the year of
    # the question's terms besides its names).
    rally = "Which road did the Lakeside Rally take in 2020?"
    assert len(answering_windows(rally, ["In 2020 the Lakeside Rally took the A7."], SCORER)) == 1
    assert answering_windows(rally, ["In 2020 the Lakeside Rally was held."], SCORER) == []
