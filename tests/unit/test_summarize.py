"""Summarizer and translator logic on the scripted fake: splitting, map-reduce rounds,
progress, language choice, chunk-by-chunk translation with paragraph breaks kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.answer.summarize import (
    Summarizer,
    SummaryReport,
    TranslationReport,
    Translator,
    _tidy,
    check_summary,
    detect_language,
    extractive_summary,
    indexed_document_text,
    strip_meta,
    untranslated,
    untranslated_note,
)
from ragkit.errors import ModelError, RagkitError
from ragkit.ingest.chunking import ChunkerParams
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.options import IndexOptions, Models
from ragkit.text.textfit import split_to_fit


class Steps:
    """Records progress reports."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, int]] = []
        self.done: list[str] = []

    def stage(self, name: str, total: int) -> None:
        self.stages.append((name, total))

    def advance(self) -> None:
        self.done.append(self.stages[-1][0])


def count(text: str) -> int:
    return len(text) // 4 + 1


def prompt_tokens(model: ScriptedChatModel, messages: Sequence[Message]) -> int:
    return sum(model.count_tokens(m.content) for m in messages)


ENGLISH = "\n\n".join(
    f"Paragraph {i} tells that the kettle number {i} was tested for {i * 3} hours "
    "and passed every check the workshop runs before shipping." * 2
    for i in range(1, 41)
)


def test_split_to_fit_keeps_text_and_prefers_paragraphs() -> None:
    pieces = split_to_fit(ENGLISH, 120, count)
    assert "".join(pieces) == ENGLISH
    assert len(pieces) > 5
    assert all(count(p) <= 120 for p in pieces)
    # Every cut falls on a paragraph break: each piece but the last ends with one.
    assert all(p.endswith("\n\n") for p in pieces[:-1])


def test_split_to_fit_cuts_unpunctuated_chinese_by_characters() -> None:
    text = "茶" * 3000  # no boundary at all
    pieces = split_to_fit(text, 100, count)
    assert "".join(pieces) == text
    assert all(count(p) <= 100 for p in pieces)
    assert len(pieces) >= 7


def test_split_to_fit_uses_sentences_inside_a_long_paragraph() -> None:
    text = "".join(f"第{i}句话讲述了茶园的历史。" for i in range(200))
    pieces = split_to_fit(text, 60, count)
    assert "".join(pieces) == text
    assert all(p.endswith("。") for p in pieces)


def test_language_detection() -> None:
    assert detect_language(ENGLISH) == "en"
    assert detect_language("雾溪茶园位于云南省，海拔1650米。Lumen") == "zh"


def test_short_text_is_one_streamed_call_in_its_language() -> None:
    model = ScriptedChatModel(["The kettle passed its tests."])
    steps = Steps()
    pieces = list(Summarizer(model).stream("A kettle was tested today.", progress=steps))
    assert len(pieces) > 1 and "".join(pieces) == "The kettle passed its tests."
    assert len(model.prompts) == 1
    system, user = model.prompts[0]
    assert "English" in system.content and "A kettle was tested today." in user.content
    assert steps.stages == [("summarize", 1)] and steps.done == ["summarize"]


def test_long_text_maps_each_part_then_combines_within_the_window() -> None:
    # No number: one the part lacks would be left out as invented.
    model = ScriptedChatModel([lambda m: "The kettle summary."], context_window=600)
    options = GenerationOptions(max_tokens=60)
    steps = Steps()
    result = "".join(Summarizer(model, options).stream(ENGLISH, progress=steps))
    maps = [s for s in steps.stages if s[0] == "map"]
    assert len(maps) == 1 and maps[0][1] >= 5
    assert steps.stages[-1] == ("final", 1)
    assert len(model.prompts) == maps[0][1] + 1
    for messages in model.prompts:
        assert prompt_tokens(model, messages) + 60 <= 600
    # Every part reached the model once, in order; the combine step saw every summary.
    assert "part 1 of" in model.prompts[0][1].content
    assert model.prompts[-1][1].content.count("The kettle summary.") == maps[0][1]
    assert result == "The kettle summary."


def test_long_summaries_are_combined_recursively_until_one_call_fits() -> None:
    # Each reply is as long as a reply may be, so combining needs several rounds.
    # Distinct words: a phrase said three times over would be cut as a loop.
    words = " ".join(a + b + c for a in "bdfgk" for b in "aeiou" for c in "lmnprst")[:300]
    model = ScriptedChatModel([lambda m: words], context_window=500)
    options = GenerationOptions(max_tokens=80)
    steps = Steps()
    text = ENGLISH * 3
    list(Summarizer(model, options).stream(text, progress=steps))
    names = [name for name, _ in steps.stages]
    assert names[0] == "map" and names[-1] == "final"
    combine = [total for name, total in steps.stages if name.startswith("combine")]
    assert len(combine) >= 2
    assert combine == sorted(combine, reverse=True) and combine[-1] < steps.stages[0][1]
    for messages in model.prompts:
        assert prompt_tokens(model, messages) + 80 <= 500
    assert len(steps.done) == len(model.prompts)


