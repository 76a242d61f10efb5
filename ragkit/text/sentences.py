"""Split English and Chinese text into sentences, keeping their character offsets.

A sentence ends at . ! ? followed by white space, at 。！？；… (no space needed in
Chinese), or at a line break, except a line break that only wraps a sentence (the
line before ends mid-sentence and is long, a Chinese character counting twice, or it
ends in a Latin word and the next goes on in lower case, digits or Chinese, as in text
extracted from PDFs; a short line ending in Chinese is a title). A trailing citation mark
such as `[2]` that lands after a full stop stays with the sentence before it. Common
abbreviations (e.g., Dr., No.), a page's "p." before its number and decimals do not end
a sentence. Leaves out other languages' rules and any model-based segmentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragkit.text.cjk import CJK

# Group 1 keeps citation marks written after a full stop ("… months. [1] Next") with
# the sentence they belong to.
_END = re.compile(
    r"(?<=[.!?])((?:\s*[\[【]\d+(?:\s*[,，、]\s*\d+)*[\]】])*)[\"')\]]*\s+"
    r"|(?<=[。！？；…])[”’」』）]*\s*|\s*\n\s*"
)
_CITE_ONLY = re.compile(r"^(?:[\[【]\d+(?:\s*[,，、]\s*\d+)*[\]】]\s*)+[.。]?$")
_PAGE = re.compile(r"\bpp?\.$")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|No|Fig|St|approx)|\b[A-Z])\.$")


WRAP_WIDTH = 50  # characters: a line at least this long that stops mid-sentence wrapped
_WRAP_BEFORE = re.compile(r"[\w,;(\-–\u3400-\u9fff]$")
_WRAP_AFTER = re.compile(r"^[a-z0-9(\u3400-\u9fff]")
# A line opening with a list item's number ("2. ", "3) ") starts a new item, not the
# rest of the line before it, although it opens with a digit.
_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*+•])\s")
_LIST_NUMBER = re.compile(r"\d{1,3}[.)]")


def _wrapped(text: str, end: int, start: int) -> bool:
    """Whether the break between `text[:end]` and `text[start:]` is one line wrapping
    a sentence rather than the end of one."""
    gap = text[end:start]
    if gap.count("\n") != 1 or gap.strip():
        return False
    before = text[:end].rstrip()
    if not _WRAP_BEFORE.search(before) or _LIST_ITEM.match(text[start:]):
        return False
    # A long line that stops mid-sentence was wrapped (a heading is short); a short one
    # only when the next line plainly goes on. Chinese has no lower case to tell a line
    # that goes on, so a short line ending in Chinese (a title: 雾溪茶园简介) ends there;
    # a Chinese character is twice as wide, so a wrapped Chinese line is about half as
    # many characters.
    line = before[before.rfind("\n") + 1 :]
    width = len(line) + len(CJK.findall(line))
    if width >= WRAP_WIDTH:
        return True
    return not CJK.match(line[-1:]) and bool(_WRAP_AFTER.match(text[start:]))


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """The non-empty sentences of `text` in order; `text[s.start:s.end]` is `s.text`."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        end = match.start() + len(match.group(1) or "")
        piece = text[start:end].rstrip()
        if piece.strip() and _ABBREV.search(piece) and "\n" not in match.group():
            continue  # an abbreviation, not the end of a sentence
        if _LIST_NUMBER.fullmatch(piece.strip()) and "\n" not in match.group():
            continue  # "2. the garden…": a list item's number opens its sentence
        if _PAGE.search(piece) and text[match.end() : match.end() + 1].isdigit():
            continue  # "handbook.pdf p. 2", "pp. 3-4": a page number, not a new sentence
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and (_CITE_ONLY.match(text[s:e].strip()) or _wrapped(text, merged[-1][1], s)):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    out = []
    for s, e in merged:
        raw = text[s:e]
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        out.append(Sentence(body, s + lead, s + lead + len(body)))
    return out
