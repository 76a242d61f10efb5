"""The agent loop: the model chooses a tool or answers, until it answers or a limit stops it.

`Agent.run_stream(task)` yields events as they happen, in the vocabulary of streamed
answers (ragkit.events): `ToolStarted`, `ToolFinished`, `ToolRejected` (a malformed call),
`Text` (the final answer, piece by piece), and last `FinalEvent` with the `AgentResult`
(answer, why it stopped, the whole transcript). `Agent.run(task)` returns just the result.

Two protocols. A model implementing `ToolCallingChatModel` gets native function calling
(OpenAI-style `tools`/`tool_calls`); its final answer arrives whole, in one delta. With
protocol `auto`, a remote server is first asked (once) whether it honours `tools` at all;
one that ignores them gets the JSON protocol. Any
other `ChatModel` gets JSON tool calls in plain text (ragkit.agent.json_calls), and its
answer streams as generated. Either way:

- a tool's failure, an unknown tool or arguments that fail the schema never end the
  loop: the error goes back to the model. On the JSON protocol an invalid call is
  retried with the error shown, up to `retries` times in a row; more than that ends
  the run (`invalid_calls`), as does the same on the native protocol;
- a call repeated with the same arguments is not run again; the model is told to use
  the result it has (small models otherwise loop on one call);
- with a backend that enforces a JSON schema while decoding (`supports_json_schema`,
  the in-process llama.cpp model) and `constrained` on (off by default), JSON-protocol replies are
  constrained to a real tool with arguments of its shape, or `{"answer": ...}`; the
  answer then arrives whole, in one delta, and replies are still validated;
- once a tool has returned results, the final answer is checked against them before
  any of it is shown (`check_answer`, on by default; ragkit.answer.checking, as `ask`'s
  answers are): a sentence with a number, date or name no result holds, or sharing too
  little with every result, is not shown as fact; it then arrives checked, in one delta;
- a task of an unambiguous shape starts with the call its shape decides, before the
  model's first turn (`rule_first_step`; ragkit.agent.planning): a whole arithmetic
  expression goes to the calculator, a question for the documents to search_documents.
  That call is step 0; every later choice is the model's. A document question with
  arithmetic on its number is the rules' from end to end (`_mixed_steps`): search, the
  quoted value, the calculator, a checked and cited answer, no model turn;
- once documents were searched and the model chooses to answer, the answer is written
  by `ask`'s checked answer path over the passages found (`compose_answer`;
  ragkit.answer.pipelines): checked sentence by sentence, cited to the sentence's page.
  The passages are the hits each search returned with its text (`ToolResult`), kept in
  the run's record (`ToolRecord.hits`): nothing is searched twice;
- `max_steps` model turns and a wall-clock `time_budget_s` bound the run; either ends
  it with a message saying what to raise. A running tool is not interrupted; the budget
  is checked before every model turn and tool call and while an answer streams.

Leaves out the tools themselves (ragkit.agent.builtins), memory across runs
(ragkit.agent.memory; pass earlier turns as `history`) and presentation (the CLI).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Literal

from ragkit.agent import json_calls, planning
from ragkit.agent.context import ToolContext
from ragkit.agent.tools import ToolArgumentsError, ToolError, ToolRegistry, ToolResult
from ragkit.answer.checking import check_reply, word_pieces
from ragkit.answer.citations import CITE
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.pipelines import answer as answer_from_hits
from ragkit.errors import ConfigError
from ragkit.events import Text, ToolFinished, ToolRejected, ToolStarted
from ragkit.guard.guard import Guard
from ragkit.guard.stream import StreamFilter
from ragkit.models.llm.base import (
    ChatModel,
    GenerationOptions,
    Message,
    ToolCall,
    ToolCallingChatModel,
    supports_json_schema,
)
from ragkit.options import AnswerOptions
from ragkit.text.analysis import Analyzer
from ragkit.types import Citation, SearchHit

StopReason = Literal["answered", "max_steps", "time_budget", "invalid_calls", "context_full"]
Protocol = Literal["auto", "native", "json"]

INSTRUCTIONS = (
    "You are a helpful assistant with tools. Use a tool when the question needs one: "
    "search_documents for questions about the documents, calculator for any arithmetic. "
    "Answer briefly and name the file and page a fact came from."
)


@dataclass(frozen=True)
class AgentOptions:
    max_steps: int = 6
    """Model turns at most; a turn that calls tools counts one."""
    time_budget_s: float = 180.0
    """Wall-clock seconds for the whole run."""
    retries: int = 2
    """Invalid tool calls in a row the model may correct before the run ends."""
    protocol: Protocol = "auto"
    """auto: native tool calling when the model has it, else JSON in text."""
    result_chars: int = 2000
    """A tool result longer than this is cut before the model sees it."""
    instructions: str = INSTRUCTIONS
    check_answer: bool = True
    """Check the final answer against the tool results before it is shown, as `ask`
    checks its answers (ragkit.answer.checking): sentences with numbers, dates or names
    in no result, or sharing too little with any, are not shown as fact."""
    rule_first_step: bool = True
    """Start a task of an unambiguous shape with the call that shape decides, before the
    model's first turn (ragkit.agent.planning): an arithmetic expression goes to the
    calculator, a question for the documents to search_documents. Everything after that
    first call, and every other task, is the model's choice."""
    compose_answer: bool = True
    """When the model answers after document searches, its answer is written through
    `ask`'s checked answer path (ragkit.answer.pipelines) over the passages those
    searches returned, instead of from the agent's tool-call prompt."""
    constrained: bool = False
    """JSON protocol: constrain the model's replies to a tool call or an answer with a JSON
    schema, when the backend enforces one while decoding (others ignore it). Off by
    default: on the bundled 135M model it lowered the success rate (bench/README.md)."""

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ConfigError("agent max_steps must be at least 1")
        if self.time_budget_s <= 0:
            raise ConfigError("agent time_budget_s must be positive")
        if self.retries < 0:
            raise ConfigError("agent retries cannot be negative")
        if self.result_chars < 100:
            raise ConfigError("agent result_chars must be at least 100")