def test_chinese_document_gets_a_chinese_summary_prompt() -> None:
    model = ScriptedChatModel(["摘要。"], context_window=400)
    text = "".join(f"雾溪茶园第{i}块地的海拔是{1600 + i}米，种植大叶种茶树。" for i in range(120))
    Summarizer(model, GenerationOptions(max_tokens=40)).summarize(text)
    assert len(model.prompts) > 2
    assert all("Chinese" in p[0].content and "Chinese" in p[1].content for p in model.prompts)


def test_window_too_small_and_empty_text_are_clear_errors() -> None:
    with pytest.raises(ModelError, match="RAGKIT_LLM__N_CTX"):
        Summarizer(ScriptedChatModel(["x"], context_window=300)).summarize(ENGLISH)
    with pytest.raises(RagkitError, match="no text to summarize"):
        Summarizer(ScriptedChatModel(["x"])).summarize("  \n 123 ")
    with pytest.raises(RagkitError, match="use one of: zh, en"):
        Translator(ScriptedChatModel(["x"])).translate("hello", "fr")  # type: ignore[arg-type]


def test_translation_keeps_paragraph_breaks_and_copies_target_language() -> None:
    source = "# 标题\n\n第一段：茶园在山上。\n\n\n2024-05-01\n\nAlready English here.\n\n第二段。\n"
    replies = iter(["  Title\n", "Paragraph one:\n\nthe garden is on the hill.  ", "Part two."])
    model = ScriptedChatModel([lambda m: next(replies)])
    steps = Steps()
    out = "".join(Translator(model).stream(source, "en", progress=steps))
    assert out == (
        "Title\n\nParagraph one:\nthe garden is on the hill.\n\n\n2024-05-01\n\n"
        "Already English here.\n\nPart two.\n"
    )
    assert steps.stages == [("translate", 3)] and len(steps.done) == 3
    sent = [p[1].content.rstrip() for p in model.prompts]
    assert [s.rsplit("\n", 1)[1] for s in sent] == ["# 标题", "第一段：茶园在山上。", "第二段。"]
    assert all("English" in p[0].content for p in model.prompts)


def test_long_paragraph_is_translated_in_several_calls_that_fit() -> None:
    paragraph = "".join(f"第{i}句话讲述了茶园的历史和它的茶农。" for i in range(150))
    model = ScriptedChatModel([lambda m: "One sentence."], context_window=512)
    steps = Steps()
    translator = Translator(model, GenerationOptions(max_tokens=50))
    out = "".join(translator.stream(paragraph, "en", progress=steps))
    calls = len(model.prompts)
    assert steps.stages == [("translate", calls)] and len(steps.done) == calls
    assert calls > 3
    assert out == " ".join(["One sentence."] * calls)
    for messages in model.prompts:
        assert prompt_tokens(model, messages) < 512
    sent = "".join(p[1].content.split("\n\n", 1)[1].strip() for p in model.prompts)
    assert sent == paragraph


def test_tidy_narrows_blank_lines_split_across_pieces() -> None:
    pieces = ["\n ", " One", " line\n", "\nTwo", "\n\n  "]
    assert "".join(_tidy(iter(pieces))) == "One line\nTwo"


def test_indexed_document_text_removes_chunk_overlaps(tmp_path: Path) -> None:
    words = [f"w{i}" for i in range(900)]
    paragraphs = [" ".join(words[i : i + 60]) for i in range(0, 900, 60)]
    source = tmp_path / "doc.txt"
    source.write_text("\n\n".join(paragraphs), encoding="utf-8")
    kb = KnowledgeBase.open(
        tmp_path / "ix",
        models=Models(embedder=HashingEmbedder()),
        index=IndexOptions(chunker=ChunkerParams(200, 60)),
    )
    kb.add([source])
    reader = kb.reader()
    assert reader.manifest.counts.chunks > 10
    text = indexed_document_text(reader, str(source.resolve()))
    assert text.split() == words
    with pytest.raises(RagkitError, match="not in index"):
        indexed_document_text(reader, "/nowhere.txt")
    kb.close()


HANDBOOK = (
    "The Lantern House seats 24 guests. It is closed on Mondays and from 24 December to "
    "2 January. Members receive a 10% discount on tea bought at the shop."
)


