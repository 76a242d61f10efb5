"""Question answering: evidence first, then words, then checks.

`answer` picks the retrieved sentences that best answer the question, each with a
neighbour (`ragkit.answer.evidence.select_passages`), and gives the model those as a plain
numbered list (`[1] text`, one line each, no markup it could copy and no file paths),
with chat history packed beside them. The model's reply streams through
`ragkit.answer.checking.AnswerChecker`: a sentence reaches the caller only once checked
(scaffolding, loops, facts in no source, citations aligned to the supporting sentence),
and the finished `Answer` cites each sentence's own page and offsets. The sentences
extractive mode would quote lead the answer, shown before the model has written a word
(the first checked sentence waits for no generated token); the model's sentences follow
where they add to them. `AnswerStream`
yields the checked reply as it is released and holds the finished `Answer` after.
Retrieval itself is the caller's (`KnowledgeBase.ask_stream` searches first).

Token budget: the model's window minus the reply's `max_tokens`, the system prompt and
the question is shared out. Chat history gets up to `history_share` of it, newest
message first (the oldest go first); passages fill the rest best first, and the first one
that does not fit is shortened if enough room is left, else dropped with all after it.
A question that cannot fit even alone is a `PromptTooLongError`.

Grounding: when nothing was retrieved, or when the retrieved chunks cannot answer
(`ragkit.answer.answerable.can_answer`: a name or number of the question appears in none
of them, no statement of them could answer it, or no sentence scores a fifth of the
question's terms), the answer is "I cannot find the answer in the documents" without
asking the model (it would only guess), and no sources are listed. Extractive mode applies
the same test to the same hits, so the checked answer never refuses where it quotes.
Content filtering is the guard's (ragkit.guard): a `GuardSession` passed in filters the
checked stream before any piece reaches the caller; the caller has already checked the
question and the hits. Leaves out the scanners themselves and the retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ragkit.answer.answerable import can_answer
from ragkit.answer.checking import STOP_SEQUENCES, AnswerChecker
from ragkit.answer.citations import CITE, DocumentLookup, cite, cited_numbers, clean_citations
from ragkit.answer.evidence import Passage, select_passages
from ragkit.answer.followup import adds_terms, follow_up, keeps_subject, without_opening
from ragkit.answer.grounding import (
    MIN_RELEVANCE,
    SentenceScorer,
    not_found_text,
    says_not_found,
)
from ragkit.errors import EmptyQueryError, PromptTooLongError
from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.models.prompts import PromptTemplates
from ragkit.options import AnswerOptions
from ragkit.text.analysis import Analyzer
from ragkit.types import Answer, Citation, SearchHit

if TYPE_CHECKING:
    from ragkit.guard.session import GuardSession

__all__ = [
    "AnswerStream",
    "Prompt",
    "Standalone",
    "Usage",
    "answer",
    "build_prompt",
    "cited_numbers",
    "finish_answer",
    "prompt_head",
    "standalone_follow_up",
    "standalone_question",
    "to_citation",
]

SAFETY_MARGIN = 16  # tokens the chat template adds around the system and user messages
PASSAGES = 3  # numbered passages an answer is given, each a sentence and its neighbour
MESSAGE_OVERHEAD = 8  # tokens the chat template adds around each history message
MIN_SOURCE_TOKENS = 48  # a shortened source with less room than this is not worth giving


def to_citation(number: int, hit: SearchHit) -> Citation:
    """Source `number` as a whole chunk (no supporting sentence named)."""
    return cite(number, hit.chunk)


def source_line(text: str) -> str:
    """A passage as one prompt line: its line breaks folded, and `[n]` marks inside it
    written `(n)` so a document cannot forge a numbered source of its own."""
    return CITE.sub(lambda m: "(" + m.group(1) + ")", " ".join(text.split()))


FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Prompt:
    messages: tuple[Message, ...]
    sources: tuple[Citation, ...]
    texts: tuple[str, ...] = ()
    """The text of each source as the model saw it (shortened where it had to be)."""
    history_dropped: int = 0
    """Messages of the chat history left out for lack of room (the oldest)."""
    passages: tuple[Passage, ...] = ()
    """The numbered passages given to the model (`sources[i]` is `passages[i]`)."""


def _pack_history(
    history: Sequence[Message], model: ChatModel, budget: int
) -> tuple[list[Message], int]:
    """The newest messages of `history` that fit `budget` tokens, and what they cost."""
    kept: list[Message] = []
    used = 0
    for message in reversed(history):
        cost = model.count_tokens(message.content) + MESSAGE_OVERHEAD
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    # A history that opens with the model's reply to a question no longer there confuses
    # small models; start at a question.
    while kept and kept[0].role != "user":
        used -= model.count_tokens(kept.pop(0).content) + MESSAGE_OVERHEAD
    return kept, used


def build_prompt(
    question: str,
    hits: Sequence[SearchHit],
    model: ChatModel,
    templates: PromptTemplates,
    max_tokens: int,
    history: Sequence[Message] = (),
    history_share: float = 0.25,
    *,
    scorer: SentenceScorer | None = None,
    passages: int = 3,
    subject: str = "",
) -> Prompt:
    """Render the prompt with as much history and as many passages (the best sentences
    of `hits` for the question, `ragkit.answer.evidence.select_passages`) as fit the window.
    System messages in `history` (a conversation's running summary) join the system
    prompt; the user and assistant messages are packed newest first. `subject`: what a
    follow-up asked without it is about (`select_passages`)."""
    system = "\n\n".join(
        [templates.render("answer_system")] + [m.content for m in history if m.role == "system"]
    )
    history = [m for m in history if m.role != "system"]
    empty_user = templates.render("answer_user", sources="", question=question)
    budget = (
        model.context_window
        - max_tokens
        - model.count_tokens(system)
        - model.count_tokens(empty_user)
        - SAFETY_MARGIN
    )
    if budget <= 0:
        raise PromptTooLongError(
            f"the question is too long for the model's {model.context_window}-token window "
            f"with {max_tokens} tokens kept for the answer; shorten it, lower "
            "RAGKIT_LLM__MAX_TOKENS or raise RAGKIT_LLM__N_CTX"
        )
    kept, used = _pack_history(history, model, int(budget * history_share))
    budget -= used
    chosen = select_passages(
        question, hits, scorer or SentenceScorer(Analyzer()), passages, subject=subject
    )
    blocks: list[str] = []
    sources: list[Citation] = []
    texts: list[str] = []
    given: list[Passage] = []
    for passage in chosen:
        number = len(sources) + 1
        chunk = passage.hit.chunk
        location = display_name(chunk.source, chunk.page_start, chunk.page_end)
        text = source_line(passage.text)
        block = templates.render("source", number=str(number), location=location, text=text).strip()
        cost = model.count_tokens(block + "\n")
        if cost > budget:
            # Shorten the passage that does not fit, if enough room is left to be useful.
            if budget < MIN_SOURCE_TOKENS:
                break
            text = text[: max(1, int(len(text) * (budget - 24) / cost))]
            block = templates.render(
                "source", number=str(number), location=location, text=text
            ).strip()
            cost = model.count_tokens(block + "\n")
            if cost > budget:
                break
        blocks.append(block)
        renumbered = replace(passage, number=number)
        given.append(renumbered)
        sources.append(cite(number, chunk, (passage.best.start, passage.best.end)))
        texts.append(text)
        budget -= cost
    user = templates.render("answer_user", sources="\n".join(blocks), question=question)
    messages = (Message("system", system), *kept, Message("user", user))
    return Prompt(messages, tuple(sources), tuple(texts), len(history) - len(kept), tuple(given))


def prompt_head(templates: PromptTemplates) -> tuple[Message, ...]:
    """How every answer prompt without chat history starts: its system message, and its
    user message as far as the sources (`build_prompt` renders the same templates). A
    local model can evaluate these ahead, while the search runs; a prompt that turns out
    to differ earlier only loses that head start."""
    user = templates.render("answer_user", sources="", question="")
    return (Message("system", templates.render("answer_system")), Message("user", user))


def display_name(source: str, page_start: int | None, page_end: int | None) -> str:
    """A source as the prompt may name it: the file name and pages, never a path."""
    name = Path(source.split("#", 1)[0]).name
    if page_start is None:
        return name
    if page_end is None or page_end == page_start:
        return f"{name}, p. {page_start}"
    return f"{name}, pp. {page_start}-{page_end}"


REWRITE_SYSTEM = (
    "Rewrite the user's last question so it can be understood without the conversation. "
    "Replace words like it, they, that and there with what they refer to. "
    "Reply with the rewritten question only."
)


@dataclass(frozen=True)
class Standalone:
    """A follow-up made to stand alone (`standalone_follow_up`): `query` is what search
    uses; `by_rule` says the subject rule carried the earlier question's `subject` into
    it (ragkit.answer.followup), so the answer is written to the question as asked.
    `subject` names what the answer is about where the rule knows it: that subject, or
    the new one of a question the rule restated ("What about the Copperleaf tins?" asks
    the earlier question of them, without a model call; its query, not the question as
    typed, holds what is asked, so `by_rule` is False)."""

    query: str
    by_rule: bool = False
    subject: str = ""


def standalone_question(
    model: ChatModel, question: str, history: Sequence[Message], seed: int | None = None
) -> str:
    """`question` made to stand without the conversation `history` before it: the query
    of `standalone_follow_up`, which says how."""
    return standalone_follow_up(model, question, history, seed).query


def standalone_follow_up(
    model: ChatModel | None, question: str, history: Sequence[Message], seed: int | None = None
) -> Standalone:
    """`question` made to stand without the conversation `history` before it (its system
    messages are taken as a running summary; of its user and assistant messages the last
    four are shown to the model). With no history the question is returned as it is,
    without a model call.

    The subject of the earlier questions is carried by rule (ragkit.answer.followup): a
    question that names its own subject is searched as written, without a model call; one
    that needs the earlier subject ("And how often should it be descaled?") is rewritten
    by `model`, and the rewrite is kept only when it still reads as the question
    (`is_rewrite_of`) and names that subject (or, for an elliptical one with a word of its
    own, "what about the tea?", adds terms of its own); otherwise the rule's question is
    used ("How often should the Ember brewing kettle be descaled?", `by_rule`). Where
    no earlier question has a subject the rule can find, the model's rewrite is checked as
    before. Without a `model` (extractive mode has none to ask) the rule's question is
    used as it is. A follow-up's query never opens with "And", "Also", "So", "Then" or "But"
    ("And how long does shipping take?" is searched as "How long does shipping take?"):
    the word only ties it to the conversation (`followup.without_opening`)."""
    asked = question.strip()
    summary = " ".join(m.content for m in history if m.role == "system")
    recent = [m for m in history if m.role in ("user", "assistant")]
    if not recent and not summary:
        return Standalone(asked)
    made = _standalone(model, question, recent, summary, seed)
    return replace(made, query=without_opening(made.query))


def _standalone(
    model: ChatModel | None,
    question: str,
    recent: Sequence[Message],
    summary: str,
    seed: int | None,
) -> Standalone:
    asked = question.strip()
    analyzer = Analyzer()
    # The last four questions: a subject older than that is no longer the conversation's.
    rule = follow_up(question, [m.content for m in recent if m.role == "user"][-4:], analyzer)
    if rule.subject and not rule.needs_context:
        return Standalone(asked)
    if rule.restated:
        # The earlier question asked of a new name: nothing left for a model to resolve
        # (the bundled model's rewrites of "那雾溪白茶呢？" keep the name, not the question).
        return Standalone(rule.query, False, rule.subject)
    if model is None:
        if rule.needs_context:
            return Standalone(rule.query, rule.query != asked, rule.subject)
        return Standalone(asked)
    lines = [f"Summary: {summary}"] if summary else []
    lines += [f"{m.role}: {m.content}" for m in recent[-4:]]
    prompt = [
        Message("system", REWRITE_SYSTEM),
        Message(
            "user",
            "Conversation:\n" + "\n".join(lines) + f"\n\nLast question: {question}\n\n"
            "Rewritten question:",
        ),
    ]
    options = GenerationOptions(max_tokens=64, temperature=0.0, seed=seed, stop=("\n",))
    text = "".join(model.stream(prompt, options)).strip().strip('"')
    if is_rewrite_of(question, text, "\n".join(lines)) and (
        not rule.needs_context
        or keeps_subject(text, rule.subject, analyzer)
        or (rule.optional and adds_terms(text, question, analyzer))
    ):
        # A rewrite word for word the rule's question is the rule's all the same.
        if rule.needs_context and text == rule.query and text != asked:
            return Standalone(text, True, rule.subject)
        return Standalone(text)
    if rule.needs_context:
        return Standalone(rule.query, rule.query != asked, rule.subject)
    return Standalone(asked)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def is_rewrite_of(question: str, rewrite: str, context: str) -> bool:
    """Whether `rewrite` reads as `question` made to stand alone, not as something else.

    A small model sometimes answers instead of rewriting ("The warranty is 10 years."),
    rambles, or drops the subject; searching with that would find the wrong passages. A
    rewrite is kept only when it is not empty nor far longer than a paraphrase, still asks
    (a question mark stays a question mark), holds no number that neither the question nor
    the conversation holds (an invented one is an answer), and keeps at least half of the
    question's index terms (it may add the subject a pronoun stood for, not drop what was
    asked)."""
    if not rewrite or len(rewrite) > 3 * len(question) + 120:
        return False
    if any(m in question for m in "?？") and not any(m in rewrite for m in "?？"):
        return False
    known = set(_NUMBER.findall(question)) | set(_NUMBER.findall(context))
    if any(n not in known for n in _NUMBER.findall(rewrite)):
        return False
    analyzer = Analyzer()
    asked = set(analyzer.tokenize(question))
    kept = asked & set(analyzer.tokenize(rewrite))
    return len(kept) * 2 >= len(asked)


def finish_answer(question: str, text: str, sources: Sequence[Citation]) -> Answer:
    """The `Answer` for a model's reply: invalid citations removed and reported, valid
    ones resolved; a reply saying the documents lack the answer is marked `not_found`."""
    by_number = {c.number: c for c in sources}
    cleaned, invalid = clean_citations(text.strip(), by_number)
    not_found = says_not_found(cleaned)
    citations = () if not_found else tuple(by_number[n] for n in cited_numbers(cleaned))
    return Answer(
        question=question,
        text=cleaned.strip(),
        sources=tuple(sources),
        citations=citations,
        not_found=not_found,
        invalid_citations=invalid,
    )


class AnswerStream:
    """Iterate for the reply's pieces; `answer` is set once iteration ends.

    `close()` (or leaving the loop by an exception, such as Ctrl-C) stops generation at
    once; a local model stops after the current token, a remote stream is closed."""

    def __init__(
        self,
        question: str,
        prompt: Prompt,
        pieces: Callable[[], Iterator[str]],
        finish: Callable[[str], Answer],
        guard: GuardSession | None = None,
        model: ChatModel | None = None,
        standalone_question: str | None = None,
    ) -> None:
        self.question = question
        self.standalone_question = standalone_question or question.strip()
        """The question search used: a follow-up rewritten to stand alone."""
        self.on_finish: list[Callable[[Answer], None]] = []
        """Called with the finished answer (a conversation store records the turn)."""
        self.guard = guard
        self.model = model
        self.finish_reason: FinishReason = "stop"
        """"length" when the model's `max_tokens` cut the reply (backends say so as their
        stream generator's return value); set once iteration ends."""
        self.raw_text = ""
        """The reply as the model wrote it, before the guard; set once iteration ends."""
        self.generated: list[str] | None = None
        """The model's own pieces, where a checker stands between it and the reply (the
        checked reply may quote sources the model never wrote); usage counts these."""
        self.prompt = prompt
        self.sources = prompt.sources
        self._pieces = pieces
        self._finish = finish
        self._running: Iterator[str] | None = None
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        self._running = self._run()
        return self._running

    def _run(self) -> Iterator[str]:
        collected: list[str] = []
        raw = self._record(self._pieces())
        # Nothing unfiltered reaches the caller: the guard sees every piece first.
        stream = self.guard.filter_output(raw) if self.guard is not None else raw
        # Whitespace at the end of a piece waits for the next one: the checker ends each
        # sentence with the space before the next (so a filter that holds back a word
        # that may go on lets the whole sentence out), and an answer does not end in a
        # space a reader would see in a line, a copied text or a test's comparison.
        spaces = ""
        try:
            for piece in stream:
                text = spaces + piece
                shown = text.rstrip()
                spaces = text[len(shown) :]
                if shown:
                    collected.append(shown)
                    yield shown
        finally:
            for part in (stream, raw):
                close = getattr(part, "close", None)
                if close is not None:
                    close()
        self._answer = self._finish("".join(collected))
        for callback in self.on_finish:
            callback(self._answer)

    def _record(self, pieces: Iterator[str]) -> Iterator[str]:
        written: list[str] = []
        try:
            reason = yield from _with_written(pieces, written)
        finally:
            self.raw_text = "".join(written)
        if reason == "length":
            self.finish_reason = "length"

    def usage(self) -> Usage | None:
        """Tokens the prompt and the reply cost, counted by the model's tokenizer; None
        when no model wrote the reply (an extractive or canned answer). Call it after
        iteration ended."""
        if self.model is None:
            return None
        prompt = sum(self.model.count_tokens(m.content) for m in self.prompt.messages)
        prompt += MESSAGE_OVERHEAD * len(self.prompt.messages)
        written = "".join(self.generated) if self.generated is not None else self.raw_text
        return Usage(prompt, self.model.count_tokens(written) if written else 0)

    def close(self) -> None:
        """Stop generating; the answer stays unset."""
        running = self._running
        if running is not None:
            close = getattr(running, "close", None)
            if close is not None:
                close()

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        assert self._answer is not None
        return self._answer


