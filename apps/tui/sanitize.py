"""Make model output (and document text) safe to show in a terminal.

`sanitize_for_terminal` removes escape sequences — CSI (colours, cursor moves, screen
clears), OSC (window titles, OSC 8 hyperlinks, OSC 52 clipboard writes), DCS, SOS, PM
and APC strings, any other ESC sequence — and every C0/C1 control character except
newline and tab, so text a model or a document wrote can neither restyle the terminal,
rewrite what is on screen, nor reach the clipboard. An unterminated sequence at the end
is removed too: callers sanitize the whole text accumulated so far, so a sequence split
across streamed pieces is removed once it is complete. Leaves out invisible or
bidirectional Unicode and PII (the content guard's job).
"""

from __future__ import annotations

import re

_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?          # CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)  # OSC, DCS, SOS, PM, APC
    | \x1b[\x20-\x2f]*[\x30-\x7e]?                                 # any other ESC sequence
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize_for_terminal(text: str) -> str:
    """`text` without terminal escape sequences or control characters (bar \\n and \\t)."""
    return _CONTROL.sub("", _SEQUENCE.sub("", text))
