"""Load plain text and Markdown files (.txt, .md, .markdown) as one `Document`.

What it does: decodes the bytes (UTF-8 with or without BOM, UTF-16 with BOM, else
GB18030, which also covers GBK and GB2312), refuses files that look binary, normalizes
newlines to "\\n", and takes the title from the first Markdown "# " heading (outside
fenced code) or the file name. For Markdown it also records the blocks (headings,
paragraphs, list items, quotes, fenced code, pipe tables) as character ranges of the
text, so a viewer can show it formatted while offsets stay those of the indexed text;
for plain text the paragraphs, bulleted items and headings (a short line alone that
does not end like a sentence, over a paragraph: "4. Oxidation", "雾溪茶园简介").
What it leaves out: rendering Markdown (the indexed text keeps its markup; inline
markup is the viewer's), setext headings, indented code, HTML blocks, front matter
parsing, tables and numbered lists in plain text, a plain-text title as the document's
title, and guessing other legacy encodings (Latin-1, Shift-JIS, ...): those files
are refused with a hint to re-save them as UTF-8.
"""

from __future__ import annotations

import codecs
import itertools
import re
from pathlib import Path

from ragkit.errors import LoaderError
from ragkit.text.cjk import WIDE_CHARS
from ragkit.types import Block, Document, Page

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
        pages=(Page(None, text, markdown_blocks(text) if is_markdown else plain_blocks(text)),),
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


_HEADING = re.compile(r"(#{1,6})(?:[ \t]+|$)")
_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])[ \t]+")
_RULE = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*")
_TABLE_RULE = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_CELL_BAR = re.compile(r"(?<!\\)\|")


