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

A third shape takes more than one step, all by rule:

- **a question for the documents with arithmetic on its answer** (`mixed_task`): a
  question followed by an operation on a number ("How many months is the kettle warranty
  times 2?", "What is the entry share for new members plus 300 dollars?", "... divided by
  4", "twice the entry share", "10% of the entry share"): search_documents with the
  question alone, the value read from the sentence ask's extractive path quotes for it
  (`value_in`: the number before the unit the task names, "18 months", "1,200 dollars"),
  then calculator on that value and the operation. The loop writes the answer from the
  quote, cited, and the calculation, and checks it (ragkit.agent.loop).

Anything else (a request to summarize or read a page, a question about the date, a custom
tool's domain) is left to the model, as is every step after the first: whether to call
another tool or to answer. Leaves out running the calls (ragkit.agent.loop) and what the
answer says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
        return valid_call(tools, "calculator", {"expression": expression})
    if context.knowledge_base is not None and is_document_question(task):
        return valid_call(tools, "search_documents", {"query": task.strip()})
    return None


def valid_call(tools: ToolRegistry, name: str, arguments: dict[str, object]) -> ValidCall | None:
    """The call of `name` with `arguments`, or None when the registry has no such tool or
    its schema refuses them."""
    tool = tools.get(name)
    if tool is None:
        return None
    try:
        values = tool.validate(arguments)
    except ToolArgumentsError:
        return None  # a registry's own tool of that name, of another shape
    return ValidCall(name, values.model_dump(exclude_defaults=True))


@dataclass(frozen=True)
class MixedTask:
    """A question for the documents and the arithmetic to do on its answer's number:
    `operation` is a calculator expression with `{value}` where that number goes."""

    question: str
    operation: str
    unit: str = ""
    """The unit the task names for the value ("months", "dollars"), "" when none."""


_OPERAND = r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_TAIL_OPS = {
    "times": "{value} * {n}",
    "multiplied by": "{value} * {n}",
    "*": "{value} * {n}",
    "x": "{value} * {n}",
    "plus": "{value} + {n}",
    "+": "{value} + {n}",
    "minus": "{value} - {n}",
    "-": "{value} - {n}",
    "less": "{value} - {n}",
    "divided by": "{value} / {n}",
    "/": "{value} / {n}",
    "over": "{value} / {n}",
}
_TAIL = re.compile(
    r"^(?P<q>.*[^\W\d_].*?)[\s,]+(?P<op>times|multiplied\s+by|plus|minus|less|divided\s+by|over|"
    r"[*+/x-])\s*\$?\s*" + _OPERAND + r"(?:\s+(?P<unit>[a-z]+))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_FRONT = re.compile(
    r"^(?P<lead>.*?\b(?:is|are|was|were|'s)\s+)?(?P<op>twice|double|triple|half(?:\s+of)?|"
    + _OPERAND
    + r"\s*(?:%|percent)\s+of)\s+(?P<rest>the\s+.+)$",
    re.IGNORECASE,
)
_FRONT_OPS = {"twice": "{value} * 2", "double": "{value} * 2", "triple": "{value} * 3"}
_HOW_MANY_UNIT = re.compile(r"\bhow\s+many\s+(?P<unit>[a-z]+)", re.IGNORECASE)


def mixed_task(task: str) -> MixedTask | None:
    """The document question and the arithmetic of a task that asks for a number from the
    documents with an operation on it, or None for any other task (a whole expression is
    the calculator's alone: `arithmetic_expression`)."""
    text = " ".join(task.strip().split())
    if arithmetic_expression(text) is not None or "\n" in task.strip():
        return None
    tail = _TAIL.match(text)
    if tail:
        question = tail.group("q").strip(" ,")
        n = tail.group("n").replace(",", "")
        operation = _TAIL_OPS[" ".join(tail.group("op").lower().split())].replace("{n}", n)
        unit = (tail.group("unit") or "").lower()
    else:
        front = _FRONT.match(text.rstrip("?.! "))
        if front is None:
            return None
        op = " ".join(front.group("op").lower().split())
        lead = front.group("lead") or "What is "
        question = f"{lead}{front.group('rest')}"
        if front.group("n"):
            operation = f"{front.group('n').replace(',', '')} / 100 * {{value}}"
        else:
            operation = _FRONT_OPS.get(op, "{value} / 2")
        unit = ""
    question = question.rstrip("?.! ") + "?"
    if not is_document_question(question) or not _QUESTION_WORDS.match(question):
        return None
    how_many = _HOW_MANY_UNIT.search(question)
    if how_many and not unit:
        unit = how_many.group("unit").lower()
    return MixedTask(question, operation, unit)


_VALUE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w,]*\d)")
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_YEAR = re.compile(r"1[89]\d\d|2[01]\d\d")
_WORD_VALUE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def value_in(sentence: str, mixed: MixedTask) -> str | None:
    """The number `sentence` gives as the answer to `mixed.question`, as the calculator
    reads it (no thousands commas): the one before the task's unit ("18 months", "1,200
    dollars") when the task names one and the sentence has it, else the first number
    that the question does not already hold and that is no year, unless a year is asked
    (a number word, "four teas", counts)."""
    found = [(m.start(), m.end(), m.group(1).replace(",", "")) for m in _VALUE.finditer(sentence)]
    found += [
        (m.start(), m.end(), _NUMBER_WORDS[m.group(1).lower()])
        for m in _WORD_VALUE.finditer(sentence)
    ]
    found.sort()
    asked = set(_VALUE.findall(mixed.question))
    found = [f for f in found if f[2] not in asked]
    if not re.search(r"\byears?\b|\bwhen\b", f"{mixed.question} {mixed.unit}", re.IGNORECASE):
        # "It opened in 2014 … and it seats 36 guests": a year is no count of seats.
        found = [f for f in found if not _YEAR.fullmatch(f[2])] or found
    if mixed.unit:
        stem = mixed.unit.rstrip("s")
        for _, end, value in found:
            after = sentence[end:].lstrip(" -").lower()
            if after.startswith(stem):
                return value
    return found[0][2] if found else None
