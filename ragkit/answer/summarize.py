"""Summarize and translate documents of any length with any `ChatModel`.

`Summarizer` is map-reduce over token-counted pieces: a text that fits the model's window
(minus the reply's `max_tokens` and the prompt) is summarized in one streamed call; a
longer one is cut at the strongest boundary that works (paragraph, line, sentence, word,
character) into groups that fit, each group is summarized (map), and the summaries are
combined, recursively, until one combining call fits — that last call streams. The
summary is written in the text's language (`query_language`: Chinese or English).

`Translator` works chunk by chunk: each paragraph (cut further when it does not fit) is
one call, streamed; the paragraph breaks between them are copied from the source, so the
layout survives whatever the model writes. Paragraphs already in the target language, or
with no letters at all, are copied unchanged.

Token counts come from `ChatModel.count_tokens`, so local and remote backends are sized
by their own tokenizers.

Nothing the model writes is shown unchecked. Each summary sentence (and list item) is
checked against the text it summarises: one naming a number, date, capitalised name or
Chinese number that text lacks (`ragkit.answer.checking.absent_facts`) is left out, and
so is one repeating a sentence already kept; prompt scaffolding is cut. When nothing of
a summary survives, the text's opening sentences stand in for it (extractive), so a
part of a document is never silently lost. `SummaryReport` counts what was left out.
A translated chunk loses the model's wrapper lines ("Here is the translation…", "The
original text was: …" and what follows it); a chunk still mostly in the source's script
is not passed off as a translation: the source chunk is shown under a one-line note.

Leaves out reading files (the loaders do), entailment (a sentence using only the
source's facts can still misstate them), languages other than Chinese and English (any
non-Chinese script reads as English, so `--to en` copies it unchanged), and checking a
translation's meaning.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Protocol

from ragkit.answer.checking import (
    absent_facts,
    clean,
    cut_loop,
    cut_scaffolding,
    word_pieces,
)
from ragkit.errors import ModelError, RagkitError
from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.models.prompts import PromptTemplates
from ragkit.text.analysis import query_language
from ragkit.text.cjk import CJK
from ragkit.text.normalize import alnum_key, fold
from ragkit.text.sentences import split_sentences
from ragkit.text.textfit import (
    JOIN_COST,
    PARAGRAPH,
    Counter,
    hard_cut,
    pack,
    segments,
    split_to_fit,
)

if TYPE_CHECKING:
    from ragkit.index.milvus import AnyReader

Language = Literal["en", "zh"]
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {"en": "English", "zh": "Simplified Chinese (简体中文)"}
)
SAFETY_MARGIN = 16  # tokens a chat template adds around the messages
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+")
_NUMBERED = re.compile(r"\d{1,2}(?=[.)、])")
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)、]|[-*•])\s+")
EXTRACTIVE_SENTENCES = 3
"""Source sentences shown when nothing of a summary survives its check."""
UNTRANSLATED_SHARE = 0.5
"""A translated chunk is untranslated when more than this share of its Chinese characters
and Latin words together are in the source's script (Chinese for `--to en`)."""


@dataclasses.dataclass
class SummaryReport:
    """What the checks did to one summary: sentences left out because the source does
    not hold their facts (`unsupported`, the model's words), how many repeated one
    already shown, and whether source sentences stood in for the whole summary."""

    unsupported: list[str] = dataclasses.field(default_factory=list)
    repeated: int = 0
    extractive: bool = False

    @property
    def left_out(self) -> int:
        return len(self.unsupported) + self.repeated


@dataclasses.dataclass
class TranslationReport:
    """Chunks shown in the source's language because the model did not translate them."""

    untranslated: int = 0
    chunks: int = 0


class StepProgress(Protocol):
    """Where a long summary or translation reports its model calls (a bar, nothing)."""

    def stage(self, name: str, total: int) -> None:
        """A stage of `total` model calls begins (`map`, `combine 1`, `translate`…)."""
        ...

    def advance(self) -> None:
        """One call of the current stage is done."""
        ...


