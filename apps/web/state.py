"""`WebState`: everything one app instance holds, kept on `app.state.web`.

Leaves out construction order and shutdown hooks, which live in `apps.web.app`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fastapi import Request

from apps.web.answers import ModelQueue
from apps.web.collections import Collections
from apps.web.config import WebConfig
from apps.web.jobs import JobBoard
from ragkit import Embedder


@dataclass
class WebState:
    config: WebConfig
    collections: Collections
    jobs: JobBoard
    models: ModelQueue
    embedder: Embedder | None = None
    """The server's embedding model, offered at /v1/embeddings (None: each collection's)."""
    started: float = field(default_factory=time.time)

    def close(self) -> None:
        self.models.close()
        self.collections.close()


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def sse(event: str | None, data: str) -> str:
    """One server-sent event; `data` must not contain newlines (JSON text does not)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n"
