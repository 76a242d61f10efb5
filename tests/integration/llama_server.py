"""Start llama.cpp's OpenAI-compatible server (`python -m llama_cpp.server`) on 127.0.0.1.

The remote path is tested against this real server serving the bundled GGUF. Used through
the `llama_server` fixture (tests/integration/conftest.py) or directly as a context manager
when a test needs other server flags (for example `chat_format="chatml-function-calling"`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ragkit.models.llm.llama_cpp import bundled_gguf_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(
    model: Path | None = None,
    chat_format: str | None = None,
    n_ctx: int = 2048,
    log: Path | None = None,
    startup_timeout: float = 600.0,  # a hang ceiling, as tests/ceilings.py (bench/ uses this too)
) -> Iterator[str]:
    """Yield the server's base URL (`http://127.0.0.1:PORT/v1`); stop it afterwards."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model or bundled_gguf_path()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(min(2, os.cpu_count() or 1)),
    ]
    if chat_format:
        cmd += ["--chat_format", chat_format]
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}: {cmd}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start in {startup_timeout} s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]
