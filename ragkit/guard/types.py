"""The records the content filter passes around: findings, actions and scan results.

A scanner reports `Finding`s (what it saw, where, how sure); the `Guard` attaches the
action its policy chose and returns a `GuardResult` with the filtered text. `Vault`
keeps the placeholder ↔ original map so redacted values can be shown again to the
person who owns them. Leaves out detection itself (the scanner modules) and the choice
of action (policy.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# `regex` rather than `re` for one thing `re` lacks: partial matching (does a text end
# inside a match that more text could complete?), which a stream's hold-back needs.
import regex

Direction = Literal["input", "chunk", "output"]
Action = Literal["allow", "redact", "block", "flag"]
Kind = Literal["pii", "secret", "injection", "unicode", "terminal", "exfil", "banned"]

DIRECTIONS: tuple[Direction, ...] = ("input", "chunk", "output")
ACTIONS: tuple[Action, ...] = ("allow", "redact", "block", "flag")
KINDS: tuple[Kind, ...] = ("pii", "secret", "injection", "unicode", "terminal", "exfil", "banned")


@dataclass(frozen=True)
class Finding:
    """One thing a scanner found in a text.

    `label` names it precisely (EMAIL, ID_NUMBER, …) and becomes the placeholder's stem;
    `replacement` is what redaction puts in its place: None for a numbered placeholder
    that can be restored (`[EMAIL_1]`), a fixed string otherwise ("" strips it).
    `action` is "flag" until the guard's policy sets it.
    """

    scanner: str
    kind: Kind
    label: str
    start: int
    end: int
    score: float = 1.0
    replacement: str | None = None
    action: Action = "flag"

    def to_json(self, text: str) -> dict[str, object]:
        return {
            "scanner": self.scanner,
            "kind": self.kind,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "match": text[self.start : self.end],
            "score": round(self.score, 4),
            "action": self.action,
        }


class OneKindScanner:
    """What the built-in scanners share: a `name` and the one kind they report, given
    on the class line (`class PiiScanner(OneKindScanner, name="pii", kind="pii")`), and
    `found`, which makes a finding of that kind."""

    name: str
    kind: Kind
    kinds: frozenset[Kind]

    def __init_subclass__(cls, *, name: str, kind: Kind, **rest: Any) -> None:
        super().__init_subclass__(**rest)
        cls.name, cls.kind, cls.kinds = name, kind, frozenset({kind})

    def found(
        self,
        label: str,
        start: int,
        end: int,
        score: float = 1.0,
        replacement: str | None = None,
    ) -> Finding:
        return Finding(self.name, self.kind, label, start, end, score, replacement)


class Scanner(Protocol):
    """Finds one family of things in a text. `kinds` lists the finding kinds it can
    report, so the guard can skip it where the policy allows all of them."""

    @property
    def name(self) -> str: ...

    @property
    def kinds(self) -> frozenset[Kind]: ...

    def scan(self, text: str) -> list[Finding]:
        """Every finding in `text`, spans as offsets into it."""
        ...

    def pending(self, text: str) -> int:
        """For streamed text: the earliest offset from which a match might still be
        growing (len(text) when none), so a stream holds that tail back."""
        ...


_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*_\d+\]")


@dataclass
class Vault:
    """Placeholder ↔ original value for one conversation. The same value always gets
    the same placeholder, so a model's answer can refer to it consistently."""

    by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, label: str, value: str) -> str:
        key = (label, value)
        if key not in self.by_value:
            self.counts[label] = self.counts.get(label, 0) + 1
            name = f"[{label}_{self.counts[label]}]"
            self.by_value[key] = name
            self.originals[name] = value
        return self.by_value[key]


def restore(text: str, originals: Mapping[str, str]) -> str:
    """`text` with every placeholder found in `originals` put back."""
    if not originals:
        return text
    return _PLACEHOLDER.sub(lambda m: originals.get(m.group(0), m.group(0)), text)


@dataclass(frozen=True)
class GuardResult:
    """The outcome of one scan: the filtered text, what was found (with the action
    taken for each), whether the policy blocks the text, and the placeholders this
    scan introduced (placeholder → original)."""

    text: str
    findings: tuple[Finding, ...]
    blocked: bool
    placeholders: Mapping[str, str]

    def restore(self, text: str) -> str:
        """Put the originals back into `text` (e.g. a model's answer) for the user."""
        return restore(text, self.placeholders)

    @property
    def flagged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.action != "allow")

    def to_json(self, original: str) -> dict[str, object]:
        return {
            "blocked": self.blocked,
            "text": self.text,
            "findings": [f.to_json(original) for f in self.findings],
            "placeholders": dict(self.placeholders),
        }


# What a pattern match (an address, a number, a key) can be made of: printable ASCII
# without spaces. Chinese text has no spaces, so "up to the last space" would hold back
# a whole Chinese answer; CJK characters end a run instead.
_RUN_START = re.compile(r"[!-~]*\Z")


def trailing_window(text: str, window: int) -> int:
    """Where to look for a match in progress: `window` characters from the end, or
    earlier if the last run of printable ASCII (a word, an address, a key) is longer."""
    cut = max(0, len(text) - window)
    run = _RUN_START.search(text, max(0, cut - 4096))
    return min(cut, run.start()) if run is not None else cut


def open_match(text: str, patterns: Sequence[regex.Pattern[str]], since: int) -> int:
    """Where a stream's held-back tail starts: the earliest offset at or after `since`
    from which the rest of `text` is a match of one of `patterns` or the beginning of
    one that more text could complete (len(text) when there is none). Only from there
    can a value split across pieces still be growing; what comes before it is final,
    so a finished sentence is released at once instead of a fixed window later."""
    best = len(text)
    for pattern in patterns:
        pos = max(0, since)
        while pos < best:
            # The leftmost match from `pos`, whole or reaching the end; a whole one may
            # still have a longer form that more text completes, else look past it.
            m = pattern.search(text, pos, partial=True)
            if m is None or m.start() >= best:
                break
            if m.partial or pattern.fullmatch(text, m.start(), partial=True) is not None:
                best = m.start()
                break
            pos = m.start() + 1
    return best


def partial_patterns(*patterns: re.Pattern[str]) -> tuple[regex.Pattern[str], ...]:
    """`patterns` compiled for `open_match` (same syntax and flags)."""
    return tuple(
        regex.compile(p.pattern, regex.IGNORECASE if p.flags & re.IGNORECASE else 0)
        for p in patterns
    )
