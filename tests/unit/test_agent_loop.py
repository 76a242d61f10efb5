"""The agent loop's logic, driven by scripted models: tool choice, malformed JSON, unknown
tools, tools that raise, a tool that asks to be called forever, step and time limits,
streaming, native tool calling through the `ToolCallingChatModel` protocol, and replies
constrained by a JSON schema on backends that enforce one."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest

from ragkit.agent import (
    Agent,
    AgentOptions,
    FinalEvent,
    ToolContext,
    ToolError,
    ToolRegistry,
    builtin_tools,
    json_calls,
)
from ragkit.errors import ConfigError
from ragkit.events import Text, ToolFinished, ToolRejected, ToolStarted
from ragkit.models.llm import GenerationOptions, Message, ScriptedChatModel
from ragkit.models.llm.base import ChatTurn, ToolCall, ToolCallingChatModel, ToolSpec


def calc(expression: str) -> str:
    return json.dumps({"tool": "calculator", "arguments": {"expression": expression}})


def agent(model: ScriptedChatModel, **options: object) -> Agent:
    """An agent whose every step is the model's (the rule-decided first step is tested in
    test_agent_planning)."""
    options.setdefault("rule_first_step", False)
    return Agent(model, builtin_tools(), ToolContext(), AgentOptions(**options))  # type: ignore[arg-type]


def test_tool_call_then_streamed_answer() -> None:
    model = ScriptedChatModel([calc("345 * 12"), "345 * 12 = 4140."])
    events = list(agent(model).run_stream("What is 345 * 12?"))
    kinds = [type(e).__name__ for e in events]
    assert kinds[:2] == ["ToolStarted", "ToolFinished"]
    result_event = events[1]
    assert isinstance(result_event, ToolFinished) and result_event.result == "4140"
    deltas = [e.text for e in events if isinstance(e, Text)]
    assert len(deltas) > 1 and "".join(deltas) == "345 * 12 = 4140."  # streamed in pieces
    final = events[-1]
    assert isinstance(final, FinalEvent)
    result = final.result
    assert result.answered and result.answer == "345 * 12 = 4140." and result.steps == 2
    assert [(r.name, r.result) for r in result.tool_calls] == [("calculator", "4140")]
    # The model saw the tool result and the question again on its second turn.
    second = model.prompts[1][-1].content
    assert "Result of calculator:\n4140" in second and "What is 345 * 12?" in second
    # The transcript keeps the canonical form: a call, its result, the answer.
    roles = [m.role for m in result.transcript]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert result.transcript[2].tool_calls[0].name == "calculator"
    assert result.transcript[3].tool_call_id == result.transcript[2].tool_calls[0].id


def test_prompt_lists_tools_and_shows_examples() -> None:
    model = ScriptedChatModel(["Hello."])
    agent(model).run("Say hello")
    system = model.prompts[0][0].content
    assert "- calculator(expression):" in system and "- read_page(file, page?):" in system
    assert model.prompts[0][2].content.startswith('{"tool": ')  # a worked example


def test_malformed_json_is_retried_with_the_error_shown() -> None:
    model = ScriptedChatModel(
        ['{"tool": "calculator", "arguments": {"expression": ', calc("2+2"), "4"]
    )
    events = list(agent(model).run_stream("2+2?"))
    invalid = [e for e in events if isinstance(e, ToolRejected)]
    assert len(invalid) == 1 and invalid[0].retrying and "not valid JSON" in invalid[0].error
    retry_prompt = model.prompts[1]
    assert retry_prompt[-1].content.startswith("Error: your reply is not valid JSON")
    result = events[-1].result  # type: ignore[union-attr]
    assert result.answer.rstrip(".") == "4" and result.invalid_calls == 1  # checked: a full stop
    # Once corrected, the failed attempt is no longer shown to the model.
    assert all("Error:" not in m.content for m in model.prompts[2])


def test_unknown_tool_and_bad_arguments_never_crash_the_loop() -> None:
    model = ScriptedChatModel(
        [
            '{"tool": "weather", "arguments": {"city": "Oslo"}}',
            '{"tool": "search_documents", "arguments": {"expression": "1+1"}}',
            calc("1+1"),
            "2",
        ]
    )
    result = agent(model).run("1+1?")
    assert result.answer == "2." and result.invalid_calls == 2  # checked: a full stop
    assert "there is no tool named 'weather'" in model.prompts[1][-1].content
    hint = model.prompts[2][-1].content
    assert "unknown argument 'expression'" in hint and "These arguments are for calculator" in hint


def test_too_many_invalid_calls_stop_with_a_message() -> None:
    model = ScriptedChatModel(["{oops"])
    result = agent(model, retries=2).run("anything")
    assert result.stopped_reason == "invalid_calls" and not result.answered
    assert "3 invalid tool calls in a row" in result.message and "agent.retries" in result.message
    assert len(model.prompts) == 3


def test_without_retries_the_first_invalid_call_ends_the_run() -> None:
    model = ScriptedChatModel(["{oops", "never reached"])
    result = agent(model, retries=0).run("anything")
    assert result.stopped_reason == "invalid_calls" and len(model.prompts) == 1


def test_a_tool_that_raises_reports_the_error_to_the_model() -> None:
    tools = ToolRegistry()

    @tools.tool
    def flaky(n: int) -> str:
        """Fails for odd numbers."""
        if n % 2:
            raise ToolError(f"{n} is odd")
        raise RuntimeError("disk on fire")

    model = ScriptedChatModel(
        [
            '{"tool": "flaky", "arguments": {"n": 3}}',
            '{"tool": "flaky", "arguments": {"n": 2}}',
            "Both failed.",
        ]
    )
    result = Agent(model, tools).run("try it")
    assert result.answer == "Both failed."
    assert [r.error for r in result.tool_calls] == [True, True]
    assert result.tool_calls[0].result == "Error: 3 is odd"
    assert result.tool_calls[1].result == "Error: flaky failed: RuntimeError: disk on fire"
    assert "Error: 3 is odd" in model.prompts[1][-1].content


def test_a_tool_asking_to_be_called_forever_is_stopped() -> None:
    tools = ToolRegistry()
    counter = {"n": 0}

    @tools.tool
    def again(n: int) -> str:
        """Asks to be called once more."""
        counter["n"] += 1
        return f"not done yet: call again with n={n + 1}"

    def next_call(messages: Sequence[Message]) -> str:
        # Obey the tool: read the n it asked for from the last result.
        last = messages[-1].content
        n = int(last.split("n=")[1].split()[0]) if "n=" in last else 1
        return json.dumps({"tool": "again", "arguments": {"n": n}})

    model = ScriptedChatModel([next_call])
    result = Agent(model, tools, options=AgentOptions(max_steps=4)).run("finish the job")
    assert result.stopped_reason == "max_steps" and result.steps == 4
    assert "stopped after 4 steps" in result.message and "agent.max_steps" in result.message
    assert counter["n"] == 4 and result.answer == ""


def test_a_repeated_identical_call_is_not_run_again() -> None:
    tools = ToolRegistry()
    runs: list[int] = []

    @tools.tool
    def fetch(n: int) -> str:
        """Fetch n."""
        runs.append(n)
        return f"value {n}"

    call = '{"tool": "fetch", "arguments": {"n": 1}}'
    model = ScriptedChatModel([call, call, "value 1"])
    result = Agent(model, tools).run("fetch 1")
    # Checked: a full stop, and a capital opening the sentence.
    assert runs == [1] and result.answer == "Value 1."
    assert "You already called fetch" in result.tool_calls[1].result


def test_time_budget_stops_the_run() -> None:
    ticks = iter(range(0, 1000, 10))  # every clock reading is 10 s later
    model = ScriptedChatModel([calc("1+1")])
    a = Agent(
        model,
        builtin_tools(),
        options=AgentOptions(time_budget_s=25, max_steps=50),
        clock=lambda: float(next(ticks)),
    )
    result = a.run("loop")
    assert result.stopped_reason == "time_budget"
    assert "25 s time budget" in result.message and "agent.time_budget_s" in result.message


def test_history_is_shown_before_the_task() -> None:
    model = ScriptedChatModel(["It was 4."])
    history = [Message("user", "What is 2+2?"), Message("assistant", "4")]
    agent(model).run("And what was it?", history)
    contents = [m.content for m in model.prompts[0]]
    assert contents[-3:] == ["What is 2+2?", "4", "And what was it?"]


def test_empty_task_and_bad_options_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="task is empty"):
        agent(ScriptedChatModel(["x"])).run("  ")
    with pytest.raises(ConfigError, match="max_steps"):
        AgentOptions(max_steps=0)
    with pytest.raises(ConfigError, match="no native tool calling"):
        Agent(ScriptedChatModel(["x"]), builtin_tools(), options=AgentOptions(protocol="native"))


class ScriptedToolModel(ScriptedChatModel):
    """A fake backend with native function calling: replies with scripted `ChatTurn`s
    (the scripted model's window and token count, never its plain replies)."""

    def __init__(self, turns: Sequence[ChatTurn]) -> None:
        super().__init__(["(unused: the native protocol never streams plain text)"])
        self.turns = list(turns)
        self.calls: list[tuple[list[Message], list[ToolSpec]]] = []

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        raise AssertionError("the native protocol must not fall back to plain streaming")

    def chat_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: GenerationOptions
    ) -> ChatTurn:
        self.calls.append((list(messages), list(tools)))
        return self.turns[min(len(self.calls), len(self.turns)) - 1]


