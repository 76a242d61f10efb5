"""The Textual chat driven by its pilot over fakes (hashing embedder, scripted or gated
models): streaming into the transcript, the sources pane and its passage view, slash
commands, /add with progress and its counts, history restored, Ctrl-C stopping an answer,
sanitizing, and agent tool calls as they run."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

import pytest
from ceilings import HANG_S
from rich.cells import cell_len
from rich.text import Text as RichText
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.agent import Agent, AgentOptions, ToolContext, builtin_tools
from ragkit.answer.pipelines import REWRITE_SYSTEM
from ragkit.apps.snippets import preview
from ragkit.apps.tui.agent_backend import AgentBackend
from ragkit.apps.tui.app import ChatApp
from ragkit.apps.tui.backends import Backend
from ragkit.apps.tui.history import HistoryStore, Turn
from ragkit.apps.tui.session import AgentFactory, ChatState
from ragkit.apps.tui.widgets import ChunkScreen, IndexingBar, MessageView
from ragkit.events import Event, Text, ToolFinished, ToolStarted
from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.options import Models

pytestmark = pytest.mark.asyncio

WARRANTY = "The Ember kettle warranty lasts 18 months from the date of purchase."

# The sample kettle page's warranty sentence: the quoted evidence that leads an answer on it.
KETTLE_QUOTE = "The Ember kettle warranty lasts 18 months from the date of purchase [1]."


class GatedModel:
    """Yields one piece, then waits for `gate` before each further one; records whether
    its generator was closed and how many pieces it produced."""

    def __init__(self, gate_first: bool = False) -> None:
        self.gate_first = gate_first
        self.gate = threading.Event()
        self.produced = 0
        self.closed = False

    id = "gated"
    context_window = 4096

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        try:
            for piece in ["one ", "two ", "three ", "four "]:
                if self.produced or self.gate_first:
                    self.gate.wait(HANG_S)
                self.produced += 1
                yield piece
        finally:
            self.closed = True


def make_session(
    tmp_path: Path, model: ChatModel, index: str = "docs", agent: AgentFactory | None = None
) -> ChatState:
    def open_kb(name: str, spec: str) -> KnowledgeBase:
        return KnowledgeBase.open(
            tmp_path / name, models=Models(embedder=HashingEmbedder(), chat_model=model)
        )

    return ChatState(open_kb, index, agent=agent)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "corpus"
    docs.mkdir()
    (docs / "kettle.md").write_text(f"# Kettle\n\n{WARRANTY}\n", encoding="utf-8")
    (docs / "tea.txt").write_text("Green tea is steeped at 80 degrees.\n", encoding="utf-8")
    return docs


def views(app: ChatApp, role: str) -> list[str]:
    return [v.plain for v in app.query(MessageView) if v.role == role]


async def settle(pilot: object, check: Callable[[], bool], what: str) -> None:
    """Let the app run until `check` holds; fail naming `what` after the hang ceiling."""
    deadline = time.monotonic() + HANG_S
    while not check():
        assert time.monotonic() < deadline, f"timed out after {HANG_S:.0f} s waiting for {what}"
        await pilot.pause(0.02)  # type: ignore[attr-defined]


async def submit(pilot: object, app: ChatApp, text: str) -> None:
    app.query_one(Input).value = text
    await pilot.press("enter")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_add_then_ask_streams_answer_with_sources(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[str, int | None]] = []
    start, advance = IndexingBar.start, IndexingBar.advance

    def record_start(bar: IndexingBar, label: str, total: int | None) -> None:
        drawn.append((label, total))
        start(bar, label, total)

    def record_advance(bar: IndexingBar, amount: int = 1) -> None:
        drawn.append(("+", amount))
        advance(bar, amount)

    monkeypatch.setattr(IndexingBar, "start", record_start)
    monkeypatch.setattr(IndexingBar, "advance", record_advance)
    model = ScriptedChatModel(["The warranty lasts 18 months [1]."])
    history = HistoryStore(tmp_path / "h.sqlite")
    app = ChatApp(make_session(tmp_path, model), history, save_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, f"/add {corpus}")
        assert not app.query_one(IndexingBar).has_class("active")
        assert any("indexed 2 files" in t for t in views(app, "info"))
        # The bar followed the indexing thread: two files, then every chunk embedded.
        assert drawn[:4] == [("files", None), ("files", 2), ("+", 1), ("+", 1)]
        chunks = drawn.index(("chunks embedded", 2))
        assert drawn[chunks + 1] == ("+", 2) and drawn[-1] == ("writing commit", None)
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        assert views(app, "user") == ["How long is the Ember kettle warranty?"]
        assert views(app, "assistant") == [KETTLE_QUOTE]
        options = app.query_one("#sources", OptionList)
        assert options.option_count >= 1  # the passages given to the model
        first = str(options.get_option_at_index(0).prompt)
        assert first.startswith("[1] ") and "kettle.md" in first
        # Open the first source's whole passage, then close it.
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChunkScreen)
        assert WARRANTY in app.screen.body
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChunkScreen)
        # The model saw the indexed passage as a numbered source.
        assert WARRANTY in model.prompts[0][-1].content
    stored = HistoryStore(tmp_path / "h.sqlite").load()
    assert [t.role for t in stored] == ["user", "assistant"]
    assert stored[1].sources[0].source.endswith("kettle.md")


def _source_marks(app: ChatApp) -> list[tuple[str, bool, bool]]:
    """Each source line as (its text, whether its [n] chip is bold, whether it is dimmed),
    from what the option list draws."""
    options = app.query_one("#sources", OptionList)
    marks = []
    for i in range(options.option_count):
        prompt = options.get_option_at_index(i).prompt
        assert isinstance(prompt, RichText)
        chip = len(prompt.plain.split(" ", 1)[0])
        bold = any(
            "bold" in str(span.style) and span.start == 0 and span.end == chip
            for span in prompt.spans
        )
        dim = any("dim" in str(span.style) for span in prompt.spans) or "dim" in str(prompt.style)
        marks.append((prompt.plain, bold, dim))
    return marks


async def test_sources_the_answer_cites_are_marked_and_the_rest_dimmed(
    tmp_path: Path, corpus: Path
) -> None:
    (corpus / "care.md").write_text(
        "# Kettle care\n\nThe Ember kettle warranty does not cover limescale; descale the "
        "Ember kettle every month.\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.open(tmp_path / "docs", models=Models(embedder=HashingEmbedder()))
    kb.add([corpus])
    model = ScriptedChatModel(["The warranty lasts 18 months [1]."])
    history = HistoryStore(tmp_path / "h.sqlite")
    app = ChatApp(make_session(tmp_path, model), history)
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        assert views(app, "assistant") == [KETTLE_QUOTE]
        marks = _source_marks(app)
        assert len(marks) == 2, marks  # both kettle documents were given to the model
        assert [(text[:3], bold, dim) for text, bold, dim in marks] == [
            ("[1]", True, False),
            ("[2]", False, True),
        ]
        assert str(app.query_one("#sources-label", Label).render()) == "Sources (1 cited)"
    history.close()
    # Restored from history on the next start, with the same marks.
    again = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with again.run_test(size=(120, 40)):
        assert [(b, d) for _, b, d in _source_marks(again)] == [(True, False), (False, True)]


async def test_an_answer_not_in_the_documents_lists_no_sources(
    tmp_path: Path, corpus: Path
) -> None:
    kb = KnowledgeBase.open(tmp_path / "docs", models=Models(embedder=HashingEmbedder()))
    kb.add([corpus])
    model = ScriptedChatModel(["The warranty lasts 18 months [1]."])
    history = HistoryStore(tmp_path / "h.sqlite")
    app = ChatApp(make_session(tmp_path, model), history)
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        assert _source_marks(app)
        # Passages are retrieved for it, but none names Australia: not in the documents.
        await submit(pilot, app, "What is the capital of Australia?")
        assert views(app, "assistant")[-1] == "I cannot find the answer in the documents."
        assert _source_marks(app) == []
        assert str(app.query_one("#sources-label", Label).render()) == "Sources"
    history.close()
    # Nor are any kept with it in history: the next start shows none.
    again = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with again.run_test(size=(120, 40)):
        assert _source_marks(again) == []


async def test_the_sentences_the_checks_left_out_are_counted_under_the_answer(
    tmp_path: Path, corpus: Path
) -> None:
    """A model sentence no source backs is withheld, and a line under the answer says so,
    as `ragkit ask` does; it is not part of the answer kept in history. An answer with
    nothing withheld has no such line."""
    kb = KnowledgeBase.open(tmp_path / "docs", models=Models(embedder=HashingEmbedder()))
    kb.add([corpus])
    supported = "The warranty lasts 18 months [1]."
    invented = "The kettle was designed in Oslo in 1970 by Ingrid Berg [1]."
    model = ScriptedChatModel([f"{supported} {invented}", supported])
    history = HistoryStore(tmp_path / "h.sqlite")
    app = ChatApp(make_session(tmp_path, model), history)
    note = "(left out 1 sentence of the model's answer that the sources do not support)"
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        # The quoted evidence leads; the model's sentence only restates it.
        assert views(app, "assistant") == [KETTLE_QUOTE]
        shown = [v.role for v in app.query(MessageView)]
        assert shown[-2:] == ["assistant", "info"] and views(app, "info")[-1] == note
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        assert views(app, "assistant") == [KETTLE_QUOTE, KETTLE_QUOTE]
        assert [v.role for v in app.query(MessageView)][-1] == "assistant"
        assert views(app, "info").count(note) == 1
    history.close()
    kept = HistoryStore(tmp_path / "h.sqlite").load()
    assert [t.content for t in kept if t.role == "assistant"] == [KETTLE_QUOTE, KETTLE_QUOTE]


async def test_a_chinese_preview_is_wrapped_to_the_sources_pane(tmp_path: Path) -> None:
    docs = tmp_path / "corpus"
    docs.mkdir()
    garden = "茶园平均海拔1650米，常年云雾缭绕，年平均气温约为17摄氏度，年降雨量约1400毫米。"
    (docs / "garden.txt").write_text(garden + "\n", encoding="utf-8")
    KnowledgeBase.open(tmp_path / "docs", models=Models(embedder=HashingEmbedder())).add([docs])
    model = ScriptedChatModel([f"{garden[:11]}[1]。"])
    app = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "茶园平均海拔是多少？")
        assert "1650米" in views(app, "assistant")[0], views(app, "assistant")
        width = app.query_one("#sources", OptionList).scrollable_content_region.width
        assert 0 < width < cell_len(garden)  # the sentence needs more than one line
        head, *shown = _source_marks(app)[0][0].split("\n")
        assert head == "[1] garden.txt" and len(shown) > 1, shown
        # Every line fits the pane, indented, and none starts with "，" or "。".
        for line in shown:
            assert line.startswith("  ") and line[2] not in "，。", shown
            assert cell_len(line) <= width, (width, shown)
        assert "".join(line[2:] for line in shown) == garden
        # A narrower terminal wraps them again to the narrower pane.
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        narrower = app.query_one("#sources", OptionList).scrollable_content_region.width
        assert narrower < width
        _, *again = _source_marks(app)[0][0].split("\n")
        assert len(again) > len(shown) and all(cell_len(x) <= narrower for x in again), again


def _cite_the_warranty(messages: Sequence[Message]) -> str:
    """The answer, citing whichever numbered passage holds the warranty sentence."""
    number = ""
    for line in messages[-1].content.splitlines():
        if re.match(r"\[\d+\]", line):
            number = line[1 : line.index("]")]
        elif "18 months" in line:
            return f"The warranty lasts 18 months [{number}]."
    return "I do not know."


async def test_a_document_given_twice_is_one_source_line_previewing_the_cited_sentence(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "corpus"
    docs.mkdir()
    # Each step holds a time, as the warranty does: passages of both parts are given.
    care = " ".join(
        f"Step {i}: rinse the Ember kettle for {i + 1} minutes and dry it by hand."
        for i in range(30)
    )
    (docs / "kettle.md").write_text(
        f"# Ember kettle manual\n\n{care}\n\n## Warranty\n\n{WARRANTY}\n", encoding="utf-8"
    )
    kb = KnowledgeBase.open(tmp_path / "docs", models=Models(embedder=HashingEmbedder()))
    kb.add([docs])
    assert kb.documents()[0].chunks >= 2  # the manual is two passages or more
    model = ScriptedChatModel([_cite_the_warranty])
    history = HistoryStore(tmp_path / "h.sqlite")
    app = ChatApp(make_session(tmp_path, model), history)
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        assert "18 months" in views(app, "assistant")[0]
        assert len(app.sources) >= 2  # several passages of the one file were given
        lines = [text for text, _, _ in _source_marks(app)]
        assert len(lines) == 1, lines  # ... and the pane names the file once
        numbers = " ".join(f"[{c.number}]" for c in app.sources)
        head, *shown = lines[0].split("\n")
        assert head == f"{numbers} kettle.md", lines
        # The previews are the sentences the answer cites, not the starts of passages.
        cited = [c for c in app.sources if c.number in app.cited]
        assert cited and all(c.sentence for c in cited), cited
        # Each preview's lines are indented under the name (wrapped to the pane's width).
        assert shown and all(line.startswith("  ") for line in shown), lines
        joined = " ".join(line.strip() for line in shown)
        assert joined == " ".join(preview(c.sentence, 80) for c in cited), lines
        assert preview(WARRANTY, 80) in joined, lines
        assert not any("# Ember" in line for line in shown), lines
        # Enter shows every passage of the file, each under its number.
        options = app.query_one("#sources", OptionList)
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChunkScreen)
        assert WARRANTY in app.screen.body and "rinse the Ember kettle" in app.screen.body
        assert all(f"[{c.number}]" in app.screen.body for c in app.sources)
    history.close()
    # The cited sentence is kept with the turn: the next start shows the same line.
    again = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with again.run_test(size=(120, 40)):
        assert [text for text, _, _ in _source_marks(again)] == lines


async def test_adding_one_file_counts_it_in_the_singular(tmp_path: Path, corpus: Path) -> None:
    app = ChatApp(make_session(tmp_path, ScriptedChatModel(["x"])))
    async with app.run_test() as pilot:
        await submit(pilot, app, f"/add {corpus / 'tea.txt'} {tmp_path / 'nosuch.txt'}")
        info = views(app, "info")
        assert any(t.startswith("indexed 1 file (1 chunk), 0 unchanged, 1 failed") for t in info)
        await submit(pilot, app, f"/add {corpus}")
        assert any(
            t.startswith("indexed 1 file (1 chunk), 1 unchanged") for t in views(app, "info")
        )


async def test_a_chinese_answer_starts_beside_its_label_and_fills_its_lines(
    tmp_path: Path,
) -> None:
    reply = "茶园平均海拔1650米，常年云雾缭绕，年平均气温约为17摄氏度，年降雨量约1400毫米[1]。" * 2
    app = ChatApp(make_session(tmp_path, ScriptedChatModel([reply])))
    async with app.run_test(size=(100, 40)) as pilot:
        await submit(pilot, app, "/mode chat")
        await submit(pilot, app, "雾溪茶园的平均海拔是多少？")
        view = next(v for v in app.query(MessageView) if v.role == "assistant")
        width = view.content_region.width
        lines = [view.render_line(y).text.rstrip() for y in range(view.size.height)]
        # It wrapped only at spaces: the label stood alone, the sentence on the next line.
        assert lines[0].startswith("ragkit  茶园平均海拔"), lines
        assert "".join(lines).replace("ragkit  ", "", 1).replace(" ", "") == reply
        assert all(width - 2 <= cell_len(line) <= width for line in lines[:-1]), (width, lines)


async def test_a_note_in_a_narrow_terminal_goes_on_under_its_own_column(tmp_path: Path) -> None:
    """At 80 columns /help's descriptions wrap under their column (before, they ran back
    under the command names); an answer's lines still start at the left edge."""
    reply = "The cooperative was founded on 14 March 1987 by eleven families [1]. " * 2
    app = ChatApp(make_session(tmp_path, ScriptedChatModel([reply.strip()])))
    async with app.run_test(size=(80, 24)) as pilot:
        await submit(pilot, app, "/help")
        view = next(v for v in app.query(MessageView) if v.role == "info" and "/add" in v.plain)
        lines = [view.render_line(y).text.rstrip() for y in range(view.size.height)]
        column = lines[1].index("index files")
        at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("/add"))
        assert lines[at + 1].startswith(" " * column) and lines[at + 1][column] != " ", lines
        named = [line for line in lines if line.lstrip().startswith("/")]
        assert len(named) == 7 and len(lines) > 12, lines  # each entry wrapped, none lost
        await submit(pilot, app, "/mode chat")
        await submit(pilot, app, "When was the cooperative founded?")
        answer = next(v for v in app.query(MessageView) if v.role == "assistant")
        drawn = [answer.render_line(y).text.rstrip() for y in range(answer.size.height)]
        assert len(drawn) > 1 and not drawn[1].startswith(" "), drawn


