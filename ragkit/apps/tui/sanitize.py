"""Make model output (and document text) safe to show in a terminal.

`sanitize_for_terminal` removes what the content guard's terminal scanner
(`ragkit.guard.terminal`) finds — CSI, OSC (window titles, OSC 8 hyperlinks, OSC 52
clipboard writes), DCS, SOS, PM and APC strings, any other ESC sequence and every C0/C1
control character except newline and tab — so there is one definition of a terminal
escape in ragkit. An unterminated sequence at the end is removed too (what the scanner
would hold back from a stream): callers sanitize the whole text accumulated so far, so a
sequence split across streamed pieces is removed once it is complete. Line ends are
normalised to newlines. Leaves out invisible or bidirectional Unicode and PII (the
content guard's other scanners).
"""

from __future__ import annotations

from ragkit.guard.terminal import TerminalScanner


def sanitize_for_terminal(text: str) -> str:
    """`text` without terminal escape sequences or control characters (bar \\n and \\t)."""
    scanner = TerminalScanner()
    # The scanner keeps a carriage return that ends a line; a text widget wants only \n.
    text = text.replace("\r\n", "\n")
    text = text[: scanner.pending(text)]
    kept: list[str] = []
    at = 0
    for finding in scanner.scan(text):
        if finding.start >= at:  # findings do not overlap, but never cut one twice
            kept.append(text[at : finding.start])
            at = finding.end
    kept.append(text[at:])
    return "".join(kept)
