"""A model's inline Markdown drawn for a terminal: `**bold**` as bold, `*italic*` as italic,
`` `code` `` marked, a `# heading` line as a bold line, `[text](target)` as its text.

A checked answer carries no marks (the answer checks drop them: ragkit.text.marks, whose
spans these are); text that did not pass them may (an agent's reply, a conversation
restored from an older version). `styled` gives the terminal chat a `rich.text.Text`
with the marks turned into styles, `plain` gives `ragkit ask` (whose output may be
piped) the text without them. A mark counts only where it hugs its words: a `*` with a
space on either side is arithmetic ("2 * 3"), a `_` inside a word is part of it
(snake_case), and a mark left open stays as written. Leaves out block
Markdown (lists, tables and code fences read as written) and terminal safety (callers
sanitize what they draw).
"""

from __future__ import annotations

from rich.text import Text

from ragkit.text.marks import HEADING as _HEADING
from ragkit.text.marks import SPAN as _SPAN
from ragkit.text.marks import strip_marks

_STYLES = {"b1": "bold", "b2": "bold", "i1": "italic", "i2": "italic", "c": "bold", "l": ""}


def styled(text: str, style: str = "") -> Text:
    """`text` with its inline Markdown as terminal styles, the marks gone; `style` is the
    style of the whole."""
    out = Text(style=style)
    for n, line in enumerate(text.split("\n")):
        if n:
            out.append("\n")
        heading = _HEADING.match(line)
        if heading:
            out.append_text(_spans(heading.group("h"), "bold"))
        else:
            out.append_text(_spans(line, ""))
    return out


def plain(text: str) -> str:
    """`text` without its inline Markdown marks (`**14 March 1987**` → `14 March 1987`):
    the answer checks' own stripping (ragkit.text.marks), for text that did not pass
    them."""
    return strip_marks(text)


def _spans(line: str, style: str) -> Text:
    out = Text(style=style)
    at = 0
    for match in _SPAN.finditer(line):
        out.append(line[at : match.start()])
        group = next(name for name, value in match.groupdict().items() if value is not None)
        # A bold span may hold italics or code of its own ("**the *Ember* kettle**").
        inner = _spans(match.group(group), _STYLES[group]) if group in ("b1", "b2") else None
        if inner is not None:
            out.append_text(inner)
        else:
            out.append(match.group(group), _STYLES[group] or None)
        at = match.end()
    out.append(line[at:])
    return out