@dataclass(frozen=True)
class ToolRecord:
    """One tool call the loop handled, and what came back."""

    step: int
    name: str
    arguments: str
    result: str
    error: bool
    hits: tuple[SearchHit, ...] = ()
    """The search hits the tool's result shows (search_documents), whole: the text the
    model read may be cut, these are not. A composed answer is written from them."""


@dataclass(frozen=True)
class AgentResult:
    task: str
    answer: str
    stopped_reason: StopReason
    message: str
    """Why the run stopped without an answer and what to do; empty when it answered."""
    steps: int
    transcript: tuple[Message, ...]
    tool_calls: tuple[ToolRecord, ...] = ()
    invalid_calls: int = 0
    unsupported: tuple[str, ...] = ()
    """Sentences of the model's answer the check left out (not supported by any tool
    result)."""
    citations: tuple[Citation, ...] = ()
    """The passages a composed answer's `[n]` marks cite (file and page), as `ask`'s."""
    repaired_calls: int = 0
    """Tool calls the model wrote malformed that were repaired rather than retried."""

    @property
    def answered(self) -> bool:
        return self.stopped_reason == "answered"


@dataclass(frozen=True)
class FinalEvent:
    result: AgentResult


AgentEvent = ToolStarted | ToolFinished | ToolRejected | Text | FinalEvent
_Step = Generator[AgentEvent, None, str | None]
"""One model turn: yields events, returns the answer or None when tools ran."""


@dataclass
class _Run:
    """Mutable state of one run."""

    task: str
    started: float
    visible: list[Message]
    """What the model sees besides the system prompt, in canonical (native) form."""
    transcript: list[Message]
    steps: int = 0
    invalid_in_row: int = 0
    invalid_total: int = 0
    records: list[ToolRecord] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)
    citations: tuple[Citation, ...] = ()
    composed: bool = False
    """The answer came through `ask`'s checked path: it is not checked again."""
    repaired: int = 0


class _Stop(Exception):
    def __init__(self, reason: StopReason, message: str, answer: str = "") -> None:
        super().__init__(message)
        self.reason: StopReason = reason
        self.message = message
        self.answer = answer


