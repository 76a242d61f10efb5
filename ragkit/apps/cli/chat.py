"""`ragkit chat`: the terminal chat (ragkit.apps.tui) started from settings.

Builds a `ChatState` whose knowledge bases come from `ragkit.wiring` (so `/index` and
`/model` open them exactly as `ragkit ask` would) and whose agent mode runs
`ragkit.wiring.agent` with the built-in tools over the current index and model (as
`ragkit agent` does), opens the history file, and runs the Textual app. Bad settings
fail here, before the screen is taken over, as one line. Leaves out the app itself
(ragkit.apps.tui).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ragkit.apps.cli.common import ConfigOpt, IndexOpt, app, command

if TYPE_CHECKING:
    from ragkit.apps.tui import ChatApp
    from ragkit.apps.tui.backends import Backend
    from ragkit.config import Settings
    from ragkit.kb import KnowledgeBase

HISTORY_FILE = "chat-history.sqlite"


def build_app(settings: Settings, index_name: str | None = None) -> ChatApp:
    """The chat app for these settings, not yet running."""
    from ragkit.agent.builtins import builtin_tools
    from ragkit.apps.tui import AgentBackend, ChatApp, ChatState, HistoryStore
    from ragkit.wiring import agent, knowledge_base

    def open_kb(index: str, model: str) -> KnowledgeBase:
        llm = settings.llm.model_copy(update={"model_path": model})
        return knowledge_base(settings.model_copy(update={"llm": llm}), index, with_llm=True)

    def open_agent(kb: KnowledgeBase) -> Backend:
        # The chat's own model, not a second copy; no index yet: the document tools say so.
        runner = agent(settings, builtin_tools(), kb if kb.exists else None, kb.chat_model)
        return AgentBackend(runner)

    session = ChatState(
        open_kb,
        index_name or settings.index.name,
        settings.llm.model_path,
        settings.chat.mode,
        agent=open_agent,
    )
    kb = session.kb  # opened now: a bad index name or model path fails here, as one line
    if index_name is not None and not kb.exists:
        # An index asked for by name must exist: chatting on, the screen would show
        # another index's history under this name.
        from ragkit.index.peek import require_index

        require_index(kb.path, index_name)
    history = HistoryStore(settings.chat.history or settings.index.home / HISTORY_FILE)
    return ChatApp(session, history, restore=settings.chat.restore)


@app.command()
def chat(
    index_name: IndexOpt = None,
    mode: Annotated[
        str | None, typer.Option("--mode", "-m", help="Start in rag (default), chat or agent.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="A .gguf file, or 'bundled'.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Chat in the terminal: streamed answers with their sources. Type /help inside."""
    with command(
        config, {"chat.mode": "--mode"}, llm={"model_path": model}, chat={"mode": mode}
    ) as (*_, settings):
        if model is not None:
            from ragkit.apps.tui.session import check_model

            check_model(model, "--model")
        chat_app = build_app(settings, index_name)
    chat_app.run()
