"""Load a Word .docx file as one `Document` of its body text.

What it does: reads paragraphs and tables in document order with python-docx. Each
paragraph (headings included) is one line; each table row is one line with its cells
joined by " | ". The title is the core property "title", else the first Title or
Heading paragraph, else the file name. The page records its blocks (headings with
their level, list items by style or numbering, paragraphs, table rows and cells) as
character ranges of the text, for a viewer that shows it formatted. What it leaves
out: old binary .doc files, bold and italic runs, headers and footers, footnotes,
comments, text boxes and tracked-change history.

Limits (`LoaderOptions`): before python-docx inflates anything, the zip's directory is
checked: the declared unpacked total, each part's compression ratio (a zip bomb packs
gigabytes of repeated bytes into kilobytes) and each XML part's size; after parsing,
the paragraph count. Python's zipfile never inflates a part past its declared size, so
lying about sizes yields a damaged-file error, not a bomb.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.text import normalize_newlines
from ragkit.types import Block, Document, Page

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table

    from ragkit.ingest.loaders import LoaderOptions

_NOT_DOCX = "not a readable Word .docx file"

# Parts smaller than this may compress as well as they like (empty XML skeletons do).
_RATIO_FLOOR = 1024 * 1024


def load_docx(path: Path, options: LoaderOptions | None = None) -> Document:
    """Read a .docx file's paragraphs and tables into one page-less `Document`."""
    import docx

    from ragkit.ingest.loaders import LoaderOptions

    opts = options or LoaderOptions()
    _check_zip(path, opts)
    try:
        word = docx.Document(str(path))
    except OSError:
        raise  # load_file reports I/O errors as such
    except Exception as exc:
        # Not a zip (BadZipFile), a zip without a Word part (PackageNotFoundError,
        # KeyError), broken XML: all mean the same thing to the user.
        hint = "; if it is an old .doc file, re-save it as .docx" if _is_ole(path) else ""
        raise LoaderError(path, f"{_NOT_DOCX}{hint}") from exc

    try:
        paragraphs = sum(1 for _ in word.element.body.iter(_W_P))
    except Exception as exc:  # a main part that is not a w:document with a w:body
        raise LoaderError(path, f"{_NOT_DOCX} (damaged content)") from exc
    if paragraphs > opts.max_paragraphs:
        raise LoaderError(
            path,
            f"document has {paragraphs} paragraphs, over the limit of {opts.max_paragraphs}; "
            "split it or raise RAGKIT_LOADER__MAX_PARAGRAPHS",
        )
    lines: list[str] = []
    blocks: list[Block] = []
    heading = ""
    at = 0  # where the next line starts in the joined text
    try:
        for kind, level, text, cells in _blocks(word):
            if not text:
                continue
            if kind == "row":
                blocks.append(Block("row", at, at + len(text), level))
                cell_at = at
                for cell in cells:
                    blocks.append(Block("cell", cell_at, cell_at + len(cell)))
                    cell_at += len(cell) + len(_CELL_JOIN)
            else:
                blocks.append(Block(kind, at, at + len(text), level))
            lines.append(text)
            at += len(text) + 1
            if kind == "heading" and not heading:
                heading = text
        core_title = (word.core_properties.title or "").strip()
    except Exception as exc:
        raise LoaderError(path, f"{_NOT_DOCX} (damaged content)") from exc

    joined = "\n".join(lines)
    body = joined.strip()
    if not body:
        raise LoaderError(path, "no text (the document has no paragraphs or tables with text)")
    # Only a table row starting with an empty cell has space to strip, at the very start.
    lead = len(joined) - len(joined.lstrip())
    shown = tuple(
        Block(b.kind, max(0, b.start - lead), min(len(body), b.end - lead), b.level) for b in blocks
    )

    source = str(path.resolve())
    return Document(
        source=source,
        key=source,
        pages=(Page(None, body, shown),),
        title=" ".join(core_title.split()) or heading or path.stem,
        file_type="docx",
    )


