"""Extractive answers: the sentences of the retrieved chunks that best answer the
question, each cited to its source's file and page, with no language model at all.

Every retrieved chunk is split into sentences (English and Chinese punctuation), each
scored against the question by `SentenceScorer`; the best few above a floor are returned
best first, near-duplicates dropped. When no sentence reaches the floor, or no statement
of the chunks could answer the question (`ragkit.answer.answerable`), the answer is that
the documents do not hold it. Fast and exact for users without a capable model: the
text is quoted, never rewritten, shown as a checked answer shows its quotes (Markdown's
marks and a list marker dropped, a first letter capitalised, the mark before the full
stop). Leaves out answer-span extraction inside a sentence and any merging of sentences
into prose.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.answer.answerable import can_answer
from ragkit.answer.checking import as_quote, shown
from ragkit.answer.citations import DocumentLookup, cite
from ragkit.answer.evidence import rank_sentences, under_subject
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer, not_found_text
from ragkit.answer.kinds import CJK
from ragkit.answer.pipelines import to_citation
from ragkit.text.sentences import Sentence
from ragkit.types import Answer, Citation, Document, Evidence, SearchHit

MIN_SCORE = MIN_RELEVANCE
"""A sentence below this score (0..1) does not answer the question."""


def extract_answer(
    question: str,
    hits: Sequence[SearchHit],
    scorer: SentenceScorer,
    sentences: int = 3,
    min_score: float = MIN_SCORE,
    documents: DocumentLookup | None = None,
    subject: str = "",
) -> Answer:
    """The `sentences` best sentences of `hits` for `question`, as an `Answer` whose
    text lists them, each followed by its source number `[n]`; each citation names
    its first quoted sentence's page (read with `documents`, when given). `subject` is
    what a follow-up asked without it is about: sentences under a heading naming
    something else are not quoted (`under_subject`, as the generated path's passages)."""
    sources = tuple(to_citation(i + 1, hit) for i, hit in enumerate(hits))
    # Topic sentences are not answers: when no statement of the chunks could answer the
    # question (its numbers, key terms and a value of the kind asked for together), the
    # documents do not hold it, as on the generated path (the same test).
    texts = [h.chunk.text for h in hits]
    if not can_answer(question, hits, scorer, min_score):
        return Answer(
            question, not_found_text(question, texts, subject), (), (), "extractive", True
        )
    # Sentences that could answer come first, those holding more values of the kind
    # asked for (a full date over a bare month) before others; then the rest.
    ranking = rank_sentences(question, hits, scorer)
    if subject:
        ranking = under_subject(ranking, hits, subject, scorer.analyzer)
    picked = [(p.hit + 1, p.sentence, p.score) for p in ranking.best(sentences, min_score)]
    if not picked:
        return Answer(
            question, not_found_text(question, texts, subject), (), (), "extractive", True
        )
    # One line per quote: a sentence wrapped across lines in its file (a PDF's or a
    # Markdown list's line breaks) is shown on one, as the checked answers' quotes are.
    # Each quoted as a checked answer quotes it: without Markdown's marks or a list
    # marker, ended as a sentence ("；" a full stop), opening with a capital, its mark
    # before the full stop (`… 1921 [2].`).
    text = "\n".join(_shown(sentence.text, number) for number, sentence, _ in picked)
    first: dict[int, Sentence] = {}
    for number, sentence, _ in picked:
        first.setdefault(number, sentence)
    citations: list[Citation] = []
    for number, sentence in first.items():
        chunk = hits[number - 1].chunk
        doc: Document | None = documents(chunk.source, chunk.doc_key) if documents else None
        citations.append(cite(number, chunk, (sentence.start, sentence.end), doc))
    evidence = tuple(Evidence(s.text, s.text, n, round(score, 4)) for n, s, score in picked)
    return Answer(question, text, sources, tuple(citations), "extractive", evidence=evidence)


def _shown(sentence: str, number: int) -> str:
    """A source sentence as an answer shows it, cited to source `number`."""
    quote = as_quote(sentence)
    return shown(quote, number, bool(CJK.search(quote)))
