"""Credentials: API keys of well-known shapes, private key blocks and high-entropy tokens.

Known shapes (OpenAI/Anthropic-style `sk-`, AWS `AKIA`/`ASIA`, GitHub `ghp_`/`github_pat_`,
Slack `xox?-`, Google `AIza`, JWTs, PEM private keys) are certain. Any other token of 24+
characters mixing upper case, lower case and digits with a Shannon entropy of at least
4 bits per character is reported too, with a lower score. Leaves out verifying keys
against their services (no network) and hex-only strings such as commit hashes, which
look random but are rarely secret.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from ragkit.guard.types import (
    Finding,
    OneKindScanner,
    open_match,
    partial_patterns,
    trailing_window,
)

_KNOWN = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{20,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r")(?![\w-])"
)
_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
)
_PEM_OPEN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY")
_TOKEN = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_=-]{24,}(?![\w+/=-])")
_MIN_ENTROPY = 4.0
# Keys have no spaces: one still being written is in the last word, or is a key block
# whose first line (a few dozen characters) is still arriving.
_OPEN = partial_patterns(_KNOWN, _TOKEN)
_OPEN_PEM = partial_patterns(_PEM_OPEN)
_PEM_LINE = 64
# A stream holds an unterminated key block back this far at most; a longer one is
# not a key and is let through.
_PEM_MAX = 16_384


def entropy(token: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in Counter(token).values())


def _looks_random(token: str) -> bool:
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and sum(c.isdigit() for c in token) >= 2
        and entropy(token) >= _MIN_ENTROPY
    )


class SecretScanner(OneKindScanner, name="secrets", kind="secret"):
    def scan(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        for m in _PEM.finditer(text):
            found.append(self.found("PRIVATE_KEY", m.start(), m.end()))
        for m in _KNOWN.finditer(text):
            found.append(self.found("API_KEY", m.start(), m.end()))
        taken = [(f.start, f.end) for f in found]
        for m in _TOKEN.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if _looks_random(m.group()):
                score = min(1.0, entropy(m.group()) / 5.0)
                found.append(self.found("SECRET", m.start(), m.end(), score))
        found.sort(key=lambda f: f.start)
        return found

    def pending(self, text: str) -> int:
        cut = open_match(text, _OPEN, trailing_window(text, 0))
        cut = min(cut, open_match(text, _OPEN_PEM, trailing_window(text, _PEM_LINE)))
        opened = None
        for m in _PEM_OPEN.finditer(text, max(0, len(text) - _PEM_MAX)):
            opened = m.start()
        if opened is not None and _PEM.match(text, opened) is None:
            return min(cut, opened)  # a key block not closed yet (its END line unfinished)
        return cut
