"""Load an HTML file (.html, .htm) as one `Document` of its visible text.

What it does: decodes the bytes (BOM, UTF-8, the page's declared charset, GB18030),
parses them with BeautifulSoup and lxml, drops what a reader never sees (scripts,
styles, templates, the <head>), and keeps paragraph breaks: block elements become
separate paragraphs, list items and table rows separate lines, runs of blank lines
collapse to one. The title is <title>, else the first <h1>, else the file name.
The text is collected in one pass over the tree with an explicit stack, so the cost
is linear in the page's size however deep its elements nest; nesting deeper than
`html_max_depth` fails the file (no page a person reads nests that deep). A page that
declares a Latin single-byte charset but whose bytes are valid UTF-8, or GB18030
that reads as Chinese, is decoded as what the bytes are: a wrong declaration is
common, mojibake in the index is useless.
The page's blocks (headings, paragraphs, list items, table rows and cells, quotes,
preformatted text) are found in the text by their words, whitespace ignored, and
recorded as character ranges of it for a viewer that shows it formatted; text in no
block found that way becomes paragraphs.
What it leaves out: fetching anything (links, frames, stylesheets are never followed),
CSS-hidden content detection, inline emphasis in the recorded blocks, and preserving
whitespace inside <pre>.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.text import decode_text
from ragkit.types import Block, Document, Page

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

    from ragkit.ingest.loaders import LoaderOptions

# Elements whose content is never shown as text.
_DROPPED = frozenset(("script", "style", "noscript", "template", "head", "svg", "iframe", "object"))

# Elements that start a new paragraph.
_PARAGRAPH_TAGS = frozenset((
    "p", "div", "section", "article", "main", "aside", "header", "footer", "nav",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl",
    "figure", "figcaption", "form", "fieldset", "address", "details", "summary", "hr",
))  # fmt: skip

# Elements that start a new line but not a new paragraph.
_LINE_TAGS = frozenset(("li", "tr", "dt", "dd", "caption", "option"))
_CELL_TAGS = frozenset(("td", "th"))

# Declared charsets that any byte string decodes under, so a wrong declaration never
# shows as an error: the bytes are checked for what they more likely are.
_LATIN_SINGLE_BYTE = frozenset(("cp1252", "latin-1", "iso8859-15", "iso8859-2", "cp1250"))
# Share of the non-ASCII characters that must be CJK for GB18030 to win over Latin.
_CJK_SHARE = 0.9

# Looked for only in the first bytes, where the HTML spec requires the declaration.
_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
_CHARSET_SNIFF_BYTES = 4096
_SUPERSETS = MappingProxyType(
    {"gb2312": "gb18030", "gbk": "gb18030", "iso8859-1": "cp1252", "ascii": "cp1252"}
)


def load_html(path: Path, options: LoaderOptions | None = None) -> Document:
    """Read an HTML file's visible text into one page-less `Document`."""
    from ragkit.ingest.loaders import LoaderOptions

    max_depth = (options or LoaderOptions()).html_max_depth
    text = _decode_html(path, path.read_bytes())
    soup = _parse(text)

    title = _title(soup)
    body = _tidy(_visible_text(path, soup, max_depth))
    if not body:
        raise LoaderError(path, "no text (the page holds only markup)")

    source = str(path.resolve())
    return Document(
        source=source,
        key=source,
        pages=(Page(None, body, html_blocks(soup, body)),),
        title=title or path.stem,
        file_type="html",
    )


def _decode_html(path: Path, data: bytes) -> str:
    # A page that declares a charset other than UTF-8 (say windows-1252) is decoded as
    # declared; without a declaration the plain-text rules apply (UTF-8, then GB18030).
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        match = _CHARSET_RE.search(data[:_CHARSET_SNIFF_BYTES])
        if match:
            declared = match.group(1).decode("ascii").lower()
            try:
                codec = codecs.lookup(declared).name
            except LookupError:
                codec = ""
            # Browsers read these labels as their supersets, and so do pages in the wild.
            codec = _SUPERSETS.get(codec, codec)
            if codec in _LATIN_SINGLE_BYTE and not data.isascii():
                sniffed = _sniff_multibyte(data)
                if sniffed is not None:
                    return decode_text(path, sniffed.encode("utf-8"))
            if codec and codec not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
                try:
                    return decode_text(path, data.decode(codec).encode("utf-8"))
                except UnicodeDecodeError:
                    pass  # the declaration lies; fall back to the plain-text rules
    return decode_text(path, data)


