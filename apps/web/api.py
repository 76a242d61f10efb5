"""The page's JSON API under /api: collections, uploads, indexing jobs, questions and the
cited page's text.

Uploads are checked (names, types, size) and staged in the request, then handed to the
collection's writer thread, which returns at once with a job to poll (or to follow as
server-sent `progress` events). Questions stream back as server-sent events: `waiting`
(while queued), `sources`, then `text` pieces, then `done` (the answer with its
citations) or `error`. Leaves out the OpenAI-compatible routes (apps.web.openai_api).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect

from apps.web.answers import Done, Failed, Piece, Sources, Waiting, citation_json
from apps.web.errors import HAS_TEXT, ApiError, error_responses, sse_response
from apps.web.jobs import IndexJob
from apps.web.pages import page_view
from apps.web.state import sse, web_state
from apps.web.uploads import check_type, ensure_real_dir, safe_name, stage
from ragkit import KnowledgeBase

MAX_FILES = 50
JOB_EVENT_INTERVAL = 0.1  # seconds between looks at a job's progress


class NewCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=4000, pattern=HAS_TEXT)


def api_router() -> APIRouter:
    router = APIRouter()

    @router.get("/collections", responses=error_responses(403))
    def list_collections(request: Request) -> dict[str, Any]:
        return {"collections": [c.summary() for c in web_state(request).collections.all()]}

    @router.post("/collections", status_code=201, responses=error_responses(400, 403, 409, 413))
    def create_collection(body: NewCollection, request: Request) -> dict[str, Any]:
        return web_state(request).collections.create(body.name).summary()

    @router.delete("/collections/{cid}", responses=error_responses(403, 404))
    async def delete_collection(cid: str, request: Request) -> dict[str, Any]:
        await asyncio.wrap_future(web_state(request).collections.delete(cid))
        return {"deleted": cid}

    @router.get("/collections/{cid}/documents", responses=error_responses(403, 404))
    def list_documents(cid: str, request: Request) -> dict[str, Any]:
        coll = web_state(request).collections.get(cid)
        return {"collection": coll.summary(), "documents": coll.documents()}

    @router.post(
        "/collections/{cid}/documents",
        status_code=202,
        responses=error_responses(400, 403, 404, 409, 413),
    )
    async def upload(cid: str, request: Request) -> dict[str, Any]:
        return await _upload(cid, request)

    @router.delete("/collections/{cid}/documents/{name}", responses=error_responses(400, 403, 404))
    async def delete_document(cid: str, name: str, request: Request) -> dict[str, Any]:
        coll = web_state(request).collections.get(cid)
        coll.uploads_dir  # noqa: B018  (refuses read-only indexes before queueing)
        removed = await asyncio.wrap_future(coll.submit(lambda: coll.delete_document(name)))
        return {"removed": removed}

    @router.get("/jobs/{job_id}", responses=error_responses(403, 404))
    def job_status(job_id: str, request: Request) -> dict[str, Any]:
        job = web_state(request).jobs.get(job_id)
        if job is None:
            raise ApiError(
                404, f"no indexing job {job_id!r} (jobs are kept in memory)", "not_found_error"
            )
        return job.snapshot()

    @router.get(
        "/jobs/{job_id}/events",
        response_class=StreamingResponse,
        responses={**sse_response("`progress` events"), **error_responses(403, 404)},
    )
    async def job_events(job_id: str, request: Request) -> StreamingResponse:
        """The job's progress as server-sent `progress` events, one per change, ending
        when it is done or failed (the page polls /jobs/{id}; scripts may prefer this)."""
        job = web_state(request).jobs.get(job_id)
        if job is None:
            raise ApiError(
                404, f"no indexing job {job_id!r} (jobs are kept in memory)", "not_found_error"
            )

        async def stream() -> AsyncIterator[str]:
            last: dict[str, Any] = {}
            while True:
                snap = job.snapshot()
                moved = {k: v for k, v in snap.items() if k != "seconds"}
                if moved != last:
                    last = moved
                    yield sse("progress", json.dumps(snap))
                if snap["state"] in ("done", "failed"):
                    return
                await asyncio.sleep(JOB_EVENT_INTERVAL)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @router.post(
        "/collections/{cid}/ask",
        response_class=StreamingResponse,
        responses={
            **sse_response("`waiting`, `sources`, `text`, then `done` or `error` events"),
            **error_responses(400, 403, 404, 409, 413, 503),
        },
    )
    async def ask(cid: str, body: Question, request: Request) -> StreamingResponse:
        state = web_state(request)
        events = state.models.ask(state.collections.get(cid), body.question)

        async def stream() -> AsyncIterator[str]:
            async for event in events:
                if isinstance(event, Waiting):
                    yield sse("waiting", json.dumps({"ahead": event.ahead}))
                elif isinstance(event, Sources):
                    data: dict[str, Any] = {"sources": [citation_json(c) for c in event.items]}
                    yield sse("sources", json.dumps(data))
                elif isinstance(event, Piece):
                    yield sse("text", json.dumps({"text": event.text}))
                elif isinstance(event, Done):
                    answer = event.answer
                    done = {
                        "text": answer.text,
                        "citations": [citation_json(c) for c in answer.citations],
                        "sources": [citation_json(c) for c in answer.sources],
                    }
                    yield sse("done", json.dumps(done))
                elif isinstance(event, Failed):
                    yield sse("error", json.dumps({"message": event.message}))

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get(
        "/collections/{cid}/chunks/{chunk_id}/page", responses=error_responses(400, 403, 404)
    )
    async def page(
        cid: str,
        request: Request,
        # Bounded: SQLite ids are 64-bit, and a schema reader compares in floats.
        chunk_id: Annotated[int, FastPath(ge=0, le=2**52)],
        page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    ) -> dict[str, Any]:
        coll = web_state(request).collections.get(cid)

        def view(kb: KnowledgeBase) -> dict[str, Any]:
            chunk = kb.chunk(chunk_id)
            if chunk is None:
                raise ApiError(
                    404,
                    f"no passage {chunk_id} in collection {cid}; it may have been deleted or "
                    "re-indexed since the answer",
                    "not_found_error",
                )
            return page_view(kb, chunk, page).as_json()

        # Under the read lock throughout: page_text reads the index as well as the file.
        return await run_in_threadpool(coll.read, view)

    return router


async def _upload(cid: str, request: Request) -> dict[str, Any]:
    state = web_state(request)
    coll = state.collections.get(cid)
    staging_root = ensure_real_dir(coll.staging_dir, state.config.data_dir)
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=10)
    except MultiPartException as exc:
        raise ApiError(400, f"upload is not a valid multipart form: {exc.message}") from None
    except ClientDisconnect:
        raise ApiError(400, "the upload was interrupted") from None
    try:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise ApiError(
                400,
                "no files in the upload; send them as multipart form field 'files'",
                param="files",
            )
        names: list[str] = []
        for f in files:
            name = safe_name(f.filename or "")
            if name in names:
                raise ApiError(400, f"{name} appears twice in one upload", param="files")
            check_type(name, await f.read(8192), state.config.allowed_types)
            await f.seek(0)
            names.append(name)
        held = len(await run_in_threadpool(coll.documents))
        limit_files = state.config.max_documents
        if held + len(names) > limit_files:
            raise ApiError(
                409,
                f"collection {cid} holds {held} files; {len(names)} more would pass its limit "
                f"of {limit_files} (server.max_documents); delete some first",
                param="files",
                code="document_limit",
            )
        job = IndexJob(cid, names)
        folder = staging_root / job.id
        limit = state.config.max_upload_bytes

        def stage_all() -> list[Path]:
            return [stage(f.file, folder, n, limit) for f, n in zip(files, names, strict=True)]

        try:
            staged = await run_in_threadpool(stage_all)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    finally:
        await form.close()
    state.jobs.add(job)
    root = state.config.data_dir
    try:
        coll.submit(lambda: coll.index_uploads(job, staged, root))
    except RuntimeError:  # the collection was deleted while the upload arrived
        shutil.rmtree(folder, ignore_errors=True)
        raise ApiError(409, f"collection {cid} was deleted during the upload") from None
    return {"job": job.snapshot()}
