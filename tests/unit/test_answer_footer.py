"""The footer of `ragkit ask` on the model's sentences the checks left out: those the
sources do not back and those they back but that do not answer the question counted
apart (`Answer.off_topic`), in the question's language."""

from __future__ import annotations

import re
from pathlib import Path

from checkers import checker

from ragkit.apps.left_out import left_out_note
from ragkit.types import Answer

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"
HISTORY = (CORPUS / "company_history.md").read_text(encoding="utf-8").split("\n\n")
GUIDE_ZH = (
    "## 晨雾绿茶\n\n晨雾绿茶的叶片细嫩。推荐水温为80摄氏度，每次浸泡2分钟。\n\n"
    "## 雾溪白茶\n\n雾溪白茶来自云南景谷。推荐水温为85摄氏度，第一泡浸泡4分钟。\n"
)


def _left_out(question: str, reply: str, *texts: str) -> Answer:
    gate = checker(question, *texts)
    shown = "".join(gate.stream(iter(re.findall(r"\S+\s*", reply))))
    return gate.answer(shown)


def test_a_true_sentence_that_does_not_answer_is_not_called_unsupported() -> None:
    founded = "The cooperative was founded on 14 March 1987 by eleven families."
    board = "The cooperative is governed by a board of seven members elected for three-year terms."
    answer = _left_out("When was the cooperative founded?", f"{founded} {board}", *HISTORY)
    assert answer.unsupported == (board,) and answer.off_topic == (board,)
    assert left_out_note(answer) == (
        "(left out 1 sentence of the model's answer that does not answer the question)"
    )


def test_a_sentence_the_sources_do_not_back_is_still_called_unsupported() -> None:
    founded = "The cooperative was founded on 14 March 1987 by eleven families."
    invented = "The cooperative was founded on 2 May 1990 by Tomas Varga."
    board = "The cooperative is governed by a board of seven members elected for three-year terms."
    answer = _left_out(
        "When was the cooperative founded?", f"{founded} {invented} {board}", *HISTORY
    )
    assert answer.unsupported == (invented, board) and answer.off_topic == (board,)
    assert left_out_note(answer) == (
        "(left out 2 sentences of the model's answer: 1 the sources do not support, "
        "1 that does not answer the question)"
    )
    alone = _left_out("When was the cooperative founded?", f"{founded} {invented}", *HISTORY)
    assert alone.off_topic == ()
    assert left_out_note(alone) == (
        "(left out 1 sentence of the model's answer that the sources do not support)"
    )


def test_a_chinese_answer_gets_the_footer_in_chinese() -> None:
    question = "雾溪白茶的推荐水温是多少？"
    # True of 雾溪白茶, but no temperature: no answer to the question.
    answer = _left_out(question, "雾溪白茶来自云南景谷。", GUIDE_ZH)
    assert answer.off_topic == ("雾溪白茶来自云南景谷。",)
    assert left_out_note(answer) == "（略去了模型回答中没有回答问题的 1 句）"
    # A temperature no source gives is no support for the answer.
    invented = _left_out(question, "雾溪白茶的推荐水温为95摄氏度。", GUIDE_ZH)
    assert invented.unsupported and invented.off_topic == ()
    assert left_out_note(invented) == "（略去了模型回答中来源不支持的 1 句）"
    both = Answer(question, "", (), (), unsupported=("甲。", "乙。", "丙。"), off_topic=("丙。",))
    assert left_out_note(both) == (
        "（略去了模型回答中的 3 句：来源不支持的 2 句，没有回答问题的 1 句）"
    )


def test_nothing_left_out_has_no_footer() -> None:
    founded = "The cooperative was founded on 14 March 1987 by eleven families."
    answer = _left_out("When was the cooperative founded?", founded, *HISTORY)
    assert answer.unsupported == () and left_out_note(answer) == ""
