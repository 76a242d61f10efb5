"""The agent's final answer goes through the same checks as `ask`'s answers: checked
against the tool results before any of it is shown (ragkit.agent.loop, `check_answer`)."""

from __future__ import annotations

import json

from ragkit import KnowledgeBase
from ragkit.agent import Agent, AgentOptions, ToolContext, ToolRegistry, builtin_tools
from ragkit.events import Text
from ragkit.models.llm import ScriptedChatModel
from ragkit.text.sentences import split_sentences

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
    # The source sentence stands in for the model's, without the result line's number and
    # place ("[1] plant.md, p. 2: "); nothing unchecked was streamed.
    assert shown == "The plant converted its boilers to electricity in 1921."
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


def test_a_page_number_does_not_start_a_sentence() -> None:
    text = "See handbook.pdf p. 2 for the warranty. The tins are on pp. 3-4. Ask at 5 p.m. Then go."
    assert [s.text for s in split_sentences(text)] == [
        "See handbook.pdf p. 2 for the warranty.",
        "The tins are on pp. 3-4.",
        "Ask at 5 p.m.",  # no page number after it: the sentence ends
        "Then go.",
    ]


def test_with_compose_off_a_quoted_search_passage_is_the_documents_sentence(
    sample_kb: KnowledgeBase,
) -> None:
    # search_documents lists "[1] handbook.pdf p. 2: Section 2: Equipment and Warranty The
    # cooperative shop sells …"; the model's unsupported sentence gives way to the
    # document's own sentence, not to "2: Section 2: …".
    model = ScriptedChatModel(["The cooperative shop sells 40 kinds of kettles."])
    options = AgentOptions(compose_answer=False)
    result = Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb), options).run(
        "What does the cooperative shop sell?"
    )
    assert "handbook.pdf p. 2: Section 2" in result.tool_calls[0].result
    assert result.answer.startswith("The cooperative shop sells a small range of brewing")
    assert "40" not in result.answer