def markdown_blocks(text: str) -> tuple[Block, ...]:
    """The Markdown blocks of `text` as character ranges of it, markers left out: a
    heading's range is its words (no "#"), a list item's starts after its bullet, a
    table row holds one "cell" block per cell. Lines that are only markup (fences,
    rules, a table's dashes) belong to no block."""
    lines: list[tuple[int, str]] = []
    at = 0
    for line in text.split("\n"):
        lines.append((at, line))
        at += len(line) + 1
    blocks: list[Block] = []
    open_: list[int] = []  # [index in blocks] of the paragraph or item next lines extend
    fence = ""
    code: list[int] = []  # start and end of the open fence's content
    table = False
    skip = -1  # the rule line under a table's header
    for i, (at, line) in enumerate(lines):
        if i == skip:
            continue
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        content = stripped.rstrip()
        if fence:
            if indent <= 3 and stripped.startswith(fence):
                if code:
                    blocks.append(Block("code", code[0], code[1]))
                fence, code = "", []
            elif line.strip():
                code[:] = [code[0] if code else at, at + len(line.rstrip())]
            elif code:
                code[1] = at + len(line)
            continue
        if not content:
            open_.clear()
            table = False
            continue
        if indent <= 3 and stripped.startswith(("```", "~~~")):
            open_.clear()
            fence, code = stripped[:3], []
            continue
        if table and "|" in content:
            blocks.extend(_table_row(at, line, 0))
            continue
        table = False
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        if indent <= 3 and "|" in content and "-" in nxt and _TABLE_RULE.fullmatch(nxt.strip()):
            open_.clear()
            blocks.extend(_table_row(at, line, 1))
            table, skip = True, i + 1
            continue
        heading = _HEADING.match(stripped) if indent <= 3 else None
        if heading is not None:
            open_.clear()
            words = stripped[heading.end() :].rstrip()
            closing = re.search(r"(?:^|[ \t])#+$", words)
            if closing is not None:
                words = words[: closing.start()].rstrip()
            if words:
                start = at + indent + heading.end()
                blocks.append(Block("heading", start, start + len(words), len(heading.group(1))))
            continue
        if indent <= 3 and _RULE.fullmatch(content):
            open_.clear()
            continue
        item = _ITEM.match(stripped)
        if item is not None:
            kind = "bullet" if item.group(1) in "-*+" else "number"
            start = at + indent + item.end()
            blocks.append(Block(kind, start, at + len(content) + indent, 1 + indent // 2))
            open_[:] = [len(blocks) - 1]
            continue
        if indent <= 3 and stripped.startswith(">"):
            open_.clear()
            body = stripped[1:]
            body_start = at + indent + 1 + (len(body) - len(body.lstrip()))
            if body.strip():
                blocks.append(Block("quote", body_start, at + indent + len(content)))
            continue
        end = at + indent + len(content)
        if open_:  # a continuation line of the paragraph or list item above
            last = blocks[open_[0]]
            blocks[open_[0]] = Block(last.kind, last.start, end, last.level)
        else:
            blocks.append(Block("paragraph", at + indent, end))
            open_[:] = [len(blocks) - 1]
    if fence and code:  # a fence never closed runs to the end
        blocks.append(Block("code", code[0], code[1]))
    return tuple(blocks)


def _table_row(at: int, line: str, level: int) -> list[Block]:
    """A pipe-table line as a "row" block and its "cell" blocks (trimmed)."""
    bars = [m.start() for m in _CELL_BAR.finditer(line)]
    edges = [-1, *bars, len(line)]
    cells: list[Block] = []
    for left, right in itertools.pairwise(edges):
        raw = line[left + 1 : right]
        if not raw.strip():
            # The empty ends outside a leading or trailing bar are not cells.
            if left == -1 or right == len(line):
                continue
        lead = len(raw) - len(raw.lstrip())
        start = at + left + 1 + lead
        cells.append(Block("cell", start, start + len(raw.strip())))
    if not cells:
        return []
    return [Block("row", cells[0].start, cells[-1].end, level), *cells]


# A plain-text heading is at most this wide (a Chinese character counts twice: it is
# twice as wide), as the answer's evidence takes one (`ragkit.answer.evidence`).
PLAIN_HEADING_WIDTH = 60
_PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")
_SENTENCE_END = ".!?。！？；;…:：,，、"
_BULLET = re.compile(r"[ \t]*[-*+•][ \t]+")
_WIDE = re.compile(f"[{WIDE_CHARS}]")


def plain_blocks(text: str) -> tuple[Block, ...]:
    """The blocks of plain text `text` as character ranges of it: paragraphs (split at
    blank lines), bulleted items ("- ", "* ", "• ", from after the bullet; a line without
    one goes on the item above) and headings: a paragraph of one short line that does
    not end like a sentence, with more text after it ("4. Oxidation", "雾溪茶园简介"),
    level 1 for the file's first paragraph, else 2."""
    blocks: list[Block] = []
    for n, m in enumerate(_PARAGRAPH.finditer(text)):
        start, body = m.start(), m.group().rstrip()
        end = start + len(body)
        if _plain_heading(body) and text[end:].strip():
            blocks.append(Block("heading", start, end, 1 if n == 0 else 2))
            continue
        at = text.rfind("\n", 0, start) + 1  # the first line's indentation counts
        lines = text[at:end].split("\n")
        if not _BULLET.match(lines[0]):
            blocks.append(Block("paragraph", start, end))
            continue
        for line in lines:
            bullet = _BULLET.match(line)
            content = line.rstrip()
            if bullet is not None:
                blocks.append(Block("bullet", at + bullet.end(), at + len(content), 1))
            elif content.strip():
                last = blocks[-1]
                blocks[-1] = Block(last.kind, last.start, at + len(content), last.level)
            at += len(line) + 1
    return tuple(blocks)


def _plain_heading(body: str) -> bool:
    line = body.strip()
    if "\n" in line or line[-1] in _SENTENCE_END or _BULLET.match(line):
        return False
    return len(line) + len(_WIDE.findall(line)) <= PLAIN_HEADING_WIDTH
