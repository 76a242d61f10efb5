"""A Q8_0 copy of a Q4_1 GGUF chat model, converted once into a models folder.

The bundled SmolLM2-135M ships as Q4_1, and llama.cpp evaluates prompts in it slowly
on a CPU: a 137-token prompt ran at 84 tokens/s on one thread, the same weights
re-quantized to Q8_0 at 153 (docs/models.md). Q8_0 holds every Q4_1 weight almost
exactly (a Q4_1 block is 16 levels; Q8_0 has 255), and the greedy replies measured did
not change. `q8_copy` converts with llama.cpp's own `llama_model_quantize` (about 2.5 s
and 145 MB, once) and returns the copy, or the source itself when the folder cannot be
written or the conversion fails (one log line; the answer goes on with the Q4_1 file).

The copy is written atomically (ragkit/durable.py: a temporary file in the same folder,
flushed to disk, then renamed): a killed conversion leaves no half file under the copy's
name, and two processes converting at once each rename a whole file of the same bytes. A JSON record
beside it names the source's size, modification time and xxh3 digest and the
llama-cpp-python version that converted it; a copy whose record does not match the
source (a new package version) is converted again.

Leaves out other target types (Q4_0 evaluates faster still but rounds the weights
again, so replies move), files the user names (the caller converts only the bundled
model) and copies left by older sources (overwritten, not collected).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragkit.durable import atomic_write_bytes, replaced_whole
from ragkit.errors import ModelError
from ragkit.ingest.digest import xxh3_file
from ragkit.models.packages import require

log = logging.getLogger(__name__)

Quantize = Callable[[Path, Path], None]
"""Writes `source` (first argument) converted to Q8_0 into the file `target` (second);
raises `ModelError` or `OSError` when it cannot."""


def llama_quantize(source: Path, target: Path) -> None:
    """Convert `source` to Q8_0 into `target` with llama.cpp's `llama_model_quantize`."""
    import ctypes

    llama_cpp = require("llama_cpp", "llama-cpp-python")
    from llama_cpp import _logger

    # llama.cpp logs every tensor it converts; the loaded model is quiet the same way.
    _logger.set_verbose(False)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True  # the source is quantized already
    # One thread: `ragkit ask` converts on the model-loading thread while it searches.
    params.nthread = 1
    code = llama_cpp.llama_model_quantize(
        os.fsencode(source), os.fsencode(target), ctypes.byref(params)
    )
    if code != 0:
        raise ModelError(f"llama.cpp could not convert {source.name} (code {code})")


def q8_copy(source: Path, folder: Path, quantize: Quantize = llama_quantize) -> Path:
    """The Q8_0 copy of `source` under `folder`, converted now unless a copy made from
    this very source is there; `source` itself when that cannot be done."""
    target = folder / f"{source.stem}-q8_0.gguf"
    record_path = target.with_suffix(".json")
    try:
        stat = source.stat()
    except OSError:
        return source  # the loader names the missing file
    record: dict[str, Any] = {
        "source": str(source),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "llama_cpp": _llama_cpp_version(),
    }
    if _matches(record_path, record, target, source):
        return target
    started = time.monotonic()
    try:
        record["xxh3"] = xxh3_file(source)
        _convert(source, target, quantize)
        record["bytes"] = target.stat().st_size
        atomic_write_bytes(record_path, json.dumps(record).encode("utf-8"))
    except (OSError, ModelError) as exc:
        log.warning("ragkit: loading %s as it ships (no faster copy: %s)", source.name, exc)
        return source
    log.info("ragkit: converted %s to Q8_0 in %.1f s", source.name, time.monotonic() - started)
    return target


def _matches(record_path: Path, record: dict[str, Any], target: Path, source: Path) -> bool:
    """Whether the copy at `target` was made from `source` as it is now (`record`) by this
    llama-cpp-python."""
    try:
        kept = json.loads(record_path.read_text(encoding="utf-8"))
        size = target.stat().st_size
    except (OSError, ValueError):
        return False
    if not isinstance(kept, dict) or kept.get("bytes") != size:
        return False  # a copy replaced after its record was written
    if any(kept.get(key) != record[key] for key in ("size", "llama_cpp")):
        return False
    if kept.get("mtime_ns") == record["mtime_ns"]:
        return True
    # Touched since (a reinstall of the same package version): the bytes decide. Reading
    # them costs ~0.05 s; the fast path above is the usual one.
    try:
        return bool(kept.get("xxh3") == xxh3_file(source))
    except OSError:
        return False


def _llama_cpp_version() -> str:
    llama_cpp = require("llama_cpp", "llama-cpp-python")
    return str(getattr(llama_cpp, "__version__", "unknown"))


def _convert(source: Path, target: Path, quantize: Quantize) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    log.warning("ragkit: preparing a faster copy of the chat model (once, a few seconds)")
    with replaced_whole(target) as temp:
        quantize(source, temp)
        if temp.stat().st_size == 0:
            raise ModelError(f"converting {source.name} wrote nothing")
