"""Evidence before words, and the evidence view after them.

`select_passages` picks, before the model is asked, the retrieved sentences that best
answer the question, each with its better-scoring neighbour from the same chunk; they
become the numbered passages of a compact prompt (a few sentences instead of whole
800-character chunks: shorter prompts answer sooner and keep small models on the
facts). Each passage keeps its chunk and the sentences' offsets, so a citation can name
the sentence's own page.

`evidence_for` is the evidence view: for each sentence of an answer, the source sentence
that best supports it, or a mark (`support=None`) that none does.

Support is scored by `ragkit.answer.grounding.SentenceScorer` (shared terms weighted by rarity,
plus embedding similarity when an embedder for the language is at hand). Leaves out
entailment: a sentence that shares its words with a source but says the opposite can
still score high, so the view is an aid for a reader, not a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.answer.citations import strip_citations
from ragkit.answer.grounding import SentenceScorer
from ragkit.text.sentences import Sentence, split_sentences
from ragkit.types import Evidence, SearchHit

MIN_CHARS = 12  # shorter "sentences" are headings, list markers or page furniture
MAX_PASSAGE_CHARS = 480  # a passage longer than this keeps only its best sentence


@dataclass(frozen=True)
class Passage:
    """Sentences of one retrieved chunk given to the model as source `[number]`:
    `sentences` in the chunk's order (offsets into `hit.chunk.text`), `best` the one
    that scored highest against the question."""

    number: int
    hit: SearchHit
    sentences: tuple[Sentence, ...]
    best: Sentence
    score: float

    @property
    def text(self) -> str:
        """The sentences on one line (a passage never spans lines in the prompt)."""
        sep = "" if _cjk(self.best.text) else " "
        return sep.join(" ".join(s.text.split()) for s in self.sentences)


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text[:40])


def _useful(sentence: Sentence) -> bool:
    return len(sentence.text) >= MIN_CHARS or _cjk(sentence.text)


def sentence_key(text: str) -> str:
    """What two copies of a sentence share: its letters and digits, lower case."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def select_passages(
    question: str,
    hits: Sequence[SearchHit],
    scorer: SentenceScorer,
    passages: int = 3,
    keep_ratio: float = 0.5,
) -> list[Passage]:
    """Up to `passages` passages for `question`, best first: each is a sentence of a
    retrieved chunk scoring at least `keep_ratio` times the best sentence, with its
    better-scoring neighbour in the same chunk; sentences next to each other in one
    chunk join one passage, repeated sentences are given once. Sentences that could
    answer (`ragkit.answer.answerable.answering_windows`) come first, and a sentence's
    score gains `value_bonus` for the values of the asked kind it holds."""
    from ragkit.answer.answerable import (
        answer_kind,
        answering_windows,
        document_contexts,
        statement,
        value_bonus,
    )

    split = []
    for hit in hits:
        sentences = split_sentences(hit.chunk.text)
        # Headings and list markers only when the chunk holds nothing else.
        split.append([s for s in sentences if _useful(s)] or sentences)
    flat = [(h, i) for h, sents in enumerate(split) for i in range(len(sents))]
    if not flat:
        return []
    kind = answer_kind(question)
    raw = scorer.matrix([question], [split[h][i].text for h, i in flat])[0]
    scores = [
        float(raw[j]) + value_bonus(kind, split[h][i].text, question, scorer.analyzer)
        for j, (h, i) in enumerate(flat)
    ]
    windows = answering_windows(
        question, [hit.chunk.text for hit in hits], scorer, contexts=document_contexts(hits)
    )
    answering = {(w.text, w.sentence) for w in windows}
    score_of = {pos: scores[j] for j, pos in enumerate(flat)}
    answers = {(h, i): (h, statement(split[h][i].text)) in answering for h, i in flat}
    order = sorted(range(len(flat)), key=lambda j: (not answers[flat[j]], -scores[j]))
    top = max(scores)
    chosen: dict[int, set[int]] = {}  # hit -> sentence indexes
    seeds: list[tuple[int, int]] = []
    seen: set[str] = set()
    for j in order:
        h, i = flat[j]
        if len(seeds) == passages:
            break
        if scores[j] < keep_ratio * top:
            continue
        key = sentence_key(split[h][i].text)
        if key in seen or i in chosen.get(h, set()):
            continue
        seen.add(key)
        seeds.append((h, i))
        picked = chosen.setdefault(h, set())
        picked.add(i)
        near = [n for n in (i - 1, i + 1) if 0 <= n < len(split[h])]
        if near:
            best_near = max(near, key=lambda n: (score_of[(h, n)], n))
            if len(split[h][i].text) + len(split[h][best_near].text) <= MAX_PASSAGE_CHARS:
                picked.add(best_near)
                seen.add(sentence_key(split[h][best_near].text))

    def _run(h: int, run: list[int]) -> tuple[bool, float, int, list[int]]:
        return (any(answers[(h, n)] for n in run), max(score_of[(h, n)] for n in run), h, run)

    # Group each hit's chosen sentences into runs of neighbours; a run is one passage.
    runs: list[tuple[bool, float, int, list[int]]] = []
    for h, picked in chosen.items():
        run: list[int] = []
        for i in sorted(picked):
            if run and i != run[-1] + 1:
                runs.append(_run(h, run))
                run = []
            run.append(i)
        if run:
            runs.append(_run(h, run))
    runs.sort(key=lambda r: -r[1])
    out = []
    for number, (_, score, h, run) in enumerate(runs, start=1):
        best = max(run, key=lambda n: score_of[(h, n)])
        chosen_run = tuple(split[h][n] for n in run)
        out.append(Passage(number, hits[h], chosen_run, split[h][best], round(score, 4)))
    return out


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
