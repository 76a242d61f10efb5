"""Markdown's inline marks in text a reader is shown: `**bold**`, `__bold__`, `*italic*`,
`_italic_`, `` `code` ``, `[text](target)` and a heading line's `#`.

A document's formatting is no part of what it says: a model copies a `.md` source's
`**14 March 1987**` into its answer, and a quote of that source carries it too. Every
front end shows an answer as plain text with its citations (`ragkit ask` and a pipe,
the terminal chat, the web page, a `/v1` client, `--json`), so the marks are dropped
once, by the answer checks and extractive mode (`strip_marks`); the terminal chat draws
the same spans as styles (`SPAN`, ragkit.apps.inline_markdown). A mark counts only where
it hugs its words: a `*` with a space on either side is arithmetic ("2 * 3"), `**`
between two Latin letters or digits is a power ("2**10**2") and a `_` inside a word is
part of it (snake_case); after a Chinese character `**` still marks ("为**80元**"), a
lone `*` is a footnote's.
Bold may run across one line break (a file wrapped inside it), never across a blank
line. Leaves out block Markdown (lists, tables and code fences read as written) and
terminal safety (callers sanitize what they draw).
"""

from __future__ import annotations

import re

# One inline span: bold (** or __), italic (* or _), code (`), a link's text. The opening
# mark is followed, the closing one preceded, by a non-space that is no mark of its kind
# ("_____" is a blank to fill in); a closing `**` may touch the next word
# ("**开始日期：**2001年"). A single `*` after a word character, a Chinese one too, is a
# footnote mark ("数学*、综合科学*"), no italic.
SPAN = re.compile(
    r"(?<![A-Za-z0-9*])\*\*(?P<b1>[^\s*](?:(?:[^\n]|\n(?![ \t]*\n))*?[^\s*])?)\*\*(?!\*)"
    r"|(?<![\w])__(?P<b2>[^\s_](?:.*?[^\s_])?)__(?![\w])"
    r"|(?<![\w*])\*(?P<i1>[^\s*](?:[^*\n]*?[^\s*])?)\*(?![A-Za-z0-9*])"
    r"|(?<![\w])_(?P<i2>[^\s_](?:[^_\n]*?[^\s_])?)_(?![\w])"
    r"|`(?P<c>[^`\n]+)`"
    r"|\[(?P<l>[^\]\n]+)\]\([^)\s]*\)"
)
HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<h>.*?)[ \t#]*$", re.MULTILINE)


def strip_marks(text: str) -> str:
    """`text` without its inline Markdown marks (`**14 March 1987**` → `14 March 1987`,
    `## Warranty` → `Warranty`); a mark left open stays as written."""
    text = HEADING.sub(r"\g<h>", text)
    previous = None
    # A bold span may hold italics or code of its own ("**the *Ember* kettle**").
    while previous != text:
        previous = text
        text = SPAN.sub(lambda m: next(v for v in m.groups() if v is not None), text)
    return text
