"""`ragkit summarize` / `ragkit translate` in-process with the scripted model standing in
for the configured one: output, --index/--doc, atomic --out, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from ceilings import HANG_S
from cli_runs import run

import ragkit.wiring
from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.answer.summarize import untranslated_note
from ragkit.models.llm.base import Message
from ragkit.options import Models


def _echo_first_words(messages: Sequence[Message]) -> str:
    """A 'summary' naming the start of the text it was given, so tests can trace it."""
    user = messages[1].content
    body = user.split("Text:\n", 1)[1] if "Text:\n" in user else user.split(":\n\n", 1)[1]
    return "S(" + " ".join(body.split("\n\n")[0].split()[:3]) + ")"


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> ScriptedChatModel:
    model = ScriptedChatModel([_echo_first_words])
    monkeypatch.setattr(ragkit.wiring, "chat_model", lambda settings: model)
    return model


def test_summarize_a_file_streams_the_summary(
    tmp_path: Path, fake_model: ScriptedChatModel
) -> None:
    (tmp_path / "a.md").write_text("Kettles boil water quickly.\n", encoding="utf-8")
    code, out, _ = run("summarize", "a.md")
    assert code == 0
    assert out == "S(Kettles boil water)\n"
    assert "English" in fake_model.prompts[0][0].content


def test_summarize_every_document_of_an_index_or_one(
    tmp_path: Path, fake_model: ScriptedChatModel
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.txt").write_text("Alpha beta gamma delta.", encoding="utf-8")
    (docs / "two.txt").write_text("雾溪茶园位于云南。", encoding="utf-8")
    with KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=HashingEmbedder())) as kb:
        kb.add([docs])
    code, out, _ = run("summarize", "--index", "./ix")
    assert code == 0, out
    assert out.splitlines() == [
        "# docs/one.txt",
        "S(Alpha beta gamma)",
        "",
        "# docs/two.txt",
        "S(雾溪茶园位于云南。)",
    ]
    assert "Chinese" in fake_model.prompts[1][0].content
    code, out, _ = run("summarize", "--index", "./ix", "--doc", "docs/two.txt")
    assert code == 0 and out.splitlines() == ["# docs/two.txt", "S(雾溪茶园位于云南。)"]


def test_translate_writes_out_file_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ScriptedChatModel(["The garden.", "It is high."])
    monkeypatch.setattr(ragkit.wiring, "chat_model", lambda settings: model)
    (tmp_path / "zh.txt").write_text("茶园。\n\n海拔很高。\n", encoding="utf-8")
    code, out, err = run("translate", "zh.txt", "--to", "en", "--out", "en.txt")
    assert code == 0 and out == ""
    assert "wrote en.txt" in err
    assert (tmp_path / "en.txt").read_text(encoding="utf-8") == "The garden.\n\nIt is high.\n"
    assert not list(tmp_path.glob("*.tmp"))


def test_translate_to_stdout_and_notes_text_already_in_target(
    tmp_path: Path, fake_model: ScriptedChatModel
) -> None:
    (tmp_path / "en.md").write_text("Plain English.\n\n中文段落。\n", encoding="utf-8")
    code, out, err = run("translate", "en.md", "--to", "en")
    assert code == 0
    # The scripted model echoes the Chinese: not passed off as a translation.
    assert out == f"Plain English.\n\n{untranslated_note('en')}\n中文段落。\n"
    assert "RAGKIT_LLM__MODEL_PATH" in untranslated_note("en")
    assert "already reads as English" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summarize"], "give a FILE to summarize or --index NAME"),
        (["summarize", "a.md", "--index", "x"], "not both"),
        (["summarize", "a.md", "--doc", "a.md"], "add --index NAME"),
        (["summarize", "missing.md"], "missing.md: no such file"),
        (["summarize", "a.xyz"], "unsupported file type"),
        (["summarize", "--index", "nope"], "index indexes/nope does not exist"),
        (["translate", "a.md", "--to", "fr"], "--to 'fr' is not a language"),
        (["translate", "a.md", "--to", "zh", "--out", "no/dir/x.md"], "folder no/dir"),
        (["summarize", "--index", "./ix", "--doc", "other.txt"], "other.txt is not in index"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    tmp_path: Path, fake_model: ScriptedChatModel, args: list[str], message: str
) -> None:
    (tmp_path / "a.md").write_text("Text.", encoding="utf-8")
    (tmp_path / "a.xyz").write_text("Text.", encoding="utf-8")
    (tmp_path / "d.txt").write_text("Some text.", encoding="utf-8")
    with KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=HashingEmbedder())) as kb:
        kb.add([tmp_path / "d.txt"])
    code, out, err = run(*args)
    assert code == 1
    assert out == "" and err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert fake_model.prompts == []


def test_real_process_exits_1_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ragkit", "translate", "nothing.txt", "--to", "zh"],
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: nothing.txt: no such file or folder; check the path"
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_summarize_footer_counts_the_sentences_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "Kettles boil water quickly.\n- Kettles boil water quickly.\n- They hold 9 litres."
    model = ScriptedChatModel([reply])
    monkeypatch.setattr(ragkit.wiring, "chat_model", lambda settings: model)
    (tmp_path / "a.md").write_text("Kettles boil water quickly.\n", encoding="utf-8")
    code, out, _ = run("summarize", "a.md")
    assert code == 0
    assert out.splitlines() == [
        "Kettles boil water quickly.",
        "(left out 2 sentences of the model's summary: 1 the document does not support, "
        "1 repeating an earlier one)",
    ]
    model = ScriptedChatModel(["They hold 9 litres."])
    monkeypatch.setattr(ragkit.wiring, "chat_model", lambda settings: model)
    code, out, _ = run("summarize", "a.md")
    assert code == 0
    assert out.splitlines()[0] == "Kettles boil water quickly."
    assert "opening sentences" in out and "left out 1 sentence of" in out
