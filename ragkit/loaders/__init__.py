"""Turn files into `Document`s: dispatch by file suffix to one loader per format.

What it does: `load_file` reads one file and returns its documents (one, or one per line
for JSON lines), raising `LoaderError` with a reason a person can act on, or
`UnsupportedFileError` for a type ragkit does not read. `iter_files` expands the
paths a user gave into files. What it leaves out: chunking, encoding of the output,
any network access (HTML is parsed as a file, never fetched).

The per-format modules import their heavy parsers (pypdf, python-docx, BeautifulSoup)
inside their functions, so importing this package stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import LoaderError, UnsupportedFileError
from ragkit.loaders.docx import load_docx
from ragkit.loaders.html import load_html
from ragkit.loaders.jsonl import load_jsonl
from ragkit.loaders.pdf import load_pdf
from ragkit.loaders.text import load_text
from ragkit.types import Document


@dataclass(frozen=True)
class LoaderOptions:
    """Typed options for the loaders. JSON-lines field names are configurable because
    corpora disagree (BEIR uses `_id`, `title`, `text`)."""

    jsonl_text_field: str = "text"
    jsonl_title_field: str = "title"
    jsonl_id_field: str = "_id"
    max_file_bytes: int = 200 * 1024 * 1024


SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".docx", ".jsonl"}
)

# The list shown to a user; the aliases (.markdown, .htm) are left out to keep it short.
_SUPPORTED_SHOWN = ".txt .md .pdf .html .docx .jsonl"

_MISSING_REASON = "no such file or folder; check the path"


def load_file(path: Path, options: LoaderOptions) -> list[Document]:
    """Read one file into its documents.

    Raises `UnsupportedFileError` for a suffix ragkit does not read (checked first, so
    such files are reported as skipped whatever their content) and `LoaderError` for a
    file that cannot be read: missing, empty, too large, or unreadable in its format.
    Errors name `path` as given; documents carry it resolved to an absolute path.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(the name has no suffix)"
        raise UnsupportedFileError(
            path, f"unsupported file type {shown}; ragkit reads {_SUPPORTED_SHOWN}"
        )
    _check_size(path, options)
    try:
        if suffix in (".txt", ".md", ".markdown"):
            return [load_text(path)]
        if suffix == ".pdf":
            return [load_pdf(path)]
        if suffix in (".html", ".htm"):
            return [load_html(path)]
        if suffix == ".docx":
            return [load_docx(path)]
        return load_jsonl(path, options)
    except OSError as exc:
        # Permission denied, a file removed mid-run, an I/O error: one file fails, the
        # batch goes on.
        raise LoaderError(path, f"cannot read the file ({exc.strerror or exc})") from exc


def _check_size(path: Path, options: LoaderOptions) -> None:
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise LoaderError(path, _MISSING_REASON) from exc
    except OSError as exc:
        raise LoaderError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    if path.is_dir():
        raise LoaderError(path, "is a folder, not a file")
    if not path.is_file():
        # A FIFO or device would block or never end when read.
        raise LoaderError(path, "not a regular file")
    if st.st_size == 0:
        raise LoaderError(path, "empty file (0 bytes)")
    if st.st_size > options.max_file_bytes:
        raise LoaderError(
            path,
            f"file is {_human_size(st.st_size)} ({st.st_size} bytes), over the limit of "
            f"{_human_size(options.max_file_bytes)}; split the file or raise "
            "RAGKIT_LOADER__MAX_FILE_BYTES",
        )


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def iter_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Expand the paths a user gave into files, in order.

    A file yields itself whatever its suffix (so unsupported ones can be reported as
    skipped). A folder yields its files recursively, sorted by name at each level,
    leaving out hidden files and folders (names starting with '.'). A path that does not
    exist raises `LoaderError`.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            # Resolved folders already walked: a symlink back up the tree must not loop.
            seen: set[Path] = set()
            yield from _walk(path, seen)
        elif path.exists():
            yield path
        else:
            raise LoaderError(path, _MISSING_REASON)


def _walk(folder: Path, seen: set[Path]) -> Iterator[Path]:
    real = folder.resolve()
    if real in seen:
        return
    seen.add(real)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise LoaderError(folder, f"cannot list the folder ({exc.strerror or exc})") from exc
    for entry in entries:
        if entry.name.startswith("."):
            continue
        child = folder / entry.name
        if entry.is_dir():
            yield from _walk(child, seen)
        elif entry.is_file():
            yield child


__all__ = ["SUPPORTED_SUFFIXES", "LoaderOptions", "iter_files", "load_file"]
