"""Load a Word .docx file as one `Document` of its body text.

What it does: reads paragraphs and tables in document order with python-docx. Each
paragraph (headings included) is one line; each table row is one line with its cells
joined by " | ". The title is the core property "title", else the first Title or
Heading paragraph, else the file name. What it leaves out: old binary .doc files,
headers and footers, footnotes, comments, text boxes and tracked-change history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.errors import LoaderError
from ragkit.loaders.text import normalize_newlines
from ragkit.types import Document, Page

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table

_NOT_DOCX = "not a readable Word .docx file"


def load_docx(path: Path) -> Document:
    """Read a .docx file's paragraphs and tables into one page-less `Document`."""
    import docx

    try:
        word = docx.Document(str(path))
    except OSError:
        raise  # load_file reports I/O errors as such
    except Exception as exc:
        # Not a zip (BadZipFile), a zip without a Word part (PackageNotFoundError,
        # KeyError), broken XML: all mean the same thing to the user.
        hint = "; if it is an old .doc file, re-save it as .docx" if _is_ole(path) else ""
        raise LoaderError(path, f"{_NOT_DOCX}{hint}") from exc

    lines: list[str] = []
    heading = ""
    try:
        for kind, text in _blocks(word):
            if not text:
                continue
            lines.append(text)
            if kind == "heading" and not heading:
                heading = text
        core_title = (word.core_properties.title or "").strip()
    except Exception as exc:
        raise LoaderError(path, f"{_NOT_DOCX} (damaged content)") from exc

    body = "\n".join(lines).strip()
    if not body:
        raise LoaderError(path, "no text (the document has no paragraphs or tables with text)")

    source = str(path.resolve())
    return Document(
        source=source,
        key=source,
        pages=(Page(number=None, text=body),),
        title=" ".join(core_title.split()) or heading or path.stem,
        file_type="docx",
    )


def _blocks(word: DocxDocument) -> Iterator[tuple[str, str]]:
    """Yield ("heading" | "paragraph" | "table", text) for the body, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = word.element.body
    for child in body.iterchildren():
        # Body children are w:p, w:tbl and a few others (w:sectPr, bookmarks) to skip.
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, word)
            text = _clean(para.text)
            style = para.style.name if para.style is not None else ""
            is_heading = (style or "").startswith(("Heading", "Title"))
            yield ("heading" if is_heading else "paragraph"), text
        elif tag == "tbl":
            yield "table", "\n".join(_table_rows(Table(child, word)))


def _table_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(_clean(cell.text).split("\n")).strip())
        if any(cells):
            yield " | ".join(cells)


def _clean(text: str) -> str:
    return normalize_newlines(text).strip()


def _is_ole(path: Path) -> bool:
    # Old Word .doc files are OLE2 compound files with this signature.
    try:
        with path.open("rb") as fh:
            return fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    except OSError:
        return False