def test_native_tool_calling_runs_calls_and_returns_results_by_id() -> None:
    model = ScriptedToolModel(
        [
            ChatTurn(
                "",
                (
                    ToolCall("a", "calculator", '{"expression": "6 * 7"}'),
                    ToolCall("b", "nope", "{}"),
                    ToolCall("c", "calculator", '{"expression": '),
                ),
            ),
            ChatTurn("6 * 7 = 42."),
        ]
    )
    assert isinstance(model, ToolCallingChatModel)
    a = Agent(model, builtin_tools(), options=AgentOptions(rule_first_step=False))
    assert a.native
    events = list(a.run_stream("6 * 7?"))
    calls = [e.call_id for e in events if isinstance(e, ToolStarted)]
    assert calls == ["a", "b", "c"]
    result = events[-1].result  # type: ignore[union-attr]
    assert result.answer == "6 * 7 = 42." and result.answered
    assert [e.text for e in events if isinstance(e, Text)] == ["6 * 7 = 42."]
    second_messages, specs = model.calls[1]
    assert {s.name for s in specs} >= {"calculator", "search_documents"}
    tool_messages = {m.tool_call_id: m.content for m in second_messages if m.role == "tool"}
    assert tool_messages["a"] == "42"
    assert "no tool named 'nope'" in tool_messages["b"]
    assert "not valid JSON" in tool_messages["c"]
    assert second_messages[1].role == "user" and second_messages[2].tool_calls  # canonical


