"""The agent end to end on real models: the bundled SmolLM2-135M GGUF in-process (JSON tool
calls) and the same model behind a real llama.cpp OpenAI-compatible server on 127.0.0.1
(the remote path), each completing a calculator task and a document-search task over the
sample corpus. Deterministic: temperature 0 and a fixed seed. The tasks are worded the
way this tiny model handles; bench/agent_bench.py measures it over 30+ tasks. The local
runs here use plain JSON (`constrained=False`); the last tests check that a schema really
constrains the in-process model's JSON tool calls, streaming, and that they validate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ceilings import HANG_S

from ragkit import KnowledgeBase
from ragkit.agent import Agent, AgentOptions, AgentResult, ToolContext, builtin_tools, json_calls
from ragkit.agent.loop import INSTRUCTIONS
from ragkit.models.embeddings import make_embedder
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, bundled_gguf_path
from ragkit.models.llm.base import ChatModel, Message
from ragkit.models.llm.openai_compat import OpenAICompatChatModel
from ragkit.options import Models

pytestmark = pytest.mark.slow(
    reason="agent runs on the bundled GGUF, in process and through a llama.cpp server"
)

GEN = GenerationOptions(max_tokens=64, temperature=0.0, seed=0)
CALC_TASK = "What is 98 + 2?"
DOC_TASK = "How long is the warranty on the Ember brewing kettle?"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    samples = Path(__file__).resolve().parents[2] / "samples" / "corpus"
    base = KnowledgeBase.open(
        tmp_path_factory.mktemp("ix") / "kb", models=Models(embedder=make_embedder("bundled-int8"))
    )
    assert not base.add([samples]).by_status("failed")
    return base


@pytest.fixture(scope="module")
def local_model() -> LlamaCppChatModel:
    return LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048, n_threads=2)


def remote(base_url: str) -> OpenAICompatChatModel:
    # llama.cpp's server applies its own repeat penalty (1.1) unless told otherwise; the
    # JSON tool-call turns need 1.0 (at 1.1 this model drops the quotes JSON needs).
    # The read timeout is the suite's hang ceiling: on a loaded machine one reply (the
    # tools probe included) can take minutes, and a probe that times out would be taken
    # for a server that ignores `tools`.
    return OpenAICompatChatModel(
        base_url, "local", context_window=2048, send_repeat_penalty=True, read_timeout=HANG_S
    )


def run(
    model: ChatModel,
    kb: KnowledgeBase,
    task: str,
    protocol: str = "json",
    constrained: bool = False,
) -> AgentResult:
    context = ToolContext(knowledge_base=kb, chat_model=model, generation=GEN)
    options = AgentOptions(
        max_steps=4,
        time_budget_s=HANG_S,
        protocol=protocol,  # type: ignore[arg-type]
        constrained=constrained,
    )
    return Agent(model, builtin_tools(), context, options, GEN).run(task)


def assert_calculated(result: AgentResult) -> None:
    assert result.answered, result.message
    calls = [(r.name, r.result) for r in result.tool_calls if not r.error]
    assert ("calculator", "100") in calls, result.tool_calls
    assert "100" in result.answer


def assert_searched(result: AgentResult) -> None:
    assert result.answered, result.message
    searches = [r for r in result.tool_calls if r.name == "search_documents" and not r.error]
    assert searches and "handbook.pdf p. 2" in searches[0].result, result.tool_calls
    assert "18 months" in result.answer


def test_local_model_uses_the_calculator(kb: KnowledgeBase, local_model: LlamaCppChatModel) -> None:
    assert_calculated(run(local_model, kb, CALC_TASK))


def test_local_model_searches_the_documents(
    kb: KnowledgeBase, local_model: LlamaCppChatModel
) -> None:
    assert_searched(run(local_model, kb, DOC_TASK))


def test_remote_model_uses_the_calculator(kb: KnowledgeBase, llama_server: str) -> None:
    assert_calculated(run(remote(llama_server), kb, CALC_TASK))


def test_remote_model_searches_the_documents(kb: KnowledgeBase, llama_server: str) -> None:
    assert_searched(run(remote(llama_server), kb, DOC_TASK))


def test_cli_shows_tool_calls_as_they_happen_and_saves_the_conversation(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RAGKIT_INDEX__HOME": str(tmp_path / "indexes"),
        "RAGKIT_LLM__TEMPERATURE": "0",
        "RAGKIT_LLM__MAX_TOKENS": "48",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    cli = [sys.executable, "-m", "ragkit"]
    done = subprocess.run(
        [*cli, "agent", CALC_TASK, "--conversation", "new"],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr
    assert "does not exist; the document tools are unavailable" in done.stderr
    assert '→ calculator({"expression": "98 + 2"})' in done.stderr
    assert "← 100" in done.stderr
    assert done.stdout.strip() == "100."  # the checked answer ends its sentence
    listed = subprocess.run([*cli, "chats", "ls"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and f"2 msgs  {CALC_TASK}" in listed.stdout


def constrained_reply(model: LlamaCppChatModel, task: str) -> tuple[str, json_calls.Parsed]:
    tools = builtin_tools()
    specs = tools.specs()
    transcript = [
        Message("system", json_calls.system_prompt(specs, INSTRUCTIONS, constrained=True)),
        *json_calls.examples(specs),
        Message("user", task),
    ]
    options = GenerationOptions(
        max_tokens=96,
        temperature=0.0,
        seed=0,
        repeat_penalty=1.0,  # as the agent sends it: a penalty breaks JSON's repeated quotes
        json_schema=json_calls.reply_schema(specs),
    )
    text = "".join(model.stream(json_calls.render(transcript, constrained=True), options))
    return text, json_calls.parse_reply(text, tools)


@pytest.mark.parametrize("task", [CALC_TASK, "Use the weather tool for Paris."])
def test_local_model_constrained_call_parses_and_validates(
    local_model: LlamaCppChatModel, task: str
) -> None:
    # The second task names a tool that does not exist: the grammar leaves the model no
    # way to write it.
    text, parsed = constrained_reply(local_model, task)
    obj = json.loads(text)  # whole JSON, streamed piece by piece
    assert isinstance(parsed, json_calls.ValidCall | json_calls.Answer), (text, parsed)
    if isinstance(parsed, json_calls.ValidCall):
        assert parsed.name in builtin_tools().names() and obj["tool"] == parsed.name
    else:
        assert set(obj) == {"answer"}


def test_local_model_constrained_agent_run(
    kb: KnowledgeBase, local_model: LlamaCppChatModel
) -> None:
    result = run(local_model, kb, CALC_TASK, constrained=True)
    assert result.answered and result.invalid_calls == 0, result
    assert ("calculator", "100") in [(r.name, r.result) for r in result.tool_calls]
