"""The page's JSON API under /api: collections, uploads, indexing jobs, questions and the
cited page's text.

Uploads are checked (names, types, size) and staged in the request, then handed to the
collection's writer thread, which returns at once with a job to poll (or to follow as
server-sent `progress` events). Questions stream back as server-sent events: `waiting`
(while queued), `sources`, then `text` pieces, then `done` (the answer with its
citations) or `error`. Leaves out the OpenAI-compatible routes (ragkit.apps.web.openai_api).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect

from ragkit import Answer, KnowledgeBase
from ragkit.apps.left_out import left_out_note
from ragkit.apps.web.answers import citation_json
from ragkit.apps.web.collections import Collection
from ragkit.apps.web.errors import HAS_TEXT, ApiError, error_responses, sse_response
from ragkit.apps.web.jobs import IndexJob
from ragkit.apps.web.pages import cited_sentences, page_view
from ragkit.apps.web.pdfpages import snap_width
from ragkit.apps.web.state import sse, web_state
from ragkit.apps.web.uploads import check_type, ensure_real_dir, refusal, safe_name, stage
from ragkit.events import Done, Event, Failed, Sources, Status, Text, Waiting
from ragkit.types import StoredChunk

MAX_FILES = 50
JOB_EVENT_INTERVAL = 0.1  # seconds between looks at a job's progress


class NewCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=4000, pattern=HAS_TEXT)
    conversation: str | None = Field(default=None, max_length=64)


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

    @router.get("/collections/{cid}/documents/{name}/chunks", responses=error_responses(403, 404))
    def document_chunks(cid: str, name: str, request: Request) -> dict[str, Any]:
        """The passages of one document, in order, with their pages."""
        coll = web_state(request).collections.get(cid)
        chunks = coll.chunks_of(name)
        return {"name": name, "chunks": chunks}

    @router.get("/collections/{cid}/conversations", responses=error_responses(403, 404))
    def list_conversations(cid: str, request: Request) -> dict[str, Any]:
        coll = web_state(request).collections.get(cid)
        return {"conversations": coll.conversations.list()}

    @router.get("/collections/{cid}/conversations/{conv}", responses=error_responses(403, 404))
    def get_conversation(cid: str, conv: str, request: Request) -> dict[str, Any]:
        return web_state(request).collections.get(cid).conversations.turns(conv)

    @router.delete("/collections/{cid}/conversations/{conv}", responses=error_responses(403, 404))
    def delete_conversation(cid: str, conv: str, request: Request) -> dict[str, Any]:
        web_state(request).collections.get(cid).conversations.delete(conv)
        return {"deleted": conv}

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
            **sse_response(
                "`conversation`, `status`, `waiting`, `sources`, `text`, then `done` or "
                "`error` events"
            ),
            **error_responses(400, 403, 404, 409, 413, 503),
        },
    )
    async def ask(cid: str, body: Question, request: Request) -> StreamingResponse:
        return _ask(request, cid, body)

    @router.get(
        "/collections/{cid}/chunks/{chunk_id}/page", responses=error_responses(400, 403, 404)
    )
    async def page(
        cid: str,
        request: Request,
        # Bounded: SQLite ids are 64-bit, and a schema reader compares in floats.
        chunk_id: Annotated[int, FastPath(ge=0, le=2**52)],
        page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        sentence: Annotated[str, Query(max_length=2000)] = "",
    ) -> dict[str, Any]:
        """The page of a passage as text, with the sentence (or the passage) marked; for
        a PDF also the URL of the page's picture and the boxes to light on it."""
        state = web_state(request)
        coll = state.collections.get(cid)
        sentence = sentence[:2000]

        def view(kb: KnowledgeBase) -> dict[str, Any]:
            chunk = _chunk(kb, cid, chunk_id)
            shown = page_view(kb, chunk, page, sentence)
            out = shown.as_json()
            out["image"] = None
            out["boxes"] = []
            out["chunk_id"] = chunk_id
            number = shown.page
            pdf = _pdf_file(kb, chunk) if shown.exact and number is not None else None
            if pdf is not None and number is not None:
                path, sha = pdf
                boxes, has_text = state.pdf.boxes(path, number, shown.lit)
                if not has_text:
                    boxes = state.ocr_boxes(path, sha, number, shown.lit)
                out["image"] = f"/api/collections/{cid}/chunks/{chunk_id}/pages/{number}/image"
                out["boxes"] = [list(b) for b in boxes]
                info = state.pdf.info(path, number)
                out["aspect"] = round(info.height / info.width, 5)
            return out

        # Under the read lock throughout: page_text reads the index as well as the file.
        return await run_in_threadpool(coll.read, view)

    @router.get(
        "/collections/{cid}/chunks/{chunk_id}/pages/{page}/image",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}}, "description": "the page as PNG"},
            **error_responses(400, 403, 404),
        },
    )
    async def page_image(
        cid: str,
        request: Request,
        chunk_id: Annotated[int, FastPath(ge=0, le=2**52)],
        page: Annotated[int, FastPath(ge=1, le=1_000_000)],
        width: Annotated[int, Query(ge=1, le=10_000)] = 800,
    ) -> Response:
        """Page `page` of the PDF holding a passage, as PNG about `width` pixels wide."""
        state = web_state(request)
        coll = state.collections.get(cid)

        def draw(kb: KnowledgeBase) -> bytes:
            chunk = _chunk(kb, cid, chunk_id)
            pdf = _pdf_file(kb, chunk)
            if pdf is None:
                raise ApiError(
                    404,
                    f"{Path(chunk.source).name} has no page pictures (not a PDF, or changed "
                    "since it was indexed)",
                    "not_found_error",
                )
            pages = state.pdf.info(pdf[0], 1).pages
            if not 1 <= page <= pages:
                # A page that is not there does not exist, as for the page's text (404).
                raise ApiError(
                    404,
                    f"{Path(chunk.source).name} has no page {page}; it has {pages} pages",
                    "not_found_error",
                    "page",
                )
            return state.pdf.render(pdf[0], pdf[1], page, width)

        png = await run_in_threadpool(coll.read, draw)
        return Response(
            png,
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=3600", "X-Width": str(snap_width(width))},
        )

    return router


