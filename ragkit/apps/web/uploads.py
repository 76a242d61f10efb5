"""Accepting uploaded files safely: names, types, sizes and where they land.

`safe_name` reduces whatever name a client sends to one plain file name (no folders, no
`..`, no leading dot, no control characters, at most 120 characters and 200 bytes of
UTF-8, so a long CJK name cannot hit the file system's 255-byte limit); `check_type`
accepts only allowed suffixes whose first bytes look like that type; `stage` copies an
upload into a private staging file, counting bytes against the limit; `place` moves it
into a collection's uploads folder by rename, which replaces a planted symbolic link
instead of writing through it.
`BodyLimit` caps every request body before it is parsed. Leaves out virus scanning and
content checks beyond the first bytes (the loaders reject unreadable files later).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.apps.web.errors import ApiError, error_body

MAX_NAME_CHARS = 120
# File systems limit a name to 255 bytes (ext4, XFS, btrfs), not characters: 120 CJK
# characters are 360 bytes of UTF-8. Kept well under, for what tools add to names.
MAX_NAME_BYTES = 200
_MAX_SUFFIX_CHARS = 16
_UNSAFE = re.compile(r"[^\w.\- ()]", re.UNICODE)
_MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file bytes


def safe_name(raw: str) -> str:
    """A plain file name derived from `raw`, or ApiError 400 when nothing usable is left."""
    base = re.split(r"[/\\]", raw)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .")
    if len(suffix) > _MAX_SUFFIX_CHARS:
        # Not a suffix any loader reads; check_type refuses it by name afterwards.
        suffix = suffix[:_MAX_SUFFIX_CHARS]
    if len(base) > MAX_NAME_CHARS:
        keep = MAX_NAME_CHARS - len(suffix) - 1
        stem = stem[: max(keep, 1)].rstrip(" .")
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8")) - 1
    if len(stem.encode("utf-8")) > budget:
        # Cut on a character boundary: "ignore" drops a split multi-byte character.
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    if not stem:
        raise ApiError(400, f"file name {raw!r} has no usable name; rename the file", param="file")
    return f"{stem}.{suffix}" if suffix else stem


def check_type(name: str, head: bytes, allowed: frozenset[str]) -> None:
    """Refuse (415) a suffix not in `allowed`, or content that is not what it claims."""
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        shown = " ".join(sorted(allowed))
        what = f"type '{suffix}'" if suffix else "a name without a suffix"
        raise ApiError(415, f"{name}: {what} is not accepted; upload {shown}", param="file")
    bad = ""
    if not head:
        bad = "is empty (0 bytes)"
    elif suffix == ".pdf" and b"%PDF-" not in head[:1024]:
        bad = "does not start like a PDF (no %PDF- header)"
    elif suffix == ".docx" and not head.startswith(b"PK\x03\x04"):
        bad = "is not a Word .docx file (not a zip archive)"
    elif suffix not in (".pdf", ".docx") and b"\x00" in head:
        bad = "is binary, not text"
    if bad:
        raise ApiError(415, f"{name} {bad}", param="file")


def refusal(refused: Sequence[ApiError], count: int) -> ApiError:
    """One refusal naming every file of an upload of `count` that `check_type` refused: the
    upload is all or nothing, so a person who picked several files learns of each bad one
    at once, and that the good ones were not uploaded either."""
    if count == 1:
        return refused[0]
    what = "; ".join(e.message for e in refused)
    rest = count - len(refused)
    if rest:
        return ApiError(
            415,
            f"{what}. Nothing was uploaded; upload the other "
            f"{'file' if rest == 1 else f'{rest} files'} without "
            f"{'it' if len(refused) == 1 else 'them'}",
            param="file",
        )
    return ApiError(415, f"{what}. Nothing was uploaded", param="file")


def stage(source: BinaryIO, staging_dir: Path, name: str, limit: int) -> Path:
    """Copy `source` to `staging_dir/name`, failing with 413 beyond `limit` bytes."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    target = staging_dir / name
    # O_EXCL|O_NOFOLLOW: never write through anything already there.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while block := source.read(1024 * 1024):
                written += len(block)
                if written > limit:
                    raise ApiError(
                        413,
                        f"{name} is larger than the server's upload limit of {limit} bytes "
                        "(server.max_upload_bytes)",
                        param="file",
                    )
                out.write(block)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def ensure_real_dir(folder: Path, root: Path) -> Path:
    """`folder` created if needed; refused when it is a link or resolves outside `root`."""
    folder.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink() or not folder.resolve().is_relative_to(root.resolve()):
        raise ApiError(
            500,
            f"server folder {folder} is a symbolic link or lies outside {root}; "
            "refusing to store uploads there",
            "server_error",
        )
    return folder


def place(staged: Path, uploads_dir: Path, root: Path) -> Path:
    """Move a staged file into `uploads_dir` (by rename: a symlink of that name is replaced,
    never followed); return its final path."""
    folder = ensure_real_dir(uploads_dir, root)
    target = folder / staged.name
    os.replace(staged, target)
    if target.is_symlink() or target.resolve().parent != folder.resolve():
        target.unlink(missing_ok=True)
        raise ApiError(500, f"upload {staged.name} did not land in {folder}", "server_error")
    return target


class BodyTooLargeError(Exception):
    """A request body went past the limit while it was being read."""


class BodyLimit:
    """ASGI middleware: refuse request bodies over `limit` bytes (+ multipart slack),
    by Content-Length at once and by counting for bodies sent without one."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit + _MULTIPART_SLACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, int(declared), self.limit - _MULTIPART_SLACK)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLargeError(seen)
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Send, size: int, limit: int) -> None:
    body = json.dumps(
        error_body(
            f"request body of {size} bytes is larger than the server's upload limit of "
            f"{limit} bytes (server.max_upload_bytes)",
            "request_too_large",
        )
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