class Agent:
    """A chat model with tools. One `Agent` can run many tasks; runs share nothing."""

    def __init__(
        self,
        model: ChatModel,
        tools: ToolRegistry,
        context: ToolContext | None = None,
        options: AgentOptions | None = None,
        generation: GenerationOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        guard: Guard | None = None,
    ) -> None:
        """`guard` filters the final answer on its way out (the events and the result)."""
        self.guard = guard
        self.model = model
        self.tools = tools
        self.context = context or ToolContext()
        self.options = options or AgentOptions()
        self.generation = generation or GenerationOptions()
        self._clock = clock
        self._native: bool | None = None
        if self.options.protocol == "native" and not isinstance(model, ToolCallingChatModel):
            raise ConfigError(
                f"model {model.id} has no native tool calling; set agent.protocol to "
                "'json' or 'auto'"
            )

    @property
    def native(self) -> bool:
        """Whether this agent calls tools natively. `auto` asks a model that can say
        (`honours_tools`, a remote server probed once) whether its server really answers
        tools: one that ignores them would only ever reply in text, so the JSON protocol
        is used instead."""
        if self.options.protocol == "json" or not isinstance(self.model, ToolCallingChatModel):
            return False
        if self.options.protocol == "native":
            return True
        if self._native is None:
            probe = getattr(self.model, "honours_tools", None)
            self._native = bool(probe()) if callable(probe) else True
        return self._native

    @property
    def constrained(self) -> bool:
        """Whether JSON-protocol replies are constrained by a schema while decoding."""
        return self.options.constrained and not self.native and supports_json_schema(self.model)

    def system_prompt(self) -> str:
        if self.native:
            return self.options.instructions
        return json_calls.system_prompt(
            self.tools.specs(), self.options.instructions, self.constrained
        )

    def run(self, task: str, history: Sequence[Message] = ()) -> AgentResult:
        result: AgentResult | None = None
        for event in self.run_stream(task, history):
            if isinstance(event, FinalEvent):
                result = event.result
        assert result is not None
        return result

    def run_stream(self, task: str, history: Sequence[Message] = ()) -> Iterator[AgentEvent]:
        events = self._run_stream(task, history)
        if self.guard is None:
            yield from events
            return
        # The answer reaches the caller only through the output guard, as `ask`'s does:
        # personal data redacted, terminal escapes removed, blocked text withheld.
        shown = StreamFilter(self.guard, "output")
        for event in events:
            if isinstance(event, Text):
                text = shown.feed(event.text)
                if text:
                    yield Text(text)
            elif isinstance(event, FinalEvent):
                tail = shown.close()
                if tail:
                    yield Text(tail)
                answer = apply_guard(self.guard, event.result.answer)
                yield FinalEvent(replace(event.result, answer=answer))
            else:
                yield event

    def _run_stream(self, task: str, history: Sequence[Message] = ()) -> Iterator[AgentEvent]:
        if not task.strip():
            raise ConfigError("the task is empty; say what the agent should do")
        system = Message("system", self.system_prompt())
        visible = [*history, Message("user", task)]
        run = _Run(task, self._clock(), visible, [system, *visible])
        try:
            ruled = yield from self._rule_step(run)
            if ruled is not None:  # a task whose every step a rule decides
                yield FinalEvent(self._result(run, "answered", "", ruled))
                return
            while True:
                if run.steps >= self.options.max_steps:
                    raise _Stop(
                        "max_steps",
                        f"stopped after {run.steps} steps without an answer; raise "
                        "agent.max_steps or make the task simpler",
                    )
                self._check_time(run)
                run.steps += 1
                step = self._native_step if self.native else self._json_step
                answer = yield from self._checked_step(run, step(run, system))
                if answer is not None:
                    yield FinalEvent(self._result(run, "answered", "", answer))
                    return
        except _Stop as stop:
            answer = self._check(run, stop.answer) if stop.answer else ""
            yield FinalEvent(self._result(run, stop.reason, stop.message, answer))

    def _rule_step(self, run: _Run) -> _Step:
        """The first call, when the task's shape decides it (step 0: not a model turn);
        returns the answer when the rules decide the whole run (`_mixed_steps`)."""
        if not self.options.rule_first_step:
            return None
        mixed = planning.mixed_task(run.task)
        if mixed is not None and self._composes() and "calculator" in self.tools.names():
            return (yield from self._mixed_steps(run, mixed))
        call = planning.first_call(run.task, self.tools, self.context)
        if call is not None:
            yield from self._rule_call(run, call)
        return None

    def _rule_call(self, run: _Run, call: json_calls.ValidCall) -> Iterator[AgentEvent]:
        """Run a call a rule decided, shown as step 0 (not a model turn)."""
        number = sum(1 for r in run.records if r.step == 0)
        tool_call = call.as_tool_call(f"call_0_{number}" if number else "call_0")
        assistant = Message("assistant", "", tool_calls=(tool_call,))
        run.visible.append(assistant)
        run.transcript.append(assistant)
        yield ToolStarted(tool_call.name, tool_call.arguments, 0, tool_call.id)
        content, error, _ = self._execute(run, tool_call)
        yield ToolFinished(tool_call.name, content, 0, tool_call.id, error)

    def _composes(self) -> bool:
        """Whether document answers are written by ask's path from the searches' hits."""
        return self.options.compose_answer and self.context.knowledge_base is not None

    def _mixed_steps(self, run: _Run, mixed: planning.MixedTask) -> _Step:
        """A document question with arithmetic on its answer, every step by rule: search,
        the value from the sentence ask's extractive path quotes, the calculator on it;
        the answer is that quote, cited, and the calculation, checked against both
        results. Returns None (the model goes on) when a call cannot be made or fails."""
        kb = self.context.knowledge_base
        assert kb is not None
        search = planning.valid_call(self.tools, "search_documents", {"query": mixed.question})
        if search is None:
            return None
        yield from self._rule_call(run, search)
        hits = list(run.records[-1].hits)
        found = extract_answer(
            mixed.question,
            hits,
            kb.scorer(),
            sentences=1,
            documents=lambda source, key: kb.document(source, key=key),
        )
        quote = found.text.strip()
        value = None if found.not_found else planning.value_in(quote, mixed)
        if value is None:
            text = found.text if found.not_found else f"{quote}\n(no number in it to compute with)"
        else:
            expression = mixed.operation.replace("{value}", value)
            calculate = planning.valid_call(self.tools, "calculator", {"expression": expression})
            if calculate is None:
                return None
            yield from self._rule_call(run, calculate)
            if run.records[-1].error:
                return None
            # Checked against the passages whole (the search's text shows their first
            # lines only) and the calculation; the quote is read without its [n] (the
            # sources are unnumbered), which goes back on once the quote passed.
            result = run.records[-1].result.strip()
            sources = [hit.chunk.text for hit in hits] + [f"{expression} = {result}"]
            bare = CITE.sub("", quote).strip()
            text = f"{bare} {expression} = {result}."
            if self.options.check_answer:
                text, state = check_reply(run.task, sources, text, SentenceScorer(Analyzer()))
                run.unsupported += state.unsupported
            text = text.replace(bare, quote, 1) if bare in text else text
        run.citations = found.citations if not found.not_found else ()
        run.composed = True
        for piece in word_pieces(text):
            yield Text(piece)
        return (yield from self._finish(run, text))

    def _searches(self, run: _Run) -> list[SearchHit]:
        """The passages the run's successful document searches returned, first seen
        first, as their records keep them (a search is never run again for them)."""
        if not self.options.compose_answer or self.context.knowledge_base is None:
            return []
        hits: dict[int, SearchHit] = {}
        for record in run.records:
            if record.error:
                continue
            for hit in record.hits:
                hits.setdefault(hit.chunk.id, hit)
        return list(hits.values())

    def _compose(self, run: _Run, hits: list[SearchHit]) -> _Step:
        """The answer written by `ask`'s checked answer path over `hits`: the best
        sentences as numbered passages, each sentence of the model's reply checked
        before it is shown, citations to the supporting sentence's page."""
        kb = self.context.knowledge_base
        assert kb is not None
        run.composed = True  # its pieces are shown as they come: checked already
        stream = answer_from_hits(
            run.task,
            hits,
            self.model,
            kb.templates,
            AnswerOptions(generation=self.generation),
            scorer=kb.scorer(),
            documents=lambda source, key: kb.document(source, key=key),
        )
        for piece in stream:
            if self._out_of_time(run):
                stream.close()
                raise _Stop(
                    "time_budget",
                    f"the answer was cut off at the {self.options.time_budget_s:g} s time "
                    "budget; raise agent.time_budget_s",
                )
            yield Text(piece)
        done = stream.answer
        run.citations = done.citations
        text = done.text
        return (yield from self._finish(run, text))

    def _finish(self, run: _Run, text: str) -> _Step:
        """Shows the run's citations under a checked answer `text` (the `[n]` marks name
        their sources as `ask` lists them: file name, page) and records the answer."""
        if run.citations:
            cited = "; ".join(f"[{c.number}] {_cited_place(c)}" for c in run.citations)
            yield Text(f"\nSources: {cited}")
            text += f"\nSources: {cited}"
        run.transcript.append(Message("assistant", text))
        return text

    def _sources(self, run: _Run) -> list[str]:
        """The tool results so far: a search's passages as their chunks' texts (the result's
        lines name each one's file and page first, "[1] handbook.pdf p. 2: …", and a
        quote that names no file is the document's own sentence), other results one source
        per line, less a listed passage's `[n]` mark and place."""
        sources = []
        for record in run.records:
            if record.error:
                continue
            if record.hits:
                sources += [hit.chunk.text for hit in record.hits]
                continue
            if not re.search(r"[^\W\d_]", record.result):
                # A bare value (a calculator's 4140) is stated about its arguments.
                sources.append(f"{_argument_text(record.arguments)} = {record.result.strip()}")
                continue
            lines = record.result.splitlines()
            sources += [_LISTED.sub("", line) for line in lines if line.strip()]
        return sources

    def _checked_step(self, run: _Run, step: _Step) -> _Step:
        """`step` with its answer checked against the tool results before any of it is
        shown; with no tool results (or the check off) the answer streams unchecked."""
        if not self.options.check_answer or not self._sources(run):
            return (yield from step)
        deltas: list[str] = []
        while True:
            try:
                event = next(step)
            except StopIteration as stop:
                answer: str | None = stop.value
                break
            if isinstance(event, Text) and not run.composed:  # shown once checked
                deltas.append(event.text)
            else:  # tool events, and a composed answer's pieces: checked already
                yield event
        if answer is None or run.composed:
            return answer
        checked = self._check(run, answer)
        # An answer that streamed goes on arriving in pieces; a whole one stays whole.
        for piece in word_pieces(checked) if len(deltas) > 1 else [checked] if checked else []:
            yield Text(piece)
        return checked

    def _check(self, run: _Run, answer: str) -> str:
        sources = self._sources(run)
        if not self.options.check_answer or not sources:
            return answer
        shown, state = check_reply(run.task, sources, answer, SentenceScorer(Analyzer()))
        run.unsupported += state.unsupported
        return shown

    # -- one model turn per protocol -------------------------------------------------

    def _native_step(self, run: _Run, system: Message) -> _Step:
        """One native turn; returns the answer, or None after running tools."""
        assert isinstance(self.model, ToolCallingChatModel)
        messages = self._fit([system, *run.visible])
        turn = self.model.chat_with_tools(messages, self.tools.specs(), self.generation)
        if not turn.tool_calls:
            hits = self._searches(run)
            if hits:  # the model chose to answer: in ask's words, checked
                return (yield from self._compose(run, hits))
            if turn.content:
                yield Text(turn.content)
            return turn.content.strip()
        assistant = Message("assistant", turn.content, tool_calls=turn.tool_calls)
        run.visible.append(assistant)
        run.transcript.append(assistant)
        all_invalid = True
        for call in turn.tool_calls:
            self._check_time(run)
            yield ToolStarted(call.name, call.arguments, run.steps, call.id)
            content, error, invalid = self._execute(run, call)
            all_invalid = all_invalid and invalid
            yield ToolFinished(call.name, content, run.steps, call.id, error)
        self._count_invalid(run, all_invalid, "the model's last tool calls were all invalid")
        return None

    def _json_step(self, run: _Run, system: Message) -> _Step:
        """One JSON turn (with its corrections); returns the answer, or None after a tool."""
        scratch: list[Message] = []  # this turn's invalid attempts and the corrections
        prefix = [system, *json_calls.examples(self.tools.specs())]
        # No repeat penalty here: penalizing repeated tokens made the bundled model drop
        # the quotes and braces that JSON repeats (`"expression": 345 * 12`).
        options = replace(self.generation, repeat_penalty=1.0)
        constrained = self.constrained
        if constrained:
            options = replace(options, json_schema=json_calls.reply_schema(self.tools.specs()))
        while True:
            self._check_time(run)
            messages = json_calls.render(
                self._fit(prefix + run.visible + scratch), constrained=constrained
            )
            pieces: list[str] = []
            streaming = False
            hits = [] if constrained else self._searches(run)
            replies = self.model.stream(messages, options)
            for piece in replies:
                pieces.append(piece)
                if streaming:
                    yield Text(piece)
                else:
                    text = "".join(pieces)
                    if json_calls.decided(text) and not json_calls.looks_like_call(text):
                        if hits:  # the model chose to answer: in ask's words, checked
                            _close(replies)
                            return (yield from self._compose(run, hits))
                        streaming = True
                        yield Text(text)
                if streaming and self._out_of_time(run):
                    raise _Stop(
                        "time_budget",
                        f"the answer was cut off at the {self.options.time_budget_s:g} s time "
                        "budget; raise agent.time_budget_s",
                        "".join(pieces).strip(),
                    )
            text = "".join(pieces)
            parsed = json_calls.parse_reply(text, self.tools)
            if isinstance(parsed, json_calls.Answer):
                if hits and parsed.text:  # a constrained answer: composed all the same
                    return (yield from self._compose(run, hits))
                if not streaming and parsed.text:  # a constrained `{"answer": ...}`
                    yield Text(parsed.text)
                run.transcript.append(Message("assistant", parsed.text))
                return parsed.text
            if isinstance(parsed, json_calls.ValidCall):
                call = parsed.as_tool_call(f"call_{run.steps}")
                assistant = Message("assistant", "", tool_calls=(call,))
                run.visible.append(assistant)
                run.transcript.append(assistant)
                run.invalid_in_row = 0
                yield ToolStarted(call.name, call.arguments, run.steps, call.id)
                content, error, _ = self._execute(run, call)
                yield ToolFinished(call.name, content, run.steps, call.id, error)
                return None
            retrying = run.invalid_in_row < self.options.retries
            yield ToolRejected(parsed.error, parsed.raw, retrying, run.steps)
            fix = json_calls.correction(parsed.error)
            run.transcript += [Message("assistant", parsed.raw), fix]
            scratch += [Message("assistant", parsed.raw), fix]
            self._count_invalid(run, True, parsed.error)

    # -- tools ------------------------------------------------------------------------

    def _execute(self, run: _Run, call: ToolCall) -> tuple[str, bool, bool]:
        """Run one call; returns (content for the model, is an error, was invalid).
        The tool message is appended to the run."""
        result, error, invalid = self._outcome(run, call)
        content = result.text
        if len(content) > self.options.result_chars:
            content = content[: self.options.result_chars] + " …(cut)"
        message = Message("tool", content, tool_call_id=call.id)
        run.visible.append(message)
        run.transcript.append(message)
        record = ToolRecord(run.steps, call.name, call.arguments, content, error, result.hits)
        run.records.append(record)
        return content, error, invalid

    def _outcome(self, run: _Run, call: ToolCall) -> tuple[ToolResult, bool, bool]:
        tool = self.tools.get(call.name)
        if tool is None:
            names = ", ".join(self.tools.names())
            return (
                ToolResult(f"Error: there is no tool named {call.name!r}; the tools are: {names}"),
                True,
                True,
            )
        key = _call_key(call)
        if key in run.seen:
            return (
                ToolResult(
                    f"You already called {call.name} with these arguments; the result was: "
                    f"{run.seen[key]}\nUse it to answer now."
                ),
                True,
                False,
            )
        try:
            result = tool.run(call.arguments, self.context)
        except ToolArgumentsError as exc:
            schema = json.dumps(tool.spec().parameters)
            return ToolResult(f"Error: {exc}. The schema is {schema}"), True, True
        except ToolError as exc:
            content = f"Error: {exc}"
            run.seen[key] = content
            return ToolResult(content), True, False
        run.seen[key] = result.text
        return result, False, False

    # -- limits -----------------------------------------------------------------------

    def _count_invalid(self, run: _Run, invalid: bool, error: str) -> None:
        if not invalid:
            run.invalid_in_row = 0
            return
        run.invalid_in_row += 1
        run.invalid_total += 1
        if run.invalid_in_row > self.options.retries:
            raise _Stop(
                "invalid_calls",
                f"the model wrote {run.invalid_in_row} invalid tool calls in a row (last: "
                f"{error}); try a larger model or raise agent.retries",
            )

    def _out_of_time(self, run: _Run) -> bool:
        return self._clock() - run.started > self.options.time_budget_s

    def _check_time(self, run: _Run) -> None:
        if self._out_of_time(run):
            raise _Stop(
                "time_budget",
                f"stopped at the {self.options.time_budget_s:g} s time budget after "
                f"{run.steps} steps without an answer; raise agent.time_budget_s",
            )

    def _fit(self, messages: list[Message]) -> list[Message]:
        """Shorten older tool results until the prompt leaves room for the reply."""
        budget = self.model.context_window - self.generation.max_tokens - 32

        def cost(ms: Sequence[Message]) -> int:
            return sum(self.model.count_tokens(m.content) + 4 for m in ms)

        if cost(messages) <= budget:
            return messages
        out = list(messages)
        results = [i for i, m in enumerate(out) if m.role == "tool"][:-1]
        for i in results:
            m = out[i]
            if len(m.content) > 300:
                out[i] = Message(m.role, m.content[:300] + " …(cut)", m.tool_calls, m.tool_call_id)
                if cost(out) <= budget:
                    return out
        if cost(out) > budget:
            raise _Stop(
                "context_full",
                f"the conversation no longer fits the model's {self.model.context_window}-token "
                "window; start a new task or raise llm.n_ctx",
            )
        return out

    def _result(self, run: _Run, reason: StopReason, message: str, answer: str) -> AgentResult:
        return AgentResult(
            task=run.task,
            answer=answer,
            stopped_reason=reason,
            message=message,
            steps=run.steps,
            transcript=tuple(run.transcript),
            tool_calls=tuple(run.records),
            invalid_calls=run.invalid_total,
            unsupported=tuple(run.unsupported),
            citations=run.citations,
            repaired_calls=run.repaired,
        )


