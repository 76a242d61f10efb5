"""`agent.protocol = "auto"` against real llama.cpp servers on 127.0.0.1: a server whose
chat format ignores `tools` (llama.cpp's default) is noticed by one probe and the agent
uses the JSON protocol (before, it took native calls for granted and the model answered
arithmetic from memory, "105 + 3 = 14"); one started with a function-calling chat format
gets native calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ceilings import HANG_S
from fault_server import Act, fault_server
from llama_server import llama_server as start_server
from test_agent_real import CALC_TASK, GEN, assert_calculated, remote

from ragkit.agent import Agent, AgentOptions, ToolContext, builtin_tools
from ragkit.models.llm.openai_compat import OpenAICompatChatModel

pytestmark = pytest.mark.slow(
    reason="probes two real llama.cpp servers and runs the agent on the bundled GGUF"
)


def auto_agent(base_url: str) -> Agent:
    model = remote(base_url)
    options = AgentOptions(max_steps=4, time_budget_s=HANG_S, protocol="auto")
    return Agent(
        model, builtin_tools(), ToolContext(chat_model=model, generation=GEN), options, GEN
    )


def test_auto_falls_back_to_json_when_the_server_ignores_tools(llama_server: str) -> None:
    agent = auto_agent(llama_server)
    assert not agent.native  # probed: the reply to a forced call was text
    assert_calculated(agent.run(CALC_TASK))


def test_auto_calls_natively_when_the_server_honours_tools(tmp_path: Path) -> None:
    with start_server(chat_format="chatml-function-calling", log=tmp_path / "s.log") as url:
        agent = auto_agent(url)
        assert agent.native
        assert agent.native  # asked once, remembered


def _calc_call() -> str:
    return json.dumps({"tool": "calculator", "arguments": {"expression": "105 + 3"}})


def test_auto_probe_against_a_scripted_server_that_ignores_tools() -> None:
    """The same decision over real HTTP with scripted replies (no model needed): a reply
    to the forced call that is text means JSON protocol, and the run then calculates."""
    acts = [
        Act(pieces=("I cannot do that.",)),  # the probe: text, no tool call
        Act(pieces=(_calc_call(),)),
        Act(pieces=("105 + 3 = 108.",)),
    ]
    with fault_server(acts) as (base, server):
        model = OpenAICompatChatModel(base, "local")
        # The scripted model makes the calculator call itself (by default a whole
        # expression goes to the calculator by rule, before the model's first turn).
        options = AgentOptions(protocol="auto", rule_first_step=False)
        agent = Agent(model, builtin_tools(), ToolContext(), options)
        result = agent.run("What is 105 + 3?")
    probe = server.record.requests[0]
    assert probe["tool_choice"] == "auto" and probe["tools"][0]["function"]["name"] == "ping"
    assert not agent.native and result.answered and "108" in result.answer
    assert [(r.name, r.result) for r in result.tool_calls] == [("calculator", "108")]
    assert all("tools" not in r for r in server.record.requests[1:])


def test_auto_probe_against_a_scripted_server_that_calls_tools() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "ping", "arguments": "{}"}}
    reply = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [call]}}]}
    with fault_server([Act(body=reply)]) as (base, server):
        agent = Agent(
            OpenAICompatChatModel(base, "local"),
            builtin_tools(),
            ToolContext(),
            AgentOptions(protocol="auto"),
        )
        assert agent.native and agent.native
    assert len(server.record.requests) == 1  # probed once
