"""Answering questions on one model, in turn, streamed back to async request handlers.

The chat model runs on a single worker thread (`ModelQueue`): llama.cpp is not safe to
call from two threads, and on a small CPU two generations at once would only both be
slow. A question is retrieved and answered there; each piece is handed to the request's
event loop through an asyncio queue. A client that goes away cancels its question: a
queued one is skipped, a running one stops at the model's next token (the collection's
model is a `Stoppable`), and what was shown is kept. More than
`max_pending` questions waiting gets HTTP 503 at once rather than an ever longer wait.
An OpenAI client's `max_tokens` (capped at the server's), `temperature`, `seed` and `stop`
apply to its own question (passed to `ask_stream`, never set on the shared knowledge base),
and its earlier messages are the answer's chat history. A prompt a client packed with its
own sources (`packed`) goes to the model as it is. Each finished answer carries its token
usage and why it ended (`stop`, or `length` when max_tokens cut it). Library errors from
input that cannot be answered are the client's 400, the rest 500 (`ragkit_status`).
Leaves out turning requests into questions and history (ragkit.apps.web.openai_api).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ragkit import (
    Answer,
    Citation,
    GenerationOptions,
    KnowledgeBase,
    Message,
    PromptTooLongError,
    RagkitError,
)
from ragkit.answer.pipelines import MESSAGE_OVERHEAD, AnswerStream, Prompt, prompt_head
from ragkit.apps.web.collections import Collection
from ragkit.apps.web.errors import ApiError, ragkit_status
from ragkit.events import NO_USAGE, Done, Event, Failed, Sources, Status, Text, Waiting
from ragkit.guard.session import GuardSession

log = logging.getLogger("ragkit.web")


@dataclass(frozen=True)
class Sampling:
    """Sampling asked for by one request; None keeps the server's setting. `max_tokens`
    can only lower the server's limit, so a client cannot tie up the model for longer."""

    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None

    def apply(self, base: GenerationOptions) -> GenerationOptions:
        return replace(
            base,
            max_tokens=min(self.max_tokens or base.max_tokens, base.max_tokens),
            temperature=base.temperature if self.temperature is None else self.temperature,
            seed=base.seed if self.seed is None else self.seed,
            stop=base.stop if self.stop is None else self.stop,
        )


def packed_stream(
    kb: KnowledgeBase, question: str, messages: Sequence[Message], options: GenerationOptions
) -> AnswerStream:
    """The model's reply to a prompt a client packed itself (its sources included), as it
    is: the guard filters the client's messages and the reply, as it does for the server's
    own prompts, and a prompt that cannot fit the window is refused, not cut."""
    model = kb.chat_model
    session = GuardSession(kb.guard) if kb.guard is not None else None
    if session is not None:
        messages = session.check_history(messages)
    cost = sum(model.count_tokens(m.content) + MESSAGE_OVERHEAD for m in messages)
    if cost + options.max_tokens > model.context_window:
        raise PromptTooLongError(
            f"the messages take {cost} tokens; with {options.max_tokens} kept for the answer "
            f"they do not fit the model's {model.context_window}-token window; send less text"
        )
    prompt = Prompt(tuple(messages), ())
    return AnswerStream(
        question,
        prompt,
        lambda: model.stream(prompt.messages, options),
        lambda text: Answer(question, text, (), ()),
        session,
        model,
    )


def citation_json(c: Citation) -> dict[str, Any]:
    return {
        "number": c.number,
        "chunk_id": c.chunk_id,
        "file": Path(c.source).name,
        "page_start": c.page_start,
        "page_end": c.page_end,
        "location": c.location.replace(c.source, Path(c.source).name),
        "snippet": c.snippet,
    }


