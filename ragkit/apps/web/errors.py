"""HTTP errors as JSON: every 4xx/5xx body is `{"error": {"message", "type", "param",
"code"}}`, the shape OpenAI clients already parse, with a message naming what was wrong.

`ragkit_status` sorts the library's own errors: input that cannot be answered (an empty
question, one too long for the model's window, one the content filter blocks, an index
that does not exist) is the client's 4xx, so clients do not retry it; the rest (a damaged
index, a model that failed) is a 500. A 405 keeps its `Allow` header. `ERROR_RESPONSES`
declares the error body in the OpenAPI schema for each status a route can answer.
Leaves out logging policy: unexpected exceptions are logged by uvicorn and answered with
a generic 500 that does not leak paths or tracebacks.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragkit.errors import (
    ContentBlocked,
    EmptyQueryError,
    IndexNotFoundError,
    PromptTooLongError,
    RagkitError,
)

log = logging.getLogger("ragkit.web")


class ApiError(Exception):
    """A request the server refuses, with the status and message the client sees."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str = "",
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.param = param
        self.code = code


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    """Every error the server answers, whatever the status."""

    error: ErrorDetail


_WHY = {
    400: "The request cannot be answered as sent (the message says what to change)",
    401: "No or wrong API key (server.api_key)",
    403: "Not allowed: a read-only index, or a Host/Origin the server does not accept",
    404: "No such collection, model, job, document or passage",
    405: "Method not allowed (the Allow header lists those that are)",
    409: "The collection is not ready for this yet, or changed meanwhile",
    413: "The request body is larger than server.max_upload_bytes",
    500: "The server failed (a damaged index, a model that failed)",
    503: "Too many questions are waiting for the model; try again shortly",
}


UNSUPPORTED = {
    "n": "several choices are not supported; send n=1",
    "tools": "tool calling is not supported by ragkit's /v1",
    "tool_choice": "tool calling is not supported by ragkit's /v1",
    "functions": "function calling is not supported by ragkit's /v1",
    "function_call": "function calling is not supported by ragkit's /v1",
    "response_format": "only text answers are supported (type 'text')",
    "logprobs": "log probabilities are not supported",
    "top_logprobs": "log probabilities are not supported",
}
"""OpenAI request parameters /v1 refuses (its schema allows only their neutral values)."""


HAS_TEXT = "[^\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""Schema pattern of a text that is not blank as Python's `str.strip` sees it (JSON
Schema's `\\S` would let through characters Python counts as space, such as U+0085)."""

BLANK = {
    "question": "the question is empty; ask something about the documents",
    "input": "every text to embed must hold some text",
}
"""What to say when these fields are empty or blank (their schema asks for text)."""


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each status with the error body it carries.
    401 and 500 are added to every route (any keyed route, any failure)."""
    wanted = sorted({*statuses, 401, 500})
    return {s: {"model": ErrorBody, "description": _WHY[s]} for s in wanted}


SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "description": "One server-sent event; `data` is JSON text (or [DONE] at the end of /v1)",
    "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
    "required": ["data"],
}


def sse_response(events: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry for a route that answers with server-sent events."""
    return {
        200: {
            "description": f"Server-sent events: {events}",
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        }
    }


def error_body(
    message: str, kind: str, param: str = "", code: str | None = None
) -> dict[str, dict[str, str | None]]:
    return {"error": {"message": message, "type": kind, "param": param or None, "code": code}}


def ragkit_status(exc: RagkitError) -> tuple[int, str, str | None]:
    """(HTTP status, error type, code) for an error the library raised on purpose."""
    if isinstance(exc, PromptTooLongError):
        return 400, "invalid_request_error", "context_length_exceeded"
    if isinstance(exc, EmptyQueryError):
        return 400, "invalid_request_error", "empty_question"
    if isinstance(exc, ContentBlocked):
        return 400, "invalid_request_error", "content_filter"
    if isinstance(exc, IndexNotFoundError):
        return 404, "not_found_error", "index_not_found"
    return 500, "server_error", type(exc).__name__


def _allowed(app: FastAPI, path: str) -> list[str]:
    """Every method the app's schema declares at `path` (empty for undeclared paths)."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            error_body(exc.message, exc.kind, exc.param, exc.code), exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        params = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p != "body"]
            in_body = bool(loc) and err.get("loc", ())[0] == "body"
            why = UNSUPPORTED.get(loc[0]) if in_body else None
            if in_body and err.get("type") in ("string_pattern_mismatch", "string_too_short"):
                why = BLANK.get(loc[0], why)
            where = loc[0] if why else ".".join(loc)
            params.append(where)
            parts.append(f"{where or 'body'}: {why or err.get('msg', 'invalid')}")
        message = "invalid request: " + "; ".join(parts)
        # OpenAI names the one parameter at fault; several at once: the first.
        param = params[0] if params else ""
        code = "unsupported_parameter" if param in UNSUPPORTED else "invalid_value"
        return JSONResponse(error_body(message, "invalid_request_error", param, code), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        # Starlette's own headers belong to the answer; its Allow on a 405 names only the
        # first route of the path, so it is made whole here.
        headers = dict(exc.headers or {})
        declared = _allowed(app, request.url.path) if exc.status_code == 405 else []
        if declared:
            headers["Allow"] = ", ".join(declared)
        return JSONResponse(error_body(str(exc.detail), kind), exc.status_code, headers=headers)

    @app.exception_handler(RagkitError)
    async def _ragkit(_: Request, exc: RagkitError) -> JSONResponse:
        # Errors the library raises on purpose carry a message meant for the user.
        status, kind, code = ragkit_status(exc)
        return JSONResponse(error_body(str(exc), kind, code=code), status)
