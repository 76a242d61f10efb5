"""Exfiltration through links a model writes: a markdown image is fetched the moment a
chat window renders it, and its URL can carry whatever the model was told to put there.

Reports every markdown or HTML image with a remote URL, and markdown links or bare URLs
whose query string or fragment carries data (long or many parameters). Their
replacement says what was removed. Leaves out links to hosts on an allowlist (none
ships) and checking where a URL actually points.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from ragkit.guard.types import (
    Finding,
    OneKindScanner,
    open_match,
    partial_patterns,
    trailing_window,
)

_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\(\s*<?((?:https?:)?//[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)[^>]*>", re.I)
_LINK = re.compile(r"(?<!!)\[[^\]\n]{0,500}\]\(\s*<?(https?://[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE = re.compile(r"(?<![(<\"'=])\bhttps?://[^\s<>()\"']+")
_OPEN = re.compile(
    r"!?\[[^\]\n]{0,500}(?:\]\([^)\n]{0,2000})?\Z|<img\b[^>]{0,2000}\Z|https?://\S*\Z", re.I
)
# The beginnings `_OPEN` does not cover yet: a lone `!`, a half-written `<img` or `http`.
_STARTS = partial_patterns(_IMAGE, _HTML_IMAGE, _LINK, _BARE)
# A query carrying this much is treated as data being sent out.
_MAX_QUERY = 40


def _carries_data(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    payload = parts.query + parts.fragment
    if len(payload) > _MAX_QUERY:
        return True
    return len(parse_qsl(parts.query)) > 3


class ExfiltrationScanner(OneKindScanner, name="links", kind="exfil"):
    def scan(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for m in _IMAGE.finditer(text):
            out.append(self.found("REMOTE_IMAGE", m.start(), m.end(), 1.0, "[image removed]"))
        for m in _HTML_IMAGE.finditer(text):
            out.append(self.found("REMOTE_IMAGE", m.start(), m.end(), 1.0, "[image removed]"))
        taken = [(f.start, f.end) for f in out]
        for pattern in (_LINK, _BARE):
            for m in pattern.finditer(text):
                url = m.group(1) if pattern is _LINK else m.group()
                overlaps = any(m.start() < e and s < m.end() for s, e in taken)
                if not overlaps and _carries_data(url):
                    out.append(
                        self.found(
                            "DATA_URL",
                            m.start(),
                            m.end(),
                            0.9,
                            "[link removed]",
                        )
                    )
                    taken.append((m.start(), m.end()))
        out.sort(key=lambda f: f.start)
        return out

    def pending(self, text: str) -> int:
        m = _OPEN.search(text, max(0, len(text) - 3000))
        cut = m.start() if m else len(text)
        return min(cut, open_match(text, _STARTS, trailing_window(text, 0)))
