"""Attribute nouns in a question (temperature, price, 海拔, 职业…) ask, like the "long" of
"how long": the relation word decides which sentence answers, and a value in the
attribute's unit is the value asked for (ragkit.answer.attributes, used by
ragkit.answer.evidence.rank_sentences and ragkit.answer.answerable.value_bonus)."""

from __future__ import annotations

from pathlib import Path

from checkers import hits as _hits

from ragkit.answer.answerable import VALUE_BONUS, value_bonus
from ragkit.answer.attributes import attribute_terms, unit_values
from ragkit.answer.evidence import (
    asks_name,
    labelled,
    measured_answers,
    names_something,
    rank_sentences,
    referent,
    relation_terms,
)
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import Analyzer

SCORER = SentenceScorer(Analyzer())
ANALYZER = SCORER.analyzer
CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"


def _paragraphs(name: str, first: str, last: str) -> str:
    """The part of a sample file from the paragraph starting `first` to the one
    starting `last`, as one retrieved chunk."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    start = text.index(first)
    end = text.index("\n\n", text.index(last))
    return text[start:end]


def test_an_attribute_noun_asks_only_as_the_head_of_its_phrase() -> None:
    assert attribute_terms("At what temperature is Kestrel Gold fired?", ANALYZER) == {"temperatur"}
    assert "职业" in attribute_terms("邹游的职业是什么？", ANALYZER)
    assert "海拔" in attribute_terms("雾溪茶园的平均海拔是多少？", ANALYZER)
    # Followed by another noun it only qualifies what is asked.
    assert not attribute_terms("How many temperature settings does the kettle have?", ANALYZER)
    assert not attribute_terms("我国2021年人口出生率", ANALYZER)
    assert not attribute_terms("中国高度重视什么？", ANALYZER)
    assert not attribute_terms("Who founded the company?", ANALYZER)


def test_a_value_in_the_attributes_unit_is_the_value_asked_for() -> None:
    question = "At what temperature is Kestrel Gold fired?"
    firing = "Oxidation is stopped by firing the leaf at 110\ndegrees Celsius for 22 minutes."
    assert unit_values(question, firing, ANALYZER) == {"110 degrees"}
    assert unit_values(question, "Firing lasts 22 minutes.", ANALYZER) == set()
    assert unit_values("雾溪白茶的推荐水温是多少？", "推荐水温为85摄氏度。", ANALYZER) == {
        "85摄氏度"
    }
    revenue = "Tesla posted $6.3 billion in revenue, meeting estimates."
    assert unit_values("What was Tesla's revenue in Q3 2019?", revenue, ANALYZER) == {
        "$6.3 billion"
    }
    assert unit_values("2022年英特尔全年营收", "全年营收为631亿美元。", ANALYZER) == {"631亿美元"}
    # A question asking for no attribute with units has none.
    assert unit_values("邹游的职业是什么？", "邹游（），中国足球运动员。", ANALYZER) is None
    assert unit_values("Who founded the company?", "It was founded in 1987.", ANALYZER) is None


def test_the_value_bonus_counts_only_values_in_the_attributes_unit() -> None:
    question = "At what temperature is Kestrel Gold fired?"
    assert value_bonus(None, "Fired at 110 degrees Celsius.", question, ANALYZER) == VALUE_BONUS
    assert value_bonus(None, "Fired for 22 minutes.", question, ANALYZER) == 0
    # Without an attribute a question asking for no one kind gains no value bonus.
    assert value_bonus(None, "Fired at 110 degrees Celsius.", "How is it fired?", ANALYZER) == 0


def test_the_relation_word_decides_not_the_attribute_noun() -> None:
    # The withering paragraph says "temperature" (24 °C); the firing paragraph, under
    # "5. Firing", says "firing" and 110 °C, never "temperature".
    question = "At what temperature is Kestrel Gold fired?"
    assert relation_terms(question, ANALYZER) == {"fire"}
    withering = _paragraphs("processing_guide.txt", "2. Withering", "4. Oxidation")
    firing = _paragraphs("processing_guide.txt", "4. Oxidation", "5. Firing")
    firing += "\n\n" + _paragraphs("processing_guide.txt", "5. Firing", "Oxidation is stopped")
    answer = extract_answer(question, _hits(withering, firing), SCORER)
    assert answer.text.splitlines()[0].startswith("Oxidation is stopped by firing")
    assert "24 degrees" not in answer.text


def test_only_a_sentence_with_a_value_in_the_unit_gains_the_answering_bonus() -> None:
    question = "At what temperature is Kestrel Gold fired?"
    texts = [
        "Leaf for Kestrel Gold is spread on withering troughs.",  # could answer, no value
        "The leaf is fired in the ovens at 110 degrees Celsius.",  # a relation word and value
        "The room is held at 26 degrees Celsius.",  # a value, nothing the question says
    ]
    assert measured_answers(question, texts, [True, False, False], ANALYZER) == [
        False,
        True,
        False,
    ]
    # Other questions keep the answering test's verdicts.
    assert measured_answers("How is it fired?", texts, [True, False, True], ANALYZER) == [
        True,
        False,
        True,
    ]


def test_an_occupation_is_not_the_word_occupation() -> None:
    # "开始职业足球生涯" holds the question's 职业 in another sense: the lead sentence,
    # which never says 职业, says what he is.
    question = "邹游的职业是什么？"
    career = "邹游在2004年正式进入大连实德一线队开始职业足球生涯。"
    first = "邹游（），中国足球运动员，司职中场。"
    ranking = rank_sentences(question, _hits(career + first), SCORER)
    h, i = ranking.order[0]
    assert ranking.split[h][i].text == first


def test_a_question_asking_what_something_is_called() -> None:
    assert asks_name("沼鹿又叫什么？")
    assert asks_name("中国第三艘航母名字")
    assert asks_name("北京冬奥会吉祥物叫什么")
    assert asks_name("What is the name of Amazon's AI assistant?")
    assert not asks_name("邹游的职业是什么？")
    assert not asks_name("Who founded the company?")
    question = "沼鹿又叫什么？"
    assert names_something("沼鹿（学名：），又名泽鹿，是原住于印度及尼泊尔的鹿。", question)
    assert names_something("北京冬奥会吉祥物“冰墩墩”，以熊猫为原型进行设计创作。", question)
    assert names_something(
        "The cooperative's black tea called **Kestrel Gold** sells best.", question
    )
    # A naming word with no name after it, and a newspaper's title, name nothing asked.
    assert not names_something("微信转发网文：深具建造意义中国第三艘航母或命名.", question)
    assert not names_something("军事专家宋忠平对《环球时报》表示，经验丰富。", question)


def test_the_sentence_giving_the_name_comes_first() -> None:
    question = "沼鹿又叫什么？"
    hunted = "沼鹿消失的原因是被猎杀、烹食及失去栖息地。"
    imported = "沼鹿与印度黑羚于100年前都被引入到德克萨斯州的狩猎场。"
    alias = "沼鹿（学名：），又名泽鹿，是原住于印度及尼泊尔的鹿。"
    ranking = rank_sentences(question, _hits(hunted + imported, alias), SCORER)
    h, i = ranking.order[0]
    assert ranking.split[h][i].text == alias


def test_a_rate_is_answered_by_a_percentage() -> None:
    question = "我国2021年人口出生率"
    # 出生率 says which rate is asked for: it stays a term of the question.
    assert not attribute_terms(question, ANALYZER)
    rate = "全年出生人口1062万人，人口出生率为7.52‰；"
    assert unit_values(question, rate, ANALYZER) == {"7.52‰"}
    assert unit_values("汇率多少？", "汇率为6.45。", ANALYZER) is None  # an exchange rate
    # The count 1062万人 is no other year: the rate sentence gains the answering bonus.
    cooling = "2021年我国出生人口继续回落，成为近段时间的热点话题。"
    assert measured_answers(question, [rate, cooling], [False, True], ANALYZER) == [True, False]
    ranking = rank_sentences(question, _hits(cooling, rate), SCORER)
    h, i = ranking.order[0]
    assert ranking.split[h][i].text == rate


def test_a_label_restating_the_question_then_its_value() -> None:
    question = "2021赛季中超冠军"
    field = "2021赛季中超冠军：山东泰山."
    assert labelled(field, question, ANALYZER)
    assert not labelled("2021赛季中超冠军：", question, ANALYZER)  # no value
    assert not labelled("中超冠军：山东泰山.", question, ANALYZER)  # not the question's season
    # A clause before a title's colon is no label.
    assert not labelled(
        "The Russo Brothers, who directed Avengers: Infinity War, are candidates.",
        "Who directed The Avengers?",
        ANALYZER,
    )
    mention = "如今在2021赛季中超还未正式开始之际，卫冕冠军就遭遇“猝死”。"
    ranking = rank_sentences(question, _hits(mention, field), SCORER)
    h, i = ranking.order[0]
    assert ranking.split[h][i].text == field


def test_a_name_said_to_be_the_asked_about_thing_is_no_answer_value() -> None:
    question = "Who founded the company?"
    footer = "The Lumen Tea Cooperative is a fictional company; this page is sample content."
    assert referent("name", footer, question, ANALYZER)
    # Another name beside it, or the noun after a function word, is not the thing asked.
    assert not referent(
        "name", "Facebook is the company that acquired Instagram.", question, ANALYZER
    )
    assert not referent("name", "Mirela Osei is a founder of the company.", question, ANALYZER)
    assert not referent(None, footer, question, ANALYZER)
    history = (CORPUS / "company_history.md").read_text(encoding="utf-8")
    founding = history[history.index("The cooperative was founded") : history.index("The name")]
    faq = (
        "Answers to the questions our online shop receives most often. The Lumen\n"
        "Tea Cooperative is a fictional company; this page is sample content."
    )
    ranking = rank_sentences(question, _hits(faq, founding), SCORER)
    h, i = ranking.order[0]
    assert "credited as founders" in ranking.split[h][i].text
