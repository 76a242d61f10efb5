"""PDFs made for tests and benchmarks: text PDFs drawn with fpdf2, one string a page, and
scans of them (pages saved as images only, no text layer, as a scanner would make them).

Leaves out reading PDFs back: that is ragkit's loaders, which these files are made to test.
fpdf2 and pypdfium2 are imported inside the functions, so importing this module costs
nothing for tests that never draw a PDF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def make_pdf(
    path: Path,
    pages: Sequence[str],
    *,
    font: str | Path | None = None,
    size: int = 11,
    line_height: float = 6,
    page_mm: tuple[float, float] | None = None,
) -> Path:
    """A text PDF at `path`, one page per string, in Helvetica or in the TrueType `font`
    (a CJK font for Chinese pages; Helvetica has no glyphs for them), on A4 pages or
    pages of `page_mm` (width, height in millimetres)."""
    from fpdf import FPDF

    pdf = FPDF() if page_mm is None else FPDF(format=page_mm)
    if font is not None:
        pdf.add_font("custom", fname=str(font))
        pdf.set_font("custom", size=size)
    else:
        pdf.set_font("helvetica", size=size)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, line_height, text)
    pdf.output(str(path))
    return path


def scan(text_pdf: Path, out: Path, scale: float = 2.0) -> Path:
    """`text_pdf` drawn page by page and saved at `out` as a PDF of images only (no text
    layer), as a scanner would make it."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(text_pdf)
    images = [pdf[i].render(scale=scale).to_pil().convert("RGB") for i in range(len(pdf))]
    pdf.close()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=72 * scale)
    return out
