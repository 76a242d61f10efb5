"""Banned terms from the user's own lists, in any script.

Latin-script (and other spaced-script) terms match as whole words, case-insensitively,
so "ass" does not fire inside "class"; terms containing CJK characters match as
substrings, since Chinese and Japanese are written without spaces. Leaves out the lists
themselves (none ship: what is unwanted is the deployer's call) and spelling variants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ragkit.guard.types import Finding, OneKindScanner, open_match, partial_patterns

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


class BannedTermScanner(OneKindScanner, name="banned", kind="banned"):
    def __init__(self, terms: Iterable[str]) -> None:
        cleaned = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
        self.terms = tuple(cleaned)
        parts = [
            re.escape(t) if _CJK.search(t) else rf"(?<!\w){re.escape(t)}(?!\w)" for t in cleaned
        ]
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        self._open = partial_patterns(self._pattern) if self._pattern is not None else ()
        self._window = max((len(t) for t in cleaned), default=0) + 1

    def scan(self, text: str) -> list[Finding]:
        if self._pattern is None:
            return []
        return [
            self.found("BANNED_TERM", m.start(), m.end(), 1.0, "[REDACTED]")
            for m in self._pattern.finditer(text)
        ]

    def pending(self, text: str) -> int:
        # A term still being written is a prefix of it at the very end (at most its length).
        return open_match(text, self._open, len(text) - self._window)