class NoStepProgress:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


def detect_language(text: str) -> Language:
    """'zh' for mostly-Chinese text, else 'en' (see `ragkit.text.analysis.query_language`)."""
    return "zh" if query_language(text) == "zh" else "en"


class _Caller:
    """Renders a system + user prompt pair and runs it; sizes the room left for text."""

    def __init__(
        self, model: ChatModel, options: GenerationOptions, templates: PromptTemplates
    ) -> None:
        self.model = model
        self.options = options
        self.templates = templates

    def room(self, system: str, user_template: str, reply_tokens: int, **fixed: str) -> int:
        """Tokens left for `$text` in `user_template` once the rest and the reply fit."""
        empty = self.templates.render(user_template, text="", **fixed)
        return (
            self.model.context_window
            - reply_tokens
            - self.model.count_tokens(system)
            - self.model.count_tokens(empty)
            - SAFETY_MARGIN
        )

    def stream(
        self, system: str, user_template: str, text: str, max_tokens: int, **fixed: str
    ) -> Iterator[str]:
        user = self.templates.render(user_template, text=text, **fixed)
        options = dataclasses.replace(self.options, max_tokens=max_tokens)
        return self.model.stream((Message("system", system), Message("user", user)), options)


class _ModelTask:
    """A task done by prompting `model` (`options` and `templates`: the defaults when None)."""

    def __init__(
        self,
        model: ChatModel,
        options: GenerationOptions | None = None,
        templates: PromptTemplates | None = None,
    ) -> None:
        self._call = _Caller(model, options or GenerationOptions(), templates or PromptTemplates())


class Summarizer(_ModelTask):
    """Map-reduce summaries that fit any window; see the module docstring."""

    def summarize(self, text: str, language: Language | None = None) -> str:
        return "".join(self.stream(text, language=language)).strip()

    def stream(
        self,
        text: str,
        *,
        language: Language | None = None,
        progress: StepProgress | None = None,
        report: SummaryReport | None = None,
    ) -> Iterator[str]:
        """Yield the final summary once checked (`check_summary`; what was left out goes
        to `report`); earlier rounds run first and report to `progress`. Raises
        `RagkitError` for an empty text and `ModelError` when the window is too small to
        hold a useful piece."""
        if not _HAS_LETTER.search(text):
            raise RagkitError("there is no text to summarize (it is empty or has no words)")
        progress = progress or NoStepProgress()
        lang = LANGUAGE_NAMES[language or detect_language(text)]
        count = self._call.model.count_tokens
        reply = self._call.options.max_tokens
        system = self._call.templates.render("summarize_system", language=lang)
        # Sized with the longest `$where` a part can have, so every part's prompt fits.
        longest = "part 99999 of 99999 of a document"
        text_room = self._call.room(system, "summarize_text", reply, language=lang, where=longest)
        combine_room = self._call.room(system, "summarize_combine", reply, language=lang)
        # Combining must hold at least two summaries, or it would never converge.
        if min(text_room, combine_room) < max(64, 2 * reply):
            raise ModelError(
                f"the model's {self._call.model.context_window}-token window is too small to "
                f"summarize with {reply} tokens kept for each summary; raise RAGKIT_LLM__N_CTX "
                "or lower RAGKIT_LLM__MAX_TOKENS"
            )
        body = text.strip()
        report = report if report is not None else SummaryReport()
        if count(body) <= text_room:
            progress.stage("summarize", 1)
            raw = "".join(
                self._call.stream(
                    system, "summarize_text", body, reply, language=lang, where="the document"
                )
            )
            progress.advance()
            yield from word_pieces(check_summary(raw, body, report))
            return
        parts = [p.strip() for p in split_to_fit(body, text_room, count) if p.strip()]
        progress.stage("map", len(parts))
        summaries: list[str] = []
        for number, part in enumerate(parts, 1):
            where = f"part {number} of {len(parts)} of a document"
            summaries.append(self._complete(system, "summarize_text", part, part, lang, where))
            progress.advance()
        round_number = 0
        while count("\n\n".join(summaries)) > combine_room:
            round_number += 1
            # A summary cut to half the room lets every group hold two, so rounds shrink.
            half = combine_room // 2 - JOIN_COST
            trimmed = [_shorten(s, half, count) for s in summaries]
            groups = pack(trimmed, combine_room, count, joiner="\n\n")
            progress.stage(f"combine {round_number}", len(groups))
            summaries = []
            for group in groups:
                summaries.append(self._complete(system, "summarize_combine", group, body, lang))
                progress.advance()
        progress.stage("final", 1)
        raw = "".join(
            self._call.stream(
                system, "summarize_combine", "\n\n".join(summaries), reply, language=lang
            )
        )
        progress.advance()
        yield from word_pieces(check_summary(raw, body, report))

    def _complete(
        self, system: str, template: str, text: str, source: str, lang: str, where: str = ""
    ) -> str:
        """An intermediate summary of `text`, checked against `source` (the part it
        summarises, or the whole document for a combining round)."""
        fixed = {"language": lang, "where": where} if where else {"language": lang}
        reply = self._call.options.max_tokens
        out = "".join(self._call.stream(system, template, text, reply, **fixed))
        # Checked here too: an invented fact passed to the next round would be
        # re-checked only against the whole document, where it might happen to appear.
        return check_summary(out, source)


