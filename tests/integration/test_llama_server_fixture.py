"""The real llama.cpp server the remote path is tested against starts and answers."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def test_server_lists_the_bundled_model_and_answers(llama_server: str) -> None:
    with urllib.request.urlopen(f"{llama_server}/models", timeout=10) as resp:
        models = json.load(resp)
    assert models["data"], models
    body = json.dumps(
        {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8, "seed": 0}
    ).encode()
    req = urllib.request.Request(
        f"{llama_server}/chat/completions", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        reply = json.load(resp)
    assert reply["choices"][0]["message"]["content"].strip()
