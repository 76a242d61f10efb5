"""Content filtering for inputs, retrieved chunks and model output.

`Guard.scan(text, direction)` runs the scanners a `Policy` needs and returns a
`GuardResult` (filtered text, findings, blocked, placeholders); `StreamFilter` does the
same for a streamed answer; `default_guard` builds the built-in scanners. Leaves out
wiring into question answering (session.py) and settings (ragkit.wiring).
"""

from __future__ import annotations

from collections.abc import Iterable

from ragkit.guard.banned import BannedTermScanner
from ragkit.guard.classifier import LinearModel
from ragkit.guard.guard import Guard
from ragkit.guard.injection import InjectionScanner
from ragkit.guard.judge import JudgeScanner
from ragkit.guard.links import ExfiltrationScanner
from ragkit.guard.pii import PiiScanner
from ragkit.guard.policy import DEFAULTS, Policy
from ragkit.guard.secrets import SecretScanner
from ragkit.guard.stream import StreamFilter
from ragkit.guard.terminal import TerminalScanner
from ragkit.guard.types import Action, Direction, Finding, GuardResult, Kind, Scanner, Vault
from ragkit.guard.unicode import UnicodeScanner
from ragkit.llm.base import ChatModel


def default_guard(
    policy: Policy | None = None,
    *,
    banned_terms: Iterable[str] = (),
    classifier: bool = True,
    threshold: float | None = None,
    judge: ChatModel | None = None,
) -> Guard:
    """The built-in scanners: unicode, terminal, PII, secrets, injection (rules plus the
    shipped classifier unless `classifier` is False), exfiltration links, banned terms
    and, when a model is given, the LLM judge."""
    scanners: list[Scanner] = [
        UnicodeScanner(),
        TerminalScanner(),
        PiiScanner(),
        SecretScanner(),
        InjectionScanner(LinearModel.load() if classifier else None, threshold),
        ExfiltrationScanner(),
        BannedTermScanner(banned_terms),
    ]
    if judge is not None:
        scanners.append(JudgeScanner(judge))
    return Guard(scanners, policy)


__all__ = [
    "DEFAULTS",
    "Action",
    "BannedTermScanner",
    "Direction",
    "ExfiltrationScanner",
    "Finding",
    "Guard",
    "GuardResult",
    "InjectionScanner",
    "JudgeScanner",
    "Kind",
    "LinearModel",
    "PiiScanner",
    "Policy",
    "Scanner",
    "SecretScanner",
    "StreamFilter",
    "TerminalScanner",
    "UnicodeScanner",
    "Vault",
    "default_guard",
]
