"""A document without pages (Word, HTML, Markdown, text) as formatted blocks for the page
viewer, with the cited sentence marked.

The loader records each page's blocks as character ranges of the indexed text
(`Page.blocks`); a citation's sentence and passage are ranges of that same text, so
marking is cutting runs at the range's ends, and nothing is matched twice. The result
is data, not markup: each block is `{kind, level, runs}` (a table row has `cells`, each
a list of runs), and a run is `[text, style]`, style a space-separated set of "mark",
"strong", "em", "code". The page builds elements from it with `textContent`, so markup
inside a document stays text. Markdown's inline emphasis, code and links are read here
(link targets are dropped: the viewer shows words, never follows a file's links); a
plain-text file, without blocks, is shown as paragraphs split at blank lines. A
plain-text file's paragraphs are reflowed (`reflow`): the line breaks its writer's editor
made at a fixed width would read as ragged lines on a narrow screen, so a break after a
line as wide as the paragraph's widest becomes a space (nothing between two Chinese
characters); a break after a short line, or before an indented line or a numbered
item, is the writer's and stays. A break is one character and a space is one too, so
the runs stay slices of the indexed text and the mark lands where it did.
What it leaves out: nested emphasis inside Markdown links, images (their alt text is
shown), footnotes, and any styling the loader did not record (Word's bold runs).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from ragkit.text.cjk import WIDE_CHARS
from ragkit.types import Block

# A block that starts or ends this close outside the window is shown whole rather than
# cut mid-word; a longer one is cut at the window's edge.
EDGE_SLACK = 2000

# Markdown inline markup: strong, emphasis, code, a link or image. Underscores only
# count at word edges (snake_case names are not emphasis). Strong and emphasis may run
# across a line break ("**Priya\nNandakumar**": the file wrapped there), never across a
# blank line.
_SPAN = r"(?:[^\n]|\n(?![ \t]*\n))+?"
_INLINE = re.compile(
    rf"(?P<strong>\*\*(?=\S)(?P<strong_text>{_SPAN})(?<=\S)\*\*"
    rf"|(?<!\w)__(?=\S)(?P<strong2_text>{_SPAN})(?<=\S)__(?!\w))"
    rf"|(?P<em>\*(?=[^\s*])(?P<em_text>{_SPAN})(?<=[^\s*])\*"
    rf"|(?<!\w)_(?=[^\s_])(?P<em2_text>{_SPAN})(?<=[^\s_])_(?!\w))"
    r"|(?P<code>`(?P<code_text>[^`\n]+)`)"
    r"|(?P<link>!?\[(?P<link_text>[^\]\n]*)\]\([^)\n]*\))"
)

Run = list[str]  # [text, style]

# A plain-text line this wide, or wider, was wrapped by an editor (at 60-80 columns,
# usually); the lines of an address or a short list are narrower and stay lines.
WRAP_CELLS = 40
# A line that ends this short of its paragraph's widest line ended where its writer
# chose, not where the editor wrapped it.
WRAP_SHARE = 0.7
# A line that starts an item of its own: "1. ", "2) ", "(3) ", "a) ", "（一）", "一、".
_ITEM = re.compile(
    r"(?:\d{1,3}[.)]|\(\d{1,3}\)|[a-z][.)]|（[一二三四五六七八九十\d]+）|[一二三四五六七八九十]+、)\s*"
)
_WIDE = re.compile(f"[{WIDE_CHARS}]")
# Stands for a break that joins two Chinese characters: dropped from the runs once they
# are cut (a character of the text's own never is one).
_JOIN = "\x00"


def formatted_blocks(
    text: str,
    blocks: Sequence[Block],
    window: tuple[int, int],
    lit: tuple[int, int] | None,
    *,
    markdown: bool = False,
    plain: bool = False,
) -> list[dict[str, Any]]:
    """The blocks of `text` that overlap `window` (start, end), as the page shows
    them, with the characters of `lit` marked; `plain`: a plain-text file, its
    paragraphs reflowed."""
    lo, hi = window
    if not blocks:
        blocks = paragraphs(text)
    shown = [b for b in blocks if b.end > lo and b.start < hi]
    if shown:  # whole blocks at the edges unless they are long
        first, last = shown[0], shown[-1]
        if first.start >= lo - EDGE_SLACK:
            lo = min(lo, first.start)
        if last.end <= hi + EDGE_SLACK:
            hi = max(hi, last.end)
    out: list[dict[str, Any]] = []
    if plain:
        text = reflow(text, [(max(b.start, lo), min(b.end, hi)) for b in shown])
    for b in shown:
        start, end = max(b.start, lo), min(b.end, hi)
        if b.kind == "cell":
            if out and out[-1]["kind"] == "row":
                out[-1]["cells"].append(_runs(text, start, end, lit, markdown))
            continue
        if b.kind == "row":
            out.append({"kind": "row", "level": b.level, "cells": []})
            continue
        runs = _runs(text, start, end, lit, markdown and b.kind != "code")
        if markdown and b.kind != "code":
            # Markdown breaks a paragraph's lines softly; Word and HTML line breaks
            # inside a block are real ones (<br>, a line break in a cell).
            runs = [[re.sub(r"\n[ \t]*", " ", t), s] for t, s in runs]
        if plain:
            runs = [[t.replace(_JOIN, ""), s] for t, s in runs]
            runs = [r for r in runs if r[0]]
        out.append({"kind": b.kind, "level": b.level, "runs": runs})
    return out


def reflow(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the editor's line breaks inside each of `spans` (a block's
    characters) made one space, or `_JOIN` between two Chinese characters: every
    character stays where it was."""
    chars = list(text)
    for start, end in spans:
        lines = text[start:end].split("\n")
        if len(lines) < 2:
            continue
        widths = [len(line.rstrip()) + len(_WIDE.findall(line)) for line in lines]
        widest = max(widths)
        at = start
        for n, after in enumerate(lines[1:]):
            line, width = lines[n], widths[n]
            at += len(line)  # the break
            wrapped = width >= max(WRAP_CELLS, WRAP_SHARE * widest)
            own = after[:1] in (" ", "\t") or _ITEM.match(after) is not None
            if wrapped and not own:
                before = line.rstrip()[-1:]
                wide = bool(before and _WIDE.match(before) and _WIDE.match(after[:1]))
                chars[at] = _JOIN if wide else " "
            at += 1
    return "".join(chars)


