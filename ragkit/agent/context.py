"""`ToolContext`: the resources a tool may use, passed to it by the agent.

A tool that needs the knowledge base, a chat model or the clock declares a parameter
annotated `ToolContext`; the agent fills it in and the model never sees it. Every field
is a typed object or a plain value derived from settings by ragkit.wiring, never
`Settings` itself. Leaves out the tools (ragkit.agent.builtins) and their registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ragkit.models.llm.base import ChatModel, GenerationOptions

if TYPE_CHECKING:
    from ragkit.kb import KnowledgeBase


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ToolContext:
    knowledge_base: KnowledgeBase | None = None
    """Searched and read by the document tools; None: those tools say there is none."""
    chat_model: ChatModel | None = None
    """Used by tools that write text themselves (summarize_document)."""
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    search_k: int = 3
    """Results search_documents returns: few, because small models read little."""
    snippet_chars: int = 400
    """Characters of each search result shown to the model."""
    page_chars: int = 1500
    """Most characters read_page returns."""
    clock: Callable[[], datetime] = _now
    """Where current_datetime gets the time; tests pass a fixed one."""
