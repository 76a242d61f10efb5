"""Invisible and direction-changing characters, which hide instructions from the reader.

Flags and (by default) strips Unicode tag characters (U+E0000-E007F, an ASCII copy no
font draws), zero-width characters, bidirectional controls (Trojan Source), variation
selectors beyond the sixteen used by emoji, and other format characters. A zero-width
joiner between emoji and the first variation selectors are left alone, since emoji
sequences need them. Leaves out confusable look-alike letters (homoglyphs), which are
visible.
"""

from __future__ import annotations

import re
import unicodedata

from ragkit.guard.types import Finding, OneKindScanner

_TAGS = "\U000e0000-\U000e007f"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061-\u2064\ufeff\u180e\u00ad"
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c"
_VS_SUPPLEMENT = "\U000e0100-\U000e01ef"
# Lone surrogates: not characters at all; they come from undecodable bytes.
_SURROGATES = "\ud800-\udfff"
_RUN = re.compile(f"[{_TAGS}{_ZERO_WIDTH}{_BIDI}{_VS_SUPPLEMENT}{_SURROGATES}]+")
_OTHER_FORMAT = re.compile(r"[\u2000-\u206f\ufff0-\ufffb]")


def _label(run: str) -> str:
    first = run[0]
    if "\U000e0000" <= first <= "\U000e007f":
        return "TAG_CHARACTERS"
    if (
        first in "\u200e\u200f\u061c"
        or "\u202a" <= first <= "\u202e"
        or "\u2066" <= first <= "\u2069"
    ):
        return "BIDI_CONTROL"
    if first >= "\U000e0100":
        return "VARIATION_SELECTOR"
    if "\ud800" <= first <= "\udfff":
        return "SURROGATE"
    return "ZERO_WIDTH"


def _is_pictograph(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or "\U0001f000" <= ch <= "\U0001faff"


class UnicodeScanner(OneKindScanner, name="unicode", kind="unicode"):
    def scan(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        for m in _RUN.finditer(text):
            run = m.group()
            if run == "\u200d" and self._joins_emoji(text, m.start(), m.end()):
                continue
            score = 1.0 if _label(run) != "ZERO_WIDTH" or len(run) > 1 else 0.6
            found.append(self.found(_label(run), m.start(), m.end(), score, ""))
        for m in _OTHER_FORMAT.finditer(text):
            if unicodedata.category(m.group()) == "Cf" and not _RUN.match(m.group()):
                found.append(self.found("FORMAT_CHARACTER", m.start(), m.end(), 0.6, ""))
        found.sort(key=lambda f: f.start)
        return found

    @staticmethod
    def _joins_emoji(text: str, start: int, end: int) -> bool:
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        # Skip an emoji variation selector (U+FE0F) or skin tone before the joiner.
        if before in "\ufe0f" and start > 1:
            before = text[start - 2]
        return (
            bool(before and after)
            and (_is_pictograph(before) or "\U0001f3fb" <= before <= "\U0001f3ff")
            and _is_pictograph(after)
        )

    def pending(self, text: str) -> int:
        # A run cut in two is still removed piece by piece, but whether a joiner at the
        # end sits between two emoji is only known once the next character arrives.
        i = len(text)
        while i > 0 and _RUN.match(text, i - 1):
            i -= 1
        return i - 1 if 0 < i < len(text) else i
