"""LangChain interoperability, tested with langchain-core's own fake chat models: ragkit's
retriever as a BaseRetriever, ragkit tools as LangChain tools, LangChain chat models as
ragkit ChatModels (streaming, and native tool calls through bind_tools) driving the agent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.documents import Document as LCDocument
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool
from pydantic import Field

from ragkit import KnowledgeBase
from ragkit.agent import Agent, AgentOptions, ToolContext, builtin_tools
from ragkit.events import Text
from ragkit.integrations.langchain import (
    LangChainChatModel,
    LangChainToolChatModel,
    RagkitRetriever,
    as_langchain_tool,
    from_langchain,
    to_langchain_messages,
)
from ragkit.models.llm import GenerationOptions, Message
from ragkit.models.llm.base import ToolCall, ToolCallingChatModel
from ragkit.search.retrieval import SearchFilter


def test_retriever_is_a_langchain_retriever(sample_kb: KnowledgeBase) -> None:
    retriever = RagkitRetriever(knowledge_base=sample_kb, k=2, mode="bm25")
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("Ember brewing kettle warranty")
    assert len(docs) == 2 and all(isinstance(d, LCDocument) for d in docs)
    top = docs[0]
    assert top.metadata["source"].endswith("handbook.pdf") and top.metadata["page_start"] == 2
    assert top.metadata["rank"] == 1 and "18 months" in top.page_content
    only_md = RagkitRetriever(
        knowledge_base=sample_kb, k=3, mode="bm25", filters=SearchFilter(path_glob="*.md")
    ).invoke("entry share")
    assert only_md and all(d.metadata["source"].endswith(".md") for d in only_md)


def test_ragkit_tools_work_as_langchain_tools(sample_kb: KnowledgeBase) -> None:
    tools = builtin_tools()
    calc = tools.get("calculator")
    assert calc is not None
    lc_calc = as_langchain_tool(calc)
    assert isinstance(lc_calc, BaseTool) and lc_calc.name == "calculator"
    assert lc_calc.description.startswith("Evaluate an arithmetic expression")
    assert set(lc_calc.args) == {"expression"}
    assert lc_calc.invoke({"expression": "(17 + 5) / 4"}) == "5.5"
    # A tool error comes back as text, as LangChain's handle_tool_error does.
    assert "division by zero" in lc_calc.invoke({"expression": "1/0"})
    # Arguments that fail validation (from ragkit's schema) come back as text too...
    assert "expression" in lc_calc.invoke({"expr": "1"})
    search = tools.get("search_documents")
    assert search is not None
    lc_search = as_langchain_tool(search, ToolContext(knowledge_base=sample_kb))
    assert "handbook.pdf p. 2" in lc_search.invoke({"query": "Ember kettle warranty"})
    # Used the LangChain way, from a model's tool call: the result is a ToolMessage.
    message = lc_calc.invoke(
        {"type": "tool_call", "id": "c1", "name": "calculator", "args": {"expression": "2**8"}}
    )
    assert isinstance(message, ToolMessage) and message.content == "256"
    # ...and, from a model's tool call, as an error ToolMessage the model can correct.
    wrong = lc_calc.invoke({"type": "tool_call", "id": "c2", "name": "calculator", "args": {}})
    assert isinstance(wrong, ToolMessage) and wrong.status == "error"
    assert "expression" in str(wrong.content) and wrong.tool_call_id == "c2"


def test_retriever_takes_search_options_per_call(sample_kb: KnowledgeBase) -> None:
    retriever = RagkitRetriever(knowledge_base=sample_kb, mode="hybrid")
    assert len(retriever.invoke("Ember brewing kettle warranty")) == 4
    assert len(retriever.invoke("Ember brewing kettle warranty", k=1)) == 1
    only_md = retriever.invoke("entry share", k=2, filters=SearchFilter(path_glob="*.md"))
    assert only_md and all(d.metadata["source"].endswith(".md") for d in only_md)
    with pytest.raises(TypeError, match="kk"):
        retriever.invoke("kettle", kk=1)
    with pytest.raises(ValueError, match="k must be"):
        retriever.invoke("kettle", k=0)


def test_a_ragkit_model_is_a_langchain_chat_model() -> None:
    from langchain_core.language_models.chat_models import BaseChatModel

    from ragkit import ScriptedChatModel
    from ragkit.integrations.langchain import ChatRagkit

    model = ScriptedChatModel(["The kettle has an 18 month warranty."] * 3)
    chat = ChatRagkit(model=model, max_tokens=100)
    assert isinstance(chat, BaseChatModel)
    reply = chat.invoke([SystemMessage("Be brief."), HumanMessage("warranty?")])
    assert reply.content == "The kettle has an 18 month warranty."
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] > 0
    assert reply.response_metadata["finish_reason"] == "stop"
    assert [m.role for m in model.prompts[0]] == ["system", "user"]
    chunks = list(chat.stream("warranty?"))
    assert "".join(str(c.content) for c in chunks) == reply.content
    assert chunks[-1].usage_metadata is not None
    short = ChatRagkit(model=model, max_tokens=3).invoke("warranty?")
    assert short.response_metadata["finish_reason"] == "length"


def test_messages_convert_both_ways_of_tool_calling() -> None:
    call = ToolCall("c1", "calculator", '{"expression": "1+1"}')
    converted = to_langchain_messages(
        [
            Message("system", "s"),
            Message("user", "u"),
            Message("assistant", "", (call,)),
            Message("tool", "2", tool_call_id="c1"),
        ]
    )
    assert [type(m) for m in converted] == [SystemMessage, HumanMessage, AIMessage, ToolMessage]
    ai = converted[2]
    assert isinstance(ai, AIMessage)
    assert ai.tool_calls[0]["args"] == {"expression": "1+1"} and ai.tool_calls[0]["id"] == "c1"


def test_a_langchain_model_streams_as_a_ragkit_model() -> None:
    fake = GenericFakeChatModel(messages=iter(["The kettle has an 18 month warranty."]))
    model = from_langchain(fake)
    assert type(model) is LangChainChatModel  # no bind_tools: plain streaming
    assert not isinstance(model, ToolCallingChatModel)
    pieces = list(model.stream([Message("user", "warranty?")], GenerationOptions()))
    assert len(pieces) > 1 and "".join(pieces) == "The kettle has an 18 month warranty."
    assert model.count_tokens("abcdefgh") == 3


class ToolFakeChatModel(FakeMessagesListChatModel):
    """langchain-core's list fake, plus the bind_tools that real chat models have; it
    records the tools it was bound to and the messages it was given."""

    bound: list[Any] = Field(default_factory=list)
    seen: list[list[Any]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        self.bound.append(list(tools))
        return self

    def _generate(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def test_a_langchain_tool_calling_model_drives_the_agent_natively() -> None:
    fake = ToolFakeChatModel(
        responses=[
            AIMessage(
                "",
                tool_calls=[{"name": "calculator", "args": {"expression": "345 * 12"}, "id": "t1"}],
            ),
            AIMessage("345 * 12 = 4140."),
        ]
    )
    model = from_langchain(fake, model_id="fake-tools")
    assert isinstance(model, LangChainToolChatModel) and isinstance(model, ToolCallingChatModel)
    # The model makes the call itself (by default a whole expression is sent to the
    # calculator by rule, before the model's first turn: the next test).
    agent = Agent(model, builtin_tools(), options=AgentOptions(rule_first_step=False))
    assert agent.native
    events = list(agent.run_stream("What is 345 * 12?"))
    final = events[-1].result  # type: ignore[union-attr]
    assert final.answer == "345 * 12 = 4140." and final.answered
    assert [(r.name, r.result) for r in final.tool_calls] == [("calculator", "4140")]
    assert [e.text for e in events if isinstance(e, Text)] == ["345 * 12 = 4140."]
    names = {t["function"]["name"] for t in fake.bound[0]}
    assert {"calculator", "search_documents"} <= names
    second = fake.seen[1]
    assert isinstance(second[-1], ToolMessage) and second[-1].content == "4140"
    assert second[-1].tool_call_id == "t1"


def test_a_native_model_answers_from_the_call_made_by_rule() -> None:
    # The rule's call reaches a LangChain model as a real tool-call turn: an AIMessage
    # with the call, then the ToolMessage answering it under the same id.
    fake = ToolFakeChatModel(responses=[AIMessage("345 * 12 = 4140.")])
    agent = Agent(from_langchain(fake, model_id="fake-tools"), builtin_tools())
    assert agent.native
    final = list(agent.run_stream("What is 345 * 12?"))[-1].result  # type: ignore[union-attr]
    assert final.answer == "345 * 12 = 4140." and final.answered
    assert [(r.name, r.result) for r in final.tool_calls] == [("calculator", "4140")]
    first = fake.seen[0]
    call, result = first[-2], first[-1]
    assert isinstance(call, AIMessage) and call.tool_calls[0]["name"] == "calculator"
    assert isinstance(result, ToolMessage) and result.content == "4140"
    assert result.tool_call_id == call.tool_calls[0]["id"]
