"""What the checker shows of a model's supported sentences: only those that answer the
question (ragkit.answer.checking.AnswerChecker), and no true sentence withheld because
it lacks a word the question only asks with."""

from __future__ import annotations

import re
from pathlib import Path

from checkers import checker as _checker

from ragkit.answer.answerable import held_key_terms, kind_words
from ragkit.answer.checking import dangling
from ragkit.answer.kinds import answer_kind
from ragkit.text.analysis import Analyzer

SUPER_BOWL = (
    "Jan 22, 2021 ... Super Bowl LV will be played in Tampa Bay, Florida, at Raymond James "
    "Stadium, home of the Tampa Bay Buccaneers. This is the fifth Super bowl ...",
    "Aug 9, 2021 ... What is the location and date for the Super Bowl in 2022? After "
    "Super Bowl LV was held in Tampa Bay, ...",
    "Official Super Bowl LVIII Ticket Packages Now Available. On Location is your only "
    "source for Official tickets.",
)


def test_a_word_the_question_only_asks_with_is_not_said_of_the_name() -> None:
    # "location" names what is asked (a place): the source that answers never says it.
    checker = _checker("Super Bowl 2021 location", *SUPER_BOWL)
    true = checker.check("The Super Bowl 2021 location was in Tampa Bay, Florida.")
    assert true.supported, true.missing
    # What the sentence says of the name still binds it: "ticket" is not said of Tampa.
    glued = checker.check("The Super Bowl 2021 tickets are sold in Tampa Bay, Florida.")
    assert not glued.supported and "Tampa Bay" in glued.missing


def test_only_the_words_that_ask_are_kind_words() -> None:
    analyzer = Analyzer()
    assert "locat" in kind_words("Super Bowl 2021 location", analyzer)
    assert "team" in kind_words("Which team won the Super Bowl in 2021?", analyzer)
    assert "date" in kind_words("What is the release date of Splatoon 3?", analyzer)
    assert "时间" in kind_words("2022年春运开始时间是什么时候？", analyzer)
    # A noun the question says something of, or names its subject with, still binds.
    assert kind_words("How many people live in the city?", analyzer) == {"mani"}
    assert kind_words("What is the population of the city?", analyzer) == set()
    assert kind_words("Who founded the cooperative?", analyzer) == set()


CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"
HISTORY = (CORPUS / "company_history.md").read_text(encoding="utf-8").split("\n\n")
FAQ = re.sub(r"<[^>]+>", "", (CORPUS / "faq.html").read_text(encoding="utf-8"))


def _shown(question: str, reply: str, *texts: str) -> tuple[str, list[str]]:
    """What a reader sees of `reply` (streamed word by word), and what was left out."""
    checker = _checker(question, *texts)
    shown = "".join(checker.stream(iter(w + " " for w in reply.split(" ")))).rstrip()
    return shown, checker.state.unsupported


def test_a_true_sentence_that_does_not_answer_is_not_shown() -> None:
    founded = "The cooperative was founded on 14 March 1987 by eleven families."
    office = "The head office is at 27 Mill Lane, Kestrel Valley."
    board = "The cooperative is governed by a board of seven members elected for three-year terms."
    question = "When was the cooperative founded?"
    shown, left_out = _shown(question, f"{founded} {office} {board}", *HISTORY)
    # Both later sentences stand in the sources; neither says when it was founded.
    assert shown == founded.replace(".", " [1].") and left_out == [office, board], shown
    # On what is asked, but without a date: no answer to "when".
    by = "It was founded by eleven families."
    shown, left_out = _shown(question, f"The cooperative was founded in 1987. {by}", *HISTORY)
    # The first is a fragment of the quote, shown whole in its place; after it the second
    # adds nothing.
    assert shown.startswith("The cooperative was founded on 14 March 1987"), shown
    assert by not in shown and "in 1987 [1]" not in shown, shown
    # An answer cut from the quote is shown as the quote, holding the whole date, once.
    shown, left_out = _shown(question, "It was founded in 1987.", *HISTORY)
    assert shown.startswith("The cooperative was founded on 14 March 1987") and left_out == []
    assert "It was founded in 1987" not in shown, shown
    medal = "Kestrel Gold won a silver medal at the Saltmere Fine Food Fair in 2003."
    question = "Who developed Kestrel Gold?"
    shown, left_out = _shown(
        question, f"Joon-ho Abernathy developed Kestrel Gold. {medal}", *HISTORY
    )
    assert shown == "Joon-ho Abernathy developed Kestrel Gold [1]." and left_out == [medal]
    shown, _ = _shown(question, "It was developed by head tea master Joon-ho Abernathy.", *HISTORY)
    assert shown == "It was developed by head tea master Joon-ho Abernathy [1]."


