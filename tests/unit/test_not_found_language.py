""" "Not in the documents" says when the passages a question would be answered from are in
another language (ragkit.answer.grounding.not_found_text): the question is matched with the
text word by word, so a Chinese question over English passages (or the reverse) is refused
whether or not they hold the answer, and the reader is asked for the documents' language
instead of being told the documents lack it. Over the sample corpus, on both answer paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit import KnowledgeBase, ScriptedChatModel
from ragkit.answer.grounding import (
    NOT_FOUND,
    NOT_FOUND_OTHER_LANGUAGE,
    NOT_FOUND_OTHER_LANGUAGE_ZH,
    NOT_FOUND_ZH,
    not_found_text,
    says_not_found,
)
from ragkit.models.embeddings import HashingEmbedder
from ragkit.models.llm.base import Message
from ragkit.options import Models

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"
KETTLE_EN = "The Ember brewing kettle comes with a warranty of 18 months from the date of purchase."
TEA_ZH = "冲泡时建议使用90摄氏度的水，每次浸泡3分钟。"


def test_the_other_language_refusal_still_says_not_found() -> None:
    # Front ends and the benchmarks tell a refusal by these words.
    assert says_not_found(NOT_FOUND_OTHER_LANGUAGE)
    assert says_not_found(NOT_FOUND_OTHER_LANGUAGE_ZH)


@pytest.mark.parametrize(
    ("question", "texts", "subject", "said"),
    [
        # Chinese question, English passages: its Latin name found only in English.
        ("Ember 水壶的保修期是多久？", [KETTLE_EN, TEA_ZH], "", NOT_FOUND_OTHER_LANGUAGE_ZH),
        # A follow-up: the carried subject names the thing.
        (
            "它的保修期是多久？",
            [KETTLE_EN, TEA_ZH],
            "the Ember brewing kettle",
            NOT_FOUND_OTHER_LANGUAGE_ZH,
        ),
        # Naming nothing: every passage in English.
        ("保修期是多久？", [KETTLE_EN], "", NOT_FOUND_OTHER_LANGUAGE_ZH),
        # English question, Chinese passages.
        (
            "How long is 红隼金毫 steeped?",
            ["红隼金毫" + TEA_ZH, KETTLE_EN],
            "",
            NOT_FOUND_OTHER_LANGUAGE,
        ),
        # Same language: the plain refusal, as before.
        ("保修期是多久？", [TEA_ZH, KETTLE_EN], "", NOT_FOUND_ZH),
        ("Ember 水壶的保修期是多久？", ["Ember 水壶保修一年。"], "", NOT_FOUND_ZH),
        ("How long is the warranty?", [KETTLE_EN], "", NOT_FOUND),
        ("How long is the warranty?", [TEA_ZH, KETTLE_EN], "", NOT_FOUND),
        # Digits are of no language: a Chinese question with a span of years and a
        # Latin name is refused in Chinese, not told its passages are not in English.
        ("CBA2021-2022赛季总冠军", [TEA_ZH], "", NOT_FOUND_ZH),
        ("CBA2021-2022赛季总冠军", [KETTLE_EN], "", NOT_FOUND_OTHER_LANGUAGE_ZH),
        ("How many medals did Norway win in 2018-2022?", [KETTLE_EN], "", NOT_FOUND),
        # Nothing retrieved: nothing to say about a language.
        ("保修期是多久？", [], "", NOT_FOUND_ZH),
    ],
)
def test_not_found_text(question: str, texts: list[str], subject: str, said: str) -> None:
    assert not_found_text(question, texts, subject) == said


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    # The bundled model does not translate: whatever it is asked, the answer path refuses
    # before asking it (no statement of the English passages could answer a Chinese question).
    knowledge = KnowledgeBase.open(
        tmp_path_factory.mktemp("kb") / "kb",
        models=Models(
            embedder=HashingEmbedder(), chat_model=ScriptedChatModel(["18个月[1]。"] * 4)
        ),
    )
    knowledge.add([CORPUS])
    return knowledge


@pytest.mark.parametrize("mode", ["extractive", "generate"])
def test_a_chinese_question_over_english_text_asks_for_the_documents_language(
    kb: KnowledgeBase, mode: str
) -> None:
    options = kb.answer_options.with_(mode=mode)
    assert "".join(kb.ask_stream("Ember 水壶的保修期是多久？", options)) == (
        NOT_FOUND_OTHER_LANGUAGE_ZH
    )
    history = [
        Message("user", "How long is the warranty on the Ember brewing kettle?"),
        Message("assistant", KETTLE_EN + " [1]"),
    ]
    follow = kb.ask_stream("它的保修期是多久？", options, history=history)
    assert "".join(follow) == NOT_FOUND_OTHER_LANGUAGE_ZH
    assert follow.answer.not_found
    # A Chinese question the Chinese documents do not answer keeps the plain refusal.
    assert "".join(kb.ask_stream("雾溪茶园的邮政编码是多少？", options)) == NOT_FOUND_ZH
