"""The document Q&A web app and OpenAI-compatible server behind `ragkit serve`.

`create_app(WebConfig, open_kb)` builds a FastAPI app whose state (collections, jobs, the
model queue) lives on the app object; `serve` runs it under uvicorn. The page itself is
plain HTML and one vanilla JS file in `static/`. Leaves out TLS, user accounts and
rendering PDF pages as images (the page view shows the cited page's extracted text).
"""

from __future__ import annotations

from ragkit.apps.web.app import create_app
from ragkit.apps.web.config import KbFactory, WebConfig

__all__ = ["KbFactory", "WebConfig", "create_app"]
