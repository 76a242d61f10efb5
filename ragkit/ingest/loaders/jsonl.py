"""Load a JSON-lines file as one `Document` per non-empty line.

What it does: streams the file line by line (it can be hundreds of megabytes), reads
the text, title and id fields named in `LoaderOptions` (BEIR-style `_id`/`title`/`text`
by default) and keys each document `path#id`, falling back to the 1-based line number
when a line has no id. A bad line (invalid JSON, not an object, no text) is skipped and
its number recorded in the first document's metadata ("skipped_lines", the first 20,
and "skipped_count"); only when no line at all yields a document is the file failed.
What it leaves out: nested field paths, JSON arrays spanning lines, and de-duplicating
repeated ids.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.text import normalize_newlines
from ragkit.types import Document, Page

if TYPE_CHECKING:
    from ragkit.ingest.loaders import LoaderOptions

# How many skipped line numbers are listed in the metadata; the count has them all.
_MAX_LISTED_SKIPS = 20


@dataclasses.dataclass(frozen=True)
class _BadLine:
    number: int
    reason: str


def load_jsonl(path: Path, options: LoaderOptions) -> list[Document]:
    """Read a JSON-lines file into one `Document` per usable line."""
    source = str(path.resolve())
    docs: list[Document] = []
    bad: list[_BadLine] = []
    for parsed in _records(path, options):
        if isinstance(parsed, _BadLine):
            bad.append(parsed)
            continue
        doc_id, title, text = parsed
        page_text = f"{title}\n{text}" if title else text
        docs.append(
            Document(
                source=source,
                key=f"{source}#{doc_id}",
                pages=(Page(number=None, text=page_text),),
                title=title,
                file_type="jsonl",
                metadata={"id": doc_id},
            )
        )

    if not docs:
        if not bad:
            raise LoaderError(path, "no text (the file holds only blank lines)")
        first = bad[0]
        raise LoaderError(
            path,
            f"no line yielded a document (first bad line {first.number}: {first.reason}); "
            f"the text is read from field '{options.jsonl_text_field}': set "
            "RAGKIT_LOADER__JSONL_TEXT_FIELD if the file names it differently",
        )
    if bad:
        listed = ",".join(str(b.number) for b in bad[:_MAX_LISTED_SKIPS])
        metadata = {**docs[0].metadata, "skipped_lines": listed, "skipped_count": str(len(bad))}
        docs[0] = dataclasses.replace(docs[0], metadata=metadata)
    return docs


def _records(path: Path, options: LoaderOptions) -> Iterator[tuple[str, str, str] | _BadLine]:
    """Yield (id, title, text) for each usable line, or why the line is unusable."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM is not JSON
            if not raw.strip():
                continue
            yield _parse_line(number, raw, options)


def _parse_line(number: int, raw: bytes, options: LoaderOptions) -> tuple[str, str, str] | _BadLine:
    try:
        record = json.loads(raw)
    except RecursionError:
        return _BadLine(number, "nested too deeply to read")
    except UnicodeDecodeError:
        return _BadLine(number, "not UTF-8 text")
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return _BadLine(number, f"not valid JSON ({reason})")
    if not isinstance(record, dict):
        return _BadLine(number, f"not a JSON object but {type(record).__name__}")

    field = options.jsonl_text_field
    if field not in record:
        shown = ", ".join(list(record)[:10]) or "none"
        return _BadLine(number, f"missing field '{field}' (its fields: {shown})")
    text = record[field]
    if not isinstance(text, str):
        return _BadLine(number, f"field '{field}' is {type(text).__name__}, not a string")
    text = _valid(normalize_newlines(text)).strip()
    if not text:
        return _BadLine(number, f"field '{field}' is empty")

    title = record.get(options.jsonl_title_field)
    title = _valid(" ".join(title.split())) if isinstance(title, str) else ""

    raw_id = record.get(options.jsonl_id_field)
    # Ids are compared as strings in keys; numbers are common (e.g. 42) and kept as such.
    if isinstance(raw_id, str) and raw_id.strip():
        doc_id = _valid(raw_id.strip())
    elif isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        doc_id = str(raw_id)
    else:
        doc_id = str(number)
    return doc_id, title, text


def _valid(text: str) -> str:
    """`text` with lone surrogates (JSON may escape them, UTF-8 cannot hold them) turned
    into '?', so that one odd line cannot fail the store's insert."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
