"""LangChain's own standard test suites (`langchain-tests`) over ragkit's LangChain
integration: the retriever and tool classes (integration suites, on a real index of the
sample corpus) and `ChatRagkit` (the unit suite, over the scripted model; the integration
suite on the bundled GGUF is in tests/integration/test_langchain_real.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import RetrieversIntegrationTests, ToolsIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests, ToolsUnitTests

from ragkit import KnowledgeBase, ScriptedChatModel
from ragkit.agent import ToolContext, builtin_tools
from ragkit.integrations.langchain import ChatRagkit, RagkitRetriever, as_langchain_tool
from ragkit.models.embeddings import HashingEmbedder
from ragkit.options import Models

# The suites' async tests carry no marker (LangChain runs pytest-asyncio in auto mode).
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings(
        "ignore:The test <Function .* is marked with '@pytest.mark.asyncio'"
    ),
]

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"


@cache
def sample_kb(folder: str) -> KnowledgeBase:
    kb = KnowledgeBase.open(Path(folder) / "kb", models=Models(embedder=HashingEmbedder()))
    kb.add([SAMPLES])
    return kb


@cache
def kb_folder() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="ragkit-lc-standard-")


class TestRagkitRetrieverStandard(RetrieversIntegrationTests):
    retriever_constructor = RagkitRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"knowledge_base": sample_kb(kb_folder())}

    @property
    def retriever_query_example(self) -> str:
        return "How long is the Ember kettle warranty?"


class _Calculator:
    """The calculator tool and its example call, for both tool suites."""

    @property
    def tool_constructor(self) -> BaseTool:
        calc = builtin_tools().get("calculator")
        assert calc is not None
        return as_langchain_tool(calc)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"expression": "(17 + 5) / 4"}


class _Search:
    """The search tool over the sample index and its example call, for both tool suites."""

    @property
    def tool_constructor(self) -> BaseTool:
        search = builtin_tools().get("search_documents")
        assert search is not None
        return as_langchain_tool(search, ToolContext(knowledge_base=sample_kb(kb_folder())))

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "Ember kettle warranty"}


class TestCalculatorToolUnit(_Calculator, ToolsUnitTests):
    pass


class TestCalculatorToolIntegration(_Calculator, ToolsIntegrationTests):
    pass


class TestSearchToolUnit(_Search, ToolsUnitTests):
    pass


class TestSearchToolIntegration(_Search, ToolsIntegrationTests):
    pass


class TestChatRagkitUnit(ChatModelUnitTests):
    chat_model_class = ChatRagkit

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": ScriptedChatModel(["The warranty is seven years."])}
