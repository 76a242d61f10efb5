"""The first step decided by rule from the task's shape (ragkit.agent.planning), and the
answer after document searches composed through ask's checked answer path; scripted
models stand in for the model's own turns."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ragkit import KnowledgeBase
from ragkit.agent import Agent, AgentOptions, ToolContext, ToolRegistry, builtin_tools
from ragkit.agent.builtins import calculator
from ragkit.agent.planning import (
    MixedTask,
    arithmetic_expression,
    first_call,
    is_document_question,
    mixed_task,
    value_in,
)
from ragkit.agent.tools import Tool
from ragkit.answer.pipelines import answer as answer_from_hits
from ragkit.events import Text, ToolStarted
from ragkit.models.llm import ScriptedChatModel
from ragkit.types import SearchHit


@pytest.mark.parametrize(
    ("task", "expression"),
    [
        ("What is 98 + 2?", "98 + 2"),
        ("Calculate 345 * 12", "345 * 12"),
        ("what's (17 + 5) / 4?", "(17 + 5) / 4"),
        ("Compute 2 ** 10", "2 ** 10"),
        ("2^10", "2**10"),
        ("How much is 1,200 / 3?", "1200 / 3"),
        ("Add 1234 and 5678", "1234 + 5678"),
        ("Subtract 18 from 250", "250 - 18"),
        ("Multiply 19 by 23", "19 * 23"),
        ("Divide 81 by 9", "81 / 9"),
        ("What is the square root of 144?", "sqrt(144)"),
        ("What is 15% of 240?", "15 / 100 * 240"),
        ("what is 3 plus 4 times 2", "3 + 4 * 2"),
        ("What is the sum of 3 and 4.5?", "3 + 4.5"),
    ],
)
def test_arithmetic_tasks_become_calculator_expressions(task: str, expression: str) -> None:
    assert arithmetic_expression(task) == expression
    assert not is_document_question(task)


@pytest.mark.parametrize(
    "task",
    [
        "What does a 3 kg express parcel cost?",  # words and numbers: the model decides
        "What is 2024?",  # a number, no operation
        "What is 5 / 0?",  # the calculator refuses it: the model decides
        "How many seats does the Lantern House have?",
        "Is 7 > 3?",  # a comparison the calculator does not do
        "Multiply the price by 3",
    ],
)
def test_anything_but_a_whole_expression_is_not_arithmetic(task: str) -> None:
    assert arithmetic_expression(task) is None


@pytest.mark.parametrize(
    ("task", "search"),
    [
        ("How long is the warranty on the Ember brewing kettle?", True),
        ("On what date was the cooperative founded?", True),
        ("who chairs the board", True),  # a question word, no question mark
        ("What time is it?", False),  # the clock: current_datetime, the model's choice
        ("What is the date today?", False),
        ("Summarize the membership policy?", False),
        ("What is on page 2 of handbook.pdf?", False),  # names what to read
        ("What is 98 + 2?", False),
        ("Tell me a joke", False),  # not a question
    ],
)
def test_document_questions(task: str, search: bool) -> None:
    assert is_document_question(task) is search


def price(item: str) -> str:
    """A shop's price list.

    Args:
        item: What to price.
    """
    return "4.00"


def test_first_call_needs_the_tool_and_a_knowledge_base(sample_kb: KnowledgeBase) -> None:
    tools = builtin_tools()
    question = "Who chairs the board of the cooperative?"
    call = first_call(question, tools, ToolContext(knowledge_base=sample_kb))
    assert call is not None and (call.name, call.arguments) == (
        "search_documents",
        {"query": question},
    )
    assert first_call(question, tools, ToolContext()) is None  # nothing to search
    only_search = ToolRegistry([t for t in tools if t.name != "calculator"])
    assert first_call("What is 98 + 2?", only_search, ToolContext()) is None
    # A custom tool under the calculator's name, of another shape, is left to the model.
    other = ToolRegistry([Tool.from_function(price, name="calculator")])
    assert first_call("What is 98 + 2?", other, ToolContext()) is None
    assert calculator("98 + 2") == "100"


def test_arithmetic_runs_the_calculator_before_the_model_answers() -> None:
    model = ScriptedChatModel(["98 + 2 = 100."])
    agent = Agent(model, builtin_tools())
    events = list(agent.run_stream("What is 98 + 2?"))
    started = [e for e in events if isinstance(e, ToolStarted)]
    assert [(e.name, json.loads(e.arguments), e.step) for e in started] == [
        ("calculator", {"expression": "98 + 2"}, 0)
    ]
    result = events[-1].result  # type: ignore[union-attr]
    assert result.answered and result.answer == "98 + 2 = 100." and result.steps == 1
    # The model's one turn already saw the result and the question.
    assert len(model.prompts) == 1
    assert "Result of calculator:\n100" in model.prompts[0][-1].content


def test_the_model_still_chooses_after_the_first_call() -> None:
    # After the rule's call, the model may call another tool before answering.
    again = json.dumps({"tool": "calculator", "arguments": {"expression": "100 * 2"}})
    model = ScriptedChatModel([again, "100 * 2 = 200."])
    result = Agent(model, builtin_tools()).run("What is 98 + 2?")
    assert [(r.name, r.result) for r in result.tool_calls] == [
        ("calculator", "100"),
        ("calculator", "200"),
    ]
    assert result.answered and "200" in result.answer


def test_off_the_model_chooses_the_first_step() -> None:
    model = ScriptedChatModel(["100."])
    result = Agent(model, builtin_tools(), options=AgentOptions(rule_first_step=False)).run(
        "What is 98 + 2?"
    )
    assert result.tool_calls == () and len(model.prompts) == 1


WARRANTY = "How long is the warranty on the Ember brewing kettle?"


def test_document_answer_is_composed_through_the_checked_answer_path(
    sample_kb: KnowledgeBase,
) -> None:
    # The model's own turn chooses to answer (a reply that is not a call); the words then
    # come from ask's prompt over the searched passages, checked and cited.
    model = ScriptedChatModel(
        ["The warranty is five years.", "The Ember kettle has an 18-month warranty [1]."]
    )
    agent = Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb))
    events = list(agent.run_stream(WARRANTY))
    result = events[-1].result  # type: ignore[union-attr]
    assert [r.name for r in result.tool_calls] == ["search_documents"]
    assert result.answered and "18" in result.answer and "five years" not in result.answer
    assert "".join(e.text for e in events if isinstance(e, Text)) == result.answer
    # The second prompt is ask's (numbered passages), not the tool-call conversation.
    ask_prompt = "\n".join(m.content for m in model.prompts[1])
    assert '"tool"' not in ask_prompt and "Ember" in ask_prompt
    assert [c.source.endswith("handbook.pdf") for c in result.citations] == [True]
    # The marks name their source by file name and page, never by path.
    assert "\nSources: [1] handbook.pdf p. " in result.answer and "/" not in result.answer


def test_a_composed_answer_never_shows_an_unsupported_number(sample_kb: KnowledgeBase) -> None:
    model = ScriptedChatModel(["It is", "The Ember kettle has a 36-month warranty [1]."])
    result = Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb)).run(WARRANTY)
    assert result.answered and "36" not in result.answer


def test_compose_off_keeps_the_models_checked_reply(sample_kb: KnowledgeBase) -> None:
    model = ScriptedChatModel(["The warranty lasts 18 months (handbook.pdf)."])
    options = AgentOptions(compose_answer=False)
    result = Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb), options).run(
        WARRANTY
    )
    assert len(model.prompts) == 1 and "18 months" in result.answer and not result.citations


def test_a_composed_answer_uses_the_hits_each_search_returned(
    sample_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every document search reaches the real index once: the answer is composed from the
    # hits the tool returned with its text, never from the same searches run again.
    search = sample_kb.search
    queries: list[str] = []

    def counted(query: str, *args: Any, **kwargs: Any) -> list[SearchHit]:
        queries.append(query)
        return search(query, *args, **kwargs)

    monkeypatch.setattr(sample_kb, "search", counted)
    composed: list[list[SearchHit]] = []

    def answer(question: str, hits: list[SearchHit], *args: Any, **kwargs: Any) -> Any:
        composed.append(list(hits))
        return answer_from_hits(question, hits, *args, **kwargs)

    monkeypatch.setattr("ragkit.agent.loop.answer_from_hits", answer)
    again = {"tool": "search_documents", "arguments": {"query": "Kestrel Valley membership"}}
    model = ScriptedChatModel(
        [
            json.dumps(again),  # turn 1: a second search
            "The warranty is five years.",  # turn 2: the model answers; composed instead
            "The Ember kettle has an 18-month warranty [1].",  # ask's prompt over the hits
        ]
    )
    agent = Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb))
    result = agent.run(WARRANTY)
    assert queries == [WARRANTY, "Kestrel Valley membership"]
    assert result.answered and "18" in result.answer and len(model.prompts) == 3
    # Each record keeps the hits its search returned, whole: as many as ask answers from.
    k = sample_kb.answer_options.k
    for record, query in zip(result.tool_calls, queries, strict=True):
        assert record.name == "search_documents" and not record.error
        expected = [h.chunk.id for h in search(query, k=k)]
        assert expected and [h.chunk.id for h in record.hits] == expected
    # The answer is composed from both searches' hits, first seen first.
    kept = [h.chunk.id for r in result.tool_calls for h in r.hits]
    assert [[h.chunk.id for h in hits] for hits in composed] == [list(dict.fromkeys(kept))]


def test_a_custom_tool_without_hits_is_not_composed_from(sample_kb: KnowledgeBase) -> None:
    # A search tool of the caller's own returns text only: the model's reply is checked
    # against that text, and no answer is composed (nothing to compose from).
    tools = ToolRegistry()

    @tools.tool
    def search_documents(query: str) -> str:
        """Search the documents.

        Args:
            query: What to look for.
        """
        return "[1] handbook.pdf p. 2: The Ember kettle has an 18-month warranty."

    model = ScriptedChatModel(["The warranty lasts 18 months (handbook.pdf)."])
    result = Agent(model, tools, ToolContext(knowledge_base=sample_kb)).run(WARRANTY)
    assert [r.hits for r in result.tool_calls] == [()]
    assert len(model.prompts) == 1 and "18" in result.answer and not result.citations


@pytest.mark.parametrize(
    ("task", "question", "operation", "unit"),
    [
        (
            "How many months is the kettle warranty times 2?",
            "How many months is the kettle warranty?",
            "{value} * 2",
            "months",
        ),
        (
            "What is the entry share for new members plus 300 dollars?",
            "What is the entry share for new members?",
            "{value} + 300",
            "dollars",
        ),
        (
            "How many seats does the Lantern House have minus 6?",
            "How many seats does the Lantern House have?",
            "{value} - 6",
            "seats",
        ),
        ("What is twice the entry share?", "What is the entry share?", "{value} * 2", ""),
        (
            "What is 10% of the entry share for new members?",
            "What is the entry share for new members?",
            "10 / 100 * {value}",
            "",
        ),
    ],
)
def test_a_document_question_with_arithmetic_is_split(
    task: str, question: str, operation: str, unit: str
) -> None:
    assert mixed_task(task) == MixedTask(question, operation, unit)


@pytest.mark.parametrize(
    "task",
    [
        "What is 98 + 2?",  # the calculator's alone
        "What is 15% of 240?",
        WARRANTY,  # the search's alone
        "What happened in 1990-2000?",  # a range, not a subtraction
        "Summarize handbook.pdf times 2",  # not a question
    ],
)
def test_other_tasks_are_not_mixed(task: str) -> None:
    assert mixed_task(task) is None


def test_the_value_is_the_number_before_the_unit_asked_for() -> None:
    months = MixedTask("How many months is the kettle warranty?", "{value} * 2", "months")
    sentence = "The Ember kettle (1.2 litre) has a warranty of 18 months from purchase."
    assert value_in(sentence, months) == "18"
    dollars = MixedTask("What is the entry share?", "{value} + 300", "dollars")
    assert value_in("New members buy an entry share of 1,200 dollars.", dollars) == "1200"
    teas = MixedTask("How many teas may an order mix?", "{value} * 2")
    assert value_in("It may be mixed across up to four different teas.", teas) == "4"
    seats = MixedTask("How many seats does the Lantern House have?", "{value} - 6", "seats")
    assert value_in("It opened in 2014 and it seats 36 guests.", seats) == "36"


@pytest.mark.parametrize(
    ("task", "value", "expression", "result", "source"),
    [
        (
            "How many months is the kettle warranty times 2?",
            "18 months",
            "18 * 2",
            "36",
            "handbook.pdf",
        ),
        (
            "What is the entry share for new members plus 300 dollars?",
            "1,200 dollars",
            "1200 + 300",
            "1500",
            "membership_policy.md",
        ),
    ],
)
def test_a_mixed_task_searches_then_computes_and_answers_checked_and_cited(
    sample_kb: KnowledgeBase, task: str, value: str, expression: str, result: str, source: str
) -> None:
    # The model would answer from its examples; every step here is the rules'.
    model = ScriptedChatModel(["It is not in the documents."])
    events = list(
        Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb)).run_stream(task)
    )
    done = events[-1].result  # type: ignore[union-attr]
    assert model.prompts == []
    started = [(e.name, json.loads(e.arguments)) for e in events if isinstance(e, ToolStarted)]
    assert started == [
        ("search_documents", {"query": mixed_task(task).question}),  # type: ignore[union-attr]
        ("calculator", {"expression": expression}),
    ]
    assert done.answered and [r.result for r in done.tool_calls][-1] == result
    # The quoted source sentence with its [1], the calculation, the source named.
    answer = done.answer
    assert value in answer and f"{expression} = {result}." in answer
    assert "[1]" in answer and f"\nSources: [1] {source}" in answer
    assert [c.source.endswith(source) for c in done.citations] == [True]
    assert "".join(e.text for e in events if isinstance(e, Text)) == answer


def test_a_mixed_task_whose_value_is_not_in_the_documents_says_so(
    sample_kb: KnowledgeBase,
) -> None:
    model = ScriptedChatModel(["It is 7."])
    task = "How many moons does the planet Zorgon have times 2?"
    done = Agent(model, builtin_tools(), ToolContext(knowledge_base=sample_kb)).run(task)
    assert [r.name for r in done.tool_calls] == ["search_documents"]  # nothing to compute
    assert done.answered and "cannot find" in done.answer and not done.citations