def test_native_protocol_can_be_switched_off() -> None:
    model = ScriptedToolModel([ChatTurn("unused")])
    assert not Agent(model, builtin_tools(), options=AgentOptions(protocol="json")).native


class SchemaModel(ScriptedChatModel):
    """A scripted backend that claims to enforce `json_schema`; records the options."""

    supports_json_schema = True

    def __init__(self, replies: Sequence[str]) -> None:
        super().__init__(replies)
        self.options: list[GenerationOptions] = []

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        self.options.append(options)
        return super().stream(messages, options)


def test_constrained_backend_gets_the_reply_schema_and_answers_in_json() -> None:
    model = SchemaModel([calc("345 * 12"), '{"answer": "345 * 12 = 4140."}'])
    ag = agent(model, constrained=True)
    assert ag.constrained
    events = list(ag.run_stream("What is 345 * 12?"))
    schema = model.options[0].json_schema
    assert schema is not None and schema == json_calls.reply_schema(builtin_tools().specs())
    branches = schema["anyOf"]
    names = [b["properties"]["tool"]["const"] for b in branches if "tool" in b["properties"]]
    assert names == builtin_tools().names()
    calc_branch = branches[names.index("calculator")]
    assert calc_branch["properties"]["arguments"]["required"] == ["expression"]
    assert branches[-1]["required"] == ["answer"]
    assert all(o.json_schema == schema for o in model.options)
    # The answer is unwrapped and arrives whole.
    assert [e.text for e in events if isinstance(e, Text)] == ["345 * 12 = 4140."]
    final = events[-1]
    assert isinstance(final, FinalEvent) and final.result.answer == "345 * 12 = 4140."
    # Prompt, examples and results show answers in the one form the model can write.
    prompt = model.prompts[1]
    assert '{"answer": "<your answer>"}' in prompt[0].content
    assert '{"answer": "19 * 21 = 399."}' in [m.content for m in prompt]
    assert 'answer with {"answer": "<your answer>"}' in prompt[-1].content


