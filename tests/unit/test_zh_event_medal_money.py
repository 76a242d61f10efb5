"""Chinese questions: the event asked by its place (北京冬奥会, not 平昌冬奥会), the medal
asked (金牌, not 银牌), an amount of money for 多少钱, a person for a person's role (主演,
编剧), a page's words to its reader, and whose kin someone is (谁的儿子)
(`ragkit.answer.rules_zh`)."""

from __future__ import annotations

from ragkit.answer.rules_zh import (
    kin_unsaid,
    money_unsaid,
    other_medal,
    other_modifier,
    page_furniture,
    role_apart,
    zh_mismatch,
)
from ragkit.text.analysis import Analyzer
from tests.checkers import answerable

ANALYZER = Analyzer()


def test_the_same_event_held_elsewhere_is_another_event() -> None:
    q = "北京冬奥会男子500米速度滑冰金牌"
    assert other_modifier(q, "武大靖，2018年平昌冬奥会短道速滑男子500米金牌", ANALYZER)
    assert not other_modifier(q, "高亭宇获得北京冬奥会速度滑冰男子500米金牌", ANALYZER)
    # No place before the event: nothing says it is another one.
    assert not other_modifier(q, "本届冬奥会速度滑冰男子500米金牌由高亭宇获得", ANALYZER)
    # A common noun before an abbreviated event is no place of it.
    assert not other_modifier("冬季冬奥会的口号", "平昌冬奥会的口号", ANALYZER)


def test_another_medal_is_not_the_one_asked() -> None:
    q = "北京冬奥会男子1500米速度滑冰比赛中谁获得了金牌？"
    silver = (
        "北京冬奥会是鲁斯特参加的第二届奥运会，2018年平昌冬奥会时，他获得了男子1500米比赛的银牌。"
    )
    assert other_medal(q, silver)
    assert not other_medal(q, "凯尔·内斯夺得北京冬奥会男子1500米速度滑冰冠军，鲁斯特获得银牌。")
    assert not other_medal("2023年温网女单亚军", "上届亚军、6号种子贾巴尔对阵非种子选手万卓索娃")
    assert other_medal("2023年温网女单亚军", "万卓索娃夺得2023年温网女单冠军")
    assert not answerable(q, silver)


def test_an_amount_of_money_asked_needs_money() -> None:
    q = "邓伦逃税了多少钱"
    shops = "其中最大头的就是邓伦和兄弟合伙开的火锅店，全国范围内最少11家分店。"
    fine = "邓伦逃税4765.82万元，被依法追缴税款并处罚款共计1.06亿元。"
    assert money_unsaid(q, shops)
    assert not money_unsaid(q, fine)
    assert not money_unsaid("微软花了多少钱收购动视暴雪", "交易价值近700亿美金")
    # A count asked is no amount of money.
    assert not money_unsaid("邓伦开了多少家火锅店", shops)
    assert not answerable(q, shops)
    assert answerable(q, fine)


def test_a_person_role_is_named_by_a_person() -> None:
    q = "《踏冰逐梦》的主演是谁"
    assert role_apart(
        q, "即日起，冰上舞剧《踏冰逐梦》主演动漫IP形象设计作品征集全面开启参赛通道", ANALYZER
    )
    assert not role_apart(q, "冰上舞剧《踏冰逐梦》由张丹、张昊主演", ANALYZER)
    q = "《人世间》的编剧是谁"
    assert role_apart(q, "《人世间》是近几年来第三部茅盾文学奖获奖作品改编剧", ANALYZER)
    assert not role_apart(q, "最佳编剧（改编）由《人世间》编剧王海鸰、王大鸥获得", ANALYZER)
    # jieba tags foreign names as places or splits a surname off: still a person.
    assert not role_apart(
        "2023年中国男足主教练", "聘任扬科维奇为中国国家男子足球队主教练", ANALYZER
    )
    assert not role_apart(
        "2022年金鹰奖最佳男主角", "2022年金鹰奖最佳男主角是雷佳音《人世间》", ANALYZER
    )
    assert not role_apart("苹果的首席执行官是谁", "苹果首席执行官Tim Cook表示", ANALYZER)
    # A role a team or a country holds keeps any name: 冠军 by a place's team.
    assert not role_apart("2021赛季中超冠军", "山东泰山夺得2021赛季中超冠军", ANALYZER)


def test_a_page_speaking_to_its_reader_answers_nothing() -> None:
    furniture = "如果您对本文有任何意见或建议，请点击“踩一下”，以便我们改进该篇文章。"
    assert page_furniture(furniture)
    assert zh_mismatch("《超越》讲述的是什么内容", furniture, ANALYZER)
    # A share prompt glued to the article's first sentence keeps the sentence.
    assert not page_furniture("用微信扫码二维码分享至好友和朋友圈北京时间8月19日，张帅对决康塔维特")
    assert not zh_mismatch(
        "《超越》讲述的是什么内容", "电影《超越》讲述了短道速滑运动员郑凯的故事", ANALYZER
    )


def test_whose_kin_is_answered_by_a_sentence_naming_the_kin() -> None:
    q = "司马繇是谁的儿子？"
    deeds = "永康初年，司马繇起复为宗正卿，后升为尚书左仆射，不久因母亲去世，守丧于邺。"
    son = "司马繇（），字思玄，西晋东安王，琅邪王司马伷三子，晋元帝司马睿叔父。"
    assert kin_unsaid(q, deeds)
    assert zh_mismatch(q, deeds, ANALYZER)
    assert not zh_mismatch(q, son, ANALYZER)
    assert not zh_mismatch(
        "司马晏是谁的儿子呀？", "司马晏（），字平度，晋武帝司马炎之子。", ANALYZER
    )
    # Another question keeps the sentence: its deeds answer what he did.
    assert not zh_mismatch("司马繇担任过什么官职？", deeds, ANALYZER)
