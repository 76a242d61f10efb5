"""The real llama.cpp server the remote path is tested against starts and answers."""

from __future__ import annotations

import json
import urllib.request

import pytest
from ceilings import HANG_S

pytestmark = pytest.mark.slow(reason="starts a llama.cpp server on the bundled GGUF")


def test_server_lists_the_bundled_model_and_answers(llama_server: str) -> None:
    with urllib.request.urlopen(f"{llama_server}/models", timeout=HANG_S) as resp:
        models = json.load(resp)
    assert models["data"], models
    body = json.dumps(
        {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8, "seed": 0}
    ).encode()
    req = urllib.request.Request(
        f"{llama_server}/chat/completions", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=HANG_S) as resp:
        reply = json.load(resp)
    assert reply["choices"][0]["message"]["content"].strip()
