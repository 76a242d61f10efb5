"""Chinese figures jieba cuts after a prefix (总营|收, 营|收): still the figure a question
asks for (`ragkit.answer.rules_zh.figure_noun`, `figure_apart`)."""

from __future__ import annotations

from ragkit.answer.answerable import can_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.rules_zh import figure_apart, figure_noun
from ragkit.text.analysis import Analyzer
from tests.checkers import hits

ANALYZER = Analyzer()
SCORER = SentenceScorer(ANALYZER)

LOSS = "2021年B站调整后的净亏损为55亿元，上年同期为26亿元，同比增长超过110%。"


def test_a_figure_cut_by_jieba_is_still_the_figure_asked() -> None:
    q = "B站2021财年总营收是多少？"
    assert figure_noun(q, ANALYZER) == "营收"
    assert figure_noun("美团2022年第一季度营收是多少？", ANALYZER) == "营收"
    assert figure_apart(q, LOSS, ANALYZER)
    assert not figure_apart(q, "B站2021财年总营收为193.8亿元，同比增长62%。", ANALYZER)
    # No figure word at the end: nothing is made up ("总票房收入" asks by its own words).
    assert figure_noun("2022年中国电影的总票房收入", ANALYZER) == ""


def test_another_figure_does_not_answer_the_revenue() -> None:
    q = "B站2021财年总营收是多少？"
    assert not can_answer(q, hits(LOSS), SCORER, MIN_RELEVANCE)
    revenue = "B站2021财年总营收为193.8亿元，同比增长62%。"
    assert can_answer(q, hits(revenue), SCORER, MIN_RELEVANCE)
