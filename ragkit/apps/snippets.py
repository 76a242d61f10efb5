"""Short previews of a passage for the front ends' source lists (`ragkit search`'s table and
the terminal chat's Sources pane).

A chunk of a Markdown file keeps its markup (`## Founding`, `**14 March 1987**`, `- `), which
reads as noise in a one-line preview, and a preview cut at a fixed count of characters ends
mid-word. `preview` drops the common Markdown marks and cuts at a word boundary with an
ellipsis, measured in terminal cells. Leaves out full Markdown parsing (tables, links and
code blocks are shown as written) and terminal safety (callers still sanitize what they draw).
"""

from __future__ import annotations

import re

from rich.cells import cell_len, get_character_cell_size

# Heading hashes and list bullets at the start of a line, and emphasis/code marks anywhere.
_LINE_MARKS = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|>[ \t]?)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_SPACES = re.compile(r"\s+")


def without_emphasis(text: str) -> str:
    """`text` without Markdown's emphasis and code marks (`**0.5 hectares**` → `0.5
    hectares`), for a terminal that would print them as they are. A piece of a streamed
    answer holds whole words, so a mark is never split between two pieces."""
    return _EMPHASIS.sub("", text)


def preview(text: str, limit: int) -> str:
    """`text` as one line at most `limit` terminal cells wide (a Chinese character takes
    two, so a Chinese preview runs as wide as an English one rather than twice as tall),
    Markdown marks removed, cut at a word boundary where there is one close enough, and
    ending in "…" when cut."""
    flat = _SPACES.sub(" ", _EMPHASIS.sub("", _LINE_MARKS.sub("", text))).strip()
    if cell_len(flat) <= limit:
        return flat
    cut, width = "", 0
    for char in flat:  # the longest start that leaves a cell for the "…"
        width += get_character_cell_size(char)
        if width > max(limit - 1, 1):
            break
        cut += char
    space = cut.rfind(" ")
    # Chinese has no spaces: cut anywhere; a Western word is kept whole unless that would
    # throw away more than a third of the preview.
    if flat[len(cut)] != " " and space > 0 and cell_len(cut[:space]) > (limit * 2) // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