def _chunk(kb: KnowledgeBase, cid: str, chunk_id: int) -> StoredChunk:
    chunk = kb.chunk(chunk_id)
    if chunk is None:
        raise ApiError(
            404,
            f"no passage {chunk_id} in collection {cid}; it may have been deleted or "
            "re-indexed since the answer",
            "not_found_error",
        )
    return chunk


def _pdf_file(kb: KnowledgeBase, chunk: StoredChunk) -> tuple[Path, str] | None:
    """The PDF file holding `chunk` and its hash, when it still reads as indexed."""
    if Path(chunk.source).suffix.lower() != ".pdf":
        return None
    if kb.page_text(chunk.source, 1, key=chunk.doc_key) is None:  # gone or changed
        return None
    reader = kb.reader()
    state = reader.store.file_state(str(Path(chunk.source).resolve()), reader.generation)
    return None if state is None else (Path(state.source), state.sha256)


def _ask(request: Request, cid: str, body: Question) -> StreamingResponse:
    """Answer `body.question` in its conversation (a new one when none is named), as
    server-sent events: `conversation`, `status` (at once, then at each stage),
    `waiting`, `sources`, `text` pieces, then `done` or `error`. The turn is stored when
    the answer ends, and also when the client stops it (with what was written)."""
    state = web_state(request)
    coll = state.collections.get(cid)
    question = body.question
    if not question.strip():
        raise ApiError(
            400, "the question is empty; ask something about the documents", param="question"
        )
    talk = coll.conversations
    if body.conversation:
        talk.require(body.conversation)
        conversation = body.conversation
        history = talk.history(conversation)
    else:
        conversation, history = "", []
    finished: dict[str, dict[str, Any]] = {}

    def on_end(text: str, answer: Answer | None) -> None:
        data = _turn_json(coll, text, answer, state_name="done" if answer else "stopped")
        finished["done"] = data
        if conversation:
            talk.record(conversation, question, data["text"], data)

    if not conversation:
        conversation = talk.create(question)
    stop = threading.Event()
    try:
        events = state.models.ask(
            coll, question, history=history, evidence=True, on_end=on_end, stop=stop
        )
    except BaseException:
        if not body.conversation:
            talk.delete(conversation)
        raise

    async def watch() -> None:
        # The server would only notice a closed connection when it next writes to it,
        # which may be seconds away while the model reads its prompt; the request's
        # receive channel says so as soon as it happens (its body was read already).
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                stop.set()
                return

    async def stream() -> AsyncIterator[str]:
        watcher = asyncio.create_task(watch())
        try:
            yield sse(
                "conversation", json.dumps({"id": conversation, "new": not body.conversation})
            )
            # Shown at once, before the question's turn on the model comes.
            yield sse("status", json.dumps({"stage": "queued"}))
            async for sent in _events(coll, events, finished):
                yield sent
        finally:
            stop.set()
            watcher.cancel()
            with contextlib.suppress(RuntimeError):  # already closed by the cancellation
                await events.aclose()  # type: ignore[attr-defined]

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    coll: Collection, events: AsyncIterator[Event], finished: dict[str, dict[str, Any]]
) -> AsyncIterator[str]:
    """The question's events as server-sent events."""
    async for event in events:
        if isinstance(event, Waiting):
            yield sse("waiting", json.dumps({"ahead": event.ahead}))
        elif isinstance(event, Status):
            yield sse("status", json.dumps({"stage": event.text}))
        elif isinstance(event, Sources):
            data: dict[str, Any] = {"sources": [citation_json(c) for c in event.items]}
            yield sse("sources", json.dumps(data))
        elif isinstance(event, Text):
            yield sse("text", json.dumps({"text": event.text}))
        elif isinstance(event, Done):
            yield sse(
                "done", json.dumps(finished.get("done") or _turn_json(coll, "", event.answer))
            )
        elif isinstance(event, Failed):
            yield sse("error", json.dumps({"message": event.message}))


