"""A model's inline Markdown drawn for a terminal: `**bold**` as bold, `*italic*` as italic,
`` `code` `` marked, a `# heading` line as a bold line, `[text](target)` as its text.

The web page renders an answer's Markdown (the model writes it, and a Markdown source's
quotes may keep it); a terminal would print the marks as they are. `styled` gives the
terminal chat a `rich.text.Text` with the marks turned into styles, `plain` gives `ragkit
ask` (whose output may be piped) the text without them. A mark counts only where it hugs
its words: a `*` with a space on either side is arithmetic ("2 * 3"), a `_` inside a word
is part of it (snake_case), and a mark left open stays as written. Leaves out block
Markdown (lists, tables and code fences read as written) and terminal safety (callers
sanitize what they draw).
"""

from __future__ import annotations

import re

from rich.text import Text

# One inline span: bold (** or __), italic (* or _), code (`), a link's text. The opening
# mark is followed, the closing one preceded, by a non-space; an underscore mark does not
# stand inside a word.
_SPAN = re.compile(
    r"\*\*(?P<b1>\S(?:.*?\S)?)\*\*"
    r"|(?<![\w])__(?P<b2>\S(?:.*?\S)?)__(?![\w])"
    r"|(?<![\w*])\*(?P<i1>[^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])"
    r"|(?<![\w])_(?P<i2>[^\s_](?:[^_]*?[^\s_])?)_(?![\w])"
    r"|`(?P<c>[^`\n]+)`"
    r"|\[(?P<l>[^\]\n]+)\]\([^)\s]*\)"
)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<h>.*?)[ \t#]*$")
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
    """`text` without its inline Markdown marks (`**14 March 1987**` → `14 March 1987`)."""
    return styled(text).plain


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
