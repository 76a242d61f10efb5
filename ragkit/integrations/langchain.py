"""LangChain interoperability, on langchain-core only.

- `RagkitRetriever`: a ragkit `KnowledgeBase` as a LangChain `BaseRetriever`; each hit
  becomes a `Document` whose metadata holds file, pages, rank, score and chunk id.
- `as_langchain_tool(tool, context)`: a ragkit `Tool` as a LangChain `StructuredTool`
  with the same name, description and argument schema; a `ToolError` becomes a
  `ToolException`, returned to the caller as text (LangChain's `handle_tool_error`).
- `from_langchain(chat_model)`: any LangChain `BaseChatModel` as a ragkit `ChatModel`
  (`LangChainChatModel`), and, when the model implements `bind_tools`, as a
  `ToolCallingChatModel` (`LangChainToolChatModel`) so ragkit's agent uses its native
  function calling.

Only `stop` is passed per call: temperature, token limits and seeds are the LangChain
model's own settings (passing arbitrary keyword arguments through is how typos go
unnoticed). Token counts are estimated (four characters a token) unless a counter is
given, because LangChain's default counter fetches a GPT-2 tokenizer from the network.
Leaves out callbacks, async and LangChain's own agents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import StructuredTool, ToolException
from pydantic import ConfigDict

from ragkit.agent.context import ToolContext
from ragkit.agent.tools import Tool, ToolError
from ragkit.errors import ModelError
from ragkit.kb import KnowledgeBase
from ragkit.llm.base import ChatTurn, GenerationOptions, Message, ToolCall, ToolSpec
from ragkit.retrieval import SearchFilter
from ragkit.types import SearchMode


class RagkitRetriever(BaseRetriever):
    """`retriever.invoke("question")` -> LangChain `Document`s from a ragkit index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge_base: KnowledgeBase
    k: int = 4
    mode: SearchMode = "hybrid"
    filters: SearchFilter | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits = self.knowledge_base.search(query, k=self.k, mode=self.mode, filters=self.filters)
        return [
            LCDocument(
                page_content=h.chunk.text,
                metadata={
                    "source": h.chunk.source,
                    "title": h.chunk.title,
                    "page_start": h.chunk.page_start,
                    "page_end": h.chunk.page_end,
                    "location": h.chunk.location,
                    "rank": h.rank,
                    "score": h.score,
                    "chunk_id": h.chunk.id,
                },
            )
            for h in hits
        ]


def as_langchain_tool(tool: Tool, context: ToolContext | None = None) -> StructuredTool:
    """A LangChain tool that validates with the ragkit tool's schema and runs it."""
    ctx = context or ToolContext()

    def run(**arguments: Any) -> str:
        try:
            return tool.invoke(arguments, ctx)
        except ToolError as exc:
            raise ToolException(str(exc)) from None

    return StructuredTool.from_function(
        func=run,
        name=tool.name,
        description=tool.description,
        args_schema=tool.arguments,
        handle_tool_error=True,
    )


def to_langchain_messages(messages: Sequence[Message]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for m in messages:
        if m.role == "system":
            out.append(SystemMessage(m.content))
        elif m.role == "user":
            out.append(HumanMessage(m.content))
        elif m.role == "assistant":
            calls = [
                {"name": c.name, "args": _arguments(c.arguments), "id": c.id} for c in m.tool_calls
            ]
            out.append(AIMessage(m.content, tool_calls=calls))
        else:
            out.append(ToolMessage(m.content, tool_call_id=m.tool_call_id or ""))
    return out


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(content: str | list[str | dict[str, Any]]) -> str:
    """Plain text of a LangChain message content (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


class LangChainChatModel:
    """A LangChain chat model seen as a ragkit `ChatModel` (streaming text only)."""

    def __init__(
        self,
        model: BaseChatModel,
        context_window: int = 4096,
        model_id: str | None = None,
        token_counter: Callable[[str], int] | None = None,
    ) -> None:
        self.model = model
        self._window = context_window
        self._id = model_id or str(getattr(model, "model_name", "") or type(model).__name__)
        self._count = token_counter

    @property
    def id(self) -> str:
        return self._id

    @property
    def context_window(self) -> int:
        return self._window

    def count_tokens(self, text: str) -> int:
        return self._count(text) if self._count else len(text) // 4 + 1

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        try:
            for chunk in self.model.stream(
                to_langchain_messages(messages), stop=list(options.stop) or None
            ):
                piece = _text(chunk.content)
                if piece:
                    yield piece
        except NotImplementedError as exc:
            raise ModelError(f"LangChain model {self.id} cannot chat: {exc}") from None


class LangChainToolChatModel(LangChainChatModel):
    """A LangChain chat model with `bind_tools`, seen as a ragkit `ToolCallingChatModel`."""

    def chat_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: GenerationOptions
    ) -> ChatTurn:
        schemas = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in tools
        ]
        bound = self.model.bind_tools(schemas)
        reply = bound.invoke(to_langchain_messages(messages), stop=list(options.stop) or None)
        if not isinstance(reply, AIMessage):
            raise ModelError(f"LangChain model {self.id} replied with {type(reply).__name__}")
        calls = [
            ToolCall(c.get("id") or f"call_{i}", c["name"], json.dumps(c["args"]))
            for i, c in enumerate(reply.tool_calls)
        ]
        # Calls LangChain could not parse keep their raw text, so the agent can show the
        # model its error instead of losing the call.
        calls += [
            ToolCall(c.get("id") or f"bad_{i}", c.get("name") or "", c.get("args") or "")
            for i, c in enumerate(reply.invalid_tool_calls)
        ]
        return ChatTurn(_text(reply.content), tuple(calls))


def from_langchain(
    model: BaseChatModel,
    context_window: int = 4096,
    model_id: str | None = None,
    token_counter: Callable[[str], int] | None = None,
) -> LangChainChatModel:
    """Wrap a LangChain chat model; with native tool calling when it implements
    `bind_tools` (the base class only raises NotImplementedError)."""
    has_tools = type(model).bind_tools is not BaseChatModel.bind_tools
    cls = LangChainToolChatModel if has_tools else LangChainChatModel
    return cls(model, context_window, model_id, token_counter)
