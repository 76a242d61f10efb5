"""Text normalised for comparing two texts, never for showing one: `fold` and `alnum_key`.

`fold` is how the answer checks compare a fact in an answer with the same fact in a source
however either wrote it: Unicode NFKC (full-width letters, digits and punctuation become
their plain forms, ligatures come apart), then `str.lower`, then thousands separators inside
numbers are dropped ("1,921" and "1 921" both become "1921"; a comma or space counts as one
when three digits and a word end follow it, so "in 2020 100 people" reads "2020100" too).
`alnum_key` is what two copies of a sentence share: the letters and digits of the NFKC,
lower-cased text, so copies that differ only in spacing, punctuation or case get one key.

Leaves out: accents (é stays é), full Unicode case folding (`str.casefold`: ß stays ß),
traditional and simplified Chinese (臺 is not 台), Chinese numerals (三 is not 3), decimal
commas ("1,5" stays as written), stemming and stop words (`ragkit.text.analysis` does those
for BM25), and any change to the text a reader sees.
"""

from __future__ import annotations

import re
import unicodedata

# A thousands separator: a comma or space between a digit and three digits ending a word.
_THOUSANDS = re.compile(r"(?<=\d)[, ](?=\d{3}\b)")


def fold(text: str) -> str:
    """`text` in NFKC, lower case, without thousands separators inside its numbers."""
    return _THOUSANDS.sub("", unicodedata.normalize("NFKC", text).lower())


def alnum_key(text: str) -> str:
    """The letters and digits of `text` in NFKC and lower case, nothing else."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())