def check_summary(summary: str, source: str, report: SummaryReport | None = None) -> str:
    """`summary` as a reader may see it: scaffolding cut, each sentence or list item
    whose numbers, dates, names or Chinese numbers `source` lacks left out, a repeat of
    one already kept left out, line layout (list markers) kept. When nothing survives,
    `source`'s opening sentences (`extractive_summary`)."""
    report = report if report is not None else SummaryReport()
    text, _ = cut_scaffolding(summary)
    text, _ = cut_loop(clean(text))
    hay = fold(source)
    seen: set[str] = set()
    lines: list[str] = []
    number = 0
    for line in text.splitlines():
        marker_match = _ITEM.match(line)
        marker = marker_match.group().lstrip() if marker_match else ""
        body = line[marker_match.end() :] if marker_match else line
        kept: list[str] = []
        for piece in split_sentences(body):
            sentence = piece.text.strip()
            key = alnum_key(sentence)
            if not key:  # punctuation the splitter left alone ("。)"): it closes the last
                if kept:
                    kept[-1] += sentence
                continue
            if absent_facts(sentence, hay, chinese=False, whole_words=True) or any(
                share not in hay for share in _shares(sentence)
            ):
                report.unsupported.append(sentence)
            elif key in seen:
                report.repeated += 1
            else:
                seen.add(key)
                kept.append(sentence)
        if kept:
            if marker[:1].isdigit():
                # Numbered anew: a left-out item would leave a gap ("1. 2. 4.").
                number = number + 1 if lines and _NUMBERED.match(lines[-1]) else 1
                marker = _NUMBERED.sub(str(number), marker, count=1)
            lines.append(marker + _joiner(kept).join(kept))
        elif not line.strip() and lines and lines[-1]:
            lines.append("")  # a paragraph break the model wrote
    # A lead-in ("It covers the following:") whose items were all left out says nothing.
    lines = [
        line
        for i, line in enumerate(lines)
        if not line.rstrip().endswith((":", "："))
        or (i + 1 < len(lines) and _ITEM.match(lines[i + 1]))
    ]
    if not lines:
        report.extractive = True
        return extractive_summary(source)
    return "\n".join(lines).strip()


_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)


def _shares(sentence: str) -> list[str]:
    """The percentages of `sentence` as the normalised source would write them ("10%"):
    `absent_facts` finds "10" anywhere, but "10%" invented from "10 minutes" is a new fact."""
    return [m.group(1) + "%" for m in _PERCENT.finditer(fold(sentence))]


