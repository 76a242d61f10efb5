"""Citation marks in an answer: find `[n]`, `[n, m]` (and the full-width `【n】`), and
remove the numbers that name no source the model was given.

A removed number is reported, not silently dropped, so a caller can tell a model that
invents sources from one that cites well. Leaves out checking that a cited source
supports the sentence (that is `ragkit.evidence`).
"""

from __future__ import annotations

import re
from collections.abc import Collection

CITE = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")


def cited_numbers(text: str) -> list[int]:
    """Numbers cited as [n] or [n, m] in order of first appearance."""
    seen: dict[int, None] = {}
    for match in CITE.finditer(text):
        for part in re.split(r"[,，、]", match.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def clean_citations(text: str, valid: Collection[int]) -> tuple[str, tuple[int, ...]]:
    """`text` without citations to numbers outside `valid`, and those numbers in order.

    `[1, 7]` becomes `[1]` and a lone `[7]` disappears with the space before it."""
    invalid: dict[int, None] = {}

    def keep(match: re.Match[str]) -> str:
        numbers = [int(p) for p in re.split(r"[,，、]", match.group(1))]
        good = [n for n in numbers if n in valid]
        for n in numbers:
            if n not in valid:
                invalid.setdefault(n, None)
        if len(good) == len(numbers):
            return match.group(0)
        return "[" + ", ".join(str(n) for n in good) + "]" if good else ""

    cleaned = CITE.sub(keep, text)
    if invalid:
        # A removed mark leaves "months ." or a double space behind; tidy just that.
        cleaned = re.sub(r"[ \t]+([.,;:!?。，；])", r"\1", cleaned)
        cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned, tuple(invalid)


def strip_citations(text: str) -> str:
    """`text` without any citation marks (for comparing its words with sources)."""
    bare = re.sub(r"[ \t]+([.,;:!?。，；])", r"\1", CITE.sub("", text))
    return re.sub(r"[ \t]{2,}", " ", bare).strip()
