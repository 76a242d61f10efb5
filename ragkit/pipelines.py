"""Question answering: pack retrieved sources, numbered, into the prompt, stream the
model's reply, and resolve its `[n]` citations to chunks, files and pages.

`answer` is a plain function over typed parts (retrieved hits, a `ChatModel`,
templates); `AnswerStream` yields the reply as it arrives and holds the finished `Answer`
after. Retrieval itself is the caller's (`KnowledgeBase.ask_stream` searches first).
Sources are packed best first until the model's window (minus the reply's
`max_tokens`) is full; the last one that does not fit is shortened. Leaves out
chat history, the guard's scanners (ragkit.guard; a `GuardSession` passed in filters the
stream) and citation verification.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.errors import EmptyQueryError, ModelError
from ragkit.llm.base import ChatModel, GenerationOptions, Message
from ragkit.prompts import PromptTemplates
from ragkit.types import Answer, Citation, SearchHit

if TYPE_CHECKING:
    from ragkit.guard.session import GuardSession

_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
SAFETY_MARGIN = 16  # tokens the chat template adds around messages


def display_path(source: str) -> str:
    """A source path relative to the working folder when it lies inside it."""
    path = Path(source)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return source


def to_citation(number: int, hit: SearchHit) -> Citation:
    chunk = hit.chunk
    snippet = " ".join(chunk.text.split())[:200]
    return Citation(number, chunk.id, chunk.source, chunk.page_start, chunk.page_end, snippet)


@dataclass(frozen=True)
class Prompt:
    messages: tuple[Message, ...]
    sources: tuple[Citation, ...]


def build_prompt(
    question: str,
    hits: Sequence[SearchHit],
    model: ChatModel,
    templates: PromptTemplates,
    max_tokens: int,
) -> Prompt:
    """Render the prompt with as many sources as fit the model's window."""
    system = templates.render("answer_system")
    empty_user = templates.render("answer_user", sources="", question=question)
    budget = (
        model.context_window
        - max_tokens
        - model.count_tokens(system)
        - model.count_tokens(empty_user)
        - SAFETY_MARGIN
    )
    if budget <= 0:
        raise ModelError(
            f"the question is too long for the model's {model.context_window}-token window "
            f"with {max_tokens} tokens kept for the answer; shorten it or raise RAGKIT_LLM__N_CTX"
        )
    blocks: list[str] = []
    sources: list[Citation] = []
    for hit in hits:
        number = len(sources) + 1
        location = hit.chunk.location.replace(hit.chunk.source, display_path(hit.chunk.source))
        block = templates.render(
            "source", number=str(number), location=location, text=hit.chunk.text
        )
        cost = model.count_tokens(block + "\n\n")
        if cost > budget:
            # Shorten the source that does not fit, if enough room is left to be useful.
            if budget < 48:
                break
            keep = max(1, int(len(hit.chunk.text) * (budget - 24) / cost))
            block = templates.render(
                "source", number=str(number), location=location, text=hit.chunk.text[:keep]
            )
            cost = model.count_tokens(block + "\n\n")
            if cost > budget:
                break
        blocks.append(block)
        sources.append(to_citation(number, hit))
        budget -= cost
    user = templates.render("answer_user", sources="\n\n".join(blocks), question=question)
    messages = (Message("system", system), Message("user", user))
    return Prompt(messages, tuple(sources))


def cited_numbers(text: str) -> list[int]:
    """Numbers cited as [n] or [n, m] in order of first appearance."""
    seen: dict[int, None] = {}
    for match in _CITE.finditer(text):
        for part in match.group(1).split(","):
            seen.setdefault(int(part), None)
    return list(seen)


class AnswerStream:
    """Iterate for the reply's pieces; `answer` is set once iteration ends."""

    def __init__(
        self,
        question: str,
        prompt: Prompt,
        model: ChatModel,
        options: GenerationOptions,
        guard: GuardSession | None = None,
    ) -> None:
        self.question = question
        self.guard = guard
        self.prompt = prompt
        self.sources = prompt.sources
        self._model = model
        self._options = options
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        pieces: list[str] = []
        stream = self._model.stream(self.prompt.messages, self._options)
        if self.guard is not None:  # nothing unfiltered reaches the caller
            stream = self.guard.filter_output(stream)
        for piece in stream:
            pieces.append(piece)
            yield piece
        self._answer = finish_answer(self.question, "".join(pieces), self.sources)

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        assert self._answer is not None
        return self._answer


def finish_answer(question: str, text: str, sources: Sequence[Citation]) -> Answer:
    by_number = {c.number: c for c in sources}
    citations = tuple(by_number[n] for n in cited_numbers(text) if n in by_number)
    return Answer(question=question, text=text.strip(), sources=tuple(sources), citations=citations)


def answer(
    question: str,
    hits: Sequence[SearchHit],
    model: ChatModel,
    templates: PromptTemplates,
    options: GenerationOptions,
    guard: GuardSession | None = None,
) -> AnswerStream:
    """Pack retrieved `hits` into the prompt and return a stream of the model's answer
    (filtered by `guard`, whose caller has already checked the question and hits)."""
    if not question.strip():
        raise EmptyQueryError("the question is empty; ask something about your documents")
    prompt = build_prompt(question, hits, model, templates, options.max_tokens)
    return AnswerStream(question, prompt, model, options, guard)
