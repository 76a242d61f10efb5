"""`Guard`: run the scanners a policy needs over a text and apply the policy's actions.

Scanning is two passes. First the scanners that find characters to strip (invisible
Unicode, terminal controls); then every other scanner over the text with those
characters removed, so "e\u200bmail@example.com" or an injection spelled with
zero-width spaces is still seen. Spans are mapped back to the original text, so every
finding points into what the caller passed in. Redaction replaces each span with its
scanner's replacement or a numbered placeholder kept in a `Vault`; overlapping spans
keep the one that starts first (the longer on a tie). Leaves out streaming
(stream.py) and where texts come from (the caller says which direction they travel).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from ragkit.guard.policy import Policy
from ragkit.guard.types import Direction, Finding, GuardResult, Kind, Scanner, Vault

_STRIP_KINDS: frozenset[Kind] = frozenset({"unicode", "terminal"})


class Guard:
    """`only` restricts scanners, by name, to some directions (e.g. the injection
    classifier to questions); a scanner not named there runs in every direction."""

    def __init__(
        self,
        scanners: Sequence[Scanner],
        policy: Policy | None = None,
        only: Mapping[str, Collection[Direction]] | None = None,
    ) -> None:
        self.scanners = tuple(scanners)
        self.policy = policy or Policy()
        self.only = {name: frozenset(dirs) for name, dirs in (only or {}).items()}

    def _active(self, direction: Direction) -> tuple[list[Scanner], list[Scanner]]:
        active = self.policy.active_kinds(direction)
        used = [
            s
            for s in self.scanners
            if s.kinds & active and direction in self.only.get(s.name, (direction,))
        ]
        first = [s for s in used if s.kinds <= _STRIP_KINDS]
        return first, [s for s in used if not s.kinds <= _STRIP_KINDS]

    def detect(self, text: str, direction: Direction) -> list[Finding]:
        """Every finding the policy does not allow, with its action, spans in `text`."""
        first, second = self._active(direction)
        found = [self._decide(f, direction) for s in first for f in s.scan(text)]
        found = [f for f in found if f.action != "allow"]
        stripped = [f for f in found if f.action == "redact"]
        cleaned, positions = _remove(text, stripped)
        for scanner in second:
            for f in scanner.scan(cleaned):
                decided = self._decide(f, direction)
                if decided.action == "allow":
                    continue
                if positions is not None:
                    start = positions[f.start]
                    end = positions[f.end - 1] + 1 if f.end > f.start else start
                    decided = replace(decided, start=start, end=end)
                found.append(decided)
        found.sort(key=lambda f: (f.start, -f.end))
        return found

    def _decide(self, finding: Finding, direction: Direction) -> Finding:
        return replace(finding, action=self.policy.action(direction, finding.kind))

    def scan(self, text: str, direction: Direction, vault: Vault | None = None) -> GuardResult:
        """Scan `text` travelling in `direction`; `vault` keeps placeholders consistent
        across the texts of one conversation (a fresh one when None)."""
        findings = self.detect(text, direction)
        filtered, placeholders = apply(text, findings, vault if vault is not None else Vault())
        blocked = any(f.action == "block" for f in findings)
        return GuardResult(filtered, tuple(findings), blocked, placeholders)

    def pending(self, text: str, direction: Direction) -> int:
        """Earliest offset of `text` a stream must still hold back (len(text): none)."""
        first, second = self._active(direction)
        return min((s.pending(text) for s in (*first, *second)), default=len(text))


def apply(
    text: str, findings: Sequence[Finding], vault: Vault, offset: int = 0
) -> tuple[str, dict[str, str]]:
    """`text` with the redacting findings replaced; spans are offsets into a larger text
    of which `text` starts at `offset`. Returns the new text and the placeholders used."""
    parts: list[str] = []
    used: dict[str, str] = {}
    pos = 0
    for f in sorted((f for f in findings if f.action == "redact"), key=lambda f: (f.start, -f.end)):
        start, end = f.start - offset, f.end - offset
        if start < pos or start < 0 or end > len(text):
            continue  # overlaps one already replaced
        parts.append(text[pos:start])
        if f.replacement is not None:
            parts.append(f.replacement)
        else:
            name = vault.placeholder(f.label, text[start:end])
            used[name] = text[start:end]
            parts.append(name)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), used


def _remove(text: str, spans: Sequence[Finding]) -> tuple[str, list[int] | None]:
    """`text` without `spans`, and for each remaining character its offset in `text`."""
    if not spans:
        return text, None
    keep = [True] * len(text)
    for f in spans:
        for i in range(f.start, f.end):
            keep[i] = False
    positions = [i for i, k in enumerate(keep) if k]
    positions.append(len(text))  # so an empty match at the very end maps too
    return "".join(text[i] for i in positions[:-1]), positions
