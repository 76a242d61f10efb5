"""Load an HTML file (.html, .htm) as one `Document` of its visible text.

What it does: decodes the bytes (BOM, UTF-8, the page's declared charset, GB18030),
parses them with BeautifulSoup and lxml, drops what a reader never sees (scripts,
styles, templates, the <head>), and keeps paragraph breaks: block elements become
separate paragraphs, list items and table rows separate lines, runs of blank lines
collapse to one. The title is <title>, else the first <h1>, else the file name.
What it leaves out: fetching anything (links, frames, stylesheets are never followed),
CSS-hidden content detection, and preserving whitespace inside <pre>.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from ragkit.errors import LoaderError
from ragkit.loaders.text import decode_text
from ragkit.types import Document, Page

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

# Elements whose content is never shown as text.
_DROPPED = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")

# Elements that start a new paragraph.
_PARAGRAPH_TAGS = (
    "p", "div", "section", "article", "main", "aside", "header", "footer", "nav",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl",
    "figure", "figcaption", "form", "fieldset", "address", "details", "summary", "hr",
)  # fmt: skip

# Elements that start a new line but not a new paragraph.
_LINE_TAGS = ("li", "tr", "dt", "dd", "caption", "option")

# Looked for only in the first bytes, where the HTML spec requires the declaration.
_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
_CHARSET_SNIFF_BYTES = 4096
_SUPERSETS = MappingProxyType(
    {"gb2312": "gb18030", "gbk": "gb18030", "iso8859-1": "cp1252", "ascii": "cp1252"}
)


def load_html(path: Path) -> Document:
    """Read an HTML file's visible text into one page-less `Document`."""
    text = _decode_html(path, path.read_bytes())
    soup = _parse(text)

    title = _title(soup)
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    # Markers around blocks; get_text then joins everything and _tidy turns the markers
    # into line and paragraph breaks.
    for tag in soup.find_all(_PARAGRAPH_TAGS):
        tag.insert_before("\n\n")
        tag.append("\n\n")
    for tag in soup.find_all(_LINE_TAGS):
        # Only after: a break before as well would leave a blank line between siblings.
        tag.append("\n")
    for tag in soup.find_all(("td", "th")):
        tag.append(" | ")
    body = _tidy(soup.get_text())
    if not body:
        raise LoaderError(path, "no text (the page holds only markup)")

    source = str(path.resolve())
    return Document(
        source=source,
        key=source,
        pages=(Page(number=None, text=body),),
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
            if codec and codec not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
                try:
                    return decode_text(path, data.decode(codec).encode("utf-8"))
                except UnicodeDecodeError:
                    pass  # the declaration lies; fall back to the plain-text rules
    return decode_text(path, data)


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
