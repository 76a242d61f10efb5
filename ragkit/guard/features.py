"""Hashed word and character n-gram features for the injection classifier.

Text is normalised (NFKC, case-folded, format characters dropped, whitespace collapsed),
then hashed into a fixed number of buckets: character 3-, 4- and 5-grams (vectorised over
code points with numpy, so a thousand characters cost tens of microseconds), words and
word pairs. Values are log counts scaled to unit length. The same function serves the
training script and the scanner, so the two cannot drift apart. Leaves out the model
(classifier.py) and any vocabulary: hashing needs none, at the price of rare collisions.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib

import numpy as np
import numpy.typing as npt

CHAR_NGRAMS = (3, 4, 5)
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_FORMAT = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _FORMAT.sub("", text).casefold()
    return _SPACE.sub(" ", text).strip()


def _char_hashes(norm: str) -> npt.NDArray[np.uint64]:
    codes = np.frombuffer(f" {norm} ".encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )
    out: list[npt.NDArray[np.uint64]] = []
    for n in CHAR_NGRAMS:
        if len(codes) < n:
            continue
        count = len(codes) - n + 1
        h = np.full(count, np.uint64(n), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(n):
                h = h * _PRIME + codes[j : j + count]
            h = (h ^ (h >> np.uint64(31))) * _MIX
        out.append(h)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def _word_hashes(norm: str) -> npt.NDArray[np.uint64]:
    words = _WORD.findall(norm)
    keys = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    values = [zlib.crc32(k.encode("utf-8", "surrogatepass")) for k in keys]
    h = np.asarray(values, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (h ^ np.uint64(0xABCDEF)) * _MIX


def featurize(text: str, buckets: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Bucket indices and their values (log1p counts, unit length) for `text`."""
    norm = normalize(text)
    hashes = np.concatenate([_char_hashes(norm), _word_hashes(norm)])
    if hashes.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = ((hashes >> np.uint64(20)) % np.uint64(buckets)).astype(np.int64)
    uniq, counts = np.unique(idx, return_counts=True)
    vals = np.log1p(counts.astype(np.float32))
    vals /= np.float32(np.sqrt(float(np.dot(vals, vals))))
    return uniq, vals
