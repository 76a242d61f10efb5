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

import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ragkit.errors import LoaderError, UnsupportedFileError
from ragkit.ingest.loaders.bounded import BoundedLoader, load_file_bounded
from ragkit.ingest.loaders.docx import load_docx
from ragkit.ingest.loaders.html import load_html
from ragkit.ingest.loaders.jsonl import load_jsonl
from ragkit.ingest.loaders.pdf import load_pdf
from ragkit.ingest.loaders.text import load_text
from ragkit.types import Document


@dataclass(frozen=True)
class LoaderOptions:
    """Typed options for the loaders, including the limits that keep one hostile or
    broken file from taking a batch down (settings: the `loader` section). JSON-lines
    field names are configurable because corpora disagree (BEIR uses `_id`, `title`,
    `text`)."""

    jsonl_text_field: str = "text"
    jsonl_title_field: str = "title"
    jsonl_id_field: str = "_id"
    max_file_bytes: int = 200 * 1024 * 1024
    # Reading in a separate worker process under these limits (0: no limit).
    isolate: bool = True
    timeout_s: float = 120.0
    memory_mb: int = 2048
    # Plain text and Markdown up to this size are read in-process: nothing in them can
    # blow up, and thousands of small notes should not each cross a process boundary.
    inprocess_max_bytes: int = 4 * 1024 * 1024
    # DOCX: checked from the zip directory before anything is inflated.
    docx_max_uncompressed_bytes: int = 512 * 1024 * 1024
    docx_max_ratio: int = 100
    max_xml_bytes: int = 64 * 1024 * 1024
    max_paragraphs: int = 200_000
    html_max_depth: int = 512
    max_pdf_pages: int = 5000
    # Scanned pages (no text layer) are read by OCR when rapidocr-onnxruntime is there.
    ocr: bool = True
    # A folder where each scanned page's OCR'd lines are kept by file hash and page
    # ("": none), so reading the file again (a citation's page) does not run OCR again.
    ocr_cache: str = ""


SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".docx", ".jsonl"}
)

# The list shown to a user; the aliases (.markdown, .htm) are left out to keep it short.
_SUPPORTED_SHOWN = ".txt .md .pdf .html .docx .jsonl"

_MISSING_REASON = "no such file or folder; check the path"


def load_file(
    path: Path,
    options: LoaderOptions,
    on_page: Callable[[int, int], None] | None = None,
    sha256: str | None = None,
) -> list[Document]:
    """Read one file into its documents, in this process and without time or memory
    limits (`load_file_bounded` adds them). A scanned PDF's pages are reported to
    `on_page(done, total)` as OCR reads them; `sha256`, the file's hash where the
    caller has it, keys the OCR cache without reading the file a second time.

    Raises `UnsupportedFileError` for a suffix ragkit does not read (checked first, so
    such files are reported as skipped whatever their content) or a file that is not a
    regular file, and `LoaderError` for a file that cannot be read: missing, empty, too
    large, over a limit, or unreadable in its format. Errors name `path` as given;
    documents carry it resolved to an absolute path.
    """
    path = Path(path)
    check_file(path, options)
    return read_checked(path, options, on_page, sha256)


def check_file(path: Path, options: LoaderOptions) -> os.stat_result:
    """The cheap checks made before any byte of `path` is read: a supported suffix, a
    regular file (a FIFO or device would block or never end), not empty, not too big."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(the name has no suffix)"
        raise UnsupportedFileError(
            path, f"unsupported file type {shown}; ragkit reads {_SUPPORTED_SHOWN}"
        )
    try:
        st = path.stat()
    except OSError as exc:
        raise LoaderError(path, _stat_reason(path, exc)) from exc
    if stat.S_ISDIR(st.st_mode):
        raise LoaderError(path, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise UnsupportedFileError(path, special_file_reason(st.st_mode))
    if st.st_size == 0:
        raise LoaderError(path, "empty file (0 bytes)")
    if st.st_size > options.max_file_bytes:
        raise LoaderError(
            path,
            f"file is {_human_size(st.st_size)} ({st.st_size} bytes), over the limit of "
            f"{_human_size(options.max_file_bytes)}; split the file or raise "
            "RAGKIT_LOADER__MAX_FILE_BYTES",
        )
    return st


def read_checked(
    path: Path,
    options: LoaderOptions,
    on_page: Callable[[int, int], None] | None = None,
    sha256: str | None = None,
) -> list[Document]:
    """Parse a file that passed `check_file`, by suffix (`on_page`, `sha256`: see
    `load_file`)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md", ".markdown"):
            return [load_text(path)]
        if suffix == ".pdf":
            return [load_pdf(path, options, on_page, sha256)]
        if suffix in (".html", ".htm"):
            return [load_html(path, options)]
        if suffix == ".docx":
            return [load_docx(path, options)]
        return load_jsonl(path, options)
    except OSError as exc:
        # Permission denied, a file removed mid-run, an I/O error: one file fails, the
        # batch goes on.
        raise LoaderError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    except RecursionError as exc:
        raise LoaderError(path, "nested too deeply to read (hostile or broken file)") from exc


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


