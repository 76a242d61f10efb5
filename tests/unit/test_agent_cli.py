"""`ragkit chats ls|show|rm` over a real conversation store, and the agent command's
bad-input errors (one line, exit 1, no traceback) and its JSON record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.agent.memory import ConversationStore
from ragkit.apps.cli import app
from ragkit.models.llm import Message
from ragkit.models.llm.base import ToolCall


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ConversationStore:
    path = tmp_path / "chats.sqlite"
    monkeypatch.setenv("RAGKIT_AGENT__CONVERSATIONS_DB", str(path))
    return ConversationStore(path)


def test_chats_list_show_and_delete(store: ConversationStore) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["chats", "ls"]).output.strip() == "no conversations"
    cid = store.create("Kettle questions")
    store.append(cid, Message("user", "What is 98 + 2?"))
    call = ToolCall("c1", "calculator", '{"expression": "98 + 2"}')
    store.append(cid, Message("assistant", "", (call,)))
    store.append(cid, Message("tool", "100", tool_call_id="c1"))
    store.append(cid, Message("assistant", "100"))
    listed = runner.invoke(app, ["chats", "ls"])
    assert (
        listed.exit_code == 0
        and cid in listed.output
        and "4 msgs  Kettle questions" in listed.output
    )
    shown = runner.invoke(app, ["chats", "show", cid[:5]])
    assert shown.exit_code == 0
    assert "user: What is 98 + 2?" in shown.output
    assert 'calculator({"expression": "98 + 2"})' in shown.output
    removed = runner.invoke(app, ["chats", "rm", cid[:5]])
    assert removed.exit_code == 0 and f"deleted {cid}" in removed.output
    assert store.list() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chats", "show", "nope"], "error: no conversation 'nope'"),
        (["chats", "rm", "nope"], "error: no conversation 'nope'"),
        (["agent", "  "], "error: the task is empty"),
        (["agent", "x", "--max-steps", "0"], "error: --max-steps 0: give a whole number from 1"),
        (["agent", "x", "--protocol", "smoke"], "error: --protocol smoke: it should be 'auto'"),
        (["agent", "x", "--protocol", "native"], "has no native tool calling"),
        (["agent", "x", "--conversation", "nope"], "error: no conversation 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    store: ConversationStore, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert str(store.path) not in result.output and ".sqlite" not in result.output
    if "no conversation" in message:  # the id, and where to find the ones there are
        assert "ragkit chats ls" in result.output, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2  # the error (and maybe a note)


def test_agent_json_records_the_hits_it_answered_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `ragkit agent --json` writes the run's record: each search with the hits it
    # returned (the passages the composed answer was written from), as JSON.
    from ragkit import HashingEmbedder, ScriptedChatModel
    from ragkit.config import load_settings
    from ragkit.wiring import knowledge_base

    monkeypatch.setenv("RAGKIT_INDEX__HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAGKIT_GUARD__ENABLED", "false")
    model = ScriptedChatModel(["It is", "The Ember kettle warranty lasts 18 months [1]."])
    monkeypatch.setattr("ragkit.wiring.chat_model", lambda settings: model)
    monkeypatch.setattr("ragkit.wiring.embedder", lambda settings: HashingEmbedder(dim=32))
    monkeypatch.setattr("ragkit.wiring.query_embedder", lambda settings: None)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text(
        "# Kettle\n\nThe Ember kettle warranty lasts 18 months from the date of purchase.\n"
    )
    knowledge_base(load_settings()).add([docs])
    result = CliRunner().invoke(app, ["agent", "How long is the kettle warranty?", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["stopped_reason"] == "answered" and "18 months" in record["answer"]
    [search] = record["tool_calls"]
    assert search["name"] == "search_documents" and not search["error"]
    assert [h["rank"] for h in search["hits"]] == [1]
    assert "18 months" in search["hits"][0]["chunk"]["text"]
    assert search["hits"][0]["chunk"]["source"].endswith("kettle.md")
