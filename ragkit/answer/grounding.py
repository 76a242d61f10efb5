"""How well a piece of text is backed by other text, cheaply and without a chat model.

`SentenceScorer` rates candidate sentences against a query (a question, or a sentence of
an answer) in [0, 1]: the IDF-weighted share of the query's terms a candidate contains
(terms from `ragkit.text.analysis`, so Chinese works), averaged with the embedding cosine
when an embedder for the query's language is at hand (a scorer embeds each text once:
one answer scores the same sentences for its evidence, its answerability and its checks).
`relevance` (lexical only, so it costs no model call before the first token) and
`says_not_found` decide when an answer must be "not in the documents". Extractive answers
and the evidence view build on these. Leaves out entailment (a sentence can
share words with its support and still contradict it) and any learned reranking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ragkit.models.embeddings.base import Embedder
from ragkit.text.analysis import STOPWORDS, Analyzer, query_language
from ragkit.text.cjk import CJK_CHARS

if TYPE_CHECKING:
    from ragkit.answer.judge import AnswerJudge

NOT_FOUND = "I cannot find the answer in the documents."
NOT_FOUND_ZH = "文档中找不到答案。"

_NOT_FOUND = re.compile(
    r"(can ?not|can't|could not|couldn't|unable to) (find|locate) (the|an|any) answer"
    r"|(is|was) not (mentioned |given |found )?in the (provided )?(sources|documents|context)"
    r"|(sources|documents) do(es)? not (contain|mention|say)"
    r"|找不到|无法(在文档中)?找到|没有(提到|提及|相关信息)",
    re.IGNORECASE,
)


def says_not_found(text: str) -> bool:
    """Whether an answer says the documents do not hold the answer."""
    return bool(_NOT_FOUND.search(text))


NOT_FOUND_OTHER_LANGUAGE = (
    "I cannot find the answer in the documents: the passages it would come from are not in "
    "English, and a question is matched with them word by word. Ask in the documents' "
    "language."
)
NOT_FOUND_OTHER_LANGUAGE_ZH = (
    "文档中找不到答案：相关的段落不是中文的，而问题要与原文逐字对照。请用文档的语言提问。"
)


def not_found_text(question: str, texts: Sequence[str] = (), subject: str = "") -> str:
    """ "Not in the documents" in the question's language. When the `texts` searched (the
    retrieved chunks) that name what the question names in the other script ("Ember" in
    "Ember 水壶的保修期是多久？", 晨雾绿茶 in an English question), or all of them where none
    does, are in another language (no Chinese character for a Chinese question, mostly
    Chinese for an English one), it says so and asks for the documents' language: the
    question is matched with the text word by word (BM25, the answer checks; the bundled
    embedder knows English only and the bundled model does not translate), so its words
    could not have been found there, and "not in the documents" alone would tell the
    reader the documents lack the answer. `subject` is what a follow-up asked without it
    is about, named as the question's own ("它的保修期是多久？" after a question on the Ember
    brewing kettle)."""
    zh = query_language(question) == "zh"
    named = f"{question} {subject}"
    if zh:
        names = [w for w in _LATIN_NAME.findall(named) if w.lower() not in STOPWORDS]
    else:
        names = _CJK_RUN.findall(named)
    naming = [t for t in texts if any(n.lower() in t.lower() for n in names)]
    searched = naming or texts
    if searched and all(_other_language(t, zh) for t in searched):
        return NOT_FOUND_OTHER_LANGUAGE_ZH if zh else NOT_FOUND_OTHER_LANGUAGE
    return NOT_FOUND_ZH if zh else NOT_FOUND


def _other_language(text: str, zh: bool) -> bool:
    if zh:
        return not _CJK_RUN.search(text)
    return query_language(text) == "zh"


# A Latin-script word of three letters or more in a Chinese question ("Ember", "iPhone"),
# a run of two Chinese characters or more in an English one.
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9'’-]{2,}")
_CJK_RUN = re.compile(rf"[{CJK_CHARS}]{{2,}}")


MIN_RELEVANCE = 0.2
"""Below this best-sentence score the retrieved text does not answer the question.
Calibrated with bench/qa_bench.py's sets: on CMRC 2018 the best retrieved sentence
scores under 0.2 for 90% of questions whose passage was withheld and for under 10% of
those whose passage was indexed. RGB's distractors share their question's topic words,
so no lexical floor tells them apart; the model itself must say so there."""


def relevance(question: str, texts: Sequence[str], scorer: SentenceScorer) -> float:
    """How well the best single sentence of `texts` covers the question's terms, by
    rarity (0..1; 1 for a question with no terms to judge by)."""
    if not scorer.analyzer.tokenize(question):
        return 1.0
    from ragkit.text.sentences import split_sentences

    sentences = [s.text for t in texts for s in split_sentences(t)]
    if not sentences:
        return 0.0
    return float(scorer.lexical([question], sentences)[0].max())


VECTORS_KEPT = 4096
"""Texts a `SentenceScorer` keeps the vectors of (one answer embeds about a hundred)."""


class SentenceScorer:
    """Scores candidate sentences against queries; one instance owns its analyzer."""

    def __init__(
        self,
        analyzer: Analyzer,
        embedder: Embedder | None = None,
        embed_weight: float = 0.5,
        judge: AnswerJudge | None = None,
    ) -> None:
        """`judge`: a second opinion on which sentences answer a question, used to order
        those that could (`ragkit.answer.judge`); None: the scores alone order them."""
        if not 0.0 <= embed_weight <= 1.0:
            raise ValueError("embed_weight must lie in 0..1")
        self.analyzer = analyzer
        self.embedder = embedder
        self.embed_weight = embed_weight
        self.judge = judge
        # Vectors of the texts embedded so far: one answer scores the same sentences for
        # its evidence, its answerability test and its checks (38, then 51 texts of which
        # 38 again, for the sample question). The embedder's vectors do not depend on
        # what else is in their batch (bitwise, the bundled int8 one), so reusing them
        # changes no score.
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}

    def lexical(
        self,
        queries: Sequence[str],
        candidates: Sequence[str],
        ignore: frozenset[str] = frozenset(),
        extra: Sequence[frozenset[str]] | None = None,
    ) -> npt.NDArray[np.float32]:
        """IDF-weighted share of each query's terms found in each candidate (Q x C);
        terms in `ignore` (a question's asking words) are not the query's, and
        `extra[c]` are terms candidate `c` counts as holding (names its context holds)."""
        cand_terms = [set(self.analyzer.tokenize(c)) for c in candidates]
        if extra is not None:
            for terms, more in zip(cand_terms, extra, strict=True):
                terms |= more
        n = len(candidates)
        df: dict[str, int] = {}
        for terms in cand_terms:
            for t in terms:
                df[t] = df.get(t, 0) + 1
        out = np.zeros((len(queries), n), dtype=np.float32)
        for qi, query in enumerate(queries):
            q_terms = set(self.analyzer.tokenize(query)) - ignore
            # A term no candidate has weighs most: missing it is what matters.
            weights = {t: math.log(1.0 + n / (df.get(t, 0) + 0.5)) for t in q_terms}
            total = sum(weights.values())
            if total == 0:
                continue
            for ci, terms in enumerate(cand_terms):
                out[qi, ci] = sum(w for t, w in weights.items() if t in terms) / total
        return out

    def _embeds(self, texts: Sequence[str]) -> bool:
        if self.embedder is None or self.embed_weight == 0:
            return False
        langs = self.embedder.languages
        return langs is None or all(query_language(t) in langs for t in texts)

    def matrix(
        self,
        queries: Sequence[str],
        candidates: Sequence[str],
        ignore: frozenset[str] = frozenset(),
        extra: Sequence[frozenset[str]] | None = None,
    ) -> npt.NDArray[np.float32]:
        """Scores in [0, 1] of every candidate for every query (Q x C); `ignore` and
        `extra` as in `lexical`."""
        lex = self.lexical(queries, candidates, ignore, extra)
        if not queries or not candidates or not self._embeds(queries):
            return lex
        vecs = self._embed([*queries, *candidates])
        cos = np.clip(vecs[: len(queries)] @ vecs[len(queries) :].T, 0.0, 1.0)
        w = self.embed_weight
        combined: npt.NDArray[np.float32] = ((1 - w) * lex + w * cos).astype(np.float32)
        return combined

    def _embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The embedder's vectors of `texts`, each text embedded once per scorer (up to
        `VECTORS_KEPT` of them; then the kept ones are let go)."""
        assert self.embedder is not None
        # One dict is only ever added to, never emptied: a scorer shared by a server's
        # threads may start a new one while another thread still reads the old.
        kept = self._vectors
        missing = [t for t in dict.fromkeys(texts) if t not in kept]
        if missing and len(kept) + len(missing) > VECTORS_KEPT:
            # A scorer kept for long: its memory stays bounded.
            kept = {}
            self._vectors = kept
            missing = list(dict.fromkeys(texts))
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                kept[text] = vector
        return np.stack([kept[t] for t in texts])
