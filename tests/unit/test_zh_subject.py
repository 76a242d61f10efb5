"""Chinese questions: the thing whose attribute is asked, a length asked by 多长, and four
digits before a unit of length (`ragkit.answer.rules_zh`, `ragkit.answer.kinds.YEAR`)."""

from __future__ import annotations

from pathlib import Path

from ragkit.answer.answerable import can_answer, kind_values
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.rules_zh import (
    asked_subject,
    asks_length,
    length_unsaid,
    subject_unsaid,
)
from ragkit.text.analysis import Analyzer
from tests.checkers import hit

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"
ANALYZER = Analyzer()
SCORER = SentenceScorer(ANALYZER)

CENTRE = (
    "## 杭州品鉴中心\n\n合作社于2019年在浙江省杭州市西湖区开设了品鉴中心，地址是龙井路88号。"
    "品鉴中心每周三至周日开放，每天上午10点到下午6点；每周六下午2点有一场免费的冲泡课程，"
    "名额为20人，需要提前在线报名。"
)
GARDEN = (
    "雾溪茶园简介\n\n茶园始建于2003年，最初只有17户茶农参与。茶园平均海拔1650米，年降雨量约"
    "1400毫米。\n\n想参观茶园的访客需提前两周预约；每年4月的第一个周末，茶园会举办开园节。"
)
BRIDGE = "德余高速乌江特大桥主桥为504米的钢管混凝土拱桥。大桥的合龙经过缆索吊近7个小时的接力。"


def _answers(question: str, *texts: str) -> str:
    hits = [hit(text, i + 1) for i, text in enumerate(texts)]
    return extract_answer(question, hits, SCORER).text


def test_the_thing_asked_about_is_named_by_the_answer() -> None:
    q = "茶园的开放时间是什么？"
    assert asked_subject(q, ANALYZER) == "茶园"
    assert asked_subject("杭州品鉴中心的地址是什么？", ANALYZER) == "中心"
    # The 品鉴中心's hours, under its heading, are not the 茶园's.
    assert subject_unsaid(q, "杭州品鉴中心\n品鉴中心每周三至周日开放。", ANALYZER)
    assert not subject_unsaid(q, "茶园每天上午8点到下午5点开放。", ANALYZER)
    assert "品鉴中心每周三至周日开放" not in _answers(q, CENTRE, GARDEN)
    # The centre's sentence gets no value bonus for its hours: it is not quoted first.
    guide = (SAMPLES / "brewing_guide_zh.md").read_text(encoding="utf-8")
    garden = (SAMPLES / "wuxi_garden_zh.txt").read_text(encoding="utf-8")
    assert "品鉴中心每周三至周日开放" not in _answers(q, guide, garden)
    garden_hours = "雾溪茶园简介\n\n茶园每天上午8点到下午5点开放。"
    assert _answers(q, CENTRE, garden_hours).startswith("茶园每天上午8点")
    # The centre's own question keeps its answer.
    assert _answers("品鉴中心的开放时间是什么？", CENTRE).startswith("品鉴中心每周三至周日开放")
    assert "龙井路88号" in _answers("杭州品鉴中心的地址是什么？", CENTRE)


def test_no_common_noun_asked_about_means_no_subject() -> None:
    # A proper noun is one of the question's names (checked in the whole document), a
    # verb or a position before 的 names no thing, and 的 before the question word asks
    # no attribute.
    assert asked_subject("雾溪的海拔是多少？", ANALYZER) == ""
    assert asked_subject("赵鹏在2014年下半赛季没有出场的原因是什么？", ANALYZER) == ""
    assert asked_subject("谷歌Minerva模型在MATH数据集上的准确率是多少？", ANALYZER) == ""
    assert asked_subject("梁冠华在《相逢时节》中演的谁", ANALYZER) == ""
    assert asked_subject("莱昂德罗·内托的职业是什么？", ANALYZER) == ""
    assert asked_subject("What are the opening hours of the garden?", ANALYZER) == ""


def test_how_long_asks_a_length_by_what_it_measures() -> None:
    q = "德余高速乌江特大桥主桥多长"
    assert asks_length(q, ANALYZER)
    assert asks_length("茶园离昆明多长的距离？", ANALYZER)
    assert asks_length("观塘明渠下游露天部分有多长？", ANALYZER)
    # A stretch of time, a verb, 多长时间 and 多久 ask a time.
    assert not asks_length("刘燕卿担任消委会的申诉专员的任期是多长？", ANALYZER)
    assert not asks_length("晨雾绿茶每次浸泡多长？", ANALYZER)
    assert not asks_length("晨雾绿茶每次浸泡多长时间？", ANALYZER)
    assert not asks_length("特拉斯当了多久首相", ANALYZER)
    assert length_unsaid(q, "大桥的合龙经过缆索吊近7个小时的接力。", ANALYZER)
    assert not length_unsaid(q, "主桥为504米的钢管混凝土拱桥。", ANALYZER)
    assert _answers(q, BRIDGE).startswith("德余高速乌江特大桥主桥为504米")
    only_hours = "德余高速乌江特大桥主桥的合龙经过缆索吊近7个小时的接力。"
    assert not can_answer(q, [hit(only_hours)], SCORER, MIN_RELEVANCE)


def test_four_digits_before_a_unit_of_length_are_no_year() -> None:
    assert kind_values("date", "年降雨量约1400毫米，主线长2100公里。", "什么时候？", ANALYZER) == []
    assert "2003" in kind_values("date", "茶园始建于2003年。", "什么时候？", ANALYZER)
