"""The chat app's parts without a screen: terminal sanitizing, the history file, slash
commands, mode switching, the chat-mode context window and the Sources pane's wrapping."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

import pytest
from rich.cells import cell_len

from ragkit import Citation, ConfigError, HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.apps.tui.backends import ChatBackend, RagBackend
from ragkit.apps.tui.history import HistoryStore, Turn, transcript_markdown
from ragkit.apps.tui.sanitize import sanitize_for_terminal
from ragkit.apps.tui.session import ChatState, SessionError, parse_command
from ragkit.apps.tui.widgets import wrap_indented
from ragkit.events import Event, Sources, Text
from ragkit.models.llm.base import GenerationOptions
from ragkit.options import Models


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("clear\x1b[2J\x1b[H screen", "clear screen"),
        ("\x9b31mC1 csi", "C1 csi"),
        ("title\x1b]0;pwned\x07 done", "title done"),
        ("link \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ end", "link click end"),
        ("copy \x1b]52;c;cm0gLXJmIH4=\x07 it", "copy  it"),
        ("dcs \x1bPq#0;2;0;0;0\x1b\\ ok", "dcs  ok"),
        ("bell\x07 back\x08space\r\n tab\tkept", "bell backspace\n tab\tkept"),
        ("c1 \x85 \x9c \x90unterminated", "c1   "),
        ("cut \x1b[3", "cut "),
        ("keypad \x1b= \x1b7saved", "keypad  saved"),
        ("中文 and [bold]markup[/bold] stay", "中文 and [bold]markup[/bold] stay"),
    ],
)
def test_sanitize_for_terminal(raw: str, shown: str) -> None:
    assert sanitize_for_terminal(raw) == shown


def test_sanitized_text_has_no_control_characters_left() -> None:
    nasty = "".join(chr(c) for c in range(0, 0xA0)) * 3 + "\x1b]52;c;QUJD\x1b\\"
    out = sanitize_for_terminal(nasty)
    assert all(ch in "\n\t" or 0x20 <= ord(ch) < 0x7F for ch in out)
    assert "\x1b" not in out and "52;" not in out


def _cite(n: int) -> Citation:
    return Citation(n, 10 + n, f"/docs/f{n}.pdf", n, n, f"snippet {n}")


def test_history_round_trip_clear_and_markdown(tmp_path: Path) -> None:
    path = tmp_path / "home" / "chat.sqlite"
    store = HistoryStore(path)
    store.append(Turn("user", "What is the warranty?", "rag", "docs"))
    store.append(Turn("assistant", "Two years [1].", "rag", "docs", (_cite(1), _cite(2))))
    store.close()
    again = HistoryStore(path)
    turns = again.load()
    assert [(t.role, t.content) for t in turns] == [
        ("user", "What is the warranty?"),
        ("assistant", "Two years [1]."),
    ]
    assert turns[1].sources == (_cite(1), _cite(2))
    assert [t.content for t in again.load(limit=1)] == ["Two years [1]."]
    markdown = transcript_markdown(turns)
    assert "## You (" in markdown and "## Assistant (" in markdown
    assert "- [1] /docs/f1.pdf p. 1" in markdown
    again.clear()
    assert again.load() == []


def test_saved_transcript_names_each_document_once_with_its_cited_sentences() -> None:
    # Two passages of one file were given as [2] and [3]: one line for the file, as the
    # Sources pane shows it, not the same path twice.
    faq = Citation(1, 11, "/docs/faq.html", None, None, "The Lumen Tea…")
    history = Citation(2, 12, "/docs/history.md", None, None, "Founded…", sentence="A\nB.")
    other = Citation(3, 13, "/docs/history.md", None, None, "Since 2021…")
    pdf = (
        Citation(4, 14, "/docs/h.pdf", 2, 2, "x", page=2, sentence="Two years."),
        Citation(5, 15, "/docs/h.pdf", 3, 4, "y"),
    )
    answer = Turn("assistant", "Two years [2][4].", "rag", "docs", (faq, history, other, *pdf))
    sources = transcript_markdown([answer]).split("Sources:")[1].strip().splitlines()
    assert sources == [
        "- [1] /docs/faq.html",
        "- [2] [3] /docs/history.md",
        "  - [2] A B.",
        "- [4] [5] /docs/h.pdf pp. 2-4",
        "  - [4] Two years.",
    ]


def test_history_in_an_unwritable_place_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="RAGKIT_CHAT__HISTORY"):
        HistoryStore(blocker / "chat.sqlite")


def test_parse_command() -> None:
    assert parse_command("hello there") is None
    command = parse_command("  /ADD  docs/a.md ")
    assert command is not None and (command.name, command.argument) == ("add", "docs/a.md")
    with pytest.raises(SessionError, match="/help"):
        parse_command("/frobnicate")


def _session(tmp_path: Path, replies: list[str]) -> tuple[ChatState, list[tuple[str, str]]]:
    opened: list[tuple[str, str]] = []

    def open_kb(index: str, model: str) -> KnowledgeBase:
        if model.endswith("broken.gguf"):
            raise ConfigError(f"GGUF model file {model} could not be loaded")
        opened.append((index, model))
        return KnowledgeBase.open(
            tmp_path / index,
            models=Models(embedder=HashingEmbedder(), chat_model=ScriptedChatModel(replies)),
        )

    return ChatState(open_kb, "docs"), opened


def test_session_modes_and_switching(tmp_path: Path) -> None:
    session, opened = _session(tmp_path, ["hi"])
    assert isinstance(session.backend(), RagBackend)
    session.set_mode("chat")
    assert isinstance(session.backend(), ChatBackend)
    with pytest.raises(SessionError, match="agent mode is not available"):
        session.set_mode("agent")
    with pytest.raises(SessionError, match="unknown mode"):
        session.set_mode("poetry")
    assert session.mode == "chat"
    session.switch_index("other")
    assert session.kb.path == tmp_path / "other"
    with pytest.raises(SessionError, match=r"^/model /x/missing\.gguf: no such file; give a"):
        session.switch_model("/x/missing.gguf")
    (tmp_path / "broken.gguf").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"broken\.gguf could not be loaded"):
        session.switch_model(str(tmp_path / "broken.gguf"))
    assert session.model == "bundled" and session.index == "other"
    assert opened == [("docs", "bundled"), ("other", "bundled")]
    assert session.describe() == "index other · model scripted · mode chat"


def test_agent_mode_uses_the_factory_it_is_given(tmp_path: Path) -> None:
    class Agent:
        def run(self, message: str, history: Sequence[Turn]) -> Generator[Event, None, None]:
            yield Text("agent reply")

    made: list[KnowledgeBase] = []
    session = ChatState(
        lambda i, m: KnowledgeBase.open(tmp_path / i, models=Models(embedder=HashingEmbedder())),
        "docs",
        agent=lambda kb: made.append(kb) or Agent(),  # type: ignore[func-returns-value]
    )
    session.set_mode("agent")
    backend = session.backend()
    assert isinstance(backend, Agent) and made == [session.kb]
    assert list(backend.run("hi", [])) == [Text("agent reply")]


def test_chat_backend_keeps_the_latest_turns_that_fit() -> None:
    model = ScriptedChatModel(["ok"], context_window=300)
    backend = ChatBackend(model, GenerationOptions(max_tokens=100))
    history: list[Turn] = []
    for i in range(5):
        history += [Turn("user", f"question {i} " + "x" * 200), Turn("assistant", "a" * 80)]
    history.append(Turn("info", "not for the model"))
    messages = backend.messages("now?", history)
    assert messages[0].role == "system" and messages[-1].content == "now?"
    kept = messages[1:-1]
    # The latest turns, oldest first, from a question on; the older ones did not fit.
    spoken = history[:-1]
    assert 2 <= len(kept) < len(spoken) and kept[0].role == "user"
    assert [m.content for m in kept] == [t.content for t in spoken[-len(kept) :]]
    assert sum(model.count_tokens(m.content) for m in messages) + 100 <= 300
    events = list(backend.run("now?", history))
    assert events == [Text("ok")]


def test_rag_backend_sends_sources_before_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The kettle warranty lasts 18 months.", encoding="utf-8")
    kb = KnowledgeBase.open(
        tmp_path / "ix",
        models=Models(embedder=HashingEmbedder(), chat_model=ScriptedChatModel(["18 [1]."])),
    )
    kb.add([tmp_path / "a.txt"])
    events = list(RagBackend(kb).run("How long is the warranty?", []))
    assert isinstance(events[0], Sources) and events[0].items[0].source.endswith("a.txt")
    # The quoted evidence leads; the model's "18" only restates it.
    text = "".join(e.text for e in events[1:] if isinstance(e, Text))
    assert text == "The kettle warranty lasts 18 months [1]."


GARDEN = "茶园平均海拔1650米，常年云雾缭绕，年平均气温约为17摄氏度，年降雨量约1400毫米。"


@pytest.mark.parametrize("width", range(12, 40))
def test_a_wrapped_chinese_preview_starts_no_line_with_its_punctuation(width: int) -> None:
    lines = wrap_indented(GARDEN, width).split("\n")
    assert all(line.startswith("  ") and cell_len(line) <= width for line in lines), lines
    # A comma or full stop stays with the character before it, never opens a line.
    assert not any(line[2] in "，。" for line in lines), lines
    assert "".join(line[2:] for line in lines) == GARDEN


def test_a_wrapped_english_preview_keeps_its_words_whole() -> None:
    sentence = "The Ember brewing kettle comes with a warranty of 18 months from purchase."
    lines = wrap_indented(sentence, 30).split("\n")
    assert lines == [
        "  The Ember brewing kettle",
        "  comes with a warranty of 18",
        "  months from purchase.",
    ]
    # Not laid out yet (no width): one line, as before.
    assert wrap_indented(sentence, 0) == f"  {sentence}"


CITED = "地址是杭州市西湖区龙井路88号[1]。周六下午2点有免费冲泡课程[2]，欢迎参加。"


def test_punctuation_after_a_citation_mark_never_starts_a_line() -> None:
    # The transcript wraps an answer as the Sources pane does (`Wrapped`, `_breaks`).
    for width in range(8, 40):
        lines = wrap_indented(CITED, width, indent="").split("\n")
        assert not any(line[0] in "，。" for line in lines), (width, lines)
        assert "".join(lines) == CITED
    # Kept: the mark itself may still end a line, and an English one breaks at spaces.
    assert "88号[1]。" in wrap_indented(CITED, 20, indent="").split("\n")[1]
    assert wrap_indented("It lasts 18 months [1]. Keep the receipt.", 24, indent="") == (
        "It lasts 18 months [1].\nKeep the receipt."
    )


MIXED = "Ember 水壶的保修期为七年[1]和两年[2]，Kestrel Valley [3] 的茶园海拔1650米[4]"


def test_a_citation_mark_never_starts_a_line() -> None:
    # A mark with no punctuation after it stays with the word (a Chinese character)
    # before it, in mixed Chinese and English too; before, "[1]" could open a line.
    for width in range(8, 40):
        lines = wrap_indented(MIXED, width, indent="").split("\n")
        assert not any(line.lstrip().startswith("[") for line in lines), (width, lines)
        assert "".join(lines).replace(" ", "") == MIXED.replace(" ", "")
    assert wrap_indented("It lasts 18 months [1] from purchase.", 22, indent="") == (
        "It lasts 18 months [1]\nfrom purchase."
    )
