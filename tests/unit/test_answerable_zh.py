"""Chinese negative rejection: a retrieved sentence about another thing of the same kind
(another ordinal, a year only compared with, part of a year, no person for 谁…) does not
answer a Chinese question, and "not in the documents" follows; the sentence that does
answer still does. Real analyzer and jieba tagger throughout."""

from __future__ import annotations

from checkers import answerable
from checkers import hits as _hits

from ragkit.answer.answerable import answering_windows, can_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.kinds import answer_kind
from ragkit.answer.rules_zh import (
    compared_only,
    compounds,
    figure_apart,
    figure_noun,
    forecast_only,
    ordinal_unsaid,
    ordinals,
    other_day,
    other_modifier,
    other_ordinal,
    part_of_year,
    role_apart,
    titles,
)
from ragkit.text.analysis import Analyzer

ANALYZER = Analyzer()
SCORER = SentenceScorer(ANALYZER)


def test_ordinals_are_read_in_digits_and_chinese_numerals() -> None:
    assert ordinals("北京冬奥会第一棒火炬手") == {(1, "棒")}
    assert ordinals("姚明作为第19棒火炬手，点燃了第20棒火炬手手中的火炬") == {
        (19, "棒"),
        (20, "棒"),
    }
    assert ordinals("第二十三届冬奥会") == {(23, "届")}
    assert ordinals("首趟RCEP班列") == {(1, "趟")}
    assert ordinals("第十届中国产业互联网高峰论坛") == {(10, "届")}


def test_another_ordinal_of_the_same_thing_answers_nothing() -> None:
    q = "谁是北京冬奥会第一棒火炬手"
    assert other_ordinal(q, "姚明作为第19棒火炬手，点燃了第20棒火炬手手中的火炬。")
    assert not other_ordinal(q, "第1棒火炬手罗致焕从第19棒手中接过火炬。")
    assert not other_ordinal(q, "首棒火炬手是罗致焕。")  # 首 is 第一
    # Another measure word counts another thing: no judgement.
    assert not other_ordinal(q, "这是第三次举办火炬传递。")
    sub = "印度第三艘“歼敌者”级核潜艇下水的时间"
    assert other_ordinal(sub, "2018年10月，印度的第一艘“歼敌者”级潜艇开展首次威慑巡逻。")
    assert not other_ordinal(sub, "印度第三艘核潜艇于2021年11月23日下水。")


def test_a_year_named_only_as_a_comparison_is_not_the_year_asked() -> None:
    q = "河南2021年的粮食总产量是多少？"
    assert compared_only(q, "与2021年相比，2022年各省份粮食总产量排名仅陕西和广东排名互换。")
    # The year after it, though no other year is named.
    assert compared_only("我国2021年人口出生率", "人口出生率为6.77‰，比2021年下降0.75个千分点。")
    assert not compared_only(q, "2021年河南粮食总产量1308.84亿斤，比2020年增长。")
    assert not compared_only(q, "2021年粮食总产量较2020年增长，河南居第二。")
    assert not compared_only(q, "河南粮食总产量1308.84亿斤。")  # names no year: no judgement


def test_another_modifier_of_the_asked_noun_is_another_thing() -> None:
    q = "印控克什米尔地区寺庙踩踏事故死亡人数"
    assert ("踩踏", "事故") in compounds(q, ANALYZER)
    traffic = "据印度媒体5月30日报道，印控克什米尔地区发生一起交通事故，已造成10人死亡。"
    assert other_modifier(q, traffic, ANALYZER)
    stampede = "今年1月，印控克什米尔地区一座印度教寺庙发生踩踏事故，造成12人死亡。"
    assert not other_modifier(q, stampede, ANALYZER)
    v = "北京2022冬奥会高校志愿者有多少人"
    assert other_modifier(v, "做到下面3点，你可以成为2022年北京冬奥会赛会志愿者。", ANALYZER)
    # The question's modifier elsewhere in the sentence: said another way.
    paraphrase = "首都高校将有1.4万名师生作为赛会志愿者，为各国运动员提供保障服务。"
    assert not other_modifier(v, paraphrase, ANALYZER)
    # A verb or a pronoun before the noun makes no other kind of it.
    d = "2022年冬奥会开幕式总导演是谁"
    assert not other_modifier(d, "北京冬奥会开幕式由张艺谋担任总导演。", ANALYZER)
    assert not other_modifier(q, "这起事故造成12人死亡。", ANALYZER)


