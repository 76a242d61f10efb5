"""Tools from typed functions, the registry, the safe calculator and the built-in tools."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ragkit import KnowledgeBase
from ragkit.agent import Tool, ToolArgumentsError, ToolContext, ToolError, ToolRegistry, tool
from ragkit.agent.builtins import builtin_tools, search_documents
from ragkit.agent.calculator import CalculatorError, evaluate, format_number
from ragkit.agent.tools import ToolDefinitionError
from ragkit.models.llm import ScriptedChatModel


def _get(registry: ToolRegistry, name: str) -> Tool:
    found = registry.get(name)
    assert found is not None, name
    return found


def lookup(context: ToolContext, city: str, days: int = 1, units: str = "metric") -> str:
    """Forecast for a city.

    Args:
        city: The city's name.
        days: How many days ahead,
            counted from today.
        units: metric or imperial.

    Returns:
        The forecast.
    """
    return f"{city}:{days}:{units}:{context.search_k}"


def test_schema_comes_from_signature_and_docstring() -> None:
    t = Tool.from_function(lookup)
    spec = t.spec()
    assert spec.name == "lookup"
    assert spec.description == "Forecast for a city."
    props = spec.parameters["properties"]
    assert set(props) == {"city", "days", "units"}  # the context is hidden from the model
    assert props["city"] == {"description": "The city's name.", "type": "string"}
    assert props["days"]["type"] == "integer" and props["days"]["default"] == 1
    assert props["days"]["description"] == "How many days ahead, counted from today."
    assert spec.parameters["required"] == ["city"]
    assert t.context_parameter == "context"


def test_invoke_validates_and_passes_the_context() -> None:
    t = Tool.from_function(lookup)
    ctx = ToolContext(search_k=7)
    assert t.invoke('{"city": "Oslo", "days": "2"}', ctx) == "Oslo:2:metric:7"
    assert t.invoke({"city": "Rome"}, ctx) == "Rome:1:metric:7"
    with pytest.raises(ToolArgumentsError, match="missing argument 'city'"):
        t.invoke("{}", ctx)
    with pytest.raises(ToolArgumentsError, match="unknown argument 'town'"):
        t.invoke({"city": "Oslo", "town": "x"}, ctx)
    with pytest.raises(ToolArgumentsError, match="'days'"):
        t.invoke({"city": "Oslo", "days": "many"}, ctx)
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        t.invoke("{city: Oslo", ctx)
    with pytest.raises(ToolArgumentsError, match="JSON object"):
        t.invoke("[1, 2]", ctx)


def test_a_failing_tool_raises_tool_error_with_the_cause() -> None:
    @tool
    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        return a / b

    assert divide.invoke({"a": 1, "b": 4}, ToolContext()) == "0.25"
    with pytest.raises(ToolError, match="divide failed: ZeroDivisionError"):
        divide.invoke({"a": 1, "b": 0}, ToolContext())
    assert divide(6, 3) == 2  # still callable as a plain function


def test_registry_is_an_explicit_object_with_a_decorator() -> None:
    registry = ToolRegistry()

    @registry.tool
    def echo(text: str) -> str:
        """Repeat the text."""
        return text

    @registry.tool(name="shout", description="Upper-case the text.")
    def loud(text: str) -> str:
        return text.upper()

    assert registry.names() == ["echo", "shout"]
    assert "echo" in registry and len(registry) == 2
    assert registry.get("shout") is not None
    assert _get(registry, "shout").invoke({"text": "hi"}, ToolContext()) == "HI"
    assert ToolRegistry().names() == []  # nothing leaks between registries
    with pytest.raises(ToolDefinitionError, match="already registered"):
        registry.register(echo)


def test_bad_tool_definitions_are_refused() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        """Doc."""
        return x

    def undocumented(x: int) -> int:
        return x

    def star(*args: int) -> int:
        """Doc."""
        return 0

    with pytest.raises(ToolDefinitionError, match="needs a type annotation"):
        Tool.from_function(untyped)
    with pytest.raises(ToolDefinitionError, match="no description"):
        Tool.from_function(undocumented)
    with pytest.raises(ToolDefinitionError, match=r"\*args"):
        Tool.from_function(star)
    with pytest.raises(ToolDefinitionError, match="not valid"):
        Tool.from_function(undocumented, name="bad name", description="x")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("(17 + 5) / 4", "5.5"),
        ("8 / 2", "4"),
        ("2 ** 3 ** 2", "512"),
        ("2^10", "1024"),
        ("-2 ** 2", "-4"),
        ("7 // 2 + 7 % 2", "4"),
        ("sqrt(16) + abs(-3)", "7"),
        ("round(2.345, 2)", "2.35"),
        ("max(3, 9, 4) - min(5, 1)", "8"),
        ("1.5e3 + .5", "1500.5"),
        ("2 * pi", "6.28318530718"),
        ("1 / 3", "0.333333333333"),
        ("10**400 / 10**399", "10"),  # whole numbers stay exact, however large
        ("10**20 / 4", "25000000000000000000"),
    ],
)
def test_calculator_evaluates_arithmetic(expression: str, expected: str) -> None:
    assert format_number(evaluate(expression)) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "unexpected character"),
        ("__import__(1)", "unknown function '__import__'"),
        ("open(1)", "unknown function 'open'"),
        ("x + 1", "unknown name 'x'"),
        ("1 / 0", "division by zero"),
        ("2 ** 99999", "digits"),
        ("(1 + 2", r"expected '\)'"),
        ("1 +", "expected a number"),
        ("15% of 240", "15/100"),
        ("1; 2", "unexpected character ';'"),
        ("", "empty"),
        ("(-8) ** 0.5", "not a real number"),
        ("sqrt(-1)", "sqrt"),
        ("9" * 600, "longer than"),
        ("10**400/3", r"about 3\.33333333333E\+399"),  # was a raw OverflowError
        ("10**400 + 0.5", "too large to mix"),
    ],
)
def test_calculator_refuses_what_is_not_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(CalculatorError, match=message):
        evaluate(expression)


def test_builtin_document_tools_search_and_read_pages(sample_kb: KnowledgeBase) -> None:
    tools = builtin_tools()
    assert tools.names() == [
        "search_documents",
        "read_page",
        "calculator",
        "summarize_document",
        "current_datetime",
    ]
    ctx = ToolContext(knowledge_base=sample_kb)
    found = _get(tools, "search_documents").invoke(
        {"query": "Ember brewing kettle warranty", "file_type": "pdf"}, ctx
    )
    assert found.startswith("[1] handbook.pdf p.")
    assert "/" not in found.split(":")[0]  # a bare file name, not a path
    page = _get(tools, "read_page").invoke({"file": "handbook.pdf", "page": 2}, ctx)
    assert "18 months" in page
    with pytest.raises(ToolError, match="page 9 does not exist"):
        _get(tools, "read_page").invoke({"file": "handbook.pdf", "page": 9}, ctx)
    with pytest.raises(ToolError, match=r"no indexed file is named 'secrets\.txt'"):
        _get(tools, "read_page").invoke({"file": "secrets.txt"}, ctx)
    faq = _get(tools, "read_page").invoke({"file": "faq.html"}, ctx)
    assert "wholesale" in faq.lower()


def test_a_search_shows_search_k_passages_and_keeps_as_many_as_ask_answers_from(
    sample_kb: KnowledgeBase,
) -> None:
    # The model reads three; an answer composed from the search sees ask's six.
    ctx = ToolContext(knowledge_base=sample_kb)
    result = search_documents(ctx, "How many member farms does the cooperative have?")
    shown = result.text.splitlines()
    assert len(shown) == ctx.search_k == 3
    assert len(result.hits) == sample_kb.answer_options.k == 6
    for line, hit in zip(shown, result.hits, strict=False):
        assert line.startswith(f"[{hit.rank}] {hit.chunk.source.rsplit('/', 1)[-1]}")
    wide = ToolContext(knowledge_base=sample_kb, search_k=8)
    assert len(search_documents(wide, "member farms").hits) == 8


def test_document_tools_without_a_knowledge_base_say_so() -> None:
    with pytest.raises(ToolError, match="no knowledge base"):
        _get(builtin_tools(), "search_documents").invoke({"query": "x"}, ToolContext())


def test_summarize_uses_the_context_model(sample_kb: KnowledgeBase) -> None:
    model = ScriptedChatModel(["The FAQ covers delivery, returns and wholesale."])
    ctx = ToolContext(knowledge_base=sample_kb, chat_model=model)
    out = _get(builtin_tools(), "summarize_document").invoke({"file": "faq.html"}, ctx)
    assert out == "The FAQ covers delivery, returns and wholesale."
    assert "wholesale" in model.prompts[0][-1].content.lower()  # the document was given


def test_current_datetime_reads_the_context_clock() -> None:
    ctx = ToolContext(clock=lambda: datetime(2026, 3, 14, 9, 30, tzinfo=UTC))
    out = _get(builtin_tools(), "current_datetime").invoke({}, ctx)
    assert out == "Saturday 2026-03-14 09:30:00 UTC"
