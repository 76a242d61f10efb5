"""PDF pages as the PDF shows them: a PNG of one page at the viewer's width, and the
boxes of the characters of one passage on it, so the page viewer can light exactly the
cited sentence.

Rendering and the character boxes come from PDFium (pypdfium2). The passage is found
in PDFium's own text of the page, not by offsets into the indexed text: the index reads
PDFs with pypdf, whose spacing and line breaks differ from PDFium's, so both texts are
compared with every space and line break removed (and, failing an exact match, by the
longest run of matching characters, difflib). A page without a text layer (a scan)
takes its boxes from OCR instead (ragkit.ingest.loaders.ocr), line by line. PNGs are cached on
disk by file hash, page and width; widths are rounded up to a step so the cache stays
small. PDFium is not thread-safe: every call holds the renderer's lock. A page with a
/Rotate entry is drawn turned, as a PDF reader shows it, while PDFium gives character
boxes in the page's own (unturned) space: boxes are mapped through PDFium's page-to-device
transform, the one rendering uses, so they land on the turned page's glyphs.
Leaves out annotations and forms.
"""

from __future__ import annotations

import difflib
import io
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WIDTH_STEP = 200
MAX_WIDTH = 2000
MIN_WIDTH = 200
# A fuzzy match must cover this share of the passage's characters to be lit at all.
MIN_COVER = 0.6

Box = tuple[float, float, float, float]
"""left, top, right, bottom as fractions of the page's width and height (top-left origin)."""


@dataclass(frozen=True)
class PageInfo:
    pages: int
    width: float
    height: float


