"""What counts as a Chinese character, in one place for every stage.

`CJK_CHARS` is the ranges for a regular-expression class (CJK Unified Ideographs with
Extension A, and the compatibility ideographs); `CJK` matches one such character.
`WIDE_CHARS` adds CJK punctuation and the full-width forms (。「」，！１): what a line's
width counts twice. Leaves out on purpose, where other modules differ: kana and hangul
(the banned-term guard adds them, since Japanese and Korean have no spaces to bound a
word either; the chunker counts them wide, as its index sizes were measured), the
terminal's wider East Asian ranges (ragkit.apps.tui.widgets), and the
supplementary-plane extensions B and later, which no corpus ragkit has measured uses.
"""

from __future__ import annotations

import re

CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_CHARS}]")
WIDE_CHARS = CJK_CHARS + "\u3000-\u303f\uff00-\uffef"