async def test_history_is_restored_and_clear_and_save_work(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    store.append(Turn("user", "Earlier question?", "chat", "docs"))
    store.append(Turn("assistant", "Earlier answer.", "chat", "docs"))
    store.close()
    app = ChatApp(
        make_session(tmp_path, ScriptedChatModel(["x"])),
        HistoryStore(tmp_path / "h.sqlite"),
        save_dir=tmp_path,
    )
    async with app.run_test() as pilot:
        assert views(app, "user") == ["Earlier question?"]
        assert views(app, "assistant") == ["Earlier answer."]
        out = tmp_path / "talk.md"
        await submit(pilot, app, f"/save {out}")
        saved = out.read_text(encoding="utf-8")
        assert "Earlier question?" in saved and "Earlier answer." in saved
        await submit(pilot, app, "/clear")
        assert views(app, "user") == [] and views(app, "assistant") == []
        await submit(pilot, app, "/save /no/such/folder/x.md")
        assert any("/no/such/folder does not exist" in t for t in views(app, "error"))
    assert HistoryStore(tmp_path / "h.sqlite").load() == []


async def test_chat_mode_sends_earlier_turns_and_commands_report(tmp_path: Path) -> None:
    model = ScriptedChatModel(["Hello!", "You said hi."])
    app = ChatApp(make_session(tmp_path, model))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode chat")
        assert app.session.mode == "chat" and "mode chat" in app.sub_title
        await submit(pilot, app, "hi")
        await submit(pilot, app, "what did I say?")
        assert views(app, "assistant") == ["Hello!", "You said hi."]
        assert [m.content for m in model.prompts[1][1:]] == ["hi", "Hello!", "what did I say?"]
        await submit(pilot, app, "/mode agent")
        await submit(pilot, app, "/bogus")
        await submit(pilot, app, "/index other")
        errors = views(app, "error")
        assert any("agent mode is not available" in e for e in errors)
        assert any("unknown command /bogus" in e for e in errors)
        assert app.session.index == "other" and "index other" in app.sub_title
        assert any("index other (empty" in t for t in views(app, "info"))
        await submit(pilot, app, "/help")
        assert any("/add PATH" in t for t in views(app, "info"))


async def test_rag_question_without_an_index_is_an_error_line_not_a_crash(
    tmp_path: Path,
) -> None:
    app = ChatApp(make_session(tmp_path, ScriptedChatModel(["x"]), index="missing"))
    async with app.run_test() as pilot:
        await submit(pilot, app, "anything?")
        assert views(app, "error") == [
            "index missing holds no documents yet; add files or folders with /add PATH"
        ]
        assert views(app, "assistant") == []  # no empty answer label above the error
        assert app.is_running and not app.busy


@pytest.mark.parametrize("mode", ["chat", "agent"])
async def test_ctrl_c_stops_the_answer_and_not_the_app(tmp_path: Path, mode: str) -> None:
    model = GatedModel()
    agent = real_agent() if mode == "agent" else None
    app = ChatApp(make_session(tmp_path, model, agent=agent))
    async with app.run_test() as pilot:
        await submit(pilot, app, f"/mode {mode}")
        app.query_one(Input).value = "count slowly"
        await pilot.press("enter")
        await settle(pilot, lambda: views(app, "assistant") == ["one "], "the first piece")
        assert views(app, "assistant") == ["one "] and app.busy
        await pilot.press("ctrl+c")
        model.gate.set()  # let the model hand over its next piece; the worker stops there
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and not app.busy
        # Closing the app's event stream closed the answer (in agent mode, the agent's
        # run) and the model under it.
        assert model.closed and model.produced <= 2
        assert views(app, "assistant")[0].endswith("[stopped]")
        assert "three" not in views(app, "assistant")[0]


async def test_an_answer_in_progress_is_marked_until_it_ends(tmp_path: Path) -> None:
    model = GatedModel()
    app = ChatApp(make_session(tmp_path, model))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode chat")
        app.query_one(Input).value = "count slowly"
        await pilot.press("enter")
        await settle(pilot, lambda: views(app, "assistant") == ["one "], "the first piece")
        view = next(v for v in app.query(MessageView) if v.role == "assistant")
        # Text that looks finished may still be followed by more (the checks can withhold
        # sentences the model goes on writing): the mark says the chat is still busy.
        assert view.render_line(0).text.rstrip().endswith("one  …")
        model.gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert views(app, "assistant") == ["one two three four "]
        assert "…" not in view.render_line(0).text and not app.busy


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+d"])
async def test_quitting_during_an_answer_keeps_what_was_shown(tmp_path: Path, key: str) -> None:
    model = GatedModel()
    app = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode chat")
        app.query_one(Input).value = "count slowly"
        await pilot.press("enter")
        await settle(pilot, lambda: views(app, "assistant") == ["one "], "the first piece")
        assert app.answering  # still being written (or checked)
        await pilot.press(key)
        await settle(pilot, lambda: not app.is_running, "the app to quit")
    model.gate.set()  # the worker sees the stop at the model's next piece
    deadline = time.monotonic() + HANG_S
    while not model.closed:  # the worker thread outlives the app; it closes the model
        assert time.monotonic() < deadline, "the model was not closed"
        await asyncio.sleep(0.02)
    turns = HistoryStore(tmp_path / "h.sqlite").load()
    assert [(t.role, t.content) for t in turns] == [
        ("user", "count slowly"),
        ("assistant", "one [interrupted]"),
    ]
    assert model.produced <= 2
    # The next start shows the turn as it was left.
    again = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with again.run_test():
        assert views(again, "assistant") == ["one [interrupted]"]


async def test_ctrl_c_before_the_first_piece(tmp_path: Path) -> None:
    model = GatedModel(gate_first=True)
    app = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode chat")
        app.query_one(Input).value = "think first"
        await pilot.press("enter")
        await settle(pilot, lambda: app.answering and views(app, "assistant") == [""], "the ask")
        await pilot.press("ctrl+c")
        model.gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert views(app, "assistant") == ["[stopped before any text]"]
        assert model.closed and model.produced == 1 and not app.busy
    assert [t.role for t in HistoryStore(tmp_path / "h.sqlite").load()] == ["user"]


async def test_model_output_is_sanitized_before_display(tmp_path: Path) -> None:
    hostile = (
        "Safe \x1b]52;c;cm0gLXJm\x07text \x1b[2J\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ [b]x[/b]"
    )
    app = ChatApp(make_session(tmp_path, ScriptedChatModel([hostile])))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode chat")
        await submit(pilot, app, "say something")
        assert views(app, "assistant") == ["Safe text link [b]x[/b]"]
        shown = app.query(MessageView).last()
        assert "\x1b" not in str(shown.render())


async def test_an_answers_markdown_is_drawn_as_styles_not_marks(tmp_path: Path) -> None:
    reply = "## Warranty\nThe kettle is covered for **18 months**, *not* 2 * 12, see `faq`."
    app = ChatApp(make_session(tmp_path, ScriptedChatModel([reply])))
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, app, "/mode chat")
        await submit(pilot, app, "How long is the warranty?")
        shown = "\n".join(views(app, "assistant"))
        assert shown == "Warranty\nThe kettle is covered for 18 months, not 2 * 12, see faq."
        view = next(v for v in app.query(MessageView) if v.role == "assistant")
        drawn = [view.render_line(y) for y in range(view.size.height)]
        text = "\n".join(line.text for line in drawn)
        assert "**" not in text and "##" not in text and "`" not in text and "2 * 12" in text

        def styled(word: str) -> list[str]:
            return [
                str(seg.style)
                for line in drawn
                for seg in line
                if word in seg.text and seg.style is not None
            ]

        assert any("bold" in st for st in styled("18 months")), styled("18 months")
        assert any("italic" in st for st in styled("not")), styled("not")
        assert any("bold" in st for st in styled("Warranty")), styled("Warranty")
    # The question a user typed is drawn as typed.
    assert MessageView("user", "**x**").plain == "**x**"


