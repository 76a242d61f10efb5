"""OpenAI-compatible routes under /v1, so existing OpenAI clients can use ragkit as a model.

`GET /v1/models` lists the collections and served indexes (the model id names one);
`POST /v1/chat/completions` answers the last user message with RAG over the chosen one,
as one `chat.completion` or, with `stream: true`, as `chat.completion.chunk` server-sent
events ending in `data: [DONE]`. The user and assistant messages before it are the chat
history (packed into the prompt newest first, filtered by the guard like the question).
A request's system messages are ignored: ragkit's own system prompt, which tells the
model to answer from the numbered sources and cite them, is the one the model gets, and a
client's instructions beside it would only contradict it. Answers carry an extra
`citations` field (file, page, snippet) that OpenAI clients ignore and ragkit-aware ones
read. Leaves out tools, several choices (`n`), logprobs and token usage counts; of the
sampling options `max_tokens` (at most the server's), `temperature`, `seed` and `stop`
apply. Unknown request fields are accepted and ignored, as OpenAI-compatible servers
commonly do.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from apps.web.answers import Done, Event, Failed, Piece, Sampling, Waiting, citation_json
from apps.web.errors import ApiError, error_body
from apps.web.state import sse, web_state
from ragkit import Message


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    seed: int | None = None
    stop: str | list[str] | None = None

    def sampling(self) -> Sampling:
        stop = [self.stop] if isinstance(self.stop, str) else self.stop
        return Sampling(
            max_tokens=self.max_completion_tokens or self.max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            stop=tuple(stop) if stop is not None else None,
        )


def _text(message: ChatMessage) -> str:
    """A message's text (its text parts joined when content is a list)."""
    content = message.content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def conversation(messages: list[ChatMessage]) -> tuple[str, list[Message]]:
    """The last user message's text, and the user and assistant messages before it as
    history (system, tool and empty messages left out)."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None or not _text(messages[last]).strip():
        raise ApiError(400, "messages holds no user message with text to answer", param="messages")
    history = [
        Message("user" if m.role == "user" else "assistant", _text(m))
        for m in messages[:last]
        if m.role in ("user", "assistant") and _text(m).strip()
    ]
    return _text(messages[last]), history


def openai_router() -> APIRouter:
    router = APIRouter()

    @router.get("/models")
    def models(request: Request) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [_model(c.id, c.created) for c in web_state(request).collections.all()],
        }

    @router.get("/models/{model_id}")
    def model(model_id: str, request: Request) -> dict[str, Any]:
        coll = web_state(request).collections.get(model_id)
        return _model(coll.id, coll.created)

    @router.post("/chat/completions", response_model=None)
    async def chat(body: ChatRequest, request: Request) -> dict[str, Any] | StreamingResponse:
        state = web_state(request)
        coll = state.collections.get(body.model)
        question, history = conversation(body.messages)
        events = state.models.ask(coll, question, body.sampling(), history)
        reply_id = "chatcmpl-" + uuid.uuid4().hex
        created = int(time.time())
        if body.stream:
            return StreamingResponse(
                _chunks(events, reply_id, created, coll.id),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        async for event in events:
            if isinstance(event, Failed):
                raise ApiError(
                    event.status,
                    event.message,
                    "server_error" if event.status >= 500 else "invalid_request_error",
                )
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
                            "finish_reason": "stop",
                        }
                    ],
                    "citations": [citation_json(c) for c in event.answer.citations],
                }
        raise ApiError(500, "the answer ended without a result", "server_error")

    return router


def _model(model_id: str, created: float) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": int(created), "owned_by": "ragkit"}


async def _chunks(
    events: AsyncIterator[Event], reply_id: str, created: int, model: str
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return sse(None, json.dumps(body))

    yield chunk({"role": "assistant", "content": ""})
    async for event in events:
        if isinstance(event, Waiting):
            # An SSE comment: OpenAI clients skip it, and the connection stays alive.
            yield f": waiting for the model, {event.ahead} questions ahead\n\n"
        elif isinstance(event, Piece):
            yield chunk({"content": event.text})
        elif isinstance(event, Done):
            cites = [citation_json(c) for c in event.answer.citations]
            yield chunk({}, "stop", citations=cites)
        elif isinstance(event, Failed):
            yield sse(None, json.dumps(error_body(event.message, "server_error")))
    yield sse(None, "[DONE]")
