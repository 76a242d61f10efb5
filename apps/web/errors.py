"""HTTP errors as JSON: every 4xx/5xx body is `{"error": {"message", "type", "param"}}`,
the shape OpenAI clients already parse, with a message naming what was wrong.

Leaves out logging policy: unexpected exceptions are logged by uvicorn and answered with
a generic 500 that does not leak paths or tracebacks.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragkit.errors import EmptyQueryError, IndexNotFoundError, RagkitError

log = logging.getLogger("ragkit.web")


class ApiError(Exception):
    """A request the server refuses, with the status and message the client sees."""

    def __init__(
        self, status: int, message: str, kind: str = "invalid_request_error", param: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.param = param


def error_body(message: str, kind: str, param: str = "") -> dict[str, dict[str, str | None]]:
    return {"error": {"message": message, "type": kind, "param": param or None}}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            error_body(exc.message, exc.kind, exc.param), exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            error_body("invalid request: " + "; ".join(parts), "invalid_request_error"), 400
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return JSONResponse(error_body(str(exc.detail), kind), exc.status_code)

    @app.exception_handler(RagkitError)
    async def _ragkit(_: Request, exc: RagkitError) -> JSONResponse:
        # Errors the library raises on purpose carry a message meant for the user.
        status = 400 if isinstance(exc, EmptyQueryError | IndexNotFoundError) else 500
        return JSONResponse(error_body(str(exc), type(exc).__name__), status)
