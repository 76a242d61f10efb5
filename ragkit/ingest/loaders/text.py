"""Load plain text and Markdown files (.txt, .md, .markdown) as one `Document`.

What it does: decodes the bytes (UTF-8 with or without BOM, UTF-16 with BOM, else
GB18030, which also covers GBK and GB2312), refuses files that look binary, normalizes
newlines to "\\n", and takes the title from the first Markdown "# " heading (outside
fenced code) or the file name. What it leaves out: rendering Markdown (the text keeps
its markup), front matter parsing, and guessing other legacy encodings (Latin-1,
Shift-JIS, ...): those files are refused with a hint to re-save them as UTF-8.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ragkit.errors import LoaderError
from ragkit.types import Document, Page

# How much of the start of a file the binary sniffing looks at.
_SNIFF_BYTES = 8192

# Share of control bytes above which a NUL-free file is still called binary. Real text
# holds almost none besides tab, newline, carriage return and form feed.
_MAX_CONTROL_SHARE = 0.10

# ASCII control bytes that do not occur in text (tab, LF, VT, FF, CR and ESC, used by
# coloured logs, are allowed).
_CONTROL_BYTES = frozenset([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def load_text(path: Path) -> Document:
    """Read a .txt or Markdown file into one page-less `Document`."""
    text = decode_text(path, path.read_bytes())
    if not text.strip():
        raise LoaderError(path, "no text (the file holds only whitespace)")
    suffix = path.suffix.lower()
    is_markdown = suffix in (".md", ".markdown")
    title = (markdown_title(text) if is_markdown else "") or path.stem
    source = str(path.resolve())
    return Document(
        source=source,
        key=source,
        pages=(Page(number=None, text=text),),
        title=title,
        file_type="md" if is_markdown else "txt",
    )


def decode_text(path: Path, data: bytes) -> str:
    """Decode `data` read from `path` to text with "\\n" newlines, or raise `LoaderError`.

    Tries, in order: a UTF-8 BOM, a UTF-16 BOM, strict UTF-8, strict GB18030. Strict
    decoding matters: a lenient decoder would index mojibake without complaint.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = _decode_or_none(data, "utf-8-sig")
        if text is None:
            raise LoaderError(path, "starts with a UTF-8 BOM but is not valid UTF-8")
    elif data.startswith(_UTF16_BOMS):
        # UTF-16 is full of NUL bytes, so it is sniffed for binary after decoding.
        text = _decode_or_none(data, "utf-16")
        if text is None:
            raise LoaderError(path, "starts with a UTF-16 BOM but is not valid UTF-16")
        if _control_share(text[:_SNIFF_BYTES]) > _MAX_CONTROL_SHARE:
            raise LoaderError(path, "looks like a binary file, not text")
    else:
        sample = data[:_SNIFF_BYTES]
        if b"\x00" in sample or _control_share(sample) > _MAX_CONTROL_SHARE:
            raise LoaderError(path, "looks like a binary file, not text")
        text = _decode_or_none(data, "utf-8")
        if text is None:
            text = _decode_or_none(data, "gb18030")
        if text is None:
            raise LoaderError(path, "not UTF-8 or GB18030 text; re-save it as UTF-8")
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    """Turn Windows ("\\r\\n") and old Mac ("\\r") line ends into "\\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def markdown_title(text: str) -> str:
    """The text of the first level-1 ATX heading ("# Title"), or "" when there is none.

    Lines inside fenced code blocks are skipped, since "# comment" is common there.
    """
    fence = ""
    for raw in text.split("\n"):
        line = raw.lstrip(" ")
        # Up to three spaces of indentation still make a heading or fence; four make an
        # indented code block.
        if len(raw) - len(line) > 3:
            continue
        if fence:
            if line.startswith(fence):
                fence = ""
            continue
        if line.startswith(("```", "~~~")):
            fence = line[:3]
            continue
        if line.startswith("# ") or line.rstrip() == "#":
            # A closing sequence ("# Title #") is not part of the heading's text.
            title = line[1:].strip().rstrip("#").strip()
            if title:
                return title
    return ""


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _control_share(sample: bytes | str) -> float:
    if not sample:
        return 0.0
    if isinstance(sample, str):
        count = sum(1 for ch in sample if ord(ch) in _CONTROL_BYTES)
    else:
        count = sum(1 for b in sample if b in _CONTROL_BYTES)
    return count / len(sample)
