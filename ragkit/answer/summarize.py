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
by their own tokenizers. Leaves out reading files (the loaders do), extractive summaries,
languages other than Chinese and English (any non-Chinese script reads as English, so
`--to en` copies it unchanged), and checking the model's output for faithfulness.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Literal, Protocol

from ragkit.errors import ModelError, RagkitError
from ragkit.index.milvus import AnyReader
from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.models.prompts import PromptTemplates
from ragkit.text.analysis import query_language
from ragkit.text.textfit import (
    JOIN_COST,
    PARAGRAPH,
    Counter,
    hard_cut,
    pack,
    segments,
    split_to_fit,
)

Language = Literal["en", "zh"]
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {"en": "English", "zh": "Simplified Chinese (简体中文)"}
)
SAFETY_MARGIN = 16  # tokens a chat template adds around the messages
_HAS_LETTER = re.compile(r"[^\W\d_]")


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
    ) -> Iterator[str]:
        """Yield the final summary as it is generated; earlier rounds run first and
        report to `progress`. Raises `RagkitError` for an empty text and `ModelError`
        when the window is too small to hold a useful piece."""
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
        if count(body) <= text_room:
            progress.stage("summarize", 1)
            yield from self._call.stream(
                system, "summarize_text", body, reply, language=lang, where="the document"
            )
            progress.advance()
            return
        parts = [p.strip() for p in split_to_fit(body, text_room, count) if p.strip()]
        progress.stage("map", len(parts))
        summaries: list[str] = []
        for number, part in enumerate(parts, 1):
            where = f"part {number} of {len(parts)} of a document"
            summaries.append(self._complete(system, "summarize_text", part, lang, where))
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
                summaries.append(self._complete(system, "summarize_combine", group, lang))
                progress.advance()
        progress.stage("final", 1)
        yield from self._call.stream(
            system, "summarize_combine", "\n\n".join(summaries), reply, language=lang
        )
        progress.advance()

    def _complete(self, system: str, template: str, text: str, lang: str, where: str = "") -> str:
        fixed = {"language": lang, "where": where} if where else {"language": lang}
        reply = self._call.options.max_tokens
        out = "".join(self._call.stream(system, template, text, reply, **fixed)).strip()
        # An empty intermediate summary would silently drop a part of the document.
        return out or text[:400]


def _shorten(text: str, limit: int, count: Counter) -> str:
    return text if count(text) <= limit else hard_cut(text, limit, count)[0]


class Translator(_ModelTask):
    """Chunk-by-chunk translation into Chinese or English; see the module docstring."""

    def translate(self, text: str, target: Language) -> str:
        return "".join(self.stream(text, target))

    def stream(
        self, text: str, target: Language, progress: StepProgress | None = None
    ) -> Iterator[str]:
        """Yield the translation piece by piece, paragraph breaks copied from `text`."""
        if target not in LANGUAGE_NAMES:
            raise RagkitError(f"cannot translate into {target!r}; use one of: zh, en")
        if not text.strip():
            raise RagkitError("there is no text to translate (it is empty)")
        progress = progress or NoStepProgress()
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
                if index:
                    yield joiner
                reply = min(room - count(piece), reply_cap)
                yield from _tidy(
                    self._call.stream(system, "translate", piece, reply, language=lang)
                )
                progress.advance()


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
