"""The evidence view: for each sentence of an answer, the source sentence that best
supports it, or a mark (`support=None`) that none does.

Support is scored by `ragkit.grounding.SentenceScorer` (shared terms weighted by rarity,
plus embedding similarity when an embedder for the language is at hand) over every
sentence of every source the model was given. Cheap enough to run after each answer.
Leaves out entailment: a sentence that shares its words with a source but says the
opposite can still score high, so the view is an aid for a reader, not a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.citations import strip_citations
from ragkit.grounding import SentenceScorer
from ragkit.sentences import split_sentences
from ragkit.types import Evidence

MIN_SUPPORT = 0.5
"""Below this score a sentence counts as unsupported (scores lie in 0..1)."""


def source_sentences(sources: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """(source number, sentence) for every sentence of every numbered source text."""
    return [(number, s.text) for number, text in sources for s in split_sentences(text)]


def evidence_for(
    answer_text: str,
    sources: Sequence[tuple[int, str]],
    scorer: SentenceScorer,
    min_support: float = MIN_SUPPORT,
) -> tuple[Evidence, ...]:
    """Pair each sentence of `answer_text` with its best support among `sources`
    (source number and text, as given to the model)."""
    sentences = [t for t in (strip_citations(s.text) for s in split_sentences(answer_text)) if t]
    if not sentences:
        return ()
    candidates = source_sentences(sources)
    if not candidates:
        return tuple(Evidence(s, None, None, 0.0) for s in sentences)
    scores = scorer.matrix(sentences, [text for _, text in candidates])
    out = []
    for i, sentence in enumerate(sentences):
        j = int(scores[i].argmax())
        score = float(scores[i, j])
        if score >= min_support:
            number, support = candidates[j]
            out.append(Evidence(sentence, support, number, round(score, 4)))
        else:
            out.append(Evidence(sentence, None, None, round(score, 4)))
    return tuple(out)
