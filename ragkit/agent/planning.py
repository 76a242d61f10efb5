"""The first step decided by rule, from the task's shape, where there is no real choice.

A small model picks tools badly even when the task leaves nothing to choose (the bundled
135M model sends arithmetic to the document search, or answers from its worked
examples). Two shapes are unambiguous and decided here, before the model's first turn:

- **arithmetic**: the whole task, less a leading "what is" / "calculate" / "compute" and
  the question mark, is an arithmetic expression the calculator parses (`345 * 12`,
  `(17 + 5) / 4`), possibly in words ("add 1234 and 5678", "multiply 19 by 23", "the
  square root of 144", "3 plus 4", "15 percent of 240"): the first call is the
  calculator with that expression;
- **a question for the documents**: a question (it ends with "?" or opens with a
  question word), not arithmetic, not about the clock ("what time is it", "today") and
  naming no file, page or summary, with a knowledge base to search: the first call is
  search_documents with the question as written.

Anything else (a task mixing words and numbers, a request to summarize or read a page, a
question about the date, a custom tool's domain) is left to the model, as is every step
after the first: whether to call another tool or to answer. Leaves out running the call
(ragkit.agent.loop) and what the answer says.
"""

from __future__ import annotations

import re

from ragkit.agent.calculator import CalculatorError, evaluate
from ragkit.agent.context import ToolContext
from ragkit.agent.json_calls import ValidCall
from ragkit.agent.tools import ToolArgumentsError, ToolRegistry

_LEAD = re.compile(
    r"^(?:please\s+)?(?:(?:can|could)\s+you\s+)?"
    r"(?:what\s+is|what's|whats|how\s+much\s+is|calculate|compute|evaluate|work\s+out|"
    r"solve|find)\s+",
)
_NUM = r"-?\d+(?:\.\d+)?"
# Whole-task word forms: (pattern, expression built from its numbered groups).
_WORD_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^(?:the\s+)?sum\s+of\s+({_NUM})\s+and\s+({_NUM})$"), "{0} + {1}"),
    (re.compile(rf"^(?:the\s+)?product\s+of\s+({_NUM})\s+and\s+({_NUM})$"), "{0} * {1}"),
    (re.compile(rf"^add\s+({_NUM})\s+(?:and|to)\s+({_NUM})$"), "{0} + {1}"),
    (re.compile(rf"^subtract\s+({_NUM})\s+from\s+({_NUM})$"), "{1} - {0}"),
    (re.compile(rf"^multiply\s+({_NUM})\s+(?:by|and|with)\s+({_NUM})$"), "{0} * {1}"),
    (re.compile(rf"^divide\s+({_NUM})\s+by\s+({_NUM})$"), "{0} / {1}"),
    (re.compile(rf"^(?:the\s+)?square\s+root\s+of\s+({_NUM})$"), "sqrt({0})"),
    (re.compile(rf"^({_NUM})\s+squared$"), "{0} ** 2"),
    (re.compile(rf"^({_NUM})\s*(?:%|percent)\s+of\s+({_NUM})$"), "{0} / 100 * {1}"),
)
# Operators in words, inside an expression ("3 plus 4 times 2").
_WORD_OPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s+plus\s+"), " + "),
    (re.compile(r"\s+minus\s+"), " - "),
    (re.compile(r"\s+(?:times|multiplied\s+by)\s+"), " * "),
    (re.compile(r"\s+(?:divided\s+by|over)\s+"), " / "),
    (re.compile(r"\s+to\s+the\s+power\s+of\s+"), " ** "),
)
_EXPRESSION = re.compile(r"^[\d\s.+\-*/%^()]+$|^sqrt\([\d\s.+\-*/%^()]+\)$")
_OPERATOR = re.compile(r"\d\s*(?:\*\*|//|[-+*/%^])\s*[-(\d.]|sqrt\(")
_THOUSANDS = re.compile(r"\b(\d{1,3}(?:,\d{3})+)\b")
_QUESTION_WORDS = re.compile(
    r"^(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|does|do|did|can|"
    r"could|should|has|have|had)\b",
    re.IGNORECASE,
)
# Questions another built-in tool answers, or that name what to read: the model chooses.
_NOT_A_SEARCH = re.compile(
    r"\b(?:what\s+time|(?:time|date|day)\s+is\s+it|today|tomorrow|yesterday|right\s+now|"
    r"(?:current|today's)\s+(?:date|time|day)|summar\w*|page\s+\d+|"
    r"\w+\.(?:pdf|md|txt|html?|docx|jsonl))\b",
    re.IGNORECASE,
)


def arithmetic_expression(task: str) -> str | None:
    """The calculator expression the whole of `task` states, or None when the task holds
    anything besides the arithmetic (then the model decides)."""
    text = " ".join(task.strip().lower().split()).rstrip("?.! ")
    text = _LEAD.sub("", text).strip()
    text = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), text)
    expression = None
    for pattern, form in _WORD_FORMS:
        match = pattern.match(text)
        if match:
            expression = form.format(*match.groups())
            break
    if expression is None:
        for pattern, symbol in _WORD_OPS:
            text = pattern.sub(symbol, text)
        if not _EXPRESSION.match(text) or not _OPERATOR.search(text):
            return None
        expression = " ".join(text.replace("^", "**").split())
    try:
        evaluate(expression)
    except CalculatorError:
        return None  # not something the calculator can do: the model decides
    return expression


def is_document_question(task: str) -> bool:
    """Whether `task` is a question to look up in the documents: a question, not
    arithmetic, not about the clock, naming no file, page or summary."""
    text = task.strip()
    if not (text.endswith("?") or _QUESTION_WORDS.match(text)):
        return False
    if _NOT_A_SEARCH.search(text) or "\n" in text:
        return False
    return arithmetic_expression(text) is None


def first_call(task: str, tools: ToolRegistry, context: ToolContext) -> ValidCall | None:
    """The call a task of an unambiguous shape starts with, or None to let the model
    choose. Only tools the registry holds, with arguments its schema accepts."""
    expression = arithmetic_expression(task)
    if expression is not None:
        return _valid(tools, "calculator", {"expression": expression})
    if context.knowledge_base is not None and is_document_question(task):
        return _valid(tools, "search_documents", {"query": task.strip()})
    return None


def _valid(tools: ToolRegistry, name: str, arguments: dict[str, object]) -> ValidCall | None:
    tool = tools.get(name)
    if tool is None:
        return None
    try:
        values = tool.validate(arguments)
    except ToolArgumentsError:
        return None  # a registry's own tool of that name, of another shape
    return ValidCall(name, values.model_dump(exclude_defaults=True))
