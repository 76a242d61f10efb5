"""OpenAI-compatible routes under /v1, so existing OpenAI clients can use ragkit as a model.

`GET /v1/models` lists the collections and served indexes (the model id names one) and
the embedding model; `POST /v1/chat/completions` answers the last user message with RAG
over the chosen one, as one `chat.completion` or, with `stream: true`, as
`chat.completion.chunk` server-sent events ending in `data: [DONE]`; `POST /v1/embeddings`
embeds texts with the server's embedder (`dimensions` below the model's shortens the
vectors and scales them back to unit length; the schema declares the model's size).

The conversation: the user and assistant messages before the last user message are the
chat history (packed into the prompt newest first, filtered by the guard like the
question). A client's system messages join ragkit's own system prompt as instructions,
after ragkit's (which tells the model to answer from the numbered sources and cite them).
A last user message that is ragkit's own packed prompt (`Question: …` with
`<source id=…>` blocks: ragkit using this server as its model, `llm.backend = "openai"`)
already holds the client's sources: the client's messages then go to the model as they
are, so the client answers as a local ragkit would.

Answers carry `usage` (counted by the model's tokenizer; zero for an answer no model
wrote), `finish_reason` `length` when `max_tokens` cut the reply, and an extra
`citations` field (file, page, snippet) that OpenAI clients ignore and ragkit-aware ones
read, and beside it `left_out`: how many of the model's sentences the checks withheld
(`unsupported`, `off_topic`) with the note `ragkit ask` prints (ragkit.apps.left_out),
on the last chunk of a stream too. It is a field of its own, not words added to the
message: a client shows `content` as the answer and sends it back as history, where a
note would read as the assistant's own words. `stream_options.include_usage` adds
OpenAI's final usage chunk to a stream.
Refused with 400 naming the parameter, rather than silently ignored: `n` > 1, `tools`,
`tool_choice`, `functions`, a `response_format` other than text, and `logprobs`. Of the
sampling options `max_tokens` (at most the server's), `temperature`, `seed` and up to 4
`stop` strings apply. Other unknown request fields are accepted and ignored, as
OpenAI-compatible servers commonly do. Leaves out tool calling and JSON output modes.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ragkit import Message
from ragkit.answer.pipelines import Usage
from ragkit.apps.left_out import left_out_json
from ragkit.apps.web.answers import Sampling, citation_json
from ragkit.apps.web.errors import HAS_TEXT, SSE_EVENT, ApiError, error_body, error_responses
from ragkit.apps.web.state import sse, web_state
from ragkit.events import Done, Event, Failed, Text, Waiting
from ragkit.models.prompts import PromptTemplates

MAX_MESSAGES = 200
"""Messages one request may carry (older turns beyond the prompt's room are dropped anyway)."""
MAX_MESSAGE_CHARS = 200_000
"""Characters one message may hold: more than any model's window this server runs takes,
so a bigger one is refused before it costs tokenizing."""
MAX_STOP = 4  # as OpenAI
MAX_EMBED_INPUTS = 256
MAX_EMBED_CHARS = 20_000

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Role
    content: str | list[dict[str, Any]] | None = None


_TEXT = {"type": "string", "pattern": HAS_TEXT}
HAS_QUESTION: dict[str, Any] = {
    "description": "At least one user message holds text: the question",
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"const": "user"},
        "content": {
            "anyOf": [
                _TEXT,
                {
                    "type": "array",
                    "contains": {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {"type": {"const": "text"}, "text": _TEXT},
                    },
                },
            ]
        },
    },
}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class TextFormat(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text"]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=MAX_MESSAGES, json_schema_extra={"contains": HAS_QUESTION}
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1, le=2**31 - 1)
    max_completion_tokens: int | None = Field(None, ge=1, le=2**31 - 1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    # Bounds a float holds exactly, so a schema reader comparing in floats agrees.
    seed: int | None = Field(None, ge=-(2**52), le=2**52)
    stop: str | list[str] | None = Field(None, max_length=MAX_STOP)
    # Declared as the only values served, so the schema says what is refused (with 400
    # naming the parameter, and why: ragkit.apps.web.errors.UNSUPPORTED).
    n: int | None = Field(None, ge=1, le=1)
    tools: list[dict[str, Any]] | None = Field(None, max_length=0)
    tool_choice: Literal["none", "auto"] | None = None
    functions: list[dict[str, Any]] | None = Field(None, max_length=0)
    function_call: Literal["none", "auto"] | None = None
    response_format: TextFormat | None = None
    logprobs: Literal[False] | None = None
    top_logprobs: Literal[0] | None = None

    def sampling(self) -> Sampling:
        stop = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        # An empty stop string would end every answer before it starts: it stops nothing.
        kept = tuple(s for s in stop if s)
        if any(len(s) > 200 for s in kept):
            raise ApiError(
                400, "stop: each stop string may be at most 200 characters", param="stop"
            )
        seed = None if self.seed is None else self.seed % 2**32  # llama.cpp's seed is 32-bit
        return Sampling(
            max_tokens=self.max_completion_tokens or self.max_tokens,
            temperature=self.temperature,
            seed=seed,
            stop=kept if self.stop is not None else None,
        )


def _text(message: ChatMessage) -> str:
    """A message's text (its text parts joined when content is a list)."""
    content = message.content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def packed_prompt() -> re.Pattern[str]:
    """ragkit's own answer prompt (ragkit/models/prompts/answer_user.txt, its sources written
    with source.txt) as a pattern, read from the templates so that it follows them:
    `$question` is captured, `$sources` must start as source [1] does."""
    templates = PromptTemplates()
    first = templates.render("source", number="1", text="", location="").strip()
    parts = re.split(r"(\$\{?question\}?|\$\{?sources\}?)", templates.source("answer_user"))
    pattern: list[str] = []
    for part in parts:
        if part.strip("${}") == "question":
            pattern.append("(?P=q)" if "(?P<q>" in "".join(pattern) else "(?P<q>.+?)")
        elif part.strip("${}") == "sources":
            pattern.append(re.escape(first) + ".*?")
        else:
            pattern.append(re.escape(part.strip()) if part.strip() else r"\s*")
    return re.compile(r"\A\s*" + r"\s*".join(p for p in pattern if p != r"\s*") + r"\s*\Z", re.S)


@dataclass(frozen=True)
class Conversation:
    question: str
    history: list[Message]
    packed: list[Message] | None = None


def conversation(messages: list[ChatMessage]) -> Conversation:
    """The question to answer and the conversation before it (see the module's text)."""
    texts = [_text(m) for m in messages]
    for i, text in enumerate(texts):
        if len(text) > MAX_MESSAGE_CHARS:
            raise ApiError(
                400,
                f"messages[{i}] holds {len(text)} characters; at most {MAX_MESSAGE_CHARS} "
                "are accepted (and the model's window takes far fewer)",
                param=f"messages[{i}].content",
                code="context_length_exceeded",
            )
    # The question: the last user message with text (a blank one after it asks nothing).
    last = max(
        (i for i, m in enumerate(messages) if m.role == "user" and texts[i].strip()),
        default=None,
    )
    if last is None:
        raise ApiError(400, "messages holds no user message with text to answer", param="messages")
    system = [t for m, t in zip(messages, texts, strict=True) if m.role in ("system", "developer")]
    packed = packed_prompt().match(texts[last])
    if packed is not None:
        # The client searched its own documents; its prompt goes to the model as it is.
        given = [
            Message("system" if m.role == "developer" else m.role, t)
            for m, t in zip(messages[: last + 1], texts, strict=False)
            if m.role in ("system", "developer", "user", "assistant") and t.strip()
        ]
        return Conversation(question=packed["q"].strip(), history=[], packed=given)
    history = [
        Message("user" if m.role == "user" else "assistant", t)
        for m, t in zip(messages[:last], texts, strict=False)
        if m.role in ("user", "assistant") and t.strip()
    ]
    instructions = "\n".join(t.strip() for t in system if t.strip())
    if instructions:
        # A system message of the history joins ragkit's system prompt (which keeps the
        # model on the sources); it is not a turn, so it never triggers a follow-up rewrite.
        history = [Message("system", f"Instructions for your answers: {instructions}"), *history]
    return Conversation(question=texts[last], history=history)


# --- declared response shapes (the OpenAPI schema; the routes build plain dicts) ------------
class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


class UsageJson(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AnswerMessage(BaseModel):
    role: Literal["assistant"]
    content: str


class Choice(BaseModel):
    index: int
    message: AnswerMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    model_config = ConfigDict(extra="allow")  # `citations`, `left_out`
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: UsageJson


NonBlank = Annotated[str, Field(min_length=1, max_length=MAX_EMBED_CHARS, pattern=HAS_TEXT)]


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = Field(max_length=200)
    input: NonBlank | Annotated[list[NonBlank], Field(min_length=1, max_length=MAX_EMBED_INPUTS)]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(None, ge=1, le=65536)


class Embedding(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A chat.completion (JSON), or with stream: true chat.completion.chunk "
        "server-sent events ending in `data: [DONE]`",
        "content": {"text/event-stream": {"schema": SSE_EVENT}},
    }
}


def usage_json(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def openai_router() -> APIRouter:
    router = APIRouter()

    @router.get("/models", response_model=ModelList, responses=error_responses(403))
    def models(request: Request) -> dict[str, Any]:
        state = web_state(request)
        cards = [_model(c.id, c.created) for c in state.collections.all()]
        embedder = state.embedder
        if embedder is not None:
            cards.append(_model(embedder.id, state.started))
        return {"object": "list", "data": cards}

    @router.get("/models/{model_id}", response_model=ModelCard, responses=error_responses(403, 404))
    def model(model_id: str, request: Request) -> dict[str, Any]:
        state = web_state(request)
        if state.embedder is not None and model_id == state.embedder.id:
            return _model(model_id, state.started)
        coll = state.collections.get(model_id)
        return _model(coll.id, coll.created)

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={**SSE_RESPONSE, **error_responses(400, 403, 404, 409, 413, 503)},
    )
    async def chat(body: ChatRequest, request: Request) -> Any:
        state = web_state(request)
        sampling = body.sampling()
        if state.embedder is not None and body.model == state.embedder.id:
            # /v1/models lists the embedder too; "no collection named ..., /v1/models lists
            # them" would contradict the list a client just read.
            chat_ids = ", ".join(c.id for c in state.collections.all()) or "none yet"
            raise ApiError(
                400,
                f"{body.model!r} is the embedding model, for POST /v1/embeddings; chat with "
                f"a collection or index instead (model ids: {chat_ids})",
                param="model",
                code="model_not_supported",
            )
        coll = state.collections.get(body.model)
        talk = conversation(body.messages)
        events = state.models.ask(coll, talk.question, sampling, talk.history, talk.packed)
        reply_id = "chatcmpl-" + uuid.uuid4().hex
        created = int(time.time())
        if body.stream:
            with_usage = body.stream_options is not None and body.stream_options.include_usage
            return StreamingResponse(
                _chunks(events, reply_id, created, coll.id, with_usage),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        async for event in events:
            if isinstance(event, Failed):
                raise ApiError(event.status, event.message, event.kind, code=event.code)
            if isinstance(event, Done):
                return {
                    "id": reply_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": coll.id,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": event.answer.text},
                            "finish_reason": event.finish_reason,
                        }
                    ],
                    "usage": usage_json(event.usage),
                    "citations": [citation_json(c) for c in event.answer.citations],
                    "left_out": left_out_json(event.answer),
                }
        raise ApiError(500, "the answer ended without a result", "server_error")

    @router.post(
        "/embeddings", response_model=EmbeddingList, responses=error_responses(400, 403, 404)
    )
    async def embeddings(body: EmbeddingRequest, request: Request) -> dict[str, Any]:
        state = web_state(request)
        if state.embedder is not None and body.model == state.embedder.id:
            embedder = state.embedder
        else:
            embedder = state.collections.get(body.model).kb.embedder
        texts = [body.input] if isinstance(body.input, str) else body.input
        vectors = await run_in_threadpool(embedder.embed, texts)
        dim = int(vectors.shape[1])
        if body.dimensions is not None and body.dimensions > dim:
            raise ApiError(
                400,
                f"dimensions: {embedder.id} makes {dim}-dimensional vectors; ask for at "
                "most that many",
                param="dimensions",
                code="unsupported_parameter",
            )
        if body.dimensions is not None and body.dimensions < dim:
            # Shortened and scaled back to unit length, as OpenAI does for its own models.
            short = vectors[:, : body.dimensions]
            norms = np.linalg.norm(short, axis=1, keepdims=True)
            vectors = (short / np.where(norms == 0, 1, norms)).astype(np.float32)
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": _encode(v, body.encoding_format),
            }
            for i, v in enumerate(vectors)
        ]
        # The embedder has no tokenizer of its own to ask: words are a fair count.
        tokens = sum(len(t.split()) for t in texts)
        return {
            "object": "list",
            "data": data,
            "model": body.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    return router


def _encode(vector: np.ndarray[Any, Any], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]


def _model(model_id: str, created: float) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": int(created), "owned_by": "ragkit"}


async def _chunks(
    events: AsyncIterator[Event], reply_id: str, created: int, model: str, with_usage: bool
) -> AsyncIterator[str]:
    def chunk(choices: Sequence[dict[str, Any]], **extra: Any) -> str:
        body = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": list(choices),
            **extra,
        }
        if with_usage:  # as OpenAI: null on every chunk but the last
            body.setdefault("usage", None)
        return sse(None, json.dumps(body))

    def delta(content: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": content, "finish_reason": finish}]

    yield chunk(delta({"role": "assistant", "content": ""}))
    async for event in events:
        if isinstance(event, Waiting):
            # An SSE comment: OpenAI clients skip it, and the connection stays alive.
            yield f": waiting for the model, {event.ahead} questions ahead\n\n"
        elif isinstance(event, Text):
            yield chunk(delta({"content": event.text}))
        elif isinstance(event, Done):
            cites = [citation_json(c) for c in event.answer.citations]
            left_out = left_out_json(event.answer)
            yield chunk(delta({}, event.finish_reason), citations=cites, left_out=left_out)
            if with_usage:
                yield chunk([], usage=usage_json(event.usage))
        elif isinstance(event, Failed):
            yield sse(None, json.dumps(error_body(event.message, event.kind, code=event.code)))
    yield sse(None, "[DONE]")