def test_a_sentence_on_another_subject_does_not_answer() -> None:
    question = "Can I return tea I do not like?"
    source = (
        "Returns of tea: unopened tins and bags can be returned within 30 days of delivery "
        "for a full refund. The outer cartons are recycled card."
    )
    cartons = "The outer cartons are recycled card."
    reply = f"Unopened tins can be returned within 30 days of delivery. {cartons}"
    shown, left_out = _shown(question, reply, source)
    # Both stand in the source; the cartons' sentence says nothing of returning tea.
    assert shown == "Unopened tins can be returned within 30 days of delivery [1]."
    assert left_out == [cartons]


def test_a_later_sentence_agreeing_with_the_evidence_is_shown_and_another_answer_is_not() -> None:
    question = "When was the cooperative founded?"
    founded = "The cooperative was founded on 14 March 1987."
    # The founding charter's 1987 is the best evidence's year: it corroborates.
    charter = "Its founding charter was written in 1987."
    shown, left_out = _shown(question, f"{founded} {charter}", *HISTORY)
    assert shown.endswith("Its founding charter was written in 1987 [2].") and left_out == []
    # 2021 is another date, in a sentence extractive mode does not quote ("founding"
    # families stands in it): another answer, not shown.
    board = "Since 2021 the board has been chaired by Priya Nandakumar."
    shown, left_out = _shown(question, f"{founded} {board}", *HISTORY)
    assert "2021" not in shown and left_out == [board], shown
    policy = (CORPUS / "membership_policy.md").read_text(encoding="utf-8")
    instalments = "It may be paid in three yearly instalments of 400 dollars."
    reply = f"The entry share is 1,200 dollars. {instalments}"
    shown, left_out = _shown("How much is the entry share?", reply, policy)
    assert shown.startswith("The entry share is 1,200 dollars [")
    assert "400 dollars" not in shown and left_out == [instalments], shown


def test_a_bare_value_must_be_the_best_evidences() -> None:
    question = "How long does delivery take within Alderhaven?"
    # The international figure, alone: the reader would take it for the answer.
    shown, left_out = _shown(question, "10 to 15 working days.", FAQ)
    assert "10 to 15" not in shown and left_out == ["10 to 15 working days."]
    assert "3 to 5 working days" in shown
    shown, left_out = _shown(question, "3 to 5 working days.", FAQ)
    assert shown == "3 to 5 working days [1]." and left_out == []
    # A bare value said again adds nothing.
    reply = "Joon-ho Abernathy - Head Tea Master. Kestrel Gold - Cooperative. Joon-ho Abernathy."
    shown, left_out = _shown("Who developed Kestrel Gold?", reply, *HISTORY)
    assert shown == "Joon-ho Abernathy - Head Tea Master [1]."
    assert "Kestrel Gold - Cooperative." in left_out


def test_a_chinese_bare_value_is_what_its_support_says() -> None:
    garden = (CORPUS / "wuxi_garden_zh.txt").read_text(encoding="utf-8")
    brewing = (CORPUS / "brewing_guide_zh.md").read_text(encoding="utf-8")
    # 20人 is the tasting class's places, not how long before a visit to book.
    checker = _checker("参观茶园需要提前多久预约？", garden, brewing)
    assert not checker.check("20人！").supported
    assert not checker.check(
        "每周六下午2点有一场免费的冲泡课程，名额为20人，需要提前在线报名。"
    ).supported
    checker = _checker("晨雾绿茶的推荐水温是多少？", brewing)
    assert checker.check("80摄氏度。").supported
    assert checker.check("晨雾绿茶的推荐水温为80摄氏度。").supported


def test_a_sentence_pointing_back_is_not_shown_first() -> None:
    below = "Below that amount a flat shipping charge of 4.90 dollars applies."
    shown, left_out = _shown("Is there free shipping?", below, FAQ)
    # "that amount" is the 45 dollars of the sentence before it: that one goes first.
    assert shown == (
        "Standard delivery is free on orders over 45 dollars [1]. "
        "Below that amount a flat shipping charge of 4.90 dollars applies [1]."
    )
    assert left_out == []
    assert dangling(below, "Is there free shipping?")
    assert not dangling("This is free on orders over 45 dollars.", "Is there free shipping?")
    assert not dangling("That delivery is free over 45 dollars.", "Is delivery free?")


