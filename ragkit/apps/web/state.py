"""`WebState`: everything one app instance holds, kept on `app.state.web`.

Leaves out construction order and shutdown hooks, which live in `ragkit.apps.web.app`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from ragkit import Embedder
from ragkit.apps.web.answers import ModelQueue
from ragkit.apps.web.collections import Collections
from ragkit.apps.web.config import WebConfig
from ragkit.apps.web.jobs import JobBoard
from ragkit.apps.web.pdfpages import Box, PdfPages


@dataclass
class WebState:
    config: WebConfig
    collections: Collections
    jobs: JobBoard
    models: ModelQueue
    pdf: PdfPages
    embedder: Embedder | None = None
    """The server's embedding model, offered at /v1/embeddings (None: each collection's)."""
    started: float = field(default_factory=time.time)

    def ocr_boxes(self, path: Path, sha256: str, page: int, passage: str) -> list[Box]:
        """Boxes of `passage` on a scanned page, from its OCR'd lines (cached)."""
        from ragkit.apps.web.pdfpages import line_boxes
        from ragkit.ingest.loaders.ocr import OcrUnavailableError, ocr_pdf_page_cached

        try:
            lines = ocr_pdf_page_cached(
                path, sha256, page, self.config.data_dir / "ocr-cache", self.pdf.lock
            )
        except OcrUnavailableError:
            return []
        return line_boxes([(t, b) for t, b in lines], passage)

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
