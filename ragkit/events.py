"""The one vocabulary of events that streamed answers and agent runs are told in.

A front end draws these and knows nothing of how they were made: `Sources` (the passages
an answer is built on), `Text` (a piece of the reply, as it is written), `Status` (a line
about the work: searching, loading the model, a rewritten follow-up, a retried tool call),
`Waiting` (questions ahead in a queue), `ToolStarted`/`ToolFinished` (an agent's tool call
as it runs), `Done` (the finished answer) and `Failed` (one line, with the HTTP status a
server answers it with). The agent loop yields `Text` for its answer and its own richer
tool events (ragkit.agent.loop), which the apps turn into `ToolStarted`/`ToolFinished`.
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
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolFinished:
    name: str
    result: str


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


Event = Sources | Text | Status | Waiting | ToolStarted | ToolFinished | Done | Failed