def test_one_shared_chinese_character_is_no_shared_term() -> None:
    analyzer = Analyzer()
    question = "环氧氯丙烷有什么特性？"
    # The 氯 of 有机氯化合物 is a character of the question, not one of its words.
    assert (
        held_key_terms(question, "爆炸或推进组件的高能粘合剂混溶，是一个有机氯化合物。", analyzer)
        == set()
    )
    assert held_key_terms(question, "环氧氯丙烷是一个有机氯化合物。", analyzer) >= {"环氧氯丙烷"}
    # Two key characters standing together in the question count, however segmented.
    assert "口号" in held_key_terms("北京2022年冬奥会口号是什么", "主题口号正式发布", analyzer)
    assert held_key_terms("北京2022年冬奥会口号是什么", "在奥林匹克精神的感召下", analyzer) == set()


SLOGAN = (
    "9月17日，北京2022年冬奥会主题口号正式对外发布——“一起向未来”。"
    "这是中国向世界发出的诚挚邀约，传递出14亿中国人民的美好期待：在奥林匹克精神的感召下，"
    "与世界人民携手共进、守望相助、共创美好未来。"
)
EPICHLOROHYDRIN = (
    "环氧氯丙烷是一个有机氯化合物，也是一种环氧化物。它是一种无色液体，有类似于大蒜的刺激性气味，"
    "不溶于水。环氧氯丙烷有刺激性，毒性较强，也是一种致癌物。"
)


def test_a_chinese_fragment_sharing_one_character_is_not_shown() -> None:
    question = "北京2022年冬奥会口号是什么"
    reply = "北京2022年冬奥会的口号是“一起向未来”。这就是在14亿中国人民。"
    shown, left_out = _shown(question, reply, SLOGAN)
    # Its source sentence answers nothing asked: only the 奥 of 奥林匹克 is the question's.
    assert "14亿" not in shown and left_out == ["这就是在14亿中国人民。"], shown
    assert "一起向未来" in shown
    # A sentence whose subject is 它, in a window naming the question's subject, answers.
    question = "环氧氯丙烷有什么特性？"
    colourless = "它是一种无色液体，有类似于大蒜的刺激性气味。"
    shown, left_out = _shown(
        question, f"环氧氯丙烷有刺激性，毒性较强。{colourless}", EPICHLOROHYDRIN
    )
    assert shown.endswith("它是一种无色液体，有类似于大蒜的刺激性气味[1]。") and left_out == [], (
        shown
    )


def test_a_follow_up_asks_what_its_own_words_ask_not_its_bracketed_earlier_question() -> None:
    # A follow-up rewritten with the earlier question in brackets: "how should I keep"
    # asks no number, though the bracket's "how many years" does.
    warranty = (
        "Warranty terms. The Ember kettle carries a warranty of seven years from the date of "
        "purchase. Keep the receipt safe."
    )
    follow_up = "How should I keep the receipt? (How many years is the Ember kettle warranty?)"
    assert answer_kind(follow_up) is None
    assert answer_kind("How many years is the Ember kettle warranty?") == "number"
    shown, _ = _shown(follow_up, "Keep the receipt safe [1].", warranty)
    assert "Keep the receipt safe" in shown


POLICY = (CORPUS / "membership_policy.md").read_text(encoding="utf-8")


def test_a_list_items_number_alone_is_no_answer() -> None:
    # "1. the applicant farms at least 0.5 hectares" holds a 1 only as its list marker:
    # the model's "1 [1]." answers "How much land …?" with nothing the source states.
    question = "How much land do I need to farm to become a member?"
    shown, left_out = _shown(
        question, "1 [1]. The applicant farms at least 0.5 hectares of tea [1].", POLICY
    )
    assert not shown.startswith("1"), shown
    assert "0.5 hectares" in shown and left_out == ["1."]
    # The value the quoted item states, alone, still answers: as the quote it was cut
    # from, shown once.
    shown, left_out = _shown(question, "0.5 hectares [1].", POLICY)
    assert shown.startswith("The applicant farms at least 0.5 hectares") and left_out == [], (
        shown,
        left_out,
    )
    assert shown.count("0.5 hectares") == 1, shown