def _sniff_multibyte(data: bytes) -> str | None:
    """`data` decoded as UTF-8, or as GB18030 when that reads as Chinese; None when the
    bytes look like the single-byte text they were declared to be."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if not ch.isascii()]
    cjk = sum(1 for ch in wide if _is_cjk(ch))
    return text if wide and cjk >= _CJK_SHARE * len(wide) else None


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF  # unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x2000 <= code <= 0x206F  # general punctuation (“”…—)
    )


def _visible_text(path: Path, soup: BeautifulSoup, max_depth: int) -> str:
    """The page's shown text with "\n\n" around blocks, "\n" after line elements and
    " | " after table cells, in one pass: every node is pushed and popped once."""
    from bs4.element import CData, NavigableString, Tag

    out: list[str] = []
    # Items: (node, depth) to visit, or a str to emit when an element closes.
    stack: list[tuple[object, int] | str] = [(soup, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, depth = item
        if isinstance(node, Tag):
            name = node.name
            if name in _DROPPED:
                continue
            if name == "br":
                out.append("\n")
                continue
            if depth > max_depth:
                raise LoaderError(
                    path,
                    f"elements nest more than {max_depth} levels deep (a hostile page?); "
                    "raise RAGKIT_LOADER__HTML_MAX_DEPTH if it is trusted",
                )
            if name in _PARAGRAPH_TAGS:
                out.append("\n\n")
                stack.append("\n\n")
            elif name in _LINE_TAGS:
                # Only after: a break before as well would leave a blank line between
                # siblings.
                stack.append("\n")
            elif name in _CELL_TAGS:
                stack.append(" | ")
            stack.extend((child, depth + 1) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            # Comments, doctypes and processing instructions are strings too, but never
            # shown; this matches what get_text() collects.
            out.append(str(node))
    return "".join(out)


def _parse(text: str) -> BeautifulSoup:
    from bs4 import BeautifulSoup, FeatureNotFound

    # lxml's HTML parser refuses a str that still carries an XML encoding declaration.
    if text.lstrip().startswith("<?xml"):
        end = text.find("?>")
        if end != -1:
            text = text[end + 2 :]
    try:
        return BeautifulSoup(text, "lxml")
    except FeatureNotFound:
        # lxml is a declared dependency, but the stdlib parser is a fine fallback.
        return BeautifulSoup(text, "html.parser")


def _title(soup: BeautifulSoup) -> str:
    for name in ("title", "h1"):
        tag = soup.find(name)
        if tag is not None:
            title = " ".join(tag.get_text(" ").split())
            if title:
                return title
    return ""


def _tidy(text: str) -> str:
    """Collapse whitespace within lines and runs of blank lines to a single one."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        # Table cells end with " | "; the last one on a row leaves a dangling bar.
        line = line.removesuffix(" |").removesuffix("|").rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


# How far past the last block found the next one's words are looked for: a block whose
# words are not there (a cell that ended in "|", trimmed by _tidy) is given up, so a
# page costs time linear in its length.
_ALIGN_SLACK = 256

_LIST_TAGS = frozenset(("ul", "ol"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))


