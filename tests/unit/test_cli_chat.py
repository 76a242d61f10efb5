"""`ragkit chat` wiring: settings become a session, history file and modes; bad settings
fail as one line before the screen is taken; /index and /model open through wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from typer.testing import CliRunner

from ragkit.apps.cli import app
from ragkit.apps.cli.chat import build_app
from ragkit.apps.tui.agent_backend import AgentBackend
from ragkit.apps.tui.widgets import MessageView
from ragkit.config import load_settings
from ragkit.models.llm import bundled_gguf_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "poetry"], "--mode poetry: it should be 'rag', 'chat' or 'agent'"),
        (["--model", "/no/such.gguf"], "--model /no/such.gguf: no such file; give a .gguf file"),
        (["--index", ".."], "index name '..' is not valid"),
    ],
)
def test_bad_settings_fail_as_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["chat", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_history_file_in_an_unusable_place_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    result = CliRunner().invoke(
        app, ["chat"], env={"RAGKIT_CHAT__HISTORY": str(tmp_path / "blocker" / "h.sqlite")}
    )
    assert result.exit_code == 1 and "RAGKIT_CHAT__HISTORY" in result.stderr


@pytest.mark.asyncio
async def test_app_from_settings_switches_index_and_model(tmp_path: Path) -> None:
    # The configured index (not one named on the command line, which must exist) may be
    # empty yet: the chat opens on it.
    settings = load_settings(None, {"index": {"home": str(tmp_path / "ix"), "name": "docs"}})
    chat = build_app(settings)
    assert chat.session.index == "docs" and chat.session.mode == "rag"
    assert chat.history is not None
    assert chat.history.path == tmp_path / "ix" / "chat-history.sqlite"
    async with chat.run_test() as pilot:
        # The bundled model answers from its Q8_0 copy: the header says so, by name.
        assert "index docs · model SmolLM2-135M-Instruct Q8_0 · mode rag" in chat.sub_title
        for command in ("/index papers", "/model /no/such.gguf", f"/model {bundled_gguf_path()}"):
            chat.query_one(Input).value = command
            await pilot.press("enter")
            await pilot.pause()
        assert chat.session.kb.path == tmp_path / "ix" / "papers"
        errors = [v.plain for v in chat.query(MessageView) if v.role == "error"]
        # Named as typed, not as the setting (RAGKIT_LLM__MODEL_PATH) the user never set.
        bad = "/model /no/such.gguf: no such file; give a .gguf file or 'bundled'"
        assert bad in errors and not any("RAGKIT_" in e for e in errors), errors
        assert chat.session.model == str(bundled_gguf_path())
        # A file named by path loads as it is.
        assert "index papers · model SmolLM2-135M-Instruct Q4_1 ·" in chat.sub_title


def test_agent_mode_runs_the_agent_over_the_chats_index_and_model(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {"index": {"home": str(tmp_path / "ix"), "name": "docs"}, "chat": {"mode": "agent"}},
    )
    chat = build_app(settings)
    backend = chat.session.backend()
    assert isinstance(backend, AgentBackend)
    # The chat's own model, not a second one; the index does not exist yet, so the
    # document tools are told there is none rather than searching an empty folder.
    assert backend.agent.model is chat.session.kb.chat_model
    assert backend.agent.context.knowledge_base is None
    assert "calculator" in backend.agent.tools.names()
    chat.session.close()
