"""The terminal chat (`ragkit chat`): a Textual app over `KnowledgeBase`.

Modules: `app` (the screen), `session` (index, model, mode and slash commands),
`backends` (what answers in rag and chat mode), `agent_backend` (agent mode over
`ragkit.agent.Agent`), `history` (turns in SQLite, Markdown export), `widgets`,
`sanitize` (terminal-safe text). The CLI builds a `ChatState` from settings, with an
agent factory, and runs `ChatApp`; nothing here reads settings or the environment.
Leaves out the agent loop and its tools (ragkit.agent).
"""

from __future__ import annotations

from ragkit.apps.tui.agent_backend import AgentBackend
from ragkit.apps.tui.app import ChatApp
from ragkit.apps.tui.backends import Backend, ChatBackend, RagBackend
from ragkit.apps.tui.history import HistoryStore, Turn
from ragkit.apps.tui.sanitize import sanitize_for_terminal
from ragkit.apps.tui.session import ChatState

__all__ = [
    "AgentBackend",
    "Backend",
    "ChatApp",
    "ChatBackend",
    "ChatState",
    "HistoryStore",
    "RagBackend",
    "Turn",
    "sanitize_for_terminal",
]
