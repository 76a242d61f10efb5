"""Chinese question kinds and their values: how long (多长时间, 多久) asks for a span, not a
date; when (什么时候) is answered by a weekday or a clock time; a share in the asked
attribute's unit (湿度 60%) is a value; a founding (建立, 成立) asks for the founding of the
thing named, not another; a definition (X的定义) must name X; a count of four digits
(1062万人) is no year; a conjunction jieba joins to a name (和雾溪) is not part of it.
Real analyzer and jieba tagger; texts shaped like samples/corpus/*_zh.*."""

from __future__ import annotations

from ragkit.answer.answerable import can_answer, kind_values
from ragkit.answer.attributes import attribute_terms, unit_values
from ragkit.answer.evidence import tense
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.kinds import answer_kind, has_kind
from ragkit.answer.question_terms import chinese_names
from ragkit.answer.rules_en import other_year
from ragkit.answer.rules_zh import defined_term, defined_unsaid, figure_apart, founded_apart
from ragkit.text.analysis import Analyzer
from tests.checkers import hit

ANALYZER = Analyzer()
SCORER = SentenceScorer(ANALYZER)


def _answers(question: str, *texts: str) -> str:
    hits = [hit(text, i + 1) for i, text in enumerate(texts)]
    return extract_answer(question, hits, SCORER).text


GREEN = "晨雾绿茶的叶片细嫩，水温过高会产生苦味。推荐水温为80摄氏度，每次浸泡2分钟。"
CENTRE = (
    "品鉴中心每周三至周日开放，每天上午10点到下午6点；每周六下午2点有一场免费的冲泡课程，"
    "名额为20人，需要提前在线报名。"
)
STORE = "茶叶应密封保存，放在阴凉、干燥、无异味的地方，环境湿度最好低于60%。"
GARDEN = "雾溪茶园位于云南省。茶园始建于2003年，最初只有17户茶农参与。"
TASTING = "2023年，双方共同建立了一个小型品鉴室，每年秋天接待来自昆明和普洱的茶友。"


def test_how_long_asks_for_a_span_not_a_date() -> None:
    q = "晨雾绿茶每次浸泡多长时间？"
    assert answer_kind(q) == "number"  # its 时间 is no date asked
    assert answer_kind("宣誓仪式的时间") == "date"  # 时间 alone still asks when
    assert "2分钟" in _answers(q, GREEN)
    # A Chinese numeral with a unit of time answers 多久 (两 alone counts nothing).
    visit = "想参观茶园的访客需提前两周预约；茶园不接待超过12人的团队！"
    assert has_kind("number", visit, "访客需要提前多久预约？", ANALYZER)
    assert not has_kind("number", "访客需提前预约。", "访客需要提前多久预约？", ANALYZER)
    assert not has_kind("number", visit[:16], "访客需要提前几人预约？", ANALYZER)


def test_a_weekday_or_clock_time_says_when() -> None:
    q = "免费冲泡课程在什么时候？"
    said = kind_values("date", CENTRE, q, ANALYZER)
    assert {"周三至周日", "上午10点", "周六", "下午2点"} <= set(said)
    assert has_kind("date", "每周六下午2点有一场免费的冲泡课程。", q, ANALYZER)
    # 一点 (a little) and 两点 (two points) alone are no time.
    assert not has_kind("date", "这款茶有一点苦味，有两点需要注意。", q, ANALYZER)
    assert "周六下午2点" in _answers(q, CENTRE)
    assert "周三至周日" in _answers("品鉴中心什么时候开放？", CENTRE)
    # English questions are left as they were: a clock time alone dates no premiere.
    assert not has_kind("date", "Episode 24 airs at 6:00 on AMC.", "What is the premiere date?")


def test_a_share_in_the_asked_attributes_unit_answers() -> None:
    q = "茶叶储存环境的湿度应该低于多少？"
    assert unit_values(q, STORE, ANALYZER) == {"60%"}
    assert "60%" in _answers(q, STORE)
    # A count is still not answered by a share.
    count = "合作社的茶叶已占全国销量的近34%。"
    assert unit_values("合作社卖出了多少茶叶？", count, ANALYZER) is None
    assert not can_answer("合作社卖出了多少茶叶？", [hit(count)], SCORER, MIN_RELEVANCE)