def test_a_title_in_the_question_is_a_name_the_documents_must_hold() -> None:
    assert titles("《我们的冬奥》的上映时间？") == ["我们的冬奥"]
    q = "《我们的冬奥》的上映时间？"
    other = "第24届冬奥会——2022年北京冬奥会开幕式将于2月4日星期五20:00在国家体育场举行。"
    assert not answerable(q, other)
    film = "纪录电影《我们的冬奥》将于2月19日在全国上映。"
    assert answerable(q, other, film)


def test_another_day_or_month_is_another_time() -> None:
    q = "2022年1月5日全国新增确诊病例数？"
    assert other_day(q, "1月8日0—24时，31个省报告新增确诊病例14171例。")
    assert other_day(q, "结果显示：2022年9月-12月上旬，哨点医院每周流感样病例上升。")
    assert not other_day(q, "1月5日0—24时，31个省报告新增确诊病例189例。")
    assert not other_day(q, "1月新增确诊病例逐日下降。")  # the month, no other day
    assert not other_day(q, "新增确诊病例189例。")  # names no time: no judgement
    assert not other_day("2022年全国新增确诊病例数？", "1月8日新增确诊病例14171例。")


def test_a_number_beside_another_figure_is_not_the_figure_asked() -> None:
    assert figure_noun("2022年英特尔全年营收", ANALYZER) == "营收"
    assert figure_noun("香港第七届立法会选举有多少个议席？", ANALYZER) == "议席"
    assert figure_noun("塔里木油田2021年的油气产量是多少？", ANALYZER) == "产量"
    assert figure_noun("北京冬奥会澳大利亚运动员数量", ANALYZER) == ""  # any count
    q = "2022年英特尔全年营收"
    profit = "2022年英特尔的总营收首次被台积电超越，净利润也落后于台积电2959亿新台币。"
    assert figure_apart(q, profit, ANALYZER)
    assert not figure_apart(q, "英特尔2022年全年营收为631亿美元，同比下降20%。", ANALYZER)
    seats = "香港特区第七届立法会功能团体界别选举的30个 ..."
    assert figure_apart("香港第七届立法会选举有多少个议席？", seats, ANALYZER)
    # Not a question for a number: no judgement.
    assert not figure_apart("英特尔的总部在哪里", profit, ANALYZER)


def test_a_role_asked_for_needs_a_name_in_its_clause() -> None:
    q = "2022年冬奥会开幕式总导演是谁"
    film = "担任北京2022年冬奥会官方电影的总导演是一个崇高而又艰巨的工作。"
    assert not role_apart(q, film, ANALYZER)  # 北京 stands in the clause: jieba's name
    ceremony = "将于2月4日举行的2022年北京冬奥会开幕式将会为为期17天的赛事拉开序幕。"
    assert role_apart(q, ceremony, ANALYZER)  # names a place, but no director
    assert not role_apart(q, "北京冬奥会开幕式由张艺谋担任总导演。", ANALYZER)
    # A word sharing a character with the role states it: 执导, 夺冠.
    assert not role_apart("电影《四海》的导演是谁", "《四海》是韩寒执导的电影。", ANALYZER)
    assert role_apart("2021赛季中超冠军", "2021赛季中超冠军将在最后一轮产生。", ANALYZER)
    assert not role_apart("2021赛季中超冠军", "山东泰山队提前两轮夺冠。", ANALYZER)
    assert not role_apart("2021赛季中超冠军", "2021赛季中超冠军：山东泰山。", ANALYZER)  # a label
    # No role asked: no judgement.
    assert not role_apart("冬奥会在哪里举办", ceremony, ANALYZER)


def test_a_query_without_a_question_word_asks_for_what_its_last_noun_names() -> None:
    assert answer_kind("2021赛季中超冠军") == "name"
    assert answer_kind("2023年春节档首日票房冠军") == "name"  # not the 票房
    assert answer_kind("2022年特斯拉交付量") == "number"
    assert answer_kind("我国2021年人口出生率") == "number"
    assert answer_kind("2022年春节档的总票房是多少") == "number"
    assert answer_kind("赵鹏的职业是什么？") is None  # a question word: as before
    assert answer_kind("沙特参加冬奥会的项目") is None  # no kind named
    # Which ones ask for names as which one does.
    assert answer_kind("RCEP具体包括哪些国家") == "name"
    assert answer_kind("2022春节档票房冠军是哪部电影") == "name"