def test_a_summary_sentence_with_an_invented_number_is_left_out() -> None:
    reply = (
        "The Lantern House seats 24 guests. It hosts 36 guests at the Lantern House on "
        "Fridays. Members receive a 10% discount."
    )
    report = SummaryReport()
    out = "".join(Summarizer(ScriptedChatModel([reply])).stream(HANDBOOK, report=report))
    assert out == "The Lantern House seats 24 guests. Members receive a 10% discount."
    assert report.unsupported == ["It hosts 36 guests at the Lantern House on Fridays."]
    assert report.left_out == 1 and not report.extractive


def test_an_invented_name_or_chinese_number_is_left_out_too() -> None:
    report = SummaryReport()
    kept = check_summary(
        "The house is run by Kestrel Farms. It is closed on Mondays.", HANDBOOK, report
    )
    assert kept == "It is closed on Mondays."
    report = SummaryReport()
    kept = check_summary("茶园有三十六位茶农。茶园在山上。", "茶园在山上，有十位茶农。", report)
    assert kept == "茶园在山上。" and report.unsupported == ["茶园有三十六位茶农。"]


def test_a_repeated_list_item_is_left_out_and_markers_kept() -> None:
    reply = (
        "The handbook covers:\n"
        "1. Members receive a 10% discount.\n"
        "2. It is closed on Mondays.\n"
        "3. Members receive a 10% discount.\n"
        "It is closed on Mondays."
    )
    report = SummaryReport()
    out = check_summary(reply, HANDBOOK, report)
    assert out == (
        "The handbook covers:\n1. Members receive a 10% discount.\n2. It is closed on Mondays."
    )
    assert report.repeated == 2 and report.unsupported == []


def test_nothing_surviving_shows_the_source_sentences_instead() -> None:
    report = SummaryReport()
    reply = "It hosts 36 guests. 50% of the customers visit on Sundays."
    out = "".join(Summarizer(ScriptedChatModel([reply])).stream(HANDBOOK, report=report))
    assert report.extractive and report.left_out == 2
    assert out == HANDBOOK  # all three sentences, as written
    assert extractive_summary("# Title\n\nShort.\n\n" + HANDBOOK, 1) == (
        "The Lantern House seats 24 guests."
    )


def test_a_translation_wrapper_is_stripped() -> None:
    reply = (
        "Here is the translation:\nThe tea garden is on the hill.\n"
        "The above text is a translation of the user's text into English. "
        "The original text was:\n茶园在山上。"
    )
    model = ScriptedChatModel([reply])
    report = TranslationReport()
    out = "".join(Translator(model).stream("茶园在山上。", "en", report=report))
    assert out == "The tea garden is on the hill."
    assert report.untranslated == 0 and report.chunks == 1
    # A source that itself talks about translation keeps such lines.
    assert strip_meta("Translation matters.", "Translation matters.") == "Translation matters."


def test_a_chunk_left_in_the_source_language_is_reported_not_passed_off() -> None:
    replies = iter(["The garden.", "茶园在山上，风景很好。Garden", "Ok"])
    model = ScriptedChatModel([lambda m: next(replies)])
    report = TranslationReport()
    source = "茶园。\n\n茶园在山上，风景很好。\n\n一座山。"
    out = "".join(Translator(model).stream(source, "en", report=report))
    assert out == (f"The garden.\n\n{untranslated_note('en')}\n茶园在山上，风景很好。\n\nOk")
    assert report.untranslated == 1 and report.chunks == 3
    assert "English" in untranslated_note("en") and "RAGKIT_LLM__MODEL_PATH" in (
        untranslated_note("en")
    )
    # Into Chinese, a reply still in English is the untranslated one.
    assert untranslated("The garden is on the hill.", "zh")
    assert not untranslated("茶园在山上 (Lumen)。", "zh")
    assert untranslated("  ", "en")


def test_items_left_out_leave_no_gap_and_no_empty_lead_in() -> None:
    reply = (
        "Rules:\n1. It is closed on Mondays.\n2. It seats 50 guests.\n"
        "3. Members receive a 10% discount.\nIt also has the following:\n1. 36 rooms."
    )
    report = SummaryReport()
    out = check_summary(reply, HANDBOOK, report)
    assert out == "Rules:\n1. It is closed on Mondays.\n2. Members receive a 10% discount."
    assert len(report.unsupported) == 2


def test_a_title_left_in_chinese_beside_a_few_english_words_is_untranslated() -> None:
    assert untranslated('白茶园简介\nPronunciation: "SHEE-SOY"', "en")
    assert not untranslated("The Wuxi (雾溪) tea garden lies in a valley.", "en")


def test_a_percentage_the_source_gives_only_as_a_plain_number_is_left_out() -> None:
    report = SummaryReport()
    source = "Brewing takes 10 minutes. Members receive a 5% discount."
    out = check_summary("10% of guests are members. Members get 5 percent off.", source, report)
    assert out == "Members get 5 percent off."
    assert report.unsupported == ["10% of guests are members."]
