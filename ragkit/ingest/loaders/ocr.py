"""OCR for scanned PDF pages (pages without a text layer), with RapidOCR's ONNX models
that ship inside its pip wheel (`pip install 'ragkit[ocr]'`, rapidocr-onnxruntime): text
detection and a Chinese/English recogniser, nothing downloaded at run time; English
words the recogniser runs together are split again with wordninja's word list.

A page is drawn by PDFium at `SCALE` (144 dpi), read, and its text lines are put in
reading order (top to bottom, left to right within a line); the page text is the lines
joined by line breaks, and each line keeps its box (fractions of the page, top-left
origin) so a viewer can light a sentence on the scan. The same page always reads the
same, so the text found again for a page view matches the indexed chunks.
`ocr_pdf_page_cached` keeps a page's lines as JSON by file hash and page; the loader
writes them there while indexing when given a cache folder (`LoaderOptions.ocr_cache`),
so reading a scan again for a citation, and a viewer's boxes, cost no second OCR.
Leaves out layout analysis (columns, tables), handwriting and languages beyond the
bundled recogniser; a page with both a text layer and scanned parts keeps only its text
layer.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from ragkit.errors import RagkitError
from ragkit.ingest.digest import sha256_file

Box = tuple[float, float, float, float]
"""left, top, right, bottom as fractions of the page (top-left origin)."""
Line = tuple[str, Box]
Reading = tuple[float, int, list[Box], list[Line]]
"""One reading of a page: confidence-weighted characters, characters, boxes, lines."""

SCALE = 2.0  # 144 dpi: small print stays legible, and a page reads in a few seconds
INSTALL_HINT = "pip install 'ragkit[ocr]'"


class OcrUnavailableError(RagkitError):
    """RapidOCR is not installed."""


def ocr_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


class PageReader:
    """Reads page images with RapidOCR; the engine loads on first use. Not shared
    between threads (onnxruntime sessions are, but RapidOCR's pre-processing is not)."""

    def __init__(self) -> None:
        self._engine: Any = None

    def _load(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise OcrUnavailableError(
                    f"scanned pages need OCR, which is not installed; run: {INSTALL_HINT}"
                ) from exc
            # Two threads: the machines this runs on are small and shared.
            self._engine = RapidOCR(intra_op_num_threads=2, inter_op_num_threads=1)
        return self._engine

    def read(self, image: Any) -> list[Line]:
        """The text lines of `image` (an RGB numpy array) in reading order; a page
        scanned sideways or upside down is read turned upright, its boxes given on the
        page as it is drawn."""
        import numpy as np

        if image.size == 0 or image.min() == image.max():
            # One colour all over (a blank page): no text to find. Reading it would cost
            # two readings (a page that reads nothing is read again upside down) and the
            # engine's load, to find the nothing this finds at once.
            return []
        # Most scans are upright: read as is, and turn only a page that reads badly.
        best = self._read_turned(image, 0)
        if not _reads_upright(best):
            # Lines standing on end: the page lies on its side; else it may be upside down.
            sideways = _tall_share(best[2]) > 0.5
            for turns in (1, 3) if sideways else (2,):
                candidate = self._read_turned(np.rot90(image, turns), turns)
                if candidate[0] > best[0]:
                    best = candidate
        return best[3]

    def _read_turned(self, image: Any, turns: int) -> Reading:
        """Read `image` (the page turned `turns` quarter turns anticlockwise): the
        confidence-weighted character count, the characters read, the boxes as found
        (on the turned image), and the lines in reading order with their boxes on the
        page as drawn."""
        import numpy as np

        height, width = image.shape[:2]
        # The direction classifier is left off: whole pages are turned instead, which
        # also puts the lines of a page on its side in reading order.
        found, _ = self._load()(np.ascontiguousarray(image), use_cls=False)
        lines: list[Line] = []
        boxes: list[Box] = []
        score, chars = 0.0, 0
        for quad, text, confidence in found or []:
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            box = (min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height)
            boxes.append(box)
            if str(text).strip():
                lines.append((respace(str(text).strip()), box))
                score += float(confidence) * len(str(text).strip())
                chars += len(str(text).strip())
        ordered = reading_order(lines)
        return score, chars, boxes, [(text, unturn(box, turns)) for text, box in ordered]


# A page reads upright when its lines are wide, not tall, and read with this mean
# confidence (upside-down or sideways text reads as low-confidence fragments).
UPRIGHT_CONFIDENCE = 0.85


def _tall_share(boxes: list[Box]) -> float:
    """The share of boxes taller than wide (in page fractions of an A4-like page the
    comparison is rough, which is enough to tell a page on its side)."""
    if not boxes:
        return 0.0
    return sum(1 for b in boxes if (b[3] - b[1]) > 1.5 * (b[2] - b[0])) / len(boxes)


def _reads_upright(reading: Reading) -> bool:
    score, chars, boxes, _ = reading
    return chars > 0 and _tall_share(boxes) <= 0.5 and score / chars >= UPRIGHT_CONFIDENCE


def unturn(box: Box, turns: int) -> Box:
    """`box` on an image turned `turns` quarter turns anticlockwise (numpy's rot90),
    as a box on the image before turning (all in fractions, top-left origin)."""
    left, top, right, bottom = box
    for _ in range(turns % 4):
        # One anticlockwise quarter turn maps (x, y) to (y, 1 - x); undo it.
        left, top, right, bottom = 1 - bottom, left, 1 - top, right
    return left, top, right, bottom


_LATIN_RUN = re.compile(r"[A-Za-z]+")
_GLUED = re.compile(r"(?<=[.,;:!?])(?=[A-Za-z])|(?<=[0-9])(?=[A-Za-z])|(?<=[A-Za-z])(?=[0-9])")


def respace(line: str) -> str:
    """`line` with the spaces between English words put back. The bundled recogniser
    (trained mostly on Chinese) reads "the date of" as "thedateof"; runs of letters
    that are not an English word are split at the likeliest word boundaries (wordninja's
    word frequencies), and a space follows punctuation before a letter. Without
    wordninja installed the line is kept as read."""
    if not _LATIN_RUN.search(line):
        return line
    try:
        import wordninja
    except ImportError:
        return line
    known = wordninja.DEFAULT_LANGUAGE_MODEL._wordcost

    def split(match: re.Match[str]) -> str:
        word = match.group()
        if len(word) < 4 or word.lower() in known:
            return word
        return " ".join(wordninja.split(word))

    return _GLUED.sub(" ", _LATIN_RUN.sub(split, line))


def reading_order(lines: list[Line]) -> list[Line]:
    """`lines` sorted top to bottom; boxes whose vertical centres lie within half a line
    height of each other form one row, read left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: (item[1][1] + item[1][3]) / 2):
        centre = (line[1][1] + line[1][3]) / 2
        height = line[1][3] - line[1][1]
        if rows:
            last = rows[-1][0][1]
            if abs((last[1] + last[3]) / 2 - centre) < max(height, last[3] - last[1]) / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item[1][0])]


def ocr_pdf_page(path: Path, page: int, reader: PageReader | None = None) -> list[Line]:
    """The text lines of page `page` (1-based) of the PDF at `path`, read by OCR."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        p = pdf[page - 1]
        image = p.render(scale=SCALE).to_numpy()
        p.close()
    finally:
        pdf.close()
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    # PDFium draws BGR(A); the detector was trained on RGB images.
    return (reader or PageReader()).read(image[:, :, ::-1].copy())


def ocr_pdf_pages(
    path: Path,
    pages: list[int],
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    sha256: str | None = None,
) -> dict[int, list[Line]]:
    """OCR of several pages of one PDF with one engine; `progress(done, total)` after
    each page. With `cache_dir`, pages read before are taken from it and new ones kept
    there (`ocr_pdf_page_cached`), by the file's `sha256` (hashed here when the caller
    has not already)."""
    reader = PageReader()
    if cache_dir is not None and sha256 is None:
        sha256 = sha256_file(path)
    out: dict[int, list[Line]] = {}
    for done, page in enumerate(pages, start=1):
        if cache_dir is None:
            out[page] = ocr_pdf_page(path, page, reader)
        else:
            assert sha256 is not None
            out[page] = ocr_pdf_page_cached(path, sha256, page, cache_dir, nullcontext(), reader)
        if progress is not None:
            progress(done, len(pages))
    return out


def page_text(lines: list[Line]) -> str:
    return "\n".join(text for text, _ in lines)


def ocr_pdf_page_cached(
    path: Path,
    sha256: str,
    page: int,
    cache_dir: Path,
    lock: AbstractContextManager[Any],
    reader: PageReader | None = None,
) -> list[Line]:
    """`ocr_pdf_page`, kept as JSON under `cache_dir` by the file's hash and the page;
    the page is read holding `lock` (PDFium is not thread-safe)."""
    if not ocr_available():
        raise OcrUnavailableError(f"OCR is not installed; run: {INSTALL_HINT}")
    cached = cache_dir / sha256[:32] / f"{page}.json"
    try:
        raw = json.loads(cached.read_text(encoding="utf-8"))
        return [(str(t), (float(b[0]), float(b[1]), float(b[2]), float(b[3]))) for t, b in raw]
    except (OSError, ValueError, TypeError, IndexError):
        pass
    with lock:
        lines = ocr_pdf_page(path, page, reader)
    # Written whole, then renamed, so a reader never sees half a page; the server and
    # the loader's worker process may write the same page at once.
    tmp = cached.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps([[t, list(b)] for t, b in lines]), encoding="utf-8")
        os.replace(tmp, cached)
    except OSError:  # a cache that cannot be written costs a second OCR later, no more
        tmp.unlink(missing_ok=True)
    return lines
