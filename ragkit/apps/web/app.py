"""`create_app`: the FastAPI app factory for `ragkit serve` and the tests.

It builds the app's state (collections, job board, model queue) on the app object, so
two apps in one process never share anything, mounts /api (the page's API), /v1
(OpenAI-compatible) and the static page, caps request bodies, and turns every error
into JSON. Leaves out listening on a socket (`ragkit serve` runs uvicorn) and building
models (the caller's `open_kb` does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ragkit import Embedder, KnowledgeBase, __version__
from ragkit.apps.web.answers import ModelQueue
from ragkit.apps.web.api import api_router
from ragkit.apps.web.collections import Collections
from ragkit.apps.web.config import KbFactory, WebConfig
from ragkit.apps.web.errors import error_body, install_handlers
from ragkit.apps.web.jobs import JobBoard
from ragkit.apps.web.openai_api import openai_router
from ragkit.apps.web.pdfpages import PdfPages
from ragkit.apps.web.security import LoopbackHostOnly, SameOriginWrites, require_key
from ragkit.apps.web.state import WebState
from ragkit.apps.web.uploads import BodyLimit, BodyTooLargeError

STATIC = Path(__file__).parent / "static"
# The page loads nothing from elsewhere and runs no inline script: a document that smuggles
# markup into an answer or a page view still cannot run code.
PAGE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
)


def create_app(config: WebConfig, open_kb: KbFactory, embedder: Embedder | None = None) -> FastAPI:
    """An app serving the collections under `config.data_dir` (and `served_indexes`),
    opening each index with `open_kb`; `embedder` is offered at /v1/embeddings."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    ocr_cache = str(config.data_dir / "ocr-cache")

    def open_caching_ocr(path: Path) -> KnowledgeBase:
        # A scan indexed here keeps its OCR'd pages in the cache the page viewer reads:
        # reading it again for a citation's sentence and boxes runs no second OCR.
        kb = open_kb(path)
        if not kb.loader_options.ocr_cache:  # one the settings name is kept
            kb.loader_options = replace(kb.loader_options, ocr_cache=ocr_cache)
        return kb

    state = WebState(
        config=config,
        collections=Collections(config, open_caching_ocr),
        jobs=JobBoard(),
        models=ModelQueue(config.max_pending_questions),
        pdf=PdfPages(config.data_dir / "page-cache"),
        embedder=embedder,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="ragkit",
        version=__version__,
        docs_url=None,  # the interactive docs load scripts from a CDN; the server stays offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    install_handlers(app)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(_: Request, exc: BodyTooLargeError) -> JSONResponse:
        message = (
            f"request body is larger than the server's upload limit of "
            f"{config.max_upload_bytes} bytes (server.max_upload_bytes)"
        )
        return JSONResponse(error_body(message, "request_too_large"), 413)

    app.add_middleware(BodyLimit, limit=config.max_upload_bytes)
    app.add_middleware(SameOriginWrites, api_key=config.api_key)
    if config.api_key is None:
        app.add_middleware(LoopbackHostOnly)
    keyed = [Depends(require_key)]
    app.include_router(api_router(), prefix="/api", dependencies=keyed)
    app.include_router(openai_router(), prefix="/v1", dependencies=keyed)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.openapi = lambda: _openapi(app, embedder)  # type: ignore[method-assign]

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=dict(PAGE_HEADERS))

    # Browsers ask for /favicon.ico whatever the page links; a 404 there is an error in
    # every console. The page's own icon, a few hundred bytes of SVG, answers both.
    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(
            STATIC / "favicon.svg",
            media_type="image/svg+xml",
            headers={"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, object]:
        return {"ok": True, "version": __version__, "auth": config.api_key is not None}

    return app


def _openapi(app: FastAPI, embedder: Embedder | None) -> dict[str, Any]:
    """FastAPI's schema, less the 422 it declares for every route with parameters: this
    server answers invalid requests with 400 and its one error body (ragkit.apps.web.errors).
    /v1/embeddings' `dimensions` is bounded by the served embedder's size."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        bad_request = {
            "description": "The request cannot be answered as sent",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault("400", bad_request)
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        request = components.get("EmbeddingRequest", {}).get("properties", {})
        if embedder is not None and "dimensions" in request:
            for option in request["dimensions"].get("anyOf", []):
                if option.get("type") == "integer":
                    option["maximum"] = embedder.dim
        app.openapi_schema = schema
    return app.openapi_schema