def _blocks(word: DocxDocument) -> Iterator[tuple[str, int, str, list[str]]]:
    """Yield (kind, level, text, cells) for the body, in order: kind "heading" (level
    1-9), "bullet" or "number" (level: the list depth from 1), "paragraph", or "row"
    (one per table row with text; level 1 for the first row, cells its cell texts)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = word.element.body
    # Style names by style id: python-docx looks each one up in the styles part, which
    # costs a search per paragraph otherwise.
    names: dict[str | None, str] = {}
    for child in body.iterchildren():
        # Body children are w:p, w:tbl and a few others (w:sectPr, bookmarks) to skip.
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, word)
            text = _clean(para.text)
            style_id = child.style
            if style_id not in names:
                names[style_id] = (para.style.name or "") if para.style is not None else ""
            style = names[style_id] or ""
            kind, level = _paragraph_kind(child, style)
            yield kind, level, text, []
        elif tag == "tbl":
            for i, cells in enumerate(_table_rows(Table(child, word))):
                yield "row", 1 if i == 0 else 0, _CELL_JOIN.join(cells), cells


def _paragraph_kind(element: Any, style: str) -> tuple[str, int]:
    """A paragraph's block kind and level from its style name ("Heading 2", "Title",
    "List Bullet 2", "List Number") or its numbering properties (w:numPr)."""
    if style.startswith(("Heading", "Title")):
        digits = style.rsplit(" ", 1)[-1]
        return "heading", int(digits) if digits.isdigit() else 1
    ppr = element.pPr
    numbering = ppr.numPr if ppr is not None else None
    if style.startswith("List") or numbering is not None:
        digits = style.rsplit(" ", 1)[-1]
        level = int(digits) if digits.isdigit() else 1
        if numbering is not None and numbering.ilvl is not None:
            level = int(numbering.ilvl.val) + 1
        return ("number" if "Number" in style else "bullet"), level
    return "paragraph", 0


_CELL_JOIN = " | "
_W_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"


def _check_zip(path: Path, opts: LoaderOptions) -> None:
    """Refuse a .docx whose zip directory promises more than the limits allow."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except OSError:
        raise  # load_file reports I/O errors as such
    except Exception as exc:  # BadZipFile, or a directory too broken to list
        hint = "; if it is an old .doc file, re-save it as .docx" if _is_ole(path) else ""
        raise LoaderError(path, f"{_NOT_DOCX}{hint}") from exc
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > opts.docx_max_ratio:
            raise LoaderError(
                path,
                f"part {info.filename} inflates {ratio:.0f} times (limit "
                f"{opts.docx_max_ratio}; a zip bomb?); raise RAGKIT_LOADER__DOCX_MAX_RATIO "
                "if it is trusted",
            )
        if info.filename.endswith((".xml", ".rels")) and info.file_size > opts.max_xml_bytes:
            raise LoaderError(
                path,
                f"part {info.filename} is {info.file_size} bytes of XML, over the limit of "
                f"{opts.max_xml_bytes}; split the document or raise "
                "RAGKIT_LOADER__MAX_XML_BYTES",
            )
    total = sum(i.file_size for i in infos)
    if total > opts.docx_max_uncompressed_bytes:
        raise LoaderError(
            path,
            f"unpacks to {total} bytes, over the limit of {opts.docx_max_uncompressed_bytes} "
            "(a zip bomb?); raise RAGKIT_LOADER__DOCX_MAX_UNCOMPRESSED_BYTES if it is trusted",
        )


def _table_rows(table: Table) -> Iterator[list[str]]:
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
            yield cells


def _clean(text: str) -> str:
    return normalize_newlines(text).strip()


def _is_ole(path: Path) -> bool:
    # Old Word .doc files are OLE2 compound files with this signature.
    try:
        with path.open("rb") as fh:
            return fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    except OSError:
        return False
