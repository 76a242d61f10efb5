"""Short previews of a passage for the front ends' source lists (`ragkit search`'s table and
the terminal chat's Sources pane).

A chunk of a Markdown file keeps its markup (`## Founding`, `**14 March 1987**`, `- `), which
reads as noise in a one-line preview, and a preview cut at a fixed count of characters ends
mid-word. `preview` drops the Markdown marks (inline ones and headings as every front end
drops them, ragkit.text.marks; list bullets and quote markers here, which a preview folds
onto one line) and cuts at a word boundary with an ellipsis, measured in terminal cells;
given the query, it starts at the sentence that matches it best (by its words, not by
meaning). Leaves out full Markdown parsing (tables and code blocks are shown as written)
and terminal safety (callers still sanitize what they draw).
"""

from __future__ import annotations

import re

from rich.cells import cell_len, get_character_cell_size

from ragkit.text.marks import strip_marks

# List bullets and quote markers at the start of a line (block Markdown, which
# ragkit.text.marks leaves as written: an answer keeps its lists).
_LINE_MARKS = re.compile(r"(?m)^[ \t]*(?:[-*+][ \t]+|>[ \t]?)")
_SPACES = re.compile(r"\s+")


# Sentence ends, Western and Chinese; and words too common to say where a query matched.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])")
_COMMON = frozenset(
    "the and for are was were what when where which who whom how does did with from that "
    "this these those into about have has had its their there than then them they you your "
    "can could would should will shall may might not but any all".split()
)


def _query_terms(query: str) -> list[str]:
    """The query's words worth finding (lowercase, three letters or more, not common
    ones) and, for Chinese, its two-character runs."""
    terms = [w for w in re.findall(r"[^\W\d_]{3,}", query.lower()) if w not in _COMMON]
    for run in re.findall(r"[\u4e00-\u9fff]+", query):
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return [t for t in terms if not re.fullmatch(r"[\u4e00-\u9fff]+", t) or len(t) == 2]


def _from_best_sentence(flat: str, query: str) -> str:
    """`flat` from the sentence holding the most of `query`'s terms, "…" before it when
    that is not the first; `flat` itself when no later sentence holds more."""
    terms = _query_terms(query)
    if not terms:
        return flat
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(flat) if m.end() < len(flat)]
    best, best_key = 0, (0, 0.0)
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(flat)
        sentence = flat[start:end].lower()
        found = sum(1 for t in set(terms) if t in sentence)
        # Ties go to the denser sentence: a heading run into the first sentence ("Section
        # 2: Equipment and Warranty The cooperative shop…") names the word only in passing.
        key = (found, found / max(len(sentence), 1))
        if found and key > best_key:
            best, best_key = start, key
    return flat if best == 0 else "…" + flat[best:]


def preview(text: str, limit: int, query: str = "") -> str:
    """`text` as one line at most `limit` terminal cells wide (a Chinese character takes
    two, so a Chinese preview runs as wide as an English one rather than twice as tall),
    Markdown marks removed, cut at a word boundary where there is one close enough, and
    ending in "…" when cut. With a `query`, the preview starts at the sentence that
    holds the most of its words (after a "…"), so a search result shows why it matched
    rather than its chunk's heading."""
    flat = _SPACES.sub(" ", strip_marks(_LINE_MARKS.sub("", text))).strip()
    if query and cell_len(flat) > limit:
        flat = _from_best_sentence(flat, query)
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
