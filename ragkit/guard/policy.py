"""What to do with each kind of finding, per direction: allow, redact, block or flag.

Directions: `input` (the user's question), `chunk` (each retrieved passage before it
enters a prompt) and `output` (the model's answer as it streams). The defaults lean
gentle where the user is the author and strict where text comes from elsewhere:

- input: an injection is flagged (a warning, not a refusal: people paste odd text and
  are the victims of injection, not usually its authors); secrets are redacted before
  any model sees them and shown back to the user restored; invisible characters and
  terminal controls are stripped; banned terms block.
- chunk: an injected passage is blocked (left out of the prompt, and named in the
  session's notes, which `ragkit ask` prints);
  secrets redacted; invisible characters and controls stripped; banned terms redacted.
- output: personal data, secrets, banned terms and exfiltration links are redacted,
  terminal controls and invisible characters stripped.

Leaves out scanning (the scanners) and applying actions (guard.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ragkit.errors import ConfigError
from ragkit.guard.types import ACTIONS, DIRECTIONS, KINDS, Action, Direction, Kind

DEFAULTS: dict[Direction, dict[Kind, Action]] = {
    "input": {
        "pii": "allow",
        "secret": "redact",
        "injection": "flag",
        "unicode": "redact",
        "terminal": "redact",
        "exfil": "allow",
        "banned": "block",
    },
    "chunk": {
        "pii": "allow",
        "secret": "redact",
        "injection": "block",
        "unicode": "redact",
        "terminal": "redact",
        "exfil": "flag",
        "banned": "redact",
    },
    "output": {
        "pii": "redact",
        "secret": "redact",
        "injection": "allow",
        "unicode": "redact",
        "terminal": "redact",
        "exfil": "redact",
        "banned": "redact",
    },
}


@dataclass(frozen=True)
class Policy:
    """direction → kind → action; kinds left out fall back to `DEFAULTS`."""

    rules: Mapping[Direction, Mapping[Kind, Action]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for direction, kinds in self.rules.items():
            if direction not in DIRECTIONS:
                raise ConfigError(
                    f"guard policy: unknown direction {direction!r}; use {', '.join(DIRECTIONS)}"
                )
            for kind, action in kinds.items():
                if kind not in KINDS:
                    raise ConfigError(
                        f"guard policy: unknown kind {kind!r} in {direction}; "
                        f"use {', '.join(KINDS)}"
                    )
                if action not in ACTIONS:
                    raise ConfigError(
                        f"guard policy: {direction}.{kind} = {action!r}; use {', '.join(ACTIONS)}"
                    )

    def action(self, direction: Direction, kind: Kind) -> Action:
        chosen = self.rules.get(direction, {}).get(kind)
        return chosen if chosen is not None else DEFAULTS[direction][kind]

    def active_kinds(self, direction: Direction) -> frozenset[Kind]:
        return frozenset(k for k in KINDS if self.action(direction, k) != "allow")