def test_part_of_a_year_is_not_the_year_asked() -> None:
    q = "美国2021年GDP增长多少"
    assert part_of_year(q, "2021年三、四季度美国GDP环比增长率分别为0.6%和1.7%。")
    assert not part_of_year(q, "2021年美国GDP同比增长5.7%，其中四季度增长1.7%，全年创新高。")
    assert not part_of_year(q, "2021年美国GDP同比增长5.7%。")
    assert not part_of_year("美国2021年第四季度GDP增长多少", "四季度美国GDP环比增长1.7%。")


def test_negatives_of_another_ordinal_or_year_leave_the_documents_silent() -> None:
    q = "谁是北京冬奥会第一棒火炬手"
    negative = "北京申办冬奥会形象大使姚明作为第19棒火炬手，点燃了第20棒火炬手手中的火炬。"
    hits = _hits(negative)
    assert not answering_windows(q, [negative], SCORER)
    assert not can_answer(q, hits, SCORER, MIN_RELEVANCE)
    positive = "北京冬奥会第一棒火炬手是速度滑冰运动员罗致焕。"
    assert answerable(q, negative, positive)
    y = "河南2021年的粮食总产量是多少？"
    compared = "与2021年相比，2022年河南粮食总产量达到1357.87亿斤，排名全国第二。"
    assert not answerable(y, compared)
    stated = "2021年河南粮食总产量为1308.84亿斤，居全国第二。"
    assert answerable(y, compared, stated)


def test_a_figure_expected_or_planned_is_no_figure_reached() -> None:
    q = "2022年英特尔全年营收"
    forecast = "调整后，每年每股预期收益为2.3美元，预期营收为650-680亿美元。"
    assert forecast_only(q, forecast)
    assert not forecast_only(q, "英特尔2022年全年营收为631亿美元，预计2023年继续下降。")
    target = "特斯拉2022年的交付量需要超过140万辆，交付目标为150万辆。"
    assert forecast_only("2022年特斯拉交付量", target)
    # A question asking for the forecast is answered by it.
    assert not forecast_only("黑石集团预测2022年美联储将加息几次", "黑石集团预计美联储将加息4次。")
    assert not answerable(q, forecast)


def test_a_word_sharing_a_character_with_the_role_must_be_a_verb() -> None:
    q = "2021赛季中超冠军"
    league = "目前，亚冠中只剩下广州队、北京国安和上海海港三支中超球队。"
    assert role_apart(q, league, ANALYZER)  # 亚冠 is a league, not a title won
    assert not role_apart(q, "山东泰山队提前两轮夺冠。", ANALYZER)  # 夺冠: won
    cast = "演员们灵动的舞台走位与写意流动的舞美在北京相互交融。"
    assert role_apart("《踏冰逐梦》的主演是谁", cast, ANALYZER)  # 演员, not the leads
    assert not role_apart("《踏冰逐梦》的主演是谁", "《踏冰逐梦》由张丹、张昊主演。", ANALYZER)
    # The role with a word before it names no holder ("卫冕冠军", which jieba tags a name).
    holder = "如今在2021赛季中超还未正式开始之际，卫冕冠军就遭遇“猝死”。"
    assert role_apart(q, holder, ANALYZER)
    assert not role_apart(q, "卫冕冠军山东泰山再次夺冠。", ANALYZER)


def test_an_ordinal_asked_must_stand_by_the_answer() -> None:
    q = "谁是北京冬奥会第一棒火炬手"
    relay = "2月2日，火炬手姚明（右）与乔治·伊利奥普洛斯进行火炬传递。"
    assert ordinal_unsaid(q, relay)
    assert not ordinal_unsaid(q, "首棒火炬手是速度滑冰运动员罗致焕。")
    assert not ordinal_unsaid(q, "北京冬奥会第1棒火炬手罗致焕。")
    assert not ordinal_unsaid("北京冬奥会火炬手有谁", relay)  # no ordinal asked
    assert not answerable(q, relay)
    positive = "北京冬奥会第一棒火炬手是速度滑冰运动员罗致焕。"
    assert answerable(q, relay, positive)
