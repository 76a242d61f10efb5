"""`StreamFilter`: the guard applied to text that arrives piece by piece (a model's
streamed answer), so that nothing unredacted ever reaches the screen.

Each piece is appended to a buffer; the filter releases only the part that no scanner
can still change: it holds back the tail from which a match might still be growing
(each scanner says where: an address, number or key whose text so far is the start of
one, an unterminated escape sequence, an unclosed markdown link, a half-written
placeholder) and never cuts through a finding. Nothing else waits: a sentence that ends
is shown when it ends, not when the next one comes. What it releases is redacted exactly
as a scan of the whole text would redact it. A blocking finding ends
the stream with a notice. Placeholders the user's own input introduced can be restored
on the way out. Leaves out where the pieces come from and where they go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

from ragkit.guard.guard import Guard, apply
from ragkit.guard.types import Direction, Finding, Vault, restore

_OPEN_PLACEHOLDER = re.compile(r"\[[A-Z0-9_]{0,40}\Z")
# Already-released text rescanned for context (word boundaries, look-behinds need a
# character or two; a few dozen keep a placeholder's number or an e-mail's user whole).
_CONTEXT = 64


class StreamFilter:
    def __init__(
        self,
        guard: Guard,
        direction: Direction = "output",
        vault: Vault | None = None,
        restorable: Mapping[str, str] | None = None,
    ) -> None:
        self.guard = guard
        self.direction: Direction = direction
        self.vault = vault if vault is not None else Vault()
        self.restorable = dict(restorable or {})
        self.findings: list[Finding] = []
        self.placeholders: dict[str, str] = {}
        self.blocked = False
        self._buf = ""
        self._emitted = 0

    def feed(self, piece: str) -> str:
        """Add a piece; return the text that is now safe to show (may be empty)."""
        self._buf += piece
        return self._release(final=False)

    def close(self) -> str:
        """The end of the stream: release whatever is still held back."""
        return self._release(final=True)

    def filter(self, pieces: Iterable[str]) -> Iterator[str]:
        """Filter a whole stream of pieces; stops early when the policy blocks."""
        for piece in pieces:
            out = self.feed(piece)
            if out:
                yield out
            if self.blocked:
                return
        tail = self.close()
        if tail:
            yield tail

    def _release(self, final: bool) -> str:
        if self.blocked:
            return ""
        base = max(0, self._emitted - _CONTEXT)
        window = self._buf[base:]
        found = self.guard.detect(window, self.direction)
        cut = len(window)
        if not final:
            cut = min(cut, self.guard.pending(window, self.direction))
            if self.restorable:
                m = _OPEN_PLACEHOLDER.search(window)
                if m is not None:
                    cut = min(cut, m.start())
        moved = True
        while moved:  # never cut through a finding: hold all of it back
            moved = False
            for f in found:
                if f.start < cut < f.end:
                    cut, moved = f.start, True
        start = self._emitted - base
        if cut <= start:
            return ""
        # A finding that began in text already shown cannot happen while the scanners'
        # `pending` is right; should one be wrong, the part not yet shown is still
        # redacted rather than let through.
        fresh = [
            f if f.start >= start else replace(f, start=start)
            for f in found
            if f.end > start and f.end <= cut
        ]
        blocking = [f for f in fresh if f.action == "block"]
        if blocking:
            self.blocked = True
            self.findings.extend(blocking)
            kinds = ", ".join(sorted({f.kind for f in blocking}))
            return f"\n[answer withheld by the content filter: {kinds}]"
        self.findings.extend(replace(f, start=f.start + base, end=f.end + base) for f in fresh)
        text, used = apply(window[start:cut], fresh, self.vault, offset=start)
        self.placeholders.update(used)
        self._emitted = base + cut
        return restore(text, self.restorable)

    @property
    def raw_text(self) -> str:
        """Everything fed so far, unfiltered (for the caller's own records)."""
        return self._buf
