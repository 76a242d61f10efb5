"""Fixtures for the web app's tests: an app over the fake models, PDFs made with fpdf2,
and a real uvicorn server on 127.0.0.1 in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from ceilings import HANG_S
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pdfs import make_pdf

from ragkit import (
    ChunkerParams,
    Embedder,
    HashingEmbedder,
    KnowledgeBase,
    Message,
    ScriptedChatModel,
)
from ragkit.apps.web import WebConfig, create_app
from ragkit.options import IndexOptions, Models

KEY = "test-key-123"
LOCAL = "http://127.0.0.1"  # the Host a browser on this machine sends


def cite_first_source(messages: Sequence[Message]) -> str:
    """A scripted reply that repeats the text of source [1] from the prompt and cites it,
    so tests see which passage the model was given."""
    user = messages[-1].content
    start = user.find("[1]")
    if start < 0:
        return "The documents do not say."
    body = user[start + len("[1]") :].split("\n")[0]  # source [1] is one line
    return f"According to the documents, {' '.join(body.split()[:14])} [1]."


def fake_factory(
    model: ScriptedChatModel, embedder: Embedder | None = None, chunk_size: int = 120
) -> Callable[[Path], KnowledgeBase]:
    """Opens a collection's knowledge base with `model` and `embedder` (the hashing fake
    when None), in passages of `chunk_size` characters."""
    embedder = embedder or HashingEmbedder()
    # Small chunks by default, so each page of the test PDFs is a passage of its own.
    chunker = ChunkerParams(chunk_size=chunk_size, chunk_overlap=0)
    return lambda path: KnowledgeBase.open(
        path,
        models=Models(embedder=embedder, chat_model=model),
        index=IndexOptions(chunker=chunker),
    )


HANDBOOK_PAGES = (
    "Welcome to the Ember handbook. This guide covers brewing kettles and their care.",
    "Warranty terms. The Ember brewing kettle carries a warranty of seven years from the "
    "date of purchase.",
    "Cleaning. Descale the kettle every month with citric acid and rinse it twice.",
)


@pytest.fixture
def chat_model() -> ScriptedChatModel:
    return ScriptedChatModel([cite_first_source])


@pytest.fixture
def make_app(tmp_path: Path, chat_model: ScriptedChatModel) -> Callable[..., FastAPI]:
    def build(**options: object) -> FastAPI:
        config = WebConfig(data_dir=tmp_path / "data", **options)  # type: ignore[arg-type]
        return create_app(config, fake_factory(chat_model))

    return build


@pytest.fixture
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(make_app(), base_url=LOCAL) as c:
        yield c


@pytest.fixture
def handbook(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "handbook.pdf", HANDBOOK_PAGES)


def wait_job(
    client: TestClient | httpx.Client, job_id: str, timeout: float = HANG_S
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """uvicorn serving `app` on 127.0.0.1 from a thread; `url` once it accepts requests."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + HANG_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=HANG_S)


@pytest.fixture
def live_server(make_app: Callable[..., FastAPI]) -> Iterator[ThreadServer]:
    with ThreadServer(make_app()) as server:
        yield server
