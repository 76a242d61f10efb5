"""Tool calling for models without native function calling: JSON in plain text.

The model is shown the tools (name, description, argument schema) and a few worked
examples as earlier chat turns, then asked either to reply with exactly one JSON object
`{"tool": NAME, "arguments": {...}}` or to answer in plain text. Small models copy
examples far better than they follow instructions, so the examples carry most of the
weight. `parse_reply` sorts a reply into an answer, a valid call (tool known, arguments
valid against its schema) or an invalid call with a message for the model saying what
was wrong and what a correct call looks like; the loop shows that message and asks
again (`correction`). `render` turns the loop's canonical transcript (assistant
messages with `tool_calls`, `tool` messages) into the plain user/assistant turns such a
model understands.

Constrained decoding: for a backend that enforces a JSON schema while decoding (the
in-process llama.cpp model), `reply_schema` is one: either `{"tool": NAME, "arguments":
{...}}` with NAME a real tool and arguments of that tool's shape, or `{"answer": TEXT}`.
The prompt, examples and transcript then show answers in that form too (`constrained=True`),
and `parse_reply` reads `{"answer": ...}` (also when cut off by max_tokens). Replies are
validated either way: the schema narrows what a model can write, not what it means.
Leaves out running tools and deciding when to stop (ragkit.agent.loop).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ragkit.agent.tools import ToolArgumentsError, ToolRegistry
from ragkit.events import Text
from ragkit.models.llm.base import Message, ToolCall, ToolSpec

FORMAT = '{"tool": "<tool name>", "arguments": {<arguments>}}'
ANSWER_FORMAT = '{"answer": "<your answer>"}'

# Worked examples; only those whose tool the agent has are shown. Most show a call
# alone; the last two show a whole round (call, result, plain-text answer) so the model
# sees when to stop calling. With every example a whole round, the bundled 135M model
# copied the examples' answers instead of reading its own results.
_EXAMPLES: tuple[tuple[str, str, Mapping[str, str]], ...] = tuple(
    (question, name, MappingProxyType(arguments))
    for question, name, arguments in [
        ("Who founded the bakery?", "search_documents", {"query": "bakery founder"}),
        ("What is 12 * 7?", "calculator", {"expression": "12 * 7"}),
        (
            "What is the refund policy for shoes?",
            "search_documents",
            {"query": "shoe refund policy"},
        ),
        ("How much is 3 plus 4.5, divided by 3?", "calculator", {"expression": "(3 + 4.5) / 3"}),
        ("Compute 250 - 18", "calculator", {"expression": "250 - 18"}),
        ("When does the museum open?", "search_documents", {"query": "museum opening hours"}),
    ]
)
_ROUNDS: tuple[tuple[str, str, Mapping[str, str], str, str], ...] = tuple(
    (question, name, MappingProxyType(arguments), result, answer)
    for question, name, arguments, result, answer in [
        ("What is 19 * 21?", "calculator", {"expression": "19 * 21"}, "399", "19 * 21 = 399."),
        (
            "How old is the harbour bridge?",
            "search_documents",
            {"query": "harbour bridge built"},
            "[1] city.md: The harbour bridge was built in 1932.",
            "The harbour bridge was built in 1932 (city.md).",
        ),
    ]
)


Answer = Text
"""The model answered in plain text (the event the answer is then shown as)."""


@dataclass(frozen=True)
class ValidCall:
    name: str
    arguments: dict[str, Any]

    def as_tool_call(self, call_id: str) -> ToolCall:
        return ToolCall(call_id, self.name, json.dumps(self.arguments, ensure_ascii=False))


@dataclass(frozen=True)
class InvalidCall:
    """The model tried to call a tool and got it wrong; `error` is written for it."""

    error: str
    raw: str


Parsed = Answer | ValidCall | InvalidCall


def system_prompt(tools: Sequence[ToolSpec], instructions: str, constrained: bool = False) -> str:
    """Instructions, then one compact line per tool: `- name(arg, optional?): what it does`.
    Short on purpose: the bundled model chose tools worse behind long schemas."""
    lines = [instructions.strip(), "", "Tools:"]
    for spec in tools:
        props = spec.parameters.get("properties", {})
        required = set(spec.parameters.get("required", []))
        args = ", ".join(name + ("" if name in required else "?") for name in props)
        summary = spec.description.split("; ")[0].rstrip(".")
        lines.append(f"- {spec.name}({args}): {summary}")
    lines += [
        "",
        f"To use a tool, reply with only one JSON object: {FORMAT}",
        (
            f"After the tool's result, answer the question with: {ANSWER_FORMAT}"
            if constrained
            else "After the tool's result, answer the question in plain text."
        ),
    ]
    return "\n".join(lines)


def reply_schema(tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """The JSON schema of every reply a constrained model may write: a call naming one
    of `tools` with arguments matching that tool's schema, or `{"answer": text}`."""
    calls: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": spec.name},
                "arguments": spec.parameters or {"type": "object"},
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for spec in tools
    ]
    answer = {
        "type": "object",
        "properties": {"answer": {"type": "string", "minLength": 1}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    return {"anyOf": [*calls, answer]}


def answer_text(answer: str) -> str:
    """An answer as a constrained model writes it."""
    return json.dumps({"answer": answer}, ensure_ascii=False)


_ANSWER_HEAD = re.compile(r'\s*\{\s*"answer"\s*:\s*"')


def _cut_answer(text: str) -> str | None:
    """The answer in `{"answer": "...` cut off before its end (max_tokens), or None."""
    head = _ANSWER_HEAD.match(text)
    if head is None:
        return None
    rest = text[head.end() :].rstrip()
    rest = rest[:-1] if rest.endswith("\\") and not rest.endswith("\\\\") else rest
    try:
        value, _ = json.JSONDecoder().raw_decode(f'"{rest}"')
    except json.JSONDecodeError:
        value = rest
    return value.strip() or None if isinstance(value, str) else None


def examples(tools: Sequence[ToolSpec]) -> list[Message]:
    """Example turns in the loop's canonical form (render them with `render`)."""
    names = {t.name for t in tools}
    turns: list[Message] = []
    for question, name, arguments in _EXAMPLES:
        if name in names:
            turns += [
                Message("user", question),
                Message("assistant", call_text(name, dict(arguments))),
            ]
    for i, (question, name, arguments, result, answer) in enumerate(_ROUNDS):
        if name in names:
            call = ValidCall(name, dict(arguments)).as_tool_call(f"example_{i}")
            turns += [
                Message("user", question),
                Message("assistant", "", (call,)),
                Message("tool", result, tool_call_id=call.id),
                Message("assistant", answer),
            ]
    return turns


def call_text(name: str, arguments: object) -> str:
    return json.dumps({"tool": name, "arguments": arguments}, ensure_ascii=False)


def looks_like_call(text: str) -> bool:
    """Whether a reply's opening shows the model is writing a tool call, not an answer.
    Decided on the first non-blank character so an answer can stream as it arrives."""
    head = text.lstrip()
    return head.startswith(("{", "`", "["))


def decided(text: str) -> bool:
    """Whether enough of a reply has arrived for `looks_like_call` to be final."""
    return bool(text.strip())


def _json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` (inside a code fence or not)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def parse_reply(text: str, registry: ToolRegistry) -> Parsed:
    if not looks_like_call(text):
        return Answer(text.strip())
    raw = text.strip()
    obj = _json_object(raw)
    if obj is None:
        cut = _cut_answer(raw)
        if cut is not None:
            return Answer(cut)
        return InvalidCall(f"your reply is not valid JSON. Reply with {FORMAT}", raw)
    if "tool" not in obj and isinstance(obj.get("answer"), str) and obj["answer"].strip():
        return Answer(obj["answer"].strip())
    name = obj.get("tool")
    if not isinstance(name, str) or not name:
        return InvalidCall(f'the JSON has no "tool" name. Reply with {FORMAT}', raw)
    tool = registry.get(name)
    if tool is None:
        return InvalidCall(
            f"there is no tool named {name!r}; the tools are: {', '.join(registry.names())}",
            raw,
        )
    extra = sorted(set(obj) - {"tool", "arguments"})
    if extra:
        return InvalidCall(
            f'put the arguments inside "arguments", not beside it ({", ".join(extra)}). '
            f"Reply with {FORMAT}",
            raw,
        )
    arguments = obj.get("arguments", {})
    if not isinstance(arguments, dict):
        return InvalidCall(f'"arguments" must be a JSON object. Reply with {FORMAT}', raw)
    try:
        values = tool.validate(arguments)
    except ToolArgumentsError as exc:
        return InvalidCall(f"{exc}{_other_tool_hint(name, arguments, registry)}", raw)
    return ValidCall(name, values.model_dump(exclude_defaults=True))


def _other_tool_hint(name: str, arguments: dict[str, Any], registry: ToolRegistry) -> str:
    """Name the tools these arguments would suit: small models often pick the right
    arguments under the wrong tool's name."""
    fits = []
    for other in registry:
        if other.name == name:
            continue
        try:
            other.validate(arguments)
        except ToolArgumentsError:
            continue
        fits.append(other.name)
    if len(fits) == 1:
        return f". These arguments are for {fits[0]}, not {name}; to call it, reply: " + call_text(
            fits[0], arguments
        )
    if fits:
        return f". These arguments are for {' or '.join(fits)}, not {name}"
    tool = registry.get(name)
    schema = json.dumps(tool.spec().parameters) if tool else "{}"
    return f". The arguments of {name} are {schema}"


def correction(error: str) -> Message:
    """What the model is told after an invalid call, before it is asked again."""
    return Message(
        "user",
        f"Error: {error}\nReply with the corrected JSON tool call.",
    )


def render(messages: Sequence[Message], constrained: bool = False) -> list[Message]:
    """The loop's transcript as plain turns: calls become their JSON text, tool results
    become user turns that name the tool and repeat the question (a small model loses
    track of it behind a long result). `constrained`: answers are shown as
    `{"answer": ...}`, the only form a constrained model can write."""
    names: dict[str, str] = {}
    out: list[Message] = []
    question = ""
    for m in messages:
        if m.role == "user" and not m.content.startswith("Error: "):
            question = m.content
        if m.role == "assistant" and m.tool_calls:
            call = m.tool_calls[0]
            names[call.id] = call.name
            try:
                arguments = json.loads(call.arguments or "{}")
            except json.JSONDecodeError:
                arguments = call.arguments
            out.append(Message("assistant", call_text(call.name, arguments)))
        elif m.role == "tool":
            name = names.get(m.tool_call_id or "", "the tool")
            out.append(
                Message(
                    "user",
                    f"Result of {name}:\n{m.content}\n\nUsing this result, answer "
                    + ("with " + ANSWER_FORMAT if constrained else "in plain text")
                    + f": {question}",
                )
            )
        elif constrained and m.role == "assistant" and not looks_like_call(m.content):
            out.append(Message("assistant", answer_text(m.content)))
        else:
            out.append(Message(m.role, m.content))
    return out
