"""Follow-up questions made standalone by rule (ragkit.answer.followup), the rewrite
that keeps the model's wording only when it keeps the earlier question's subject, and the
answer to a follow-up the rule completed: written to the question as asked, from the
subject's section only, on the real analyzer (jieba's tagger for Chinese), the sample
corpus and the package's scripted model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ragkit import KnowledgeBase, ScriptedChatModel
from ragkit.answer.evidence import select_passages
from ragkit.answer.followup import (
    follow_up,
    keeps_subject,
    names_subject,
    subject_of,
    without_opening,
)
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.pipelines import Standalone, standalone_follow_up, standalone_question
from ragkit.models.embeddings import HashingEmbedder
from ragkit.models.llm.base import Message
from ragkit.options import Models
from ragkit.text.analysis import Analyzer
from ragkit.types import SearchHit, StoredChunk

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"

KETTLE = "How long is the warranty on the Ember brewing kettle?"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        (KETTLE, "the Ember brewing kettle"),
        ("In what year did the Lantern House tasting room open?", "the Lantern House tasting room"),
        ("How long is Kestrel Gold left to oxidise?", "Kestrel Gold"),
        ("How much is the entry share for new members?", "the entry share"),
        (
            "How much does a guided tour of the Copperleaf drying house cost?",
            "a guided tour of the Copperleaf drying house",
        ),
        ("雾溪茶园的平均海拔是多少？", "雾溪茶园"),
        ("合作社的杭州品鉴中心是哪一年开设的？", "杭州品鉴中心"),
        ("晨雾绿茶的推荐水温是多少？", "晨雾绿茶"),
    ],
)
def test_the_subject_of_a_question(analyzer: Analyzer, question: str, subject: str) -> None:
    assert subject_of(question, analyzer) == subject


@pytest.mark.parametrize(
    ("earlier", "question", "carried"),
    [
        (
            KETTLE,
            "And how often should it be descaled?",
            "How often should the Ember brewing kettle be descaled?",
        ),
        (KETTLE, "What does it not cover?", "What does the Ember brewing kettle not cover?"),
        (
            "When was the Lumen Tea Cooperative founded?",
            "Who chairs its board today?",
            "Who chairs the Lumen Tea Cooperative board today?",
        ),
        (
            "How much does a guided tour of the Copperleaf drying house cost?",
            "How long does it last?",
            "How long does a guided tour of the Copperleaf drying house last?",
        ),
        (KETTLE, "And the price?", "The price of the Ember brewing kettle?"),
        (
            KETTLE,
            "What about the Copperleaf storage tins?",
            "How long is the warranty on the Copperleaf storage tins?",
        ),
        ("雾溪茶园的平均海拔是多少？", "它的年降雨量是多少？", "雾溪茶园的年降雨量是多少？"),
        ("雾溪茶园的平均海拔是多少？", "那里有多少户茶农？", "雾溪茶园有多少户茶农？"),
        ("冲泡红隼金毫的推荐水温是多少？", "每次浸泡多久？", "冲泡红隼金毫每次浸泡多久？"),
        ("晨雾绿茶的推荐水温是多少？", "那雾溪白茶呢？", "雾溪白茶的推荐水温是多少？"),
    ],
)
def test_a_follow_up_without_a_subject_carries_the_earlier_one(
    analyzer: Analyzer, earlier: str, question: str, carried: str
) -> None:
    got = follow_up(question, [earlier], analyzer)
    assert got.needs_context and got.query == carried


@pytest.mark.parametrize(
    ("earlier", "question"),
    [
        (KETTLE, "What is the minimum wholesale order?"),
        (KETTLE, "How long does standard delivery take?"),
        (KETTLE, "Is there free shipping?"),  # "there" that points nowhere
        (KETTLE, "Who developed Kestrel Gold?"),
        ("雾溪茶园的平均海拔是多少？", "冲泡红隼金毫的推荐水温是多少？"),
        ("雾溪茶园的平均海拔是多少？", "茶园负责人是谁？"),
    ],
)
def test_a_question_with_its_own_subject_is_left_as_written(
    analyzer: Analyzer, earlier: str, question: str
) -> None:
    got = follow_up(question, [earlier], analyzer)
    assert not got.needs_context and got.query == question


def test_a_chain_of_follow_ups_keeps_the_first_subject(analyzer: Analyzer) -> None:
    got = follow_up(
        "And when should it be descaled?", [KETTLE, "What does it not cover?"], analyzer
    )
    assert got.query == "When should the Ember brewing kettle be descaled?"


def test_keeps_subject(analyzer: Analyzer) -> None:
    subject = "the Ember brewing kettle"
    assert keeps_subject(
        "How often should the Ember brewing kettle be descaled?", subject, analyzer
    )
    assert keeps_subject("How often should the Ember kettle be descaled?", subject, analyzer)
    assert not keeps_subject("How often should the kettle be descaled?", subject, analyzer)
    assert not keeps_subject("How often should the Ember be descaled?", subject, analyzer)
    assert keeps_subject("雾溪茶园的年降雨量是多少？", "雾溪茶园", analyzer)
    assert not keeps_subject("茶园的年降雨量是多少？", "雾溪茶园", analyzer)


HISTORY = [Message("user", KETTLE), Message("assistant", "18 months [1].")]


def test_the_model_rewrite_is_kept_only_when_it_names_the_subject() -> None:
    question = "And how often should it be descaled?"
    good = "How often should the Ember brewing kettle be descaled?"
    assert standalone_question(ScriptedChatModel([good]), question, HISTORY) == good
    # What the bundled model wrote: a question still, but about no kettle.
    dropped = "How often should the water be descaled?"
    got = standalone_question(ScriptedChatModel([dropped]), question, HISTORY)
    assert got == "How often should the Ember brewing kettle be descaled?"


def test_a_question_naming_its_own_subject_costs_no_model_call() -> None:
    model = ScriptedChatModel(["What is the warranty on the Ember brewing kettle?"])
    question = "What is the minimum wholesale order?"
    assert standalone_question(model, question, HISTORY) == question
    assert model.prompts == []


def test_an_elliptical_follow_up_with_a_word_of_its_own_may_leave_the_subject() -> None:
    history = [Message("user", "How long is the Ember kettle warranty?"), HISTORY[1]]
    # "the tea" may be a new subject: the model's rewrite, naming it, is kept ...
    new = "At what temperature is green tea steeped?"
    got = standalone_question(ScriptedChatModel([new]), "and what about the tea?", history)
    assert got == new
    # ... but a rewrite that only echoes the question resolves nothing: the rule's is used.
    echo = standalone_question(
        ScriptedChatModel(["每次浸泡多久？"]),
        "每次浸泡多久？",
        [
            Message("user", "冲泡红隼金毫的推荐水温是多少？"),
            Message("assistant", "90摄氏度[1]。"),
        ],
    )
    assert echo == "冲泡红隼金毫每次浸泡多久？"


def test_standalone_follow_up_says_when_the_rule_made_the_question() -> None:
    question = "And how often should it be descaled?"
    dropped = "How often should the water be descaled?"  # refused: no kettle in it
    assert standalone_follow_up(ScriptedChatModel([dropped]), question, HISTORY) == Standalone(
        "How often should the Ember brewing kettle be descaled?",
        by_rule=True,
        subject="the Ember brewing kettle",
    )
    good = "How often should the Ember kettle be descaled?"  # kept: the model's
    assert standalone_follow_up(ScriptedChatModel([good]), question, HISTORY) == Standalone(good)
    # The rule's question word for word is the rule's all the same.
    same = "How often should the Ember brewing kettle be descaled?"
    assert standalone_follow_up(ScriptedChatModel([same]), question, HISTORY).by_rule
    own = "What is the minimum wholesale order?"  # names its own subject
    model = ScriptedChatModel([good])
    assert standalone_follow_up(model, own, HISTORY) == Standalone(own)
    assert standalone_follow_up(model, own, []) == Standalone(own)
    assert model.prompts == []


@pytest.mark.parametrize(
    ("question", "rewrite", "searched"),
    [
        # Elliptical with a word of its own, the model's rewrite dropped: the rule's.
        (
            "And how long does shipping take?",
            "How long does the shipping take?",
            "The Ember brewing kettle: How long does shipping take?",
        ),
        # Naming its own subject: searched as written, less its "And".
        ("And who developed Kestrel Gold?", "", "Who developed Kestrel Gold?"),
        # A model rewrite that kept the subject and the "And".
        (
            "And how often should it be descaled?",
            "And how often should the Ember kettle be descaled?",
            "How often should the Ember kettle be descaled?",
        ),
        ("So, what does it not cover?", "", "What does the Ember brewing kettle not cover?"),
    ],
)
def test_a_follow_ups_query_loses_its_opening_and(
    question: str, rewrite: str, searched: str
) -> None:
    got = standalone_follow_up(ScriptedChatModel([rewrite]), question, HISTORY)
    assert got.query == searched


def test_a_question_without_history_or_only_and_keeps_its_words(analyzer: Analyzer) -> None:
    # No conversation: nothing to stand alone from, the question is searched as typed.
    model = ScriptedChatModel(["How long is the warranty?"])
    assert standalone_question(model, "And then?", []) == "And then?"
    assert model.prompts == []
    # "Android" and "Sorting" are no openings; a bare "And?" is left as written.
    assert without_opening("Android phones?") == "Android phones?"
    assert without_opening("Sorting rules?") == "Sorting rules?"
    assert without_opening("And?") == "And?"
    assert without_opening("and, how much?") == "How much?"


def test_names_subject(analyzer: Analyzer) -> None:
    assert names_subject("## 红隼金毫（红茶）", "红隼金毫", analyzer)
    assert names_subject("## 红隼金毫（红茶）", "冲泡红隼金毫", analyzer)  # its subject_of
    assert not names_subject("## 雾溪白茶", "雾溪茶园", analyzer)
    assert names_subject("Section 3: Visiting the Lantern House", "the Lantern House", analyzer)
    assert names_subject(
        "Section 2: The Ember brewing kettle", "the Ember brewing kettle", analyzer
    )
    assert not names_subject("Section 2: Equipment and Warranty", "the Ember kettle", analyzer)


def _whole(name: str) -> list[SearchHit]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [SearchHit(1, 1.0, StoredChunk(1, text, name, name, "", 0, None, None))]


def test_a_follow_up_asked_without_its_subject_is_given_only_the_subjects_section() -> None:
    scorer = SentenceScorer(Analyzer())
    hits = _whole("brewing_guide_zh.md")
    # Asked as typed, every tea's steeping time answers "每次浸泡多久？" ...
    alone = " ".join(p.text for p in select_passages("每次浸泡多久？", hits, scorer))
    assert "3分钟" in alone and "2分钟" in alone
    # ... about 红隼金毫, only the sentences under its heading do.
    for subject, says, not_says in [
        ("红隼金毫", "3分钟", ("2分钟", "4分钟")),
        ("雾溪白茶", "4分钟", ("2分钟", "3分钟")),
    ]:
        passages = select_passages("每次浸泡多久？", hits, scorer, subject=subject)
        given = " ".join(p.text for p in passages)
        assert says in given and not any(t in given for t in not_says), given


def test_a_subject_no_heading_names_leaves_every_section_quotable() -> None:
    # The guide's steps ("5. Firing") are about every tea, Kestrel Gold named in one only.
    scorer = SentenceScorer(Analyzer())
    hits = _whole("processing_guide.txt")
    question = "And at what temperature is it fired?"
    plain = select_passages(question, hits, scorer)
    about = select_passages(question, hits, scorer, subject="Kestrel Gold")
    assert [p.text for p in about] == [p.text for p in plain]
    assert "110" in " ".join(p.text for p in about)


def test_the_sections_under_a_title_naming_the_subject_stay_quotable() -> None:
    # "# Lumen Tea Cooperative: A Short History" names the subject; its "##" sections are
    # parts of it, not things beside it.
    scorer = SentenceScorer(Analyzer())
    hits = _whole("company_history.md")
    question = "Who chairs its board today?"
    about = select_passages(question, hits, scorer, subject="the Lumen Tea Cooperative")
    assert "Nandakumar" in " ".join(p.text for p in about)


def test_a_follow_up_the_rule_completed_is_answered_from_its_subject_only(
    tmp_path: Path,
) -> None:
    prompts: list[str] = []

    def reply(messages: Sequence[Message]) -> str:
        if messages[0].content.startswith("Rewrite"):
            return "每次浸泡多久？"  # an echo: the rule's question is used
        prompts.append(messages[-1].content)
        return "每次浸泡3分钟[1]。"

    kb = KnowledgeBase.open(
        tmp_path / "kb",
        models=Models(embedder=HashingEmbedder(), chat_model=ScriptedChatModel([reply] * 2)),
    )
    kb.add([CORPUS])
    history = [
        Message("user", "冲泡红隼金毫的推荐水温是多少？"),
        Message("assistant", "90摄氏度[1]。"),
    ]
    stream = kb.ask_stream("每次浸泡多久？", history=history)
    text = "".join(stream)
    assert stream.standalone_question == "冲泡红隼金毫每次浸泡多久？"
    sources = prompts[-1].split("Question:")[0]
    assert "3分钟" in sources and "2分钟" not in sources and "4分钟" not in sources
    assert "3分钟" in text and "2分钟" not in text


def test_extractive_mode_carries_the_subject_by_rule_without_a_model(tmp_path: Path) -> None:
    def never(messages: Sequence[Message]) -> str:
        raise AssertionError("extractive mode asked the model")

    kb = KnowledgeBase.open(
        tmp_path / "kb",
        models=Models(embedder=HashingEmbedder(), chat_model=ScriptedChatModel([never])),
    )
    kb.add([CORPUS])
    history = [
        Message("user", "冲泡红隼金毫的推荐水温是多少？"),
        Message("assistant", "冲泡时建议使用90摄氏度的水，每次浸泡3分钟[1]。"),
    ]
    extractive = kb.answer_options.with_(mode="extractive")
    stream = kb.ask_stream("每次浸泡多久？", extractive, history=history)
    text = "".join(stream)
    # Searched with the subject the rule carried, quoted from its section only: as typed
    # it was searched alone and every tea's steeping time was quoted.
    assert stream.standalone_question == "冲泡红隼金毫每次浸泡多久？"
    assert "3分钟" in text and "2分钟" not in text and "4分钟" not in text
    # A question naming its own subject is searched as typed; without history too.
    own = kb.ask_stream("雾溪茶园的平均海拔是多少？", extractive, history=history)
    assert own.standalone_question == "雾溪茶园的平均海拔是多少？" and "1650" in "".join(own)


def test_an_english_subject_goes_into_a_chinese_follow_up_without_its_article(
    analyzer: Analyzer,
) -> None:
    got = follow_up("它的保修期是多久？", [KETTLE], analyzer)
    assert got.query == "Ember brewing kettle的保修期是多久？"
    assert got.subject == "the Ember brewing kettle"  # what keeps_subject checks, as found
    # A Chinese subject is carried as written.
    assert follow_up("它的年降雨量是多少？", ["雾溪茶园的平均海拔是多少？"], analyzer).query == (
        "雾溪茶园的年降雨量是多少？"
    )


RED_TEA = [Message("user", "冲泡红隼金毫的推荐水温是多少？"), Message("assistant", "90摄氏度[1]。")]


@pytest.mark.parametrize("question", ["那雾溪白茶呢？", "What about 雾溪白茶?"])
def test_what_about_a_new_name_asks_the_earlier_question_of_it(question: str) -> None:
    # What the bundled model wrote for it: the name kept, the question dropped.
    model = ScriptedChatModel(["What about 那雾溪白茶？"])
    got = standalone_follow_up(model, question, RED_TEA)
    assert model.prompts == []  # the rule's question, no model call
    # Answered as restated (the question as typed holds nothing of what is asked), and
    # about the new name, not the earlier one.
    assert got == Standalone("雾溪白茶的推荐水温是多少？", by_rule=False, subject="雾溪白茶")


def test_a_restated_follow_up_is_answered_from_the_new_names_section(tmp_path: Path) -> None:
    prompts: list[str] = []

    def reply(messages: Sequence[Message]) -> str:
        if messages[0].content.startswith("Rewrite"):
            return "那雾溪白茶呢？"
        prompts.append(messages[-1].content)
        return "推荐水温为85摄氏度[1]。"

    kb = KnowledgeBase.open(
        tmp_path / "kb",
        models=Models(embedder=HashingEmbedder(), chat_model=ScriptedChatModel([reply] * 2)),
    )
    kb.add([CORPUS])
    stream = kb.ask_stream("那雾溪白茶呢？", history=RED_TEA)
    text = "".join(stream)
    assert stream.standalone_question == "雾溪白茶的推荐水温是多少？"
    sources, question = prompts[-1].split("Question:")
    assert "85摄氏度" in sources and "90摄氏度" not in sources and "80摄氏度" not in sources
    assert "雾溪白茶的推荐水温是多少？" in question  # written to what is asked
    assert "85摄氏度" in text


def test_a_chain_keeps_each_carried_subject_as_written(analyzer: Analyzer) -> None:
    asked = ["冲泡红隼金毫的推荐水温是多少？", "每次浸泡多久？", "What about 晨雾绿茶?"]
    assert follow_up(asked[1], asked[:1], analyzer).query == "冲泡红隼金毫每次浸泡多久？"
    assert follow_up(asked[2], asked[:2], analyzer).query == "晨雾绿茶每次浸泡多久？"
    assert follow_up("那雾溪白茶呢？", asked, analyzer).query == "雾溪白茶每次浸泡多久？"