class ModelQueue:
    """One thread that owns the chat model; questions wait their turn."""

    def __init__(self, max_pending: int, heartbeat: float = 2.0) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ragkit-model")
        self._lock = threading.Lock()
        # Tickets in arrival order; the pool runs them in that order, so a question's
        # place in the queue is its ticket minus the questions already finished.
        self._issued = 0
        self._finished = 0
        self.max_pending = max_pending
        self.heartbeat = heartbeat

    @property
    def pending(self) -> int:
        with self._lock:
            return self._issued - self._finished

    def _ahead(self, ticket: int) -> int:
        with self._lock:
            return ticket - self._finished

    def ask(
        self,
        coll: Collection,
        question: str,
        sampling: Sampling | None = None,
        history: Sequence[Message] = (),
        packed: Sequence[Message] | None = None,
        evidence: bool = False,
        on_end: Callable[[str, Answer | None], None] | None = None,
        stop: threading.Event | None = None,
    ) -> AsyncIterator[Event]:
        """Queue `question` (after the conversation `history`) now, HTTP 503 when the
        queue is full; iterate for its events. `packed`: a client's prompt that already
        holds its sources, given to the model as it is instead of searching. `evidence`
        pairs the answer's sentences with their supporting source sentences.
        `on_end(text, answer)` runs on the worker once the question is over, also when
        the client left: with the answer, or with the text written so far and None when
        it was stopped. Setting `stop` stops the answer at its next piece, as the
        client's leaving does."""
        if not question.strip():
            raise ApiError(
                400, "the question is empty; ask something about the documents", param="question"
            )
        if not coll.kb.exists:
            raise ApiError(
                409,
                f"collection {coll.id} has no indexed documents yet; upload some and wait "
                "for indexing to finish",
                param="model",
            )
        with self._lock:
            waiting = self._issued - self._finished
            if waiting >= self.max_pending:
                raise ApiError(
                    503,
                    f"{waiting} questions are already waiting for the model; try again shortly",
                    "server_busy",
                )
            ticket = self._issued
            self._issued += 1
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Event | None] = asyncio.Queue()
        cancelled = stop if stop is not None else threading.Event()

        def emit(event: Event | None) -> None:
            try:
                loop.call_soon_threadsafe(events.put_nowait, event)
            except RuntimeError:  # the loop is gone: the server is shutting down
                cancelled.set()

        def work() -> None:
            try:
                if not cancelled.is_set():
                    # The model stops between two tokens once the client left
                    # (ragkit.apps.web.stopping).
                    with coll.model.stopping(cancelled.is_set):
                        self._write(
                            coll,
                            question,
                            sampling,
                            history,
                            packed,
                            emit,
                            cancelled,
                            evidence,
                            on_end,
                        )
            finally:
                with self._lock:
                    self._finished += 1
                emit(None)

        self._pool.submit(work)
        return self._drain(events, cancelled, ticket)

    def _write(
        self,
        coll: Collection,
        question: str,
        sampling: Sampling | None,
        history: Sequence[Message],
        packed: Sequence[Message] | None,
        emit: Callable[[Event | None], None],
        cancelled: threading.Event,
        evidence: bool = False,
        on_end: Callable[[str, Answer | None], None] | None = None,
    ) -> None:
        written: list[str] = []
        try:
            kb = coll.kb
            options = kb.answer_options
            if sampling is not None:
                options = options.with_(generation=sampling.apply(kb.generation))
            if evidence:
                options = options.with_(evidence=True)
            if packed is not None:
                stream = packed_stream(kb, question, packed, options.generation or kb.generation)
            else:
                if history and options.rewrite and options.mode == "generate":
                    self._warm(kb, emit)  # a follow-up is rewritten by the model first
                elif options.mode == "generate":
                    self._warm_ahead(kb)
                emit(Status("searching"))
                with coll.read_lock:  # the cached reader may be swapped by another request
                    stream = kb.ask_stream(question, options, history=history)
            emit(Sources(tuple(stream.sources)))
            if stream.prompt.messages:  # an extractive or canned answer needs no model
                self._warm(kb, emit)
            emit(Status("writing"))
            pieces = iter(stream)
            for piece in pieces:
                if cancelled.is_set():
                    break
                written.append(piece)
                emit(Text(piece))
            if cancelled.is_set():
                pieces.close()  # type: ignore[attr-defined]
                if on_end is not None:
                    on_end("".join(written), None)
                return
            answer = stream.answer
            if on_end is not None:
                on_end(answer.text, answer)
            emit(Done(answer, stream.usage() or NO_USAGE, stream.finish_reason))
        except RagkitError as exc:
            status, kind, code = ragkit_status(exc)
            if status >= 500:
                log.warning("answering failed: %s", exc)
            emit(Failed(str(exc), status, kind, code))
        except Exception as exc:
            log.exception("answering failed")
            emit(Failed(f"answering failed unexpectedly ({type(exc).__name__})"))

    @staticmethod
    def _warm_ahead(kb: KnowledgeBase) -> None:
        """When the chat model is not in memory yet, start loading it on a thread of its
        own and evaluating the answer prompt's constant start (`prompt_head`) while the
        search runs, as `ragkit ask` does; the first answer then evaluates only what
        follows. Later answers keep that start in the model's cache without this."""
        model = kb.chat_model
        loading = getattr(model, "start_loading", None)
        if loading is not None and not getattr(model, "loaded", True):
            loading(prompt_head(kb.templates))

    @staticmethod
    def _warm(kb: KnowledgeBase, emit: Callable[[Event | None], None]) -> None:
        """Load the chat model now, saying so, when it is not in memory yet."""
        model = kb.chat_model
        if not getattr(model, "loaded", True):
            emit(Status("loading model"))
            model.warm_up()  # type: ignore[attr-defined]

    async def _drain(
        self, events: asyncio.Queue[Event | None], cancelled: threading.Event, ticket: int
    ) -> AsyncIterator[Event]:
        try:
            started = False
            if self._ahead(ticket) > 0:
                yield Waiting(self._ahead(ticket))
            while True:
                try:
                    event = await asyncio.wait_for(events.get(), self.heartbeat)
                except TimeoutError:
                    # Keeps the connection visibly alive while the question waits its turn.
                    if not started:
                        yield Waiting(max(self._ahead(ticket), 0))
                    continue
                if event is None:
                    return
                started = True
                yield event
        finally:
            cancelled.set()  # also when the client disconnected mid-stream

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
