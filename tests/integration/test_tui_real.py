"""The terminal chat, driven by Textual's pilot, over a real index of samples/corpus
(all-MiniLM-L6-v2, int8 ONNX copy) and the real SmolLM2 GGUF: one answer streams into
the transcript and its sources (file and page) fill the pane; a source opens in full. In
agent mode the real agent loop drives the calculator and its call is shown with its result."""

from __future__ import annotations

from pathlib import Path

import pytest
from ceilings import HANG_S
from textual.widgets import Input, OptionList

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.agent import Agent, AgentOptions, ToolContext, builtin_tools
from ragkit.apps.tui.agent_backend import AgentBackend
from ragkit.apps.tui.app import ChatApp
from ragkit.apps.tui.backends import Backend
from ragkit.apps.tui.history import HistoryStore
from ragkit.apps.tui.session import ChatState
from ragkit.apps.tui.widgets import ChunkScreen, MessageView
from ragkit.models.embeddings import make_embedder
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, bundled_gguf_path
from ragkit.options import AnswerOptions, Models

pytestmark = [
    pytest.mark.slow(reason="the bundled embedder and GGUF under Textual's pilot"),
    pytest.mark.asyncio,
]

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"
QUESTION = "How long is the warranty on the Ember brewing kettle?"


async def test_real_model_streams_an_answer_with_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = make_embedder("bundled-int8")
    # One thread: on a busy two-core machine more threads mostly wait for each other.
    model = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048, n_threads=1)
    generation = GenerationOptions(max_tokens=40, temperature=0.0)

    def open_kb(name: str, spec: str) -> KnowledgeBase:
        return KnowledgeBase.open(
            tmp_path / name,
            models=Models(embedder=embedder, chat_model=model),
            answer=AnswerOptions(generation=generation),
        )

    appended: list[str] = []
    original = MessageView.append

    def counting(self: MessageView, piece: str) -> None:
        appended.append(piece)
        original(self, piece)

    monkeypatch.setattr(MessageView, "append", counting)
    app = ChatApp(ChatState(open_kb, "samples"), HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test(size=(120, 40)) as pilot:
        for text in (f"/add {SAMPLES}", QUESTION):
            app.query_one(Input).value = text
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        info = [v.plain for v in app.query(MessageView) if v.role == "info"]
        assert any("indexed 7 files" in t for t in info), info
        answer = [v.plain for v in app.query(MessageView) if v.role == "assistant"]
        assert len(answer) == 1 and len(answer[0].split()) >= 3
        # Streamed piece by piece, not one block: a piece per word at least.
        assert len(appended) >= 3
        options = app.query_one("#sources", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        # One line per document: handbook.pdf's passages share one.
        assert sum("handbook.pdf" in p for p in prompts) == 1, prompts
        assert any("handbook.pdf p. 2" in p for p in prompts), prompts
        top = next(i for i, p in enumerate(prompts) if "handbook.pdf p. 2" in p)
        options.focus()
        options.highlighted = top
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChunkScreen)
        assert "18" in app.screen.body and "warranty" in app.screen.body.lower()


async def test_agent_mode_on_the_real_model_shows_the_calculator_call(tmp_path: Path) -> None:
    model = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048, n_threads=1)
    generation = GenerationOptions(max_tokens=64, temperature=0.0, seed=0)

    def open_kb(name: str, spec: str) -> KnowledgeBase:
        return KnowledgeBase.open(tmp_path / name, models=Models(embedder=HashingEmbedder()))

    def open_agent(kb: KnowledgeBase) -> Backend:
        # As `ragkit chat` builds it, with the settings of tests/integration/test_agent_real.
        context = ToolContext(chat_model=model, generation=generation)
        options = AgentOptions(max_steps=4, time_budget_s=HANG_S)
        return AgentBackend(Agent(model, builtin_tools(), context, options, generation))

    session = ChatState(open_kb, "empty", mode="agent", agent=open_agent)
    app = ChatApp(session, HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(Input).value = "What is 98 + 2?"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tools = [v.plain for v in app.query(MessageView) if v.role == "tool"]
        assert any(t.startswith("calculator(") and t.endswith("→ 100") for t in tools), tools
        answer = [v.plain for v in app.query(MessageView) if v.role == "assistant"]
        assert len(answer) == 1 and "100" in answer[0], answer