def extractive_summary(source: str, limit: int = EXTRACTIVE_SENTENCES) -> str:
    """The first `limit` sentences of `source` that read as statements (not headings
    or fragments), as written: no model words, so nothing to check."""
    picked: list[str] = []
    for piece in split_sentences(source):
        sentence = piece.text.strip()
        if sentence.startswith("#") or not _HAS_LETTER.search(sentence):
            continue
        if not CJK.search(sentence):
            sentence = " ".join(sentence.split())
        # Headings and captions are short; a statement has a few words at least.
        if len(sentence) < (10 if CJK.search(sentence) else 25) or sentence in picked:
            continue
        picked.append(sentence)
        if len(picked) == limit:
            break
    if not picked:  # a text of fragments only: its start, as written
        return " ".join(source.split())[:400]
    return _joiner(picked).join(picked)


def _joiner(sentences: list[str]) -> str:
    return "" if any(CJK.search(s) for s in sentences) else " "


def _shorten(text: str, limit: int, count: Counter) -> str:
    return text if count(text) <= limit else hard_cut(text, limit, count)[0]


class Translator(_ModelTask):
    """Chunk-by-chunk translation into Chinese or English; see the module docstring."""

    def translate(self, text: str, target: Language) -> str:
        return "".join(self.stream(text, target))

    def stream(
        self,
        text: str,
        target: Language,
        progress: StepProgress | None = None,
        report: TranslationReport | None = None,
    ) -> Iterator[str]:
        """Yield the translation chunk by chunk, paragraph breaks copied from `text`;
        a chunk the model left in the source's language is yielded as written under
        `untranslated_note` (counted in `report`)."""
        if target not in LANGUAGE_NAMES:
            raise RagkitError(f"cannot translate into {target!r}; use one of: zh, en")
        if not text.strip():
            raise RagkitError("there is no text to translate (it is empty)")
        progress = progress or NoStepProgress()
        report = report if report is not None else TranslationReport()
        lang = LANGUAGE_NAMES[target]
        system = self._call.templates.render("translate_system", language=lang)
        # A reply runs about as long as its source (longer into Chinese with some
        # tokenizers): a source chunk gets half the reply's `max_tokens` and at most a third
        # of the window, so its translation fits both.
        room = self._call.room(system, "translate", 0, language=lang)
        reply_cap = self._call.options.max_tokens
        source_room = min(room // 3, max(16, reply_cap // 2))
        if room // 3 < 16:
            raise ModelError(
                f"the model's {self._call.model.context_window}-token window is too small to "
                "translate with; raise RAGKIT_LLM__N_CTX"
            )
        count = self._call.model.count_tokens
        plan = list(_plan(text, target, source_room, count))
        progress.stage("translate", sum(len(unit.pieces) for unit in plan))
        joiner = "" if target == "zh" else " "
        for unit in plan:
            if not unit.translate:
                yield unit.text
                continue
            for index, piece in enumerate(unit.pieces):
                reply = min(room - count(piece), reply_cap)
                raw = "".join(self._call.stream(system, "translate", piece, reply, language=lang))
                progress.advance()
                report.chunks += 1
                translated = strip_meta(raw, piece)
                if untranslated(translated, target):
                    report.untranslated += 1
                    # The note opens a line of its own, even inside a paragraph.
                    yield ("\n" if index else "") + untranslated_note(target) + "\n" + piece
                    continue
                if index:
                    yield joiner
                yield from _tidy(iter([translated]))


# A line where the model talks about its work rather than translating: "Here is the
# translation:", "The above text is a translation of…", "以下是译文：".
_META = re.compile(
    r"^\W*(?:here\s+is|here's|sure\b)|\btranslat(?:ion|ed|e|ing)\b|\boriginal\s+text\b"
    r"|^\W*(?:以下是|下面是)|译文|翻译|原文",
    re.IGNORECASE,
)
# After a line like this, the model echoes the source: nothing below it is translation.
_ECHO = re.compile(r"\boriginal\s+text\b|原文", re.IGNORECASE)


def strip_meta(reply: str, source: str) -> str:
    """`reply` without scaffolding, and without lines where the model talks about the
    translation (from a line naming "the original text" on, all of it: an echo of the
    source follows). Lines are kept when `source` itself talks that way."""
    text = clean(cut_scaffolding(reply)[0])
    if _META.search(source):
        return text
    kept: list[str] = []
    for line in text.splitlines():
        if _META.search(line):
            if _ECHO.search(line):
                break
            continue
        kept.append(line)
    return "\n".join(kept)


def untranslated(text: str, target: Language) -> bool:
    """Whether a translation into `target` is empty or mostly still in the other
    script: more than `UNTRANSLATED_SHARE` of its letters CJK (into English) or Latin
    (into Chinese)."""
    # A Chinese character carries about what an English word does: characters are
    # weighed against words, not letters ("白茶园简介 Pronunciation: SHEE-SOY" is untranslated).
    cjk = len(CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk + latin == 0:
        return not text.strip()
    other = cjk if target == "en" else latin
    return other / (cjk + latin) > UNTRANSLATED_SHARE


def untranslated_note(target: Language) -> str:
    """The line shown above a chunk the model could not translate."""
    name = "English" if target == "en" else "Chinese"
    return (
        f"[not translated: the model could not translate this into {name}; "
        "a stronger model may: set RAGKIT_LLM__MODEL_PATH]"
    )


@dataclasses.dataclass(frozen=True)
class _Unit:
    text: str
    translate: bool
    pieces: tuple[str, ...] = ()


def _plan(text: str, target: Language, room: int, count: Counter) -> Iterator[_Unit]:
    """Paragraphs to translate (cut to fit `room`) and the text copied between them."""
    for seg in segments(text, PARAGRAPH):
        match = re.fullmatch(r"(\s*)(.*?)(\s*)", seg, flags=re.DOTALL)
        assert match is not None  # the pattern matches any string
        lead, body, tail = match.groups()
        if lead:
            yield _Unit(lead, False)
        if body:
            if not _HAS_LETTER.search(body) or detect_language(body) == target:
                yield _Unit(body, False)
            else:
                pieces = [p.strip() for p in split_to_fit(body, room, count, 1) if p.strip()]
                yield _Unit(body, True, tuple(pieces))
        if tail:
            yield _Unit(tail, False)


def _tidy(pieces: Iterator[str]) -> Iterator[str]:
    """A translated paragraph without leading or trailing whitespace, and with any blank
    line inside it narrowed to a line break, so the source's paragraph layout holds.
    Trailing whitespace is held back until more text follows it."""
    pending = ""
    started = False
    for piece in pieces:
        buffer = pending + piece
        if not started:
            buffer = buffer.lstrip()
        body = buffer.rstrip()
        if not body:
            pending = buffer
            continue
        started = True
        yield _BLANK_LINE.sub("\n", body)
        pending = buffer[len(body) :]


_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


def indexed_document_text(reader: AnyReader, key: str) -> str:
    """A document's text as the index holds it: its chunks in order, their overlaps
    removed by character offsets. Raises `RagkitError` for a key not in the index."""
    spans = reader.store.document_chunks(key, reader.generation)
    if not spans:
        raise RagkitError(f"document {key} is not in index {reader.index_dir}; see: ragkit ls")
    out: list[str] = []
    end = 0
    for start, stop, text in spans:
        skip = max(0, end - start)
        if skip < len(text):
            # Chunks are stored stripped: a gap of one character was a space or a line
            # break, a longer one a paragraph break.
            gap = start - end if out else 0
            out.append(("" if gap <= 0 else " " if gap == 1 else "\n\n") + text[skip:])
        end = max(end, stop)
    return "".join(out)