async def test_agent_tool_calls_are_shown_as_they_run(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    class FakeAgent:
        def run(self, message: str, history: Sequence[Turn]) -> Generator[Event, None, None]:
            yield ToolStarted("calculator", '{"expression": "6*7"}')
            # The tool line is on screen before the tool finishes.
            seen.append(views(app, "tool"))
            yield ToolFinished("calculator", "42")
            yield Text("The answer is 42.")

    session = make_session(tmp_path, ScriptedChatModel(["x"]), agent=lambda kb: FakeAgent())
    app = ChatApp(session, HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode agent")
        await submit(pilot, app, "what is 6*7?")
        assert seen == [['calculator({"expression": "6*7"}) …']]
        assert views(app, "tool") == ['calculator({"expression": "6*7"}) → 42']
        assert views(app, "assistant") == ["The answer is 42."]
    tools = [t for t in HistoryStore(tmp_path / "h.sqlite").load() if t.role == "tool"]
    assert [t.content for t in tools] == ['calculator({"expression": "6*7"}) → 42']


def real_agent(**options: object) -> AgentFactory:
    """Agent mode as the CLI builds it: the loop and built-in tools over the chat's index
    and model (here a scripted one)."""

    def factory(kb: KnowledgeBase) -> Backend:
        opts = AgentOptions(**options)  # type: ignore[arg-type]
        return AgentBackend(
            Agent(kb.chat_model, builtin_tools(), ToolContext(knowledge_base=kb), opts)
        )

    return factory


def calc(expression: str) -> str:
    return json.dumps({"tool": "calculator", "arguments": {"expression": expression}})


async def test_real_agent_calls_the_calculator_and_streams_the_answer(tmp_path: Path) -> None:
    # An arithmetic task's calculator call is decided by rule (ragkit.agent.planning):
    # the model's one turn writes the answer.
    model = ScriptedChatModel(["345 * 12 is 4140."])
    session = make_session(tmp_path, model, agent=real_agent())
    app = ChatApp(session, HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode agent")
        await submit(pilot, app, "What is 345 * 12?")
        assert views(app, "tool") == ['calculator({"expression": "345 * 12"}) → 4140']
        assert views(app, "assistant") == ["345 * 12 is 4140."]
        # The tool line sits above the answer it led to.
        roles = [v.role for v in app.query(MessageView) if v.role in ("user", "tool", "assistant")]
        assert roles == ["user", "tool", "assistant"]
        # The model's turn saw the calculator's result.
        assert len(model.prompts) == 1 and "4140" in model.prompts[0][-1].content
    stored = HistoryStore(tmp_path / "h.sqlite").load()
    assert [(t.role, t.mode) for t in stored] == [
        ("user", "agent"),
        ("tool", "agent"),
        ("assistant", "agent"),
    ]


async def test_agent_sees_earlier_turns_and_reports_a_run_without_an_answer(
    tmp_path: Path,
) -> None:
    model = ScriptedChatModel(["Hello there.", '{"tool": "teleport", "arguments": {}}'])
    app = ChatApp(make_session(tmp_path, model, agent=real_agent(max_steps=1, retries=0)))
    async with app.run_test() as pilot:
        await submit(pilot, app, "/mode agent")
        await submit(pilot, app, "hi")
        await submit(pilot, app, "beam me up")
        # No empty answer label for the failed run: the error line says why.
        assert views(app, "assistant") == ["Hello there."]
        # The second run's prompt carried the first exchange.
        contents = [m.content for m in model.prompts[1]]
        assert any("Hello there." in c for c in contents)
        assert any("invalid tool call" in t and "teleport" in t for t in views(app, "info"))
        errors = views(app, "error")
        assert len(errors) == 1 and errors[0].startswith("agent stopped: ")
        assert app.is_running and not app.busy


async def test_rag_follow_up_is_rewritten_before_retrieval(tmp_path: Path, corpus: Path) -> None:
    standalone = "At what temperature is green tea steeped?"
    model = ScriptedChatModel(
        ["The Ember kettle warranty lasts 18 months [1].", standalone, "At 80 degrees [1]."]
    )
    app = ChatApp(make_session(tmp_path, model))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, f"/add {corpus}")
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        await submit(pilot, app, "and what about the tea?")
        assert views(app, "assistant")[-1] == "Green tea is steeped at 80 degrees [1]."
        # The rewrite saw the conversation and the follow-up.
        rewrite = model.prompts[1]
        assert rewrite[0].content == REWRITE_SYSTEM
        assert "How long is the Ember kettle warranty?" in rewrite[1].content
        assert "18 months" in rewrite[1].content
        assert "Last question: and what about the tea?" in rewrite[1].content
        assert f"searching for: {standalone}" in views(app, "info")
        # Retrieval used the standalone question: the tea passage is the first source,
        # and the answer prompt kept the earlier exchange as history.
        first = str(app.query_one("#sources", OptionList).get_option_at_index(0).prompt)
        assert "tea.txt" in first
        answer_prompt = model.prompts[2]
        assert "Green tea is steeped at 80 degrees." in answer_prompt[-1].content
        assert standalone in answer_prompt[-1].content
        earlier = [m.content for m in answer_prompt[1:-1]]
        assert "How long is the Ember kettle warranty?" in earlier


async def test_tab_reaches_the_sources_and_enter_opens_the_passage_with_its_sentence_lit(
    tmp_path: Path, corpus: Path
) -> None:
    model = ScriptedChatModel([_cite_the_warranty])
    app = ChatApp(make_session(tmp_path, model))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, f"/add {corpus}")
        await submit(pilot, app, "How long is the Ember kettle warranty?")
        assert "18 months" in views(app, "assistant")[0]
        options = app.query_one("#sources", OptionList)
        # As a user does it: Tab from the prompt (past the transcript) to the pane.
        for _ in range(3):
            if app.focused is options:
                break
            await pilot.press("tab")
        assert app.focused is options
        assert options.highlighted == 0  # Enter has a line to open
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChunkScreen)
        assert app.screen.lit == [WARRANTY]  # the sentence the answer cites, lit
        # What the passage view draws: the sentence, and only it, carries a style.
        body = app.screen.query_one("#chunk-text", Static).visual
        assert isinstance(body, Content)
        assert [body.plain[s.start : s.end] for s in body.spans] == [WARRANTY]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChunkScreen)


