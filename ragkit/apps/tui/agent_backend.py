"""Agent mode of the terminal chat: `ragkit.agent.Agent` behind the app's `Backend`.

`AgentBackend.run` starts `Agent.run_stream` with the recent user/assistant turns as
history and passes its events on to the app: a tool call's `ToolStarted`, its result's
`ToolFinished` cut to a line (the app draws the call as it runs and completes the line
when the result arrives), a malformed call as a `Status`, and the answer's pieces `Text`. A run that
ends without an answer (step limit, time budget, repeated invalid calls, full window)
raises `RagkitError` with the agent's message, which the app shows as an error line.
Closing the event stream closes the agent's generator and with it the model's, so Ctrl-C
stops a streaming answer; a tool already running finishes first. Leaves out building the
agent (the CLI does it from settings, with `ragkit.wiring.agent`) and drawing (app.py).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import replace

from ragkit import RagkitError
from ragkit.agent import Agent, AgentResult, FinalEvent
from ragkit.apps.tui.backends import conversation
from ragkit.apps.tui.history import Turn
from ragkit.events import Event, Status, ToolFinished, ToolRejected

AGENT_HISTORY = 6
"""Messages of earlier turns the agent sees: its prompt already carries the tool
descriptions and worked examples, and a small model's window fills quickly."""

RESULT_CHARS = 300
"""Characters of a tool result shown on its line; the model gets the whole result."""


class AgentBackend:
    """Runs one agent task per message; the `Agent` is reused, its runs share nothing."""

    def __init__(self, agent: Agent, history_messages: int = AGENT_HISTORY) -> None:
        self.agent = agent
        self.history_messages = history_messages

    def run(self, message: str, history: Sequence[Turn]) -> Generator[Event, None, None]:
        events = self.agent.run_stream(message, conversation(history, self.history_messages))
        result: AgentResult | None = None
        try:
            for event in events:
                if isinstance(event, FinalEvent):
                    result = event.result
                elif isinstance(event, ToolFinished):
                    yield replace(event, result=event.preview(RESULT_CHARS))
                elif isinstance(event, ToolRejected):
                    then = "asking the model again" if event.retrying else "giving up"
                    yield Status(f"invalid tool call ({event.error}); {then}")
                else:
                    yield event
        finally:
            # run_stream is a generator: closing it closes the model stream it is inside.
            close = getattr(events, "close", None)
            if close is not None:
                close()
        if result is not None and not result.answered:
            raise RagkitError(f"agent stopped: {result.message}")
