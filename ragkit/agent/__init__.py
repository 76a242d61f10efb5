"""Agents: a chat model that calls typed Python tools in a bounded loop.

Public pieces: `Tool`, `tool` and `ToolRegistry` (tools from typed functions),
`ToolResult` (a result's text with the search hits it shows), `ToolContext` (what tools
may use), `builtin_tools()` (search_documents, read_page, calculator, summarize_document,
current_datetime), `Agent` with `AgentOptions`, `FinalEvent`, `AgentResult` and
`ToolRecord` (a run's other events are ragkit.events'). Conversation memory lives in
ragkit.agent.memory and ragkit.agent.chat. Leaves out settings
(ragkit.wiring builds agents from them).
"""

from __future__ import annotations

from ragkit.agent.builtins import builtin_tools
from ragkit.agent.context import ToolContext
from ragkit.agent.loop import (
    Agent,
    AgentEvent,
    AgentOptions,
    AgentResult,
    FinalEvent,
    ToolRecord,
)
from ragkit.agent.tools import (
    Tool,
    ToolArgumentsError,
    ToolError,
    ToolRegistry,
    ToolResult,
    tool,
)

__all__ = [
    "Agent",
    "AgentEvent",
    "AgentOptions",
    "AgentResult",
    "FinalEvent",
    "Tool",
    "ToolArgumentsError",
    "ToolContext",
    "ToolError",
    "ToolRecord",
    "ToolRegistry",
    "ToolResult",
    "builtin_tools",
    "tool",
]
