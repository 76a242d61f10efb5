"""`ragkit chats ls|show|rm` over a real conversation store, and the agent command's
bad-input errors: one line, exit 1, no traceback."""

from __future__ import annotations

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
