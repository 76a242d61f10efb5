"""LangChain interoperability on real backends: a LangChain chat model talking to the real
llama.cpp server drives ragkit's agent through `from_langchain`, and ragkit's retriever
and tools serve LangChain over an index built with the real embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from ceilings import HANG_S
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from ragkit import KnowledgeBase
from ragkit.agent import Agent, AgentOptions, ToolContext, builtin_tools
from ragkit.integrations.langchain import (
    LangChainChatModel,
    RagkitRetriever,
    as_langchain_tool,
    from_langchain,
)
from ragkit.models.embeddings import make_embedder
from ragkit.options import Models

pytestmark = pytest.mark.slow(reason="a llama.cpp server and the bundled embedder behind LangChain")

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool"}


class ServerChatModel(BaseChatModel):
    """A minimal LangChain chat model for an OpenAI-compatible server (test-only), the way
    a user's own LangChain model reaches ragkit."""

    base_url: str

    @property
    def _llm_type(self) -> str:
        return "test-openai-server"

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> ChatResult:
        body = {
            "messages": [{"role": _ROLES[m.type], "content": m.content} for m in messages],
            "max_tokens": 48,
            "temperature": 0.0,
            "seed": 0,
            "repeat_penalty": 1.0,
            "stop": stop,
        }
        reply = httpx.post(f"{self.base_url}/chat/completions", json=body, timeout=HANG_S).json()
        text = reply["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    samples = Path(__file__).resolve().parents[2] / "samples" / "corpus"
    base = KnowledgeBase.open(
        tmp_path_factory.mktemp("ix") / "kb", models=Models(embedder=make_embedder("bundled-int8"))
    )
    base.add([samples])
    return base


def test_a_langchain_model_on_the_real_server_runs_the_agent(llama_server: str) -> None:
    model = from_langchain(ServerChatModel(base_url=llama_server), context_window=2048)
    assert type(model) is LangChainChatModel  # no bind_tools: JSON tool calls in text
    agent = Agent(model, builtin_tools(), ToolContext(), AgentOptions(max_steps=3))
    result = agent.run("What is 98 + 2?")
    assert result.answered, result.message
    assert [(r.name, r.result) for r in result.tool_calls] == [("calculator", "100")]
    assert "100" in result.answer


def test_retriever_and_tools_serve_langchain_from_a_real_index(kb: KnowledgeBase) -> None:
    docs = RagkitRetriever(knowledge_base=kb, k=3).invoke(
        "How long is the warranty on the Ember brewing kettle?"
    )
    assert docs[0].metadata["source"].endswith("handbook.pdf")
    assert docs[0].metadata["page_start"] == 2 and "18 months" in docs[0].page_content
    search = builtin_tools().get("search_documents")
    assert search is not None
    lc_tool = as_langchain_tool(search, ToolContext(knowledge_base=kb))
    assert "handbook.pdf p. 2" in lc_tool.invoke({"query": "Ember kettle warranty"})
