"""Fixtures for integration tests: a real llama.cpp server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_server import llama_server as _start


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (`http://127.0.0.1:PORT/v1`) of `python -m llama_cpp.server` serving the
    bundled GGUF, shared by the whole session (starting it takes a few seconds)."""
    log: Path = tmp_path_factory.mktemp("llama-server") / "server.log"
    with _start(log=log) as base:
        yield base
