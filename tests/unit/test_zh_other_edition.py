"""Chinese questions: another session (十三届一次会议 for 十三届五次会议), another season
(2020-2021赛季 for 2021-2022赛季), a quarter written Q4 for a year's figure, and a clock
time or a code's digits for a count answer nothing, and "not in the documents" follows;
the sentence that does answer still does. Real analyzer and jieba tagger throughout."""

from __future__ import annotations

import pytest
from checkers import answerable

from ragkit.answer.kinds import has_kind
from ragkit.answer.rules_zh import ordinals, other_ordinal, other_range, part_of_year, year_ranges


def test_a_session_is_counted_by_its_congress_and_its_number() -> None:
    assert ordinals("全国政协十三届五次会议闭幕时间") == {(13, "届"), (5, "次")}
    assert ordinals("十四届全国人大一次会议") == {(14, "届"), (1, "次")}
    # 次 alone counts times, not sessions.
    assert ordinals("他三次参加冬奥会") == set()
    q = "全国政协十三届五次会议闭幕时间"
    assert other_ordinal(q, "全国政协十三届一次会议3月15日上午9点30分在人民大会堂举行闭幕会。")
    assert not other_ordinal(q, "全国政协十三届五次会议3月10日上午在人民大会堂闭幕。")


def test_a_span_of_years_is_one_season() -> None:
    assert year_ranges("CBA2021-2022赛季总冠军") == {(2021, 2022)}
    assert year_ranges("2020/21赛季") == {(2020, 2021)}
    assert year_ranges("2013—2021年，我国工业增加值年均增长6.1%") == set()  # a period
    q = "CBA2021-2022赛季总冠军"
    assert other_range(q, "2020-2021赛季CBA总决赛在5月1日正式落下帷幕，广东宏远队夺得总冠军。")
    assert not other_range(q, "2021-22赛季CBA总决赛，辽宁队夺得总冠军。")
    assert not other_range(q, "辽宁队夺得总冠军。")  # no season named: no judgement


def test_a_quarter_written_q4_is_part_of_a_year() -> None:
    q = "2021年东吴证券的净利润是多少？"
    assert part_of_year(q, "杰锐思2021Q4收入占比在75%以上，净利润为1.2亿元。")
    assert part_of_year(q, "东吴证券2021年H1净利润为10亿元。")
    assert not part_of_year(q, "2021年东吴证券实现净利润23.92亿元。")
    assert not part_of_year(q, "东吴证券的QFII业务净利润为1.2亿元。")  # no quarter
    # A question asking a quarter's figure is not judged.
    assert not part_of_year("东吴证券2021Q4的净利润是多少？", "东吴证券2021Q4净利润为6亿元。")


def test_a_clock_time_or_a_code_is_no_count() -> None:
    q = "喀麦隆失联飞机上有多少人"
    assert not has_kind("number", "这架飞机于11日14时左右与地面失去联系。", q)
    assert not has_kind("number", "来源：央视新闻客户端 流程编辑：TF022", q)
    assert not has_kind("number", "飞机于下午3点起飞。", q)
    assert has_kind("number", "机上共有11人。", q)
    assert has_kind("number", "全程需要24小时。", "全程需要多少小时？")  # a span stays
    assert has_kind("number", "上证指数上涨15点。", "上证指数上涨了多少点？")  # points stay


@pytest.mark.parametrize(
    ("question", "other", "right"),
    [
        pytest.param(
            "全国政协十三届五次会议闭幕时间",
            "全国政协十三届一次会议3月15日上午9点30分在人民大会堂举行闭幕会。",
            "全国政协十三届五次会议3月10日上午在人民大会堂闭幕。",
            id="another session of the congress",
        ),
        pytest.param(
            "CBA2021-2022赛季总冠军",
            # The next sentence names the season asked: the window holds its years.
            "回顾：2020-2021赛季CBA总决赛在5月1日落下帷幕，广东宏远队夺得CBA总冠军。"
            "2021-2022赛季CBA季后赛将于4月开打。",
            "2021-2022赛季CBA总决赛落幕，辽宁本钢队夺得CBA总冠军。",
            id="another season",
        ),
        pytest.param(
            "喀麦隆失联飞机上有多少人",
            "据当地媒体报道，喀麦隆这架失联飞机于11日14时左右与地面失去联系。",
            "喀麦隆失联飞机上共有11人，包括乘客和机组人员。",
            id="a clock time for a count",
        ),
    ],
)
def test_another_edition_does_not_answer_the_sentence_that_does_still_does(
    question: str, other: str, right: str
) -> None:
    assert not answerable(question, other)
    assert answerable(question, other, right)
