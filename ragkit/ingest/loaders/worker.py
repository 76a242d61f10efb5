"""The worker process behind `BoundedLoader`: reads files on request, under a memory cap.

Run as `python -m ragkit.ingest.loaders.worker MEMORY_BYTES`. It caps its own address space
(`RLIMIT_AS`, 0: no cap) before importing any parser, then answers one JSON line per
JSON-line request on stdin: `{"docs": [...]}` or `{"error": "loader" | "unsupported",
"reason": ...}`, after a `{"page": [done, total]}` line for each page OCR reads. Anything
a parser prints goes to stderr, never into the answers.
The parent enforces the time limit (it kills a worker that takes too long); the worker
also arms `SIGALRM` a little beyond it for each file (again for each OCR'd page, as the
parent's limit starts again), whose default action ends the
process even inside C code, so a worker orphaned by a killed parent cannot spin on a
hostile file forever. Leaves out any state between files beyond the imported modules.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

# Beyond the parent's own limit, so that the parent normally stops the worker first
# and reports the time-out itself.
_ALARM_SLACK_S = 10


def _cap_memory(limit: int) -> None:
    if limit <= 0:
        return
    try:
        import resource
    except ImportError:  # Windows: time is still bounded by the parent
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _answer(request: dict[str, Any], on_page: Callable[[int, int], None]) -> dict[str, Any]:
    from ragkit.errors import LoaderError, UnsupportedFileError
    from ragkit.ingest.loaders import LoaderOptions, load_file
    from ragkit.ingest.loaders.bounded import document_json

    path = Path(request["path"])
    try:
        options = LoaderOptions(**request["options"])
        docs = load_file(path, options, on_page, request.get("sha256"))
        return {"docs": [document_json(d) for d in docs]}
    except UnsupportedFileError as exc:
        return {"error": "unsupported", "reason": exc.reason}
    except LoaderError as exc:
        return {"error": "loader", "reason": exc.reason}
    except MemoryError:
        return {"error": "loader", "reason": _memory_reason(request), "restart": True}
    except RecursionError:
        return {"error": "loader", "reason": "nested too deeply to read (hostile or broken file)"}
    except Exception as exc:
        # A parser bug on a strange file: that file fails, the batch goes on.
        # Restarted afterwards: a parser that failed this way may have left bad state.
        reason = f"could not be parsed ({type(exc).__name__})"
        return {"error": "loader", "reason": reason, "restart": True}


def _memory_reason(request: dict[str, Any]) -> str:
    limit = request["options"].get("memory_mb", 0)
    return (
        f"reading it needs more than the {limit} MiB memory limit; raise "
        "RAGKIT_LOADER__MEMORY_MB if the file is trusted"
    )


def _arm(timeout: float) -> None:
    if timeout > 0 and hasattr(signal, "alarm"):
        signal.alarm(math.ceil(timeout) + _ALARM_SLACK_S)


def _page_reporter(out: IO[bytes], timeout: float) -> Callable[[int, int], None]:
    def page_read(done: int, total: int) -> None:
        out.write(json.dumps({"page": [done, total]}).encode("ascii") + b"\n")
        out.flush()
        _arm(timeout)

    return page_read


def main() -> None:
    _cap_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    # Answers go to a private copy of stdout; fd 1 becomes stderr so that a parser's
    # print() cannot corrupt the protocol.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        request = json.loads(line)
        timeout = float(request["options"].get("timeout_s", 0) or 0)
        _arm(timeout)
        try:
            reply = _answer(request, _page_reporter(out, timeout))
            data = json.dumps(reply, ensure_ascii=True).encode("ascii")
        except MemoryError:
            data = json.dumps(
                {"error": "loader", "reason": _memory_reason(request), "restart": True}
            ).encode("ascii")
        if hasattr(signal, "alarm"):
            signal.alarm(0)
        out.write(data + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