@dataclass(frozen=True)
class WalkProblem:
    """An entry met while expanding the given paths that yields no file: a folder that
    cannot be listed, a symbolic-link loop, a named pipe. `path` is the entry's own."""

    path: Path
    status: Literal["skipped", "failed"]
    reason: str


def walk(paths: Sequence[Path]) -> Iterator[Path | WalkProblem]:
    """Expand the paths a user gave into files, in order, and the entries that failed.

    A regular file yields itself whatever its suffix (so unsupported ones can be
    reported as skipped). A folder yields its files recursively, sorted by name at each
    level, leaving out hidden files and folders (names starting with '.'). Everything
    else becomes a `WalkProblem` naming that entry, and the walk goes on past it: a
    path that does not exist, a sub-folder that cannot be listed, a symbolic-link loop
    or dangling link, a named pipe, socket or device (reading those blocks or never
    ends, so nothing here opens them).
    """
    for given in paths:
        path = Path(given)
        try:
            st = path.stat()
        except OSError as exc:
            yield WalkProblem(path, "failed", _stat_reason(path, exc))
            continue
        if stat.S_ISDIR(st.st_mode):
            # Resolved folders already walked: a symlink back up the tree must not loop.
            seen: set[tuple[int, int]] = set()
            yield from _walk(path, st, seen)
        else:
            yield path  # load_file_bounded reports special files as skipped


def iter_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files `walk` finds; the first problem raises `LoaderError` instead."""
    for item in walk(paths):
        if isinstance(item, WalkProblem):
            raise LoaderError(item.path, item.reason)
        yield item


def _walk(
    folder: Path, st: os.stat_result, seen: set[tuple[int, int]]
) -> Iterator[Path | WalkProblem]:
    # Depth-first in name order, with an explicit stack of folder listings.
    stack: list[Iterator[tuple[Path, os.stat_result | None, OSError | None]]] = []
    listing = _list(folder, st, seen)
    if isinstance(listing, WalkProblem):
        yield listing
        return
    if listing is None:
        return
    stack.append(listing)
    while stack:
        try:
            child, child_st, error = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if error is not None:
            yield WalkProblem(child, "failed", _stat_reason(child, error))
            continue
        assert child_st is not None
        mode = child_st.st_mode
        if stat.S_ISDIR(mode):
            sub = _list(child, child_st, seen)
            if isinstance(sub, WalkProblem):
                yield sub
            elif sub is not None:
                stack.append(sub)
        elif stat.S_ISREG(mode):
            yield child
        else:
            yield WalkProblem(child, "skipped", special_file_reason(mode))


def _list(
    folder: Path, st: os.stat_result, seen: set[tuple[int, int]]
) -> Iterator[tuple[Path, os.stat_result | None, OSError | None]] | WalkProblem | None:
    """The folder's visible entries, stat'ed (following links), in name order; None for a
    folder already walked (a link back up the tree), a problem when it cannot be listed."""
    ident = (st.st_dev, st.st_ino)
    if ident in seen:
        return None
    seen.add(ident)
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it if not e.name.startswith("."))
    except OSError as exc:
        return WalkProblem(
            folder,
            "failed",
            f"cannot list the folder ({exc.strerror or exc}); its files were left out",
        )

    def entries() -> Iterator[tuple[Path, os.stat_result | None, OSError | None]]:
        for name in names:
            child = folder / name
            try:
                yield child, child.stat(), None
            except OSError as exc:
                yield child, None, exc

    return entries()


def _stat_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (the link points back to itself); remove or fix the link"
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return "symbolic link to nothing (its target does not exist)"
        return _MISSING_REASON
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; check the file's permissions"
    return f"cannot read ({exc.strerror or exc})"


def special_file_reason(mode: int) -> str:
    """Why a non-regular file is skipped, from its `st_mode`."""
    if stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "not a regular file"
    return f"{kind}, not a regular file; ragkit reads only regular files"


__all__ = [
    "SUPPORTED_SUFFIXES",
    "BoundedLoader",
    "LoaderOptions",
    "WalkProblem",
    "check_file",
    "iter_files",
    "load_file",
    "load_file_bounded",
    "read_checked",
    "walk",
]
