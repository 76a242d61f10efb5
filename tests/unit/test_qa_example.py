"""The library example: answers stream and list their sources; a folder with nothing
readable is one error line and exit status 1."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from apps.qa_example import answer_questions, main
from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.options import Models


def test_answers_stream_with_cited_sources_marked(tmp_path: Path) -> None:
    (tmp_path / "kettle.md").write_text("The kettle warranty lasts 18 months.", encoding="utf-8")
    (tmp_path / "tea.md").write_text("Green tea is steeped at 80 degrees.", encoding="utf-8")
    model = ScriptedChatModel(["It lasts 18 months [1].", "At 80 degrees [1]."])
    out = io.StringIO()
    with KnowledgeBase.open(
        tmp_path / "ix", models=Models(embedder=HashingEmbedder(), chat_model=model)
    ) as kb:
        kb.add([tmp_path / "kettle.md", tmp_path / "tea.md"])
        answer_questions(kb, ["How long is the kettle warranty?", "  ", "Tea temperature?"], out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "The kettle warranty lasts 18 months [1]."  # the evidence leads
    assert lines[1].startswith(" *[1] ") and lines[1].endswith("kettle.md")
    # Only the passages that answer the question were given (and listed).
    # The model's words are a bare piece of their source sentence (they do not say which
    # tea), so that sentence is shown in their place, once: one line, one source.
    assert lines[2] == "Green tea is steeped at 80 degrees [1]."
    assert lines[3].endswith("tea.md") and len(lines) == 4
    assert len(model.prompts) == 2  # the blank line asked nothing


def test_nothing_readable_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing"), "question?", "--index", str(tmp_path / "ix")]) == 1
    err = capsys.readouterr().err
    assert "no such file or folder" in err
    assert err.strip().endswith(f"error: no readable documents in {tmp_path / 'missing'}")
