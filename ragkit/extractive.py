"""Extractive answers: the sentences of the retrieved chunks that best answer the
question, each cited to its source's file and page, with no language model at all.

Every retrieved chunk is split into sentences (English and Chinese punctuation), each
scored against the question by `SentenceScorer`; the best few above a floor are returned
best first, near-duplicates dropped. When no sentence reaches the floor, the answer is
that the documents do not hold it. Fast and exact (the text is quoted, never rewritten)
for users without a capable model. Leaves out answer-span extraction inside a sentence
and any merging of sentences into prose.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.grounding import MIN_RELEVANCE, SentenceScorer, not_found_text
from ragkit.pipelines import to_citation
from ragkit.sentences import split_sentences
from ragkit.types import Answer, Evidence, SearchHit

MIN_SCORE = MIN_RELEVANCE
"""A sentence below this score (0..1) does not answer the question."""
MIN_CHARS = 12  # shorter "sentences" are headings, list markers or page furniture


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def extract_answer(
    question: str,
    hits: Sequence[SearchHit],
    scorer: SentenceScorer,
    sentences: int = 3,
    min_score: float = MIN_SCORE,
) -> Answer:
    """The `sentences` best sentences of `hits` for `question`, as an `Answer` whose
    text lists them, each followed by its source number `[n]`."""
    sources = tuple(to_citation(i + 1, hit) for i, hit in enumerate(hits))
    candidates = [
        (i + 1, s.text)
        for i, hit in enumerate(hits)
        for s in split_sentences(hit.chunk.text)
        if len(s.text) >= MIN_CHARS or any(ord(ch) >= 0x3400 for ch in s.text[:4])
    ]
    picked: list[tuple[int, str, float]] = []
    if candidates:
        scores = scorer.matrix([question], [text for _, text in candidates])[0]
        seen: set[str] = set()
        for j in scores.argsort()[::-1]:
            score = float(scores[j])
            if score < min_score or len(picked) == sentences:
                break
            number, text = candidates[int(j)]
            key = _key(text)
            if key in seen:
                continue
            seen.add(key)
            picked.append((number, text, score))
    if not picked:
        return Answer(question, not_found_text(question), sources, (), "extractive", True)
    text = "\n".join(f"{sentence} [{number}]" for number, sentence, _ in picked)
    used = list(dict.fromkeys(number for number, _, _ in picked))
    by_number = {c.number: c for c in sources}
    evidence = tuple(Evidence(s, s, n, round(score, 4)) for n, s, score in picked)
    return Answer(
        question,
        text,
        sources,
        tuple(by_number[n] for n in used),
        "extractive",
        evidence=evidence,
    )
