"""Cut text into pieces that fit a token budget, at the strongest boundary that works.

`split_to_fit` tries paragraphs, then lines, then sentences (Western and CJK sentence
punctuation), then words, then characters, and merges small neighbours back up to the
budget; the pieces always join back to the original text. `pack` groups pieces greedily.
Token counts come from a function (`ChatModel.count_tokens`), so each model sizes by its
own tokenizer. Leaves out overlap between pieces and any semantic splitting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

JOIN_COST = 1  # a join can merge two tokens or add one; count one per join to stay inside

Counter = Callable[[str], int]

# Boundaries from strongest to weakest; each segment keeps the separator that ends it, so
# "".join(segments) is the text again. Sentence ends include CJK punctuation.
BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n"),
    re.compile(r"[。！？；]\s*|[.!?;](?=\s)\s*"),
    re.compile(r"\s+"),
)
PARAGRAPH = BOUNDARIES[0]


def segments(text: str, boundary: re.Pattern[str]) -> list[str]:
    """`text` cut after every match of `boundary`; the pieces join back to `text`."""
    out: list[str] = []
    start = 0
    for match in boundary.finditer(text):
        if match.end() > start:
            out.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


def split_to_fit(text: str, limit: int, count: Counter, level: int = 0) -> list[str]:
    """Cut `text` into consecutive pieces of at most `limit` tokens each, at the strongest
    boundary that makes them fit, merging small neighbours back up to the limit."""
    if limit < 1:
        raise ValueError("limit must be at least one token")
    if count(text) <= limit:
        return [text]
    if level == len(BOUNDARIES):
        return hard_cut(text, limit, count)
    pieces: list[str] = []
    for seg in segments(text, BOUNDARIES[level]):
        pieces.extend(split_to_fit(seg, limit, count, level + 1))
    return pack(pieces, limit, count)


def hard_cut(text: str, limit: int, count: Counter) -> list[str]:
    """Last resort for a run with no boundary at all: cut by characters."""
    out: list[str] = []
    rest = text
    while rest:
        cost = count(rest)
        if cost <= limit:
            out.append(rest)
            break
        cut = max(1, len(rest) * limit // cost)
        while cut > 1 and count(rest[:cut]) > limit:
            cut = max(1, cut * 9 // 10)
        out.append(rest[:cut])
        rest = rest[cut:]
    return out


def pack(pieces: Sequence[str], limit: int, count: Counter, joiner: str = "") -> list[str]:
    """Merge consecutive pieces greedily into groups of at most `limit` tokens (by the
    sum of their counts, plus one per join); a piece over the limit stays alone."""
    groups: list[str] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        cost = count(piece)
        if current and used + JOIN_COST + cost > limit:
            groups.append(joiner.join(current))
            current, used = [], 0
        used += cost + (JOIN_COST if current else 0)
        current.append(piece)
    if current:
        groups.append(joiner.join(current))
    return groups