# A listed passage's number and place before its text: "[1] handbook.pdf p. 2: ",
# "[2] faq.html: " (a file name with spaces keeps its place).
_LISTED = re.compile(r"^\s*\[\d+\]\s*(?:\S+?\.[A-Za-z0-9]{1,5}(?:,? pp?\. \d+(?:-\d+)?)?:\s+)?")


def _cited_place(citation: Citation) -> str:
    """A citation as the answer names it: the file's name and the supporting sentence's
    page (the chunk's first page when that is not known), never a path."""
    page = citation.page if citation.page is not None else citation.page_start
    name = PurePath(citation.source.split("#", 1)[0]).name
    return f"{name} p. {page}" if page is not None else name


def _close(stream: Iterator[str]) -> None:
    """Stop a model's stream early (a generator's close ends its generation)."""
    close = getattr(stream, "close", None)
    if callable(close):
        close()


def _argument_text(arguments: str) -> str:
    """A call's argument values as plain text ("345 * 12" for a calculator call)."""
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return arguments
    if isinstance(parsed, dict):
        return " ".join(str(v) for v in parsed.values())
    return str(parsed)


def _call_key(call: ToolCall) -> str:
    try:
        arguments = json.dumps(json.loads(call.arguments or "{}"), sort_keys=True)
    except json.JSONDecodeError:
        arguments = call.arguments
    return f"{call.name}:{arguments}"


def apply_guard(guard: Guard, text: str) -> str:
    """`text` as the output guard lets it out (a whole text, filtered as a stream is)."""
    shown = StreamFilter(guard, "output")
    return shown.feed(text) + shown.close()