def test_constraint_is_off_for_other_backends_and_when_disabled() -> None:
    plain = SchemaModel(["Hello."])
    plain.supports_json_schema = False
    assert not agent(plain, constrained=True).constrained
    agent(plain, constrained=True).run("Say hello")
    assert plain.options[0].json_schema is None
    assert "plain text" in plain.prompts[0][0].content
    off = SchemaModel(["Hello."])
    assert not agent(off).constrained  # off by default
    agent(off).run("Say hello")
    assert off.options[0].json_schema is None


def test_constrained_replies_are_still_validated_and_retried() -> None:
    # A backend that ignores the schema it claims to enforce: validation still holds.
    bad = json.dumps({"tool": "calculator", "arguments": {"query": "345 * 12"}})
    model = SchemaModel([bad, calc("345 * 12"), '{"answer": "4140"}'])
    events = list(agent(model, constrained=True).run_stream("What is 345 * 12?"))
    invalid = [e for e in events if isinstance(e, ToolRejected)]
    assert len(invalid) == 1 and invalid[0].retrying
    assert "search_documents" in invalid[0].error  # the hint names the tool that fits
    final = events[-1]
    assert isinstance(final, FinalEvent) and final.result.answer == "4140."


def test_an_answer_cut_off_by_max_tokens_is_kept() -> None:
    registry = builtin_tools()
    cut = json_calls.parse_reply('{ "answer" : "The kettle has an 18 month warr', registry)
    assert cut == json_calls.Answer("The kettle has an 18 month warr")
    escaped = json_calls.parse_reply('{"answer": "say \\"hi\\" \\u00e9', registry)
    assert escaped == json_calls.Answer('say "hi" é')
    whole = json_calls.parse_reply('{"answer": "ok"}', registry)
    assert whole == json_calls.Answer("ok")
    assert isinstance(json_calls.parse_reply('{"answer": ""}', registry), json_calls.InvalidCall)


def test_the_final_answer_goes_out_through_the_output_guard() -> None:
    from ragkit.guard import default_guard

    raw = "Write to jane.doe@example.com, ID 11010519491231002X.\x1b]52;c;aGk=\x07 Done."
    model = ScriptedChatModel([raw])
    runner = Agent(model, builtin_tools(), ToolContext(), AgentOptions(), guard=default_guard())
    events = list(runner.run_stream("Who do I write to?"))
    shown = "".join(e.text for e in events if isinstance(e, Text))
    final = events[-1]
    assert isinstance(final, FinalEvent)
    for text in (shown, final.result.answer):
        assert "jane.doe@example.com" not in text and "11010519491231002X" not in text
        assert "\x1b" not in text and "Done." in text
    assert shown == final.result.answer