def _with_written(pieces: Iterator[str], written: list[str]) -> Generator[str, None, object]:
    """Yield `pieces`, appending each to `written`; returns what the generator returned."""
    if not isinstance(pieces, Generator):
        for piece in pieces:
            written.append(piece)
            yield piece
        return None
    while True:
        try:
            piece = next(pieces)
        except StopIteration as stop:
            return stop.value
        written.append(piece)
        yield piece


def answer(
    question: str,
    hits: Sequence[SearchHit],
    model: ChatModel,
    templates: PromptTemplates,
    options: AnswerOptions | None = None,
    *,
    history: Sequence[Message] = (),
    scorer: SentenceScorer | None = None,
    guard: GuardSession | None = None,
    documents: DocumentLookup | None = None,
    subject: str = "",
) -> AnswerStream:
    """Answer `question` from retrieved `hits`: the best sentences of the hits become
    numbered passages, the model's reply is checked sentence by sentence as it streams
    (ragkit.answer.checking), and the finished answer cites each sentence's page. Of
    `options` this reads the sampling options (`generation`), the history's share of the
    prompt and `evidence` (retrieval and the mode are the caller's). `documents` reads a
    source again (`KnowledgeBase.document`) so a citation can give the supporting
    sentence's own page and offsets. With `evidence`, the finished answer pairs each
    sentence with its support (scored by `scorer`, lexical only when none is given).
    `guard` filters the checked stream before the caller sees it; the checks leave its
    stand-ins for the user's own values aside. `subject` is what a follow-up asked
    without it is about ("每次浸泡多久？" after a question on 红隼金毫): no sentence under a
    heading naming something else is given or quoted (`select_passages`)."""
    if not question.strip():
        raise EmptyQueryError("the question is empty; ask something about your documents")
    opts = options or AnswerOptions()
    generation = opts.generation or GenerationOptions()
    scorer = scorer or SentenceScorer(Analyzer())
    prompt = build_prompt(
        question,
        hits,
        model,
        templates,
        generation.max_tokens,
        history,
        opts.history_share,
        scorer=scorer,
        passages=PASSAGES,
        subject=subject,
    )
    ahead = getattr(model, "evaluate_ahead", None)
    call_off = None
    if ahead is not None and prompt.sources:
        # A local model evaluates the prompt on a thread of its own while the tests below
        # run (they take about as long); a refusal calls that evaluation off.
        call_off = ahead(prompt.messages)
    judged = guard.without_placeholders(question) if guard is not None else question
    # The test extractive mode applies, over the same hits: the checked answer never
    # says "not in the documents" where extractive mode would quote an answer.
    if not prompt.sources or not can_answer(judged, hits, scorer, MIN_RELEVANCE):
        if callable(call_off):
            call_off()  # its prompt is never asked: the CPU goes to what comes next
        canned = not_found_text(question, [h.chunk.text for h in hits], subject)
        return AnswerStream(
            question,
            prompt,
            lambda: iter([canned]),
            lambda text: Answer(question, text.strip(), (), (), not_found=True),
            guard,
        )
    placeholders = guard.placeholders() if guard is not None else ()
    # The evidence leads: extractive mode's quotes are shown before the model has written
    # a word, and a model sentence that only restates them is left out. The first checked
    # sentence then waits for no generated token (the model's opening took 6-49 tokens,
    # median ~18, on the English sample questions), only for the checks above.
    checker = AnswerChecker(
        question, prompt.passages, scorer, placeholders=placeholders, quote="first"
    )
    stops = tuple(dict.fromkeys((*generation.stop, *STOP_SEQUENCES)))
    sampling = replace(generation, stop=stops)

    def finish(text: str) -> Answer:
        done = checker.answer(text, documents, prompt.sources)
        if opts.evidence and not done.not_found:
            from ragkit.answer.evidence import evidence_for

            numbered = [(c.number, t) for c, t in zip(prompt.sources, prompt.texts, strict=True)]
            done = replace(done, evidence=evidence_for(done.text, numbered, scorer))
        return done

    generated: list[str] = []
    stream = AnswerStream(
        question,
        prompt,
        lambda: checker.stream(_collected(model.stream(prompt.messages, sampling), generated)),
        finish,
        guard,
        model,
    )
    stream.generated = generated
    return stream


def _collected(pieces: Iterator[str], into: list[str]) -> Generator[str, None, object]:
    """Yield `pieces`, appending each to `into`; returns what the generator returned, and
    closing this closes `pieces` (generation stops)."""
    try:
        return (yield from _with_written(pieces, into))
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
