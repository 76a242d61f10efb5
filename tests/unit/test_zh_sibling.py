"""Chinese questions: a later quote about a sibling of the thing asked about (海宁站 for
海宁西站, 大沙地站 for 大沙东站: `ragkit.answer.rules_zh.sibling_named`)."""

from __future__ import annotations

from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.rules_zh import named_things, sibling_named
from ragkit.text.analysis import Analyzer
from tests.checkers import hit

ANALYZER = Analyzer()
SCORER = SentenceScorer(ANALYZER)

EAST = "大沙东站（）是广州地铁五号线的车站，位于黄埔区大沙地东路镇东路口东侧的地底。"
WEST = "大沙地站（）是广州地铁五号线的车站，位于黄埔区大沙地西路港湾路口西侧的地底。"


def _answers(question: str, *texts: str) -> str:
    return extract_answer(question, [hit(t, i + 1) for i, t in enumerate(texts)], SCORER).text


def test_the_thing_asked_about_is_a_proper_noun_with_its_nouns() -> None:
    assert named_things("海宁西站位于哪里？", ANALYZER) == ["海宁西站"]
    assert "鑫诺一号" in named_things("鑫诺一号通信卫星由什么公司制造？", ANALYZER)
    assert named_things("Where is Haining West station?", ANALYZER) == []


def test_a_name_a_character_or_two_apart_is_another_thing() -> None:
    q = "大沙东站是哪个地铁的站点？"
    assert sibling_named(q, WEST, ANALYZER)
    assert not sibling_named(q, EAST, ANALYZER)
    assert sibling_named("海宁西站位于哪里？", "所有海宁站的普速列车停靠杭州南站。", ANALYZER)
    # The sibling first, the question's thing after it: the sentence is the sibling's.
    replacement = "鑫诺五号直播卫星为鑫诺一号的替代卫星，于2011年发射升空。"
    assert sibling_named("鑫诺一号通信卫星由什么公司制造？", replacement, ANALYZER)
    # A shorter form holding the question's own name is that thing: 鑫诺一号卫星.
    own = "鑫诺一号卫星是法国宇航公司制造的一颗通信卫星。"
    assert not sibling_named("鑫诺一号通信卫星由什么公司制造？", own, ANALYZER)
    # A longer wording of the same name cut inside a word is no sibling.
    assert not sibling_named("2022年澳网男单冠军", "纳达尔夺得澳网男子单打冠军。", ANALYZER)


def test_a_sibling_is_not_quoted_after_the_answer() -> None:
    text = _answers("大沙东站是哪个地铁的站点？", EAST, WEST)
    assert text.startswith("大沙东站（）是广州地铁五号线的车站")
    assert "大沙地站" not in text
    # The sibling's own question still quotes it.
    assert _answers("大沙地站是哪个地铁的站点？", WEST, EAST).startswith("大沙地站（）")
