"""`WebState`: everything one app instance holds, kept on `app.state.web`.

Leaves out construction order and shutdown hooks, which live in `apps.web.app`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from apps.web.answers import ModelQueue
from apps.web.collections import Collections
from apps.web.config import WebConfig
from apps.web.jobs import JobBoard


@dataclass
class WebState:
    config: WebConfig
    collections: Collections
    jobs: JobBoard
    models: ModelQueue

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