def _turn_json(
    coll: Collection, text: str, answer: Answer | None, state_name: str = "done"
) -> dict[str, Any]:
    """One answer as the page shows and stores it: text, sources, and for each cited
    source its supporting sentence and that sentence's page."""
    if answer is None:
        return {"text": text, "citations": [], "sources": [], "state": state_name}
    try:
        found = coll.read(lambda kb: cited_sentences(kb, answer))
    except Exception:  # the sentence is a refinement; the answer stands without it
        found = {}
    sources = []
    for c in answer.sources:
        item = citation_json(c)
        if c.number in found:
            item["sentence"], item["page"] = found[c.number]
        sources.append(item)
    cited = {c.number for c in answer.citations}
    return {
        "text": answer.text,
        "citations": [s for s in sources if s["number"] in cited],
        "sources": sources,
        "state": state_name,
        "not_found": answer.not_found,
        # What the checks withheld of the model's answer, said under it as `ragkit ask`
        # says it ("" for nothing).
        "left_out": left_out_note(answer),
    }


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
        refused: list[ApiError] = []
        for f in files:
            name = safe_name(f.filename or "")
            if name in names:
                raise ApiError(400, f"{name} appears twice in one upload", param="files")
            try:
                check_type(name, await f.read(8192), state.config.allowed_types)
            except ApiError as exc:
                refused.append(exc)  # each bad file is named, not only the first
            await f.seek(0)
            names.append(name)
        if refused:
            raise refusal(refused, len(files))
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
