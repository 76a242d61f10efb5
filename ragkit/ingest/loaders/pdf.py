"""Load a PDF as one `Document` with one `Page` per PDF page, numbered from 1.

What it does: extracts each page's text layer with pypdf, reads pages without one
(scans) by OCR when it is installed (ragkit.ingest.loaders.ocr), opens PDFs "encrypted" with
an empty user password, and turns pypdf's failures into `LoaderError`s that say what
to do (decrypt, OCR, or re-export the file). Pages without text stay in the document
as empty pages so page numbers keep matching the PDF. What it leaves out: OCR of
scanned pages, layout analysis (columns, tables), images, annotations and forms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.text import normalize_newlines
from ragkit.types import Document, Page

if TYPE_CHECKING:
    from pypdf import PdfReader

    from ragkit.ingest.loaders import LoaderOptions

_ENCRYPTED = "PDF is encrypted with a password; decrypt it first (for example with qpdf --decrypt)"
_NO_TEXT = "PDF has no text layer (scanned images?); run OCR on it first (for example ocrmypdf)"


def load_pdf(
    path: Path,
    options: LoaderOptions | None = None,
    on_page: Callable[[int, int], None] | None = None,
    sha256: str | None = None,
) -> Document:
    """Read a PDF's text layer into a `Document` with one numbered `Page` per page;
    refuse one with more than `options.max_pdf_pages` pages. Pages read by OCR are
    reported to `on_page(done, total)` one by one (total: the pages without text);
    `sha256` (the file's, when the caller has hashed it) keys the OCR cache."""
    from pypdf import PdfReader

    from ragkit.ingest.loaders import LoaderOptions

    opts = options or LoaderOptions()
    max_pages = opts.max_pdf_pages
    from pypdf.errors import DependencyError, FileNotDecryptedError

    with _quiet_pypdf():
        try:
            reader = PdfReader(path)
        except OSError:
            raise  # load_file reports I/O errors as such, not as a broken PDF
        except Exception as exc:  # pypdf raises many types for broken files
            raise LoaderError(path, f"not a readable PDF ({_short(exc)})") from exc

        if reader.is_encrypted:
            # Many PDFs are encrypted only to set permissions, with an empty user password.
            try:
                decrypted = bool(reader.decrypt(""))
            except DependencyError as exc:
                raise LoaderError(
                    path, f"PDF uses encryption pypdf cannot open here ({_short(exc)})"
                ) from exc
            except Exception as exc:
                raise LoaderError(path, f"not a readable PDF ({_short(exc)})") from exc
            if not decrypted:
                raise LoaderError(path, _ENCRYPTED)

        try:
            count = len(reader.pages)
            if count > max_pages:
                raise LoaderError(
                    path,
                    f"PDF has {count} pages, over the limit of {max_pages}; split it or "
                    "raise RAGKIT_LOADER__MAX_PDF_PAGES",
                )
            pdf_pages = list(reader.pages)
        except LoaderError:
            raise
        except FileNotDecryptedError as exc:
            raise LoaderError(path, _ENCRYPTED) from exc
        except Exception as exc:
            raise LoaderError(path, f"not a readable PDF ({_short(exc)})") from exc
        if not pdf_pages:
            raise LoaderError(path, "PDF has no pages")

        pages: list[Page] = []
        unreadable: list[str] = []
        for number, pdf_page in enumerate(pdf_pages, start=1):
            try:
                raw = pdf_page.extract_text() or ""
            except Exception:
                # One damaged content stream should not cost the other pages; the page
                # stays, empty, and is listed in the metadata.
                raw = ""
                unreadable.append(str(number))
            pages.append(Page(number=number, text=_clean(raw)))

        title = _metadata_title(reader)

    blank = [
        p.number
        for p in pages
        if p.number is not None and not p.text.strip() and str(p.number) not in unreadable
    ]
    scanned: list[str] = []
    if blank and opts.ocr:
        from ragkit.ingest.loaders.ocr import ocr_available, ocr_pdf_pages, page_text

        if ocr_available():
            try:
                cache = Path(opts.ocr_cache) if opts.ocr_cache else None
                read = ocr_pdf_pages(path, blank, on_page, cache, sha256)
            except Exception as exc:  # PDFium or the OCR model failed on a damaged page
                raise LoaderError(path, f"OCR of its scanned pages failed ({_short(exc)})") from exc
            pages = [
                Page(number=p.number, text=_clean(page_text(read[p.number])))
                if p.number in read
                else p
                for p in pages
            ]
            scanned = [str(n) for n in blank if read.get(n)]

    if not any(p.text.strip() for p in pages):
        if unreadable:
            raise LoaderError(path, "not a readable PDF (no page's text could be extracted)")
        if not opts.ocr:
            raise LoaderError(path, _NO_TEXT + " (OCR is off: loader.ocr)")
        from ragkit.ingest.loaders.ocr import INSTALL_HINT, ocr_available

        if not ocr_available():
            raise LoaderError(path, f"{_NO_TEXT}, or install ragkit's OCR: {INSTALL_HINT}")
        raise LoaderError(path, "PDF has no text layer and OCR found no text on its pages")

    source = str(path.resolve())
    metadata = {"unreadable_pages": ",".join(unreadable)} if unreadable else {}
    if scanned:
        metadata["ocr_pages"] = ",".join(scanned)
    return Document(
        source=source,
        key=source,
        pages=tuple(pages),
        title=title or path.stem,
        file_type="pdf",
        metadata=metadata,
    )


def _clean(text: str) -> str:
    # NULs turn up in text from broken font encodings and upset downstream tokenizers.
    return normalize_newlines(text).replace("\x00", "").strip()


def _metadata_title(reader: PdfReader) -> str:
    try:
        info = reader.metadata
        title = info.title if info is not None else None
    except Exception:
        # A broken /Info dictionary is not worth failing the file for.
        return ""
    return " ".join(str(title).split()) if title else ""


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Hide pypdf's warnings about recoverable damage while one file is read.

    Only touches the logger when nobody configured it (level NOTSET), and puts it back
    afterwards, so a user who set a level to debug pypdf still sees everything.
    """
    logger = logging.getLogger("pypdf")
    if logger.level != logging.NOTSET:
        yield
        return
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(logging.NOTSET)
