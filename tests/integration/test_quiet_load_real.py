"""Loading the bundled GGUF model leaves the process's output alone: what another thread
prints meanwhile (to sys.stdout, sys.stderr or the file descriptors under them) arrives,
and llama.cpp itself prints nothing, neither while it loads nor while it answers.

llama-cpp-python, told to be quiet, points the whole process's stdout and stderr at
/dev/null while it loads a model file; the model now loads on a thread of its own while
the process goes on (`ragkit ask` reads the question, the chat opens, the web app starts),
so that lost whatever was printed meanwhile (an error about the question, say)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path

pytestmark = pytest.mark.slow(reason="the bundled GGUF loaded while a thread prints")


def test_what_another_thread_prints_while_the_model_loads_arrives(
    capfd: pytest.CaptureFixture[str],
) -> None:
    model = LlamaCppChatModel(bundled_gguf_path(), n_ctx=512)
    loading = threading.Thread(target=model.warm_up)
    printed = 0
    loading.start()
    # Print until the load has ended, every way a program prints, and once more after.
    while loading.is_alive() or printed == 0:
        print(f"out {printed}", flush=True)
        print(f"err {printed}", file=sys.stderr, flush=True)
        os.write(2, f"fd2 {printed}\n".encode())
        printed += 1
        loading.join(0.002)
    assert model.loaded
    reply = "".join(
        model.stream([Message("user", "Say hi.")], GenerationOptions(max_tokens=4, seed=0))
    )
    out, err = capfd.readouterr()
    assert printed > 10, "the load ended before the thread printed"
    # Every line, in order, and nothing else: llama.cpp printed nothing on either stream.
    assert out.splitlines() == [f"out {n}" for n in range(printed)]
    assert sorted(err.splitlines()) == sorted(
        [f"err {n}" for n in range(printed)] + [f"fd2 {n}" for n in range(printed)]
    )
    assert reply
