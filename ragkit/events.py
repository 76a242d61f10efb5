"""The one vocabulary of events that streamed answers and agent runs are told in.

A front end draws these and knows nothing of how they were made: `Sources` (the passages
an answer is built on), `Text` (a piece of the reply, as it is written), `Status` (a line
about the work: searching, loading the model, a rewritten follow-up, a retried tool call),
`Waiting` (questions ahead in a queue), `ToolStarted`/`ToolFinished`/`ToolRejected` (an
agent's tool call as it runs, or a malformed one), `Done` (the finished answer) and
`Failed` (one line, with the HTTP status a server answers it with). The agent loop
(ragkit.agent.loop) yields these too, and last its own `FinalEvent` with the whole run.
Leaves out producing events (ragkit.kb, ragkit.agent, the apps) and drawing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragkit.answer.pipelines import FinishReason, Usage
from ragkit.types import Answer, Citation

NO_USAGE = Usage(0, 0)


@dataclass(frozen=True)
class Sources:
    items: tuple[Citation, ...]


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Status:
    """What is happening now, for a person to read: "searching", "loading model"…"""

    text: str


@dataclass(frozen=True)
class Waiting:
    """How many questions are ahead of this one (the one being answered included)."""

    ahead: int


@dataclass(frozen=True)
class ToolStarted:
    """A tool call, as it starts: `arguments` as the model wrote them (JSON), `step` the
    model turn that made it (from 1), `call_id` what ties the call to its result."""

    name: str
    arguments: str
    step: int = 0
    call_id: str = ""


@dataclass(frozen=True)
class ToolFinished:
    """What a tool call returned, as the model reads it; `error`: the tool failed or the
    call was refused, and `result` says why."""

    name: str
    result: str
    step: int = 0
    call_id: str = ""
    error: bool = False

    def preview(self, chars: int) -> str:
        """The result on one line, cut to about `chars` characters for display."""
        text = " ".join(self.result.split())
        return text if len(text) <= chars else text[:chars] + " …"


@dataclass(frozen=True)
class ToolRejected:
    """A tool call the model wrote wrong."""

    error: str
    """What is wrong with it, as the model is told."""
    raw: str
    """The reply as the model wrote it."""
    retrying: bool
    """Whether the model is asked again."""
    step: int
    """The model turn that wrote it (from 1)."""


@dataclass(frozen=True)
class Done:
    answer: Answer
    usage: Usage = NO_USAGE
    """Tokens the prompt and the reply cost (zero for an answer no model wrote)."""
    finish_reason: FinishReason = "stop"


@dataclass(frozen=True)
class Failed:
    message: str
    status: int = 500
    kind: str = "server_error"
    code: str | None = None


Event = (
    Sources | Text | Status | Waiting | ToolStarted | ToolFinished | ToolRejected | Done | Failed
)
