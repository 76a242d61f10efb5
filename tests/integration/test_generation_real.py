"""Generation on the real things: the bundled SmolLM2 GGUF in process, the same model
behind `python -m llama_cpp.server` on 127.0.0.1 (the remote path), a real index of the
sample corpus, and the `ragkit ask` command line in subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from ceilings import HANG_S, wait_until
from processes import run_ragkit

from ragkit import KnowledgeBase
from ragkit.errors import PromptTooLongError
from ragkit.models.embeddings.onnx import bundled_int8_embedder
from ragkit.models.llm.base import GenerationOptions, Message, ToolSpec
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path, check_template_sandbox
from ragkit.models.llm.openai_compat import OpenAICompatChatModel
from ragkit.models.llm.tokens import estimate_tokens
from ragkit.options import AnswerOptions, Models

pytestmark = pytest.mark.slow(
    reason="the bundled GGUF in process, behind a llama.cpp server and in CLI subprocesses"
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"
QUICKSTART = "How long is the warranty on the Ember brewing kettle?"
GREEDY = GenerationOptions(max_tokens=24, temperature=0.0, seed=11)


@pytest.fixture(scope="module")
def local() -> LlamaCppChatModel:
    return LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index home with the sample corpus indexed by the real CLI."""
    home = tmp_path_factory.mktemp("gen-indexes")
    done = _cli(["index", str(SAMPLES)], home)
    assert done.returncode == 0, done.stderr
    return home


def _cli(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Short answers: the bundled model is slow on a busy 2-core machine.
    full = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "RAGKIT_INDEX__HOME": str(home),
        "RAGKIT_LLM__MAX_TOKENS": "40",
        **env,
    }
    return run_ragkit(args, env=full)


def test_remote_matches_in_process_with_the_same_seed(
    llama_server: str, local: LlamaCppChatModel
) -> None:
    messages = [Message("system", "Answer briefly."), Message("user", "Name three colours.")]
    remote = OpenAICompatChatModel(llama_server, "smollm2")
    sampled = GenerationOptions(max_tokens=24, temperature=0.8, seed=11)
    pieces = list(remote.stream(messages, sampled))
    assert len(pieces) > 3  # streamed piece by piece
    assert "".join(pieces) == "".join(local.stream(messages, sampled))
    other_seed = GenerationOptions(max_tokens=24, temperature=0.8, seed=12)
    assert "".join(local.stream(messages, other_seed)) != "".join(pieces)