def test_a_founding_asked_needs_the_founding_of_that_thing() -> None:
    q = "雾溪茶园是哪一年建立的？"
    assert founded_apart(q, TASTING, ANALYZER)  # 建立 a 品鉴室: another thing founded
    assert not founded_apart(q, "茶园始建于2003年，最初只有17户茶农参与。", ANALYZER)
    # No founding verb at all: the year of something else.
    assert founded_apart(q, "流明茶叶合作社与雾溪茶园的合作始于2016年。", ANALYZER)
    opened = "合作社于2019年在浙江省杭州市西湖区开设了品鉴中心，地址是龙井路88号。"
    assert not founded_apart("品鉴中心是哪一年开设的？", opened, ANALYZER)
    # Not a question on a founding: no judgement.
    assert not founded_apart("品鉴室每年什么时候接待茶友？", TASTING, ANALYZER)
    answer = _answers(q, TASTING, GARDEN)
    assert "2003" in answer and "2023" not in answer
    room = "2023年，雾溪茶园与合作社共同建立了一个小型品鉴室。"
    assert not can_answer(q, [hit(room)], SCORER, MIN_RELEVANCE)


def test_the_start_is_what_a_founding_question_asks_about() -> None:
    start = "茶园始建于2003年，最初只有17户茶农参与。"
    assert tense(start, "雾溪茶园是哪一年建立的？") == 0
    assert tense(start, "雾溪茶园有多少户茶农？") == 1  # asks how many now


def test_a_definition_asked_is_a_sentence_defining_its_term() -> None:
    q = "操场的定义是什么？"
    assert defined_term(q) == "操场"
    other = "“胜任力”这个词第一次正式出现是在1959年的一篇文章中，作者White将其定义为一个概念。"
    assert defined_unsaid(q, other)
    assert not defined_unsaid(q, "操场是指用以进行步操、阅兵、集会的场地。")
    coolie = "苦力（粤语称作咕喱，英文写成Coolie）是指从事劳动工作，以付出劳力来维生的廉价劳工。"
    assert not defined_unsaid("苦力的定义是什么？", coolie)
    # Speaking of the term defines nothing: 是被, 为于.
    assert defined_unsaid("苦力的定义是什么？", "很多苦力是被各种方式所欺骗，然后被收押。")
    assert defined_unsaid("苦力的定义是什么？", "部分苦力为于部落暴力事件中的受害者。")
    assert not defined_unsaid("操场有几种？", other)  # no definition asked
    # 定义 asks, like 职业: a sentence holding the word is no better an answer.
    assert "定义" in attribute_terms(q, ANALYZER)
    answer = _answers(q, other + "操场是指用以进行步操、阅兵、集会的场地。")
    assert answer.startswith("操场是指")
    assert not can_answer(q, [hit(other)], SCORER, MIN_RELEVANCE)


def test_four_digits_counting_something_are_no_year() -> None:
    q = "我国2021年出生人口是多少？"
    births = "全年出生人口1062万人，人口出生率为7.52‰。"
    assert not other_year(q, births)  # 1062万 is no year
    assert other_year(q, "2020年出生人口1200万人。")
    assert kind_values("date", "经过2000多年的发展，耗资1500元。", "什么时候？", ANALYZER) == []
    assert "2003" in kind_values("date", "茶园始建于2003年。", "什么时候？", ANALYZER)
    years = kind_values("date", "the 2019 US Open, 1998-2003", "When?", ANALYZER)
    assert {"2019", "1998", "2003"} <= set(years)


def test_a_conjunction_joined_to_a_name_is_not_part_of_it() -> None:
    q = "合作社和雾溪茶园的合作是哪一年开始的？"
    assert "和雾溪" not in chinese_names(q, ANALYZER)
    assert "雾溪" in chinese_names(q, ANALYZER)
    assert "2016" in _answers(q, "流明茶叶合作社与雾溪茶园的合作始于2016年。")


def test_a_figure_bounding_a_class_is_no_figure_of_one() -> None:
    q = "2021年北京大兴机场年旅客吞吐量"
    airports = "各机场中，年旅客吞吐量1000万人次以上的机场有27个（新增北京大兴机场）。"
    assert figure_apart(q, airports, ANALYZER)
    assert not figure_apart(q, "北京大兴机场年旅客吞吐量达2500万人次以上。", ANALYZER)
    assert not figure_apart(q, "北京大兴机场年旅客吞吐量为2500万人次。", ANALYZER)
