"""Content filtering for inputs, retrieved chunks and model output.

`Guard.scan(text, direction)` runs the scanners a `Policy` needs and returns a
`GuardResult` (filtered text, findings, blocked, placeholders); `StreamFilter` does the
same for a streamed answer; `default_guard` builds the built-in scanners. Leaves out
wiring into question answering (session.py) and settings (ragkit.wiring).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from ragkit._lazy import lazy_getattr
from ragkit.guard.types import Direction

if TYPE_CHECKING:
    from ragkit.guard.banned import BannedTermScanner
    from ragkit.guard.classifier import LinearModel
    from ragkit.guard.guard import Guard
    from ragkit.guard.injection import InjectionClassifier, InjectionScanner, SentenceClassifier
    from ragkit.guard.judge import JudgeScanner
    from ragkit.guard.links import ExfiltrationScanner
    from ragkit.guard.pii import PiiScanner
    from ragkit.guard.policy import DEFAULTS, Policy
    from ragkit.guard.secrets import SecretScanner
    from ragkit.guard.stream import StreamFilter
    from ragkit.guard.terminal import TerminalScanner
    from ragkit.guard.types import Action, Finding, GuardResult, Kind, Scanner, Vault
    from ragkit.guard.unicode import UnicodeScanner
    from ragkit.models.llm.base import ChatModel

# Loaded on first use: the scanners pull in numpy, and the command line imports the
# terminal sanitiser (ragkit.guard.terminal) for every command, `ragkit ls` included.
__getattr__ = lazy_getattr(
    __name__,
    {
        "ragkit.guard.banned": ["BannedTermScanner"],
        "ragkit.guard.classifier": ["LinearModel"],
        "ragkit.guard.guard": ["Guard"],
        "ragkit.guard.injection": ["InjectionClassifier", "InjectionScanner", "SentenceClassifier"],
        "ragkit.guard.judge": ["JudgeScanner"],
        "ragkit.guard.links": ["ExfiltrationScanner"],
        "ragkit.guard.pii": ["PiiScanner"],
        "ragkit.guard.policy": ["DEFAULTS", "Policy"],
        "ragkit.guard.secrets": ["SecretScanner"],
        "ragkit.guard.stream": ["StreamFilter"],
        "ragkit.guard.terminal": ["TerminalScanner"],
        "ragkit.guard.types": [
            "Action",
            "Direction",
            "Finding",
            "GuardResult",
            "Kind",
            "Scanner",
            "Vault",
        ],
        "ragkit.guard.unicode": ["UnicodeScanner"],
    },
)


QUESTIONS_ONLY: tuple[Direction, ...] = ("input",)
CHUNKS_ONLY: tuple[Direction, ...] = ("chunk",)


def default_guard(
    policy: Policy | None = None,
    *,
    banned_terms: Iterable[str] = (),
    classifier: bool = True,
    threshold: float | None = None,
    classifier_directions: Collection[Direction] = QUESTIONS_ONLY,
    judge: ChatModel | None = None,
) -> Guard:
    """The built-in scanners: unicode, terminal, PII, secrets, injection rules, the
    shipped injection classifier (unless `classifier` is False) on whole texts in
    `classifier_directions` (it was fitted on typed prompts and misfires on document
    prose scored whole) and sentence by sentence on chunks at a high threshold,
    exfiltration links, banned terms and, when a model is given, the LLM judge."""
    from ragkit.guard.banned import BannedTermScanner
    from ragkit.guard.classifier import LinearModel
    from ragkit.guard.guard import Guard
    from ragkit.guard.injection import InjectionClassifier, InjectionScanner, SentenceClassifier
    from ragkit.guard.judge import JudgeScanner
    from ragkit.guard.links import ExfiltrationScanner
    from ragkit.guard.pii import PiiScanner
    from ragkit.guard.secrets import SecretScanner
    from ragkit.guard.terminal import TerminalScanner
    from ragkit.guard.unicode import UnicodeScanner

    scanners: list[Scanner] = [
        UnicodeScanner(),
        TerminalScanner(),
        PiiScanner(),
        SecretScanner(),
        InjectionScanner(),
        ExfiltrationScanner(),
        BannedTermScanner(banned_terms),
    ]
    if classifier:
        model = LinearModel.load()
        scanners.append(InjectionClassifier(model, threshold))
        scanners.append(SentenceClassifier(model))
    if judge is not None:
        scanners.append(JudgeScanner(judge))
    only = {"classifier": classifier_directions, "sentence-classifier": CHUNKS_ONLY}
    return Guard(scanners, policy, only=only)


__all__ = [
    "DEFAULTS",
    "Action",
    "BannedTermScanner",
    "Direction",
    "ExfiltrationScanner",
    "Finding",
    "Guard",
    "GuardResult",
    "InjectionClassifier",
    "InjectionScanner",
    "JudgeScanner",
    "Kind",
    "LinearModel",
    "PiiScanner",
    "Policy",
    "Scanner",
    "SecretScanner",
    "SentenceClassifier",
    "StreamFilter",
    "TerminalScanner",
    "UnicodeScanner",
    "Vault",
    "default_guard",
]
