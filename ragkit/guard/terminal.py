"""Terminal safety: escape and control sequences removed before a terminal shows text.

A model's output (or a document it quotes) can carry ANSI escapes that recolour or
rewrite the screen, move the cursor over earlier lines, set the window title, make
hyperlinks whose target differs from their text (OSC 8) or write the clipboard
(OSC 52). This scanner finds ESC-introduced sequences (CSI, OSC, DCS/APC/PM strings,
two-byte escapes), their 8-bit C1 forms, and every other C0 control character except
tab and newline (a bare carriage return can overwrite a line). Leaves out deciding
whether a sequence is harmless (colours are removed too: the terminal is not ours).
"""

from __future__ import annotations

import re

from ragkit.guard.types import Finding, OneKindScanner

_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c)"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-OQ-WYZ\\`-~]"  # two-byte escapes (ESC c resets the terminal)
    r"|\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\x80-\x9f]"
)
_LAST_INTRODUCER = re.compile(r"[\x1b\x90\x98\x9b\x9d-\x9f][^\x1b\x90\x98\x9b\x9d-\x9f]*\Z")
# An 8-bit string introducer (DCS, SOS, OSC, PM, APC) alone also matches as a control
# character; for holding back, only the whole string, terminator included, completes it.
_C1_STRING = re.compile(r"[\x90\x98\x9d-\x9f][\s\S]*?(?:\x07|\x1b\\|\x9c)")
# Longest a stream holds an unterminated OSC/DCS string back before letting it go.
_HOLD_MAX = 4096


def _label(seq: str) -> str:
    if seq.startswith(("\x1b]", "\x9d")):
        body = seq[2:] if seq.startswith("\x1b]") else seq[1:]
        if body.startswith("52;"):
            return "OSC52_CLIPBOARD"
        if body.startswith("8;"):
            return "OSC8_HYPERLINK"
        return "OSC"
    if seq.startswith(("\x1b[", "\x9b")):
        return "CSI"
    if seq.startswith("\x1b"):
        return "ESCAPE"
    return "CONTROL_CHARACTER"


class TerminalScanner(OneKindScanner, name="terminal", kind="terminal"):
    def scan(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for m in _SEQUENCE.finditer(text):
            label = _label(m.group())
            score = 1.0 if label != "CONTROL_CHARACTER" else 0.8
            out.append(self.found(label, m.start(), m.end(), score, ""))
        # A lone ESC (its sequence not yet complete, or malformed) is removed too.
        covered = {i for f in out for i in range(f.start, f.end)}
        for i, ch in enumerate(text):
            if ch == "\x1b" and i not in covered:
                out.append(self.found("ESCAPE", i, i + 1, 1.0, ""))
        out.sort(key=lambda f: f.start)
        return out

    def pending(self, text: str) -> int:
        if text.endswith("\r"):
            return len(text) - 1  # a line end or a carriage return: the next piece says
        last = _LAST_INTRODUCER.search(text, max(0, len(text) - _HOLD_MAX))
        if last is None:
            return len(text)
        whole = _C1_STRING if text[last.start()] in "\x90\x98\x9d\x9e\x9f" else _SEQUENCE
        return len(text) if whole.match(text, last.start()) is not None else last.start()


def strip_terminal(text: str) -> str:
    """`text` without any sequence or control character the scanner finds (newline and
    tab stay), for printing to a terminal. Safe piece by piece: a sequence split across
    two calls loses its ESC (or C1 introducer) in the first, and what is left is text."""
    if text.isprintable() or not any(c < " " or "\x7f" <= c <= "\x9f" for c in text):
        return text
    kept: list[str] = []
    at = 0
    for finding in TerminalScanner().scan(text):
        if finding.start >= at:
            kept.append(text[at : finding.start])
            at = finding.end
    kept.append(text[at:])
    return "".join(kept)