def within_block(blocks: Sequence[Block], span: tuple[int, int]) -> tuple[int, int]:
    """`span` cut to the block (a paragraph, item, cell...; not a whole row) that holds
    most of it: a sentence does not run across a heading, a list item or a table cell,
    though the sentence splitter, reading the flat text, may run a cell's sentence on
    from the row's first cell or take a bullet with it."""
    best, best_overlap = span, 0
    for b in blocks:
        overlap = min(b.end, span[1]) - max(b.start, span[0])
        if b.kind != "row" and overlap > best_overlap:
            best, best_overlap = (max(b.start, span[0]), min(b.end, span[1])), overlap
    return best


def paragraphs(text: str) -> tuple[Block, ...]:
    """`text` as paragraphs split at blank lines (for text without recorded blocks)."""
    out: list[Block] = []
    for m in re.finditer(r"\S(?:.|\n(?![ \t]*\n))*", text):
        out.append(Block("paragraph", m.start(), m.start() + len(m.group().rstrip())))
    return tuple(out)


def _runs(
    text: str, start: int, end: int, lit: tuple[int, int] | None, markdown: bool
) -> list[Run]:
    """Characters [start, end) of `text` as styled runs, markup left out, `lit` marked."""
    pieces = _inline(text, start, end) if markdown else [(start, end, "")]
    runs: list[Run] = []
    for a, b, style in pieces:
        cuts = sorted({a, b, *(x for x in (lit or ()) if a < x < b)})
        for x, y in itertools.pairwise(cuts):
            marked = lit is not None and x >= lit[0] and y <= lit[1]
            flags = " ".join(f for f in (style, "mark" if marked else "") if f)
            if runs and runs[-1][1] == flags:
                runs[-1][0] += text[x:y]
            else:
                runs.append([text[x:y], flags])
    return [r for r in runs if r[0]]


def _inline(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Markdown inline markup in [start, end) as (start, end, style) ranges of `text`,
    the markers themselves in no range."""
    out: list[tuple[int, int, str]] = []
    at = start
    for m in _INLINE.finditer(text, start, end):
        for group, style in (
            ("strong_text", "strong"),
            ("strong2_text", "strong"),
            ("em_text", "em"),
            ("em2_text", "em"),
            ("code_text", "code"),
            ("link_text", ""),
        ):
            if m.group(group) is not None:
                out.append((at, m.start(), ""))
                out.append((m.start(group), m.end(group), style))
                at = m.end()
                break
    out.append((at, end, ""))
    return [(a, b, s) for a, b, s in out if b > a]
