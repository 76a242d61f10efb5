"""LangChain interoperability, on langchain-core only.

- `RagkitRetriever`: a ragkit `KnowledgeBase` as a LangChain `BaseRetriever`; each hit
  becomes a `Document` whose metadata holds file, pages, rank, score and chunk id;
  `invoke(q, k=…, mode=…, filters=…)` overrides the search options for one call.
- `as_langchain_tool(tool, context)`: a ragkit `Tool` as a LangChain `StructuredTool`
  with the same name, description and argument schema; a `ToolError` becomes a
  `ToolException`, returned to the caller as text (LangChain's `handle_tool_error`), and
  arguments that fail validation come back the same way (an error `ToolMessage`).
- `ChatRagkit(model=…)`: a ragkit `ChatModel` as a LangChain `BaseChatModel` (text in,
  text out, with usage and finish reason), so LangChain chains can use ragkit's models.
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

from langchain_core.callbacks import CallbackManagerForLLMRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import StructuredTool, ToolException
from pydantic import ConfigDict

from ragkit.agent.context import ToolContext
from ragkit.agent.tools import Tool, ToolError
from ragkit.errors import ModelError
from ragkit.kb import KnowledgeBase
from ragkit.models.llm.base import ChatTurn, GenerationOptions, Message, ToolCall, ToolSpec
from ragkit.options import SearchOptions
from ragkit.search.retrieval import SearchFilter
from ragkit.types import SearchMode


class RagkitRetriever(BaseRetriever):
    """`retriever.invoke("question")` -> LangChain `Document`s from a ragkit index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge_base: KnowledgeBase
    k: int = 4
    mode: SearchMode = "hybrid"
    filters: SearchFilter | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **options: Any
    ) -> list[LCDocument]:
        """Search options given to `invoke` (`k`, `mode`, `filters` or any other field
        of `SearchOptions`) override the retriever's for this call; any other name is
        refused, so a misspelt one is not silently ignored."""
        known = set(SearchOptions.model_fields)
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"RagkitRetriever.invoke got unknown search option(s) {', '.join(unknown)}; "
                f"it takes {', '.join(sorted(known))}"
            )
        k = options.get("k", self.k)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive whole number, not {k!r}")
        chosen = self.knowledge_base.search_options.with_(
            k=self.k, mode=self.mode, filters=self.filters
        ).with_(**options)
        hits = self.knowledge_base.search(query, chosen)
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
        # Arguments the model got wrong come back as an error ToolMessage it can correct,
        # as ragkit's own agent does, instead of ending the caller's run.
        handle_validation_error=_validation_message,
    )


def _validation_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ())) or 'arguments'}: {e.get('msg')}"
            for e in errors()
        ]
        return "invalid arguments: " + "; ".join(parts)
    return f"invalid arguments: {exc}"


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


class ChatRagkit(BaseChatModel):
    """A ragkit `ChatModel` (the bundled GGUF, llama.cpp, a remote server) as a LangChain
    chat model: `invoke`, `stream` and `batch` with LangChain messages, `usage_metadata`
    counted by the model's tokenizer, and `finish_reason` in `response_metadata`. Tool
    messages reach the model as user text (ragkit's models see no tool schema here)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: Any
    """The ragkit `ChatModel`."""
    max_tokens: int = 256
    temperature: float = 0.1
    seed: int | None = 0
    stop: list[str] | None = None
    timeout: float | None = None
    """LangChain's standard parameter; a remote ragkit model has its own (llm.timeout_s)."""
    max_retries: int | None = None
    """LangChain's standard parameter; a remote ragkit model has its own (llm.max_retries)."""
    streaming: bool = False
    """Whether `invoke` streams under the hood (LangChain's standard parameter)."""

    @property
    def _llm_type(self) -> str:
        return "ragkit"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model.id,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "ragkit"
        params["ls_model_name"] = str(kwargs.get("model") or self.model.id)
        params["ls_max_tokens"] = self.max_tokens
        params["ls_temperature"] = self.temperature
        return params

    def _options(self, stop: list[str] | None) -> GenerationOptions:
        return GenerationOptions(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            stop=tuple(stop if stop is not None else self.stop or ()),
        )

    def _messages(self, messages: list[BaseMessage]) -> list[Message]:
        out: list[Message] = []
        for m in messages:
            text = _text(m.content)
            if isinstance(m, SystemMessage):
                out.append(Message("system", text))
            elif isinstance(m, AIMessage):
                out.append(Message("assistant", text))
            elif isinstance(m, ToolMessage):
                out.append(Message("user", f"Result of tool call {m.tool_call_id}: {text}"))
            else:
                out.append(Message("user", text))
        return out

    def _usage(self, messages: list[Message], reply: str) -> UsageMetadata:
        prompt = sum(self.model.count_tokens(m.content) for m in messages)
        completion = self.model.count_tokens(reply) if reply else 0
        return UsageMetadata(
            input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        given = self._messages(messages)
        pieces = self.model.stream(given, self._options(stop))
        written: list[str] = []
        reason = "stop"
        while True:
            try:
                piece = next(pieces)
            except StopIteration as end:
                reason = str(end.value or "stop")
                break
            written.append(piece)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        # The last chunk carries what only the end knows: token usage and why it stopped.
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=self._usage(given, "".join(written)),
                response_metadata={"finish_reason": reason, "model_name": self.model.id},
                chunk_position="last",
            )
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        merged: ChatGenerationChunk | None = None
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            merged = chunk if merged is None else merged + chunk
        assert merged is not None
        chunk_message = merged.message
        message = AIMessage(
            content=chunk_message.content,
            usage_metadata=getattr(chunk_message, "usage_metadata", None),
            response_metadata=chunk_message.response_metadata,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
