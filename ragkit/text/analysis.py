"""Text analysis for BM25: split English and Chinese text into index terms.

Latin-script words are lower-cased, stripped of a short English stop-word list and
Snowball-stemmed (PyStemmer) when that package is present. Runs of CJK characters go
through jieba's word segmenter, so a Chinese question and a Chinese passage share
terms; jieba loads its dictionary only when CJK text first appears. The word lists are
shared with the answer checks: `STOPWORDS`, and `CJK_FUNCTION_CHARS` (Chinese characters
that state no fact). Leaves out other languages' stemmers and stop words, and any synonym
or spelling handling.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ragkit.text.cjk import CJK_CHARS

# A CJK run, or a run of letters/digits in any other script.
_TOKEN = re.compile(rf"[{CJK_CHARS}]+|[^\W_{CJK_CHARS}]+", re.UNICODE)
# Which runs go to jieba: wider than `CJK` (it also takes Yi, Hangul syllables and the
# private-use area, which jieba splits into single characters). Kept as it is because
# narrowing it would change the terms of every index already built with Korean text.
_CJK_START = 0x3400

STOPWORDS: frozenset[str] = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their
    then there these they this to was will with from were which what who whom how when where
    why do does did has have had its been being than so can could would should may might
    i you he she we our your his her them our ours""".split()
)


# Function words so frequent in Chinese that they only add noise to BM25.
CJK_STOPWORDS: frozenset[str] = frozenset(
    "的 了 是 在 和 与 及 也 都 就 而 之 其 或 被 把 吗 呢 吧 啊".split()
)

CJK_FUNCTION_CHARS: frozenset[str] = frozenset(
    "的了是在和与及也都就而之其或被把吗呢吧啊有为于这那个们中不一到说要会对以可能等"
    "他她它此该所由从即约共已将并且还又但因故则"
)
"""Chinese characters that carry no fact of their own (function words, pronouns, common
verbs): an answer may use them without a source using them, and a question's key
characters leave them out. A superset of `CJK_STOPWORDS`."""


class Analyzer:
    """Turns text into BM25 terms. One instance owns its stemmer; the Chinese segmenter
    and tagger are jieba's, one per process, loaded on first use."""

    def __init__(self, stem: bool = True) -> None:
        self._jieba: Any = None
        self._tagger: Any = None
        self._stemmer: Any = None
        if stem:
            try:
                import Stemmer

                self._stemmer = Stemmer.Stemmer("english")
            except ImportError:
                self._stemmer = None
        self.id = "ragkit-analyzer-1" + ("-snowball" if self._stemmer else "")

    def _segmenter(self) -> Any:
        if self._jieba is None:
            import warnings

            with warnings.catch_warnings():
                # jieba imports pkg_resources, which newer setuptools flag as
                # deprecated with a warning naming a file path: not the user's concern.
                warnings.simplefilter("ignore", UserWarning)
                import jieba

            # jieba logs its dictionary loading at INFO on every process start.
            jieba.setLogLevel(logging.WARNING)
            # jieba's own process-wide tokenizer (the default dictionary, as a new
            # Tokenizer() would load): its dictionary loads once per process, where a
            # tokenizer per analyzer cost every new analyzer a second or more of CPU.
            # Segmenting only reads it, so analyzers in several threads can share it.
            jieba.dt.initialize()
            self._jieba = jieba.dt
        return self._jieba

    def proper_nouns(self, text: str) -> list[str]:
        """The Chinese proper nouns of `text` (names of people, places, organisations and
        works, by jieba's part-of-speech tags; its tagger loads on first use)."""
        return [
            word
            for run in self.tagged(text)
            for word, flag in run
            if flag.startswith(("nr", "ns", "nt", "nz"))
        ]

    def tagged(self, text: str) -> list[list[tuple[str, str]]]:
        """Each run of Chinese characters in `text` as its words with jieba's
        part-of-speech tags (anything else, punctuation included, ends a run)."""
        if self._tagger is None:
            self._segmenter()  # loads the dictionary (and silences its log) first
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # as in `_segmenter`
                import jieba.posseg  # type: ignore[import-untyped]

            # jieba's process-wide tagger, over that same process-wide tokenizer: a new
            # one would read the dictionary's word tags again (jieba.posseg's import did).
            self._tagger = jieba.posseg.dt
        runs = "".join(ch if _CJK_START <= ord(ch) <= 0xFAFF else " " for ch in text).split()
        return [[(pair.word, pair.flag) for pair in self._tagger.cut(run)] for run in runs]

    def tokenize(self, text: str) -> list[str]:
        terms: list[str] = []
        latin: list[str] = []
        for match in _TOKEN.finditer(text.lower()):
            run = match.group()
            if ord(run[0]) >= _CJK_START and ord(run[0]) <= 0xFAFF:
                # Search mode also emits the shorter words inside long ones (平均海拔 →
                # 平均, 海拔, 平均海拔), so a query's wording need not match exactly.
                terms.extend(
                    w for w in self._segmenter().lcut_for_search(run) if w not in CJK_STOPWORDS
                )
            elif run not in STOPWORDS:
                latin.append(run)
        if latin:
            terms.extend(self._stemmer.stemWords(latin) if self._stemmer else latin)
        return terms


def query_language(text: str) -> str:
    """'zh' when CJK characters make up at least a third of the letters, else 'en'.

    Only the distinction that matters to ragkit's bundled English-only embedder is drawn;
    other scripts count as 'en'. Digits belong to no language and are not counted:
    "CBA2021-2022赛季总冠军" is asked in Chinese, though its digits and Latin letters
    outnumber its characters (counted, it went to the English-only dense model)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for ch in letters if 0x3400 <= ord(ch) <= 0x9FFF or 0xF900 <= ord(ch) <= 0xFAFF)
    return "zh" if cjk * 3 >= len(letters) else "en"
