"""The agent's final answer goes through the same checks as `ask`'s answers: checked
against the tool results before any of it is shown (ragkit.agent.loop, `check_answer`)."""

from __future__ import annotations

import json

from ragkit.agent import Agent, AgentOptions, ToolRegistry
from ragkit.events import Text
from ragkit.models.llm import ScriptedChatModel

RESULTS = (
    "[1] plant.md, p. 2: The plant converted its boilers to electricity in 1921.\n"
    "[2] plant.md, p. 3: Its first director was Anna Berg."
)
LOOKUP = json.dumps({"tool": "lookup", "arguments": {"query": "plant electricity"}})
TASK = "When did the plant convert its boilers to electricity?"


def _tools() -> ToolRegistry:
    tools = ToolRegistry()

    @tools.tool
    def lookup(query: str) -> str:
        """Search the plant's history."""
        return RESULTS

    return tools


def _run(answer: str, **options: object) -> tuple[str, list[str], object]:
    model = ScriptedChatModel([LOOKUP, answer])
    events = list(Agent(model, _tools(), options=AgentOptions(**options)).run_stream(TASK))  # type: ignore[arg-type]
    deltas = [e.text for e in events if isinstance(e, Text)]
    result = events[-1].result  # type: ignore[attr-defined]
    return "".join(deltas), deltas, result


def test_an_invented_year_in_the_final_answer_is_not_shown() -> None:
    shown, _, result = _run("The plant converted its boilers to electricity in 1923.")
    # The source sentence stands in for the model's; nothing unchecked was streamed.
    assert "1923" not in shown and "1921" in shown
    assert result.answer == shown  # type: ignore[attr-defined]
    assert result.unsupported == ("The plant converted its boilers to electricity in 1923.",)  # type: ignore[attr-defined]


def test_a_supported_final_answer_streams_as_written() -> None:
    shown, deltas, result = _run("The plant converted its boilers to electricity in 1921.")
    assert shown == "The plant converted its boilers to electricity in 1921."
    assert len(deltas) > 1 and result.unsupported == ()  # type: ignore[attr-defined]


def test_a_restated_task_is_not_an_answer_and_the_check_can_be_switched_off() -> None:
    shown, _, _ = _run("The plant converted its boilers to electricity.")
    assert "1921" in shown
    unchecked, _, result = _run("It was in 1923.", check_answer=False)
    assert unchecked == "It was in 1923." and result.unsupported == ()  # type: ignore[attr-defined]


def test_without_tool_results_the_answer_is_not_checked() -> None:
    model = ScriptedChatModel(["Hello there, 1923."])
    result = Agent(model, _tools()).run("Say hello")
    assert result.answer == "Hello there, 1923."