def test_stop_sequences_on_both_backends(llama_server: str, local: LlamaCppChatModel) -> None:
    messages = [Message("user", "Count from one to ten, one number per line.")]
    free = "".join(local.stream(messages, GREEDY))
    words = free.split()
    assert len(words) >= 4, free
    stop = words[len(words) // 2]  # a string the free answer reaches halfway
    expected = free[: free.index(stop)]
    options = GenerationOptions(max_tokens=24, temperature=0.0, seed=11, stop=(stop,))
    for model in (local, OpenAICompatChatModel(llama_server, "smollm2")):
        assert "".join(model.stream(messages, options)) == expected


def test_closing_streams_stops_generation(
    llama_server: str, local: LlamaCppChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    llama = local._load()
    real = llama.create_chat_completion
    made: list[Generator[Any, None, None]] = []

    def spy(**kwargs: Any) -> Any:
        made.append(real(**kwargs))
        return made[-1]

    monkeypatch.setattr(llama, "create_chat_completion", spy)
    long = GenerationOptions(max_tokens=400, temperature=0.0, seed=1)
    messages = [Message("user", "Write a long story about a kettle.")]
    for model in (local, OpenAICompatChatModel(llama_server, "smollm2")):
        stream = model.stream(messages, long)
        assert all(next(stream) for _ in range(3))
        stream.close()
        # The backend is usable at once afterwards: nothing is left generating.
        again = "".join(model.stream([Message("user", "Say yes.")], GREEDY))
        assert again.strip()
    # llama's own token generator was closed, not left to the garbage collector.
    assert made and made[0].gi_frame is None


def test_tools_are_sent_to_a_real_server(llama_server: str) -> None:
    tool = ToolSpec(
        "get_weather",
        "Weather for a city.",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    turn = OpenAICompatChatModel(llama_server, "smollm2").chat_with_tools(
        [Message("user", "What is the weather in Paris?")], [tool], GREEDY
    )
    # The 135M model answers in text rather than calling; the reply must still parse.
    assert turn.content.strip() or turn.tool_calls


def test_token_estimate_never_undercounts_the_real_tokenizer(local: LlamaCppChatModel) -> None:
    for path in sorted(SAMPLES.glob("*.*")):
        if path.suffix in (".txt", ".md"):
            text = path.read_text(encoding="utf-8")
            assert estimate_tokens(text) >= local.count_tokens(text), path.name


def test_gguf_chat_templates_render_in_a_sandbox(local: LlamaCppChatModel) -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    check_template_sandbox()
    hostile = (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}"
        "{% for m in messages %}{{ m.content }}{% endfor %}"
    )
    formatter = Jinja2ChatFormatter(template=hostile, eos_token="</s>", bos_token="<s>")
    with pytest.raises(jinja2.exceptions.SecurityError):
        formatter(messages=[{"role": "user", "content": "hi"}])
    escape = "{{ cycler.__init__.__globals__.os.popen('echo pwned').read() }}"
    with pytest.raises(jinja2.exceptions.SecurityError):
        Jinja2ChatFormatter(template=escape, eos_token="", bos_token="")(messages=[])
    # The bundled model's own template renders through the same sandboxed formatter.
    template = local._load().metadata["tokenizer.chat_template"]
    rendered = Jinja2ChatFormatter(template=template, eos_token="", bos_token="")(
        messages=[{"role": "user", "content": "hi"}]
    )
    assert "<|im_start|>user\nhi" in rendered.prompt


def test_long_history_is_packed_without_overflow(home: Path) -> None:
    local = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024)
    kb = KnowledgeBase.open(
        home / "default",
        models=Models(query_embedder=bundled_int8_embedder(), chat_model=local),
        answer=AnswerOptions(generation=GenerationOptions(max_tokens=48, temperature=0.0, seed=3)),
    )
    history = []
    for i in range(30):
        history.append(Message("user", f"Tell me about tea number {i}. " + "Details please. " * 20))
        history.append(Message("assistant", f"Tea {i} is green and grassy. " * 12))
    stream = kb.ask_stream(QUICKSTART, k=4, history=history)
    used = sum(local.count_tokens(m.content) for m in stream.prompt.messages)
    assert used + 48 <= local.context_window
    assert stream.prompt.history_dropped > 0 and len(stream.prompt.messages) > 2
    assert "18" in stream.answer.text
    with pytest.raises(PromptTooLongError, match="too long"):
        kb.ask("Why? " * 3000, k=1)


def test_cli_ask_through_the_remote_backend(home: Path, llama_server: str) -> None:
    done = _cli(
        ["ask", QUICKSTART, "-k", "2"],
        home,
        RAGKIT_LLM__BACKEND="openai",
        RAGKIT_LLM__BASE_URL=llama_server,
        RAGKIT_LLM__MODEL="smollm2",
    )
    assert done.returncode == 0, done.stderr
    assert "18" in done.stdout and "handbook.pdf p. 2" in done.stdout
    assert "Traceback" not in done.stderr


def test_cli_ask_unreachable_server_is_one_line(home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _cli(
        ["ask", QUICKSTART],
        home,
        RAGKIT_LLM__BACKEND="openai",
        RAGKIT_LLM__BASE_URL=f"http://127.0.0.1:{port}/v1",
        RAGKIT_LLM__MODEL="m",
        RAGKIT_LLM__MAX_RETRIES="0",
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach" in lines[0] and str(port) in lines[0], done.stderr


def test_cli_extractive_answer_quotes_the_pdf_page(home: Path) -> None:
    done = _cli(["ask", QUICKSTART, "--mode", "extractive", "--json"], home)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["mode"] == "extractive" and not answer["not_found"]
    first = answer["text"].splitlines()[0]
    assert "18 months" in first
    cited = {c["number"]: c for c in answer["citations"]}
    # The quote's mark stands before its full stop ("… purchase [1].").
    marks = re.findall(r"\[(\d+)\]", first)
    assert marks, first
    number = int(marks[-1])
    assert cited[number]["source"].endswith("handbook.pdf") and cited[number]["page_start"] == 2
    zh = _cli(["ask", "雾溪茶园的平均海拔是多少？", "--mode", "extractive"], home)
    assert zh.returncode == 0 and "1650" in zh.stdout.split("Sources:")[0], zh.stdout


def test_cli_generated_answer_with_evidence(home: Path) -> None:
    done = _cli(["ask", QUICKSTART, "--evidence", "-k", "3"], home)
    assert done.returncode == 0, done.stderr
    assert "Sources:" in done.stdout and "Evidence:" in done.stdout
    shown = _cli(["ask", QUICKSTART, "--evidence", "-k", "3", "--json"], home)
    answer = json.loads(shown.stdout)
    assert answer["evidence"], answer
    numbers = {s["number"] for s in answer["sources"]}
    for item in answer["evidence"]:
        assert item["sentence"].strip()
        if item["support"] is None:
            assert item["source"] is None and item["score"] < 0.5
        else:
            assert item["source"] in numbers and item["score"] >= 0.5
    # The same answer (greedy, same seed) was printed with the same pairing.
    first = answer["evidence"][0]
    assert first["sentence"] in done.stdout.split("Evidence:", 1)[1]


def test_cli_ask_mode_takes_answer_modes_only(home: Path) -> None:
    done = _cli(["ask", QUICKSTART, "--mode", "bm25"], home)
    assert done.returncode == 1 and "--retrieval" in done.stderr
    assert "Traceback" not in done.stderr
    ok = _cli(["ask", QUICKSTART, "--retrieval", "bm25", "--mode", "extractive"], home)
    assert ok.returncode == 0 and "18 months" in ok.stdout, ok.stderr


def test_ctrl_c_stops_a_remote_answer_and_closes_the_stream(home: Path) -> None:
    from fault_server import Act, fault_server

    # One supported sentence, then distinct sentences no source supports, five seconds
    # apart: the answer is still streaming when Ctrl-C comes, however slow the machine.
    # The checker ends an answer at the second unsupported sentence after a shown one
    # (MAX_DRIFT), so with pieces close together the answer could end before the signal
    # lands; five seconds a piece leaves that race five seconds or more of room. The
    # reply itself starts at once: the room is needed between pieces, not before them.
    pieces = (
        "The Ember brewing kettle comes with a warranty of 18 months from the date of purchase. ",
        *(f"Item {i} weighs {i * 7 + 3} grams. " for i in range(40)),
    )
    with fault_server([Act(pieces=pieces, delay=5.0, first_delay=0.0)]) as (base, server):
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "RAGKIT_INDEX__HOME": str(home),
            "RAGKIT_LLM__BACKEND": "openai",
            "RAGKIT_LLM__BASE_URL": base,
            "RAGKIT_LLM__MODEL": "m",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "ragkit", "ask", QUICKSTART],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Ctrl-C as a terminal sends it: a suite started in the background by a shell
            # without job control inherits SIGINT ignored, and so would ragkit.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert proc.stdout is not None
        # The answer is streaming: the quoted evidence is shown while the checker keeps
        # reading the model's stream. The quote leads the answer and may be printed before
        # the model's request is sent, so Ctrl-C waits for the request as well: a signal
        # before it would stop an answer that never reached the server.
        assert len(proc.stdout.read(5)) == 5
        wait_until(lambda: server.record.requests, "the model's request")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=HANG_S)
        wait_until(lambda: server.record.hung_up, "the server to see the client go")
    assert proc.returncode == 130, err
    assert err.decode().strip().splitlines() == ["interrupted"]
    assert server.record.completed == 0 and server.record.hung_up
    assert server.record.hung_up[0][0] < len(pieces)  # closed, not read to the end