def html_blocks(soup: BeautifulSoup, body: str) -> tuple[Block, ...]:
    """The blocks of the page as character ranges of `body` (its tidied text)."""
    segments = _segments(soup)
    keep = [i for i, ch in enumerate(body) if not ch.isspace()]
    squeezed = "".join(body[i] for i in keep)
    cursor = 0
    found: list[tuple[int, str, int, int, int, int]] = []  # (id, kind, level, row, start, end)
    for ident, kind, level, row, text in segments:
        target = "".join(text.split())
        at = squeezed.find(target, cursor, cursor + len(target) + _ALIGN_SLACK)
        if at < 0:
            continue
        start, end = keep[at], keep[at + len(target) - 1] + 1
        cursor = at + len(target)
        if found and found[-1][0] == ident:  # the same element, split by a nested block
            found[-1] = (*found[-1][:5], end)
        else:
            found.append((ident, kind, level, row, start, end))
    blocks: list[Block] = []
    rows: dict[int, int] = {}  # row id -> index of its "row" block
    header: dict[int, bool] = {}
    covered = 0
    for _, kind, level, row, start, end in found:
        blocks.extend(_gap_paragraphs(body, covered, start))
        covered = end
        if kind == "cell":
            if row not in rows:
                rows[row] = len(blocks)
                blocks.append(Block("row", start, end))
            first = blocks[rows[row]]
            blocks[rows[row]] = Block("row", first.start, end)
            header[row] = header.get(row, True) and level == 1
            blocks.append(Block("cell", start, end))
        else:
            blocks.append(Block(kind, start, end, level))
    blocks.extend(_gap_paragraphs(body, covered, len(body)))
    for row, index in rows.items():
        b = blocks[index]
        blocks[index] = Block("row", b.start, b.end, 1 if header[row] else 0)
    return tuple(blocks)


def _gap_paragraphs(body: str, start: int, end: int) -> list[Block]:
    """Text between blocks found (none found for it) as paragraphs, by blank lines."""
    out: list[Block] = []
    at = start
    for part in body[start:end].split("\n\n"):
        words = part.strip(" |\n")
        if words:
            lead = at + part.index(words)
            out.append(Block("paragraph", lead, lead + len(words)))
        at += len(part) + 2
    return out


def _segments(soup: BeautifulSoup) -> list[tuple[int, str, int, int, str]]:
    """The page's text in order as (element id, kind, level, row id, text) runs, each
    the text of one block element up to where a nested block begins or it ends."""
    from bs4.element import CData, NavigableString, Tag

    out: list[tuple[int, str, int, int, str]] = []
    parts: list[str] = []
    # Enclosing blocks, innermost last: (element id, kind, level, row id).
    context: list[tuple[int, str, int, int]] = [(0, "paragraph", 0, -1)]
    lists: list[str] = []
    counter = [0, 0]  # element ids, row ids

    def flush() -> None:
        if any(not ch.isspace() for ch in parts_text()):
            ident, kind, level, row = context[-1]
            out.append((ident, kind, level, row, parts_text()))
        parts.clear()

    def parts_text() -> str:
        return "".join(parts)

    # Items: a node to visit, or ("exit", list?) when a block element closes.
    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            flush()
            context.pop()
            if node[1]:
                lists.pop()
            continue
        if isinstance(node, Tag):
            name = node.name
            if name in _DROPPED:
                continue
            if name == "br":
                parts.append("\n")
                continue
            block = _block_context(name, context[-1], lists, counter)
            if block is not None:
                flush()
                context.append(block)
                stack.append(("exit", name in _LIST_TAGS))
                if name in _LIST_TAGS:
                    lists.append(name)
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            parts.append(str(node))
    flush()
    return out


def _block_context(
    name: str, outer: tuple[int, str, int, int], lists: list[str], counter: list[int]
) -> tuple[int, str, int, int] | None:
    """The block an element starts: (id, kind, level, row id); None for inline ones."""
    counter[0] += 1
    ident = counter[0]
    if name in _HEADINGS:
        return ident, "heading", int(name[1]), -1
    if name == "li":
        ordered = bool(lists) and lists[-1] == "ol"
        return ident, "number" if ordered else "bullet", max(1, len(lists)), -1
    if name == "tr":
        counter[1] += 1
        return ident, "paragraph", 0, counter[1]
    if name in _CELL_TAGS:
        return ident, "cell", 1 if name == "th" else 0, outer[3]
    if name == "pre":
        return ident, "code", 0, -1
    if name == "blockquote":
        return ident, "quote", 0, -1
    if name in _PARAGRAPH_TAGS or name in _LINE_TAGS or name in _LIST_TAGS:
        # A paragraph inside a list item, cell or quote is part of it.
        if outer[1] != "paragraph" and name not in _LIST_TAGS and name != "table":
            return outer
        return ident, "paragraph", 0, -1
    return None