def snap_width(width: int) -> int:
    """`width` rounded up to the cache's step, within bounds."""
    width = max(MIN_WIDTH, min(MAX_WIDTH, width))
    return -(-width // WIDTH_STEP) * WIDTH_STEP


def squeeze(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace and control characters, and for each kept character its
    index in `text`."""
    kept: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or ord(ch) < 32 or ch in "\ufffe\u00ad":
            continue
        kept.append(ch.casefold() if len(ch.casefold()) == 1 else ch)
        where.append(i)
    return "".join(kept), where


def find_span(haystack: str, needle: str) -> tuple[int, int] | None:
    """Where `needle` lies in `haystack` (as [start, end) of `haystack`), ignoring
    whitespace and case; failing that, the stretch from the first to the last matching
    block when they cover most of the needle. None when it is not there."""
    hay, hay_at = squeeze(haystack)
    pin, _ = squeeze(needle)
    if not pin or not hay:
        return None
    at = hay.find(pin)
    if at >= 0:
        return hay_at[at], hay_at[at + len(pin) - 1] + 1
    matcher = difflib.SequenceMatcher(None, hay, pin, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= 3]
    if not blocks or sum(b.size for b in blocks) < MIN_COVER * len(pin):
        return None
    first, last = blocks[0], blocks[-1]
    # Blocks far apart are chance matches spread over the page, not the passage.
    if (last.a + last.size - first.a) > 1.5 * len(pin):
        return None
    return hay_at[first.a], hay_at[last.a + last.size - 1] + 1


class PdfPages:
    """Renders pages and finds passages' boxes; one per app (it holds a lock and a cache)."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.lock = threading.Lock()

    @contextmanager
    def _page(self, path: Path, page: int) -> Iterator[tuple[Any, Any]]:
        """The PDF at `path` and its page `page` (1-based), under the lock: the page is
        closed when the block completes, the PDF however it ends."""
        import pypdfium2 as pdfium

        with self.lock:
            pdf = pdfium.PdfDocument(path)
            try:
                p = pdf[page - 1]
                yield pdf, p
                p.close()
            finally:
                pdf.close()

    def info(self, path: Path, page: int) -> PageInfo:
        with self._page(path, page) as (pdf, p):
            width, height = p.get_size()
            pages = len(pdf)
        return PageInfo(pages, width, height)

    def render(self, path: Path, sha256: str, page: int, width: int) -> bytes:
        """Page `page` (1-based) as PNG, `snap_width(width)` pixels wide."""
        width = snap_width(width)
        cached = self.cache_dir / sha256[:32] / f"{page}-{width}.png"
        try:
            return cached.read_bytes()
        except OSError:
            pass
        with self._page(path, page) as (_, p):
            scale = width / p.get_width()
            image = p.render(scale=scale, may_draw_forms=True).to_pil()
        buf = io.BytesIO()
        image.save(buf, "PNG", optimize=False)
        data = buf.getvalue()
        # Written whole, then renamed, so a reader never sees half a PNG.
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
        return data

    def text(self, path: Path, page: int) -> str:
        """PDFium's text of page `page` (empty for a page without a text layer)."""
        with self._page(path, page) as (_, p):
            tp = p.get_textpage()
            text = str(tp.get_text_range())
            tp.close()
        return text

    def boxes(self, path: Path, page: int, passage: str) -> tuple[list[Box], bool]:
        """The boxes of `passage`'s characters on page `page`, merged per line, and
        whether the page has a text layer at all."""
        with self._page(path, page) as (_, p):
            width, height = p.get_size()
            tp = p.get_textpage()
            count = tp.count_chars()
            text = str(tp.get_text_range(0, count)) if count > 0 else ""
            found: list[Box] = []
            span = find_span(text, passage) if text.strip() else None
            if span is not None:
                start, end = span
                for i in range(tp.count_rects(start, end - start)):
                    found.append(_on_page(p, tp.get_rect(i), width, height))
            tp.close()
        return found, bool(text.strip())


# Device pixels per point when mapping boxes: fine enough that rounding to whole device
# pixels (PDFium's transform answers in ints) moves a box by under a thousandth of a point.
_MAP_SCALE = 1000


def _on_page(
    page: Any, rect: tuple[float, float, float, float], width: float, height: float
) -> Box:
    """`rect` (left, bottom, right, top in the page's own PDF space) as a box on the page
    as drawn: through the page's /Rotate and crop box, as fractions of the drawn page
    (`width` x `height` points, PDFium's size of the turned page), top-left origin."""
    import ctypes

    import pypdfium2 as pdfium

    size_x, size_y = round(width * _MAP_SCALE), round(height * _MAP_SCALE)
    left, bottom, right, top = rect
    xs: list[float] = []
    ys: list[float] = []
    for x, y in ((left, bottom), (right, top), (left, top), (right, bottom)):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium.raw.FPDF_PageToDevice(
            page.raw, 0, 0, size_x, size_y, 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
        )
        xs.append(dx.value / size_x)
        ys.append(dy.value / size_y)

    def clip(v: float) -> float:
        return round(min(1.0, max(0.0, v)), 5)

    return clip(min(xs)), clip(min(ys)), clip(max(xs)), clip(max(ys))


def line_boxes(lines: Sequence[tuple[str, Box]], passage: str) -> list[Box]:
    """Boxes for `passage` over OCR'd `lines` (text and box each, in reading order): the
    lines it covers, each cut in proportion to the characters of it that are covered."""
    joined = ""
    owner: list[tuple[int, int]] = []  # (line, offset in line) per character of `joined`
    for n, (text, _) in enumerate(lines):
        for k in range(len(text)):
            owner.append((n, k))
        joined += text
        owner.append((n, len(text)))
        joined += "\n"
    span = find_span(joined, passage)
    if span is None:
        return []
    start, end = span
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in range(start, end):
        n, k = owner[i]
        first.setdefault(n, k)
        last[n] = k + 1
    out: list[Box] = []
    for n in sorted(first):
        text, (x0, y0, x1, y1) = lines[n]
        size = max(len(text), 1)
        a, b = first[n] / size, min(last[n], size) / size
        out.append((x0 + (x1 - x0) * a, y0, x0 + (x1 - x0) * b, y1))
    return out