async def test_a_question_sent_while_answering_is_queued_shown_and_asked_next(
    tmp_path: Path,
) -> None:
    model = GatedModel()
    history = HistoryStore(tmp_path / "h.sqlite")
    app = ChatApp(make_session(tmp_path, model), history)
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "/mode chat")
        prompt = app.query_one(Input)
        idle = prompt.placeholder
        prompt.value = "count slowly"
        await pilot.press("enter")
        await settle(pilot, lambda: views(app, "assistant") == ["one "], "the first piece")
        # The prompt says it is busy and what Enter does now.
        assert prompt.has_class("busy") and "queues" in str(prompt.placeholder)
        prompt.value = "and again"
        await pilot.press("enter")
        await pilot.pause()
        assert prompt.value == ""  # taken, not left for the user to send again
        assert views(app, "user") == [
            "count slowly",
            "and again  (queued: asked when the answer above is done)",
        ]
        # A command that would change what the running answer is filed under waits.
        prompt.value = "/mode rag"
        await pilot.press("enter")
        await pilot.pause()
        assert any(
            e.startswith("/mode waits until the answer is done") for e in views(app, "error")
        )
        assert app.session.mode == "chat"
        model.gate.set()
        await settle(pilot, lambda: len(views(app, "assistant")) == 2 and not app.busy, "both")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert views(app, "user") == ["count slowly", "and again"]
        # Each answer stands under its own question, in the order asked.
        order = [(v.role, v.plain) for v in app.query(MessageView) if v.role != "info"]
        assert [r for r, _ in order if r in ("user", "assistant")] == [
            "user",
            "assistant",
            "user",
            "assistant",
        ]
        assert not prompt.has_class("busy") and prompt.placeholder == idle
    turns = HistoryStore(tmp_path / "h.sqlite").load()
    assert [(t.role, t.content) for t in turns] == [
        ("user", "count slowly"),
        ("assistant", "one two three four"),
        ("user", "and again"),
        ("assistant", "one two three four"),
    ]


async def test_ctrl_c_stops_the_answer_and_drops_the_queued_questions(tmp_path: Path) -> None:
    model = GatedModel()
    app = ChatApp(make_session(tmp_path, model), HistoryStore(tmp_path / "h.sqlite"))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, app, "/mode chat")
        app.query_one(Input).value = "count slowly"
        await pilot.press("enter")
        await settle(pilot, lambda: views(app, "assistant") == ["one "], "the first piece")
        app.query_one(Input).value = "and again"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+c")
        model.gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert views(app, "user") == ["count slowly", "and again  (not asked)"]
        assert len(views(app, "assistant")) == 1 and not app.busy and not app.queued
    turns = HistoryStore(tmp_path / "h.sqlite").load()
    assert [t.content for t in turns if t.role == "user"] == ["count slowly"]
