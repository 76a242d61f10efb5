"""The terminal chat starts loading its model while the user types (`ChatState.warm_up`,
called when the app opens and when the index, model or mode changes): in rag mode with
the answer prompt's constant start evaluated ahead, in chat mode the model alone, and
nothing where no model will write (an index not built yet, extractive answers) or the
model is in memory already. A stub model records what it was asked to load."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from corpus_files import write_file

from ragkit import HashingEmbedder, KnowledgeBase, Message, ScriptedChatModel
from ragkit.answer.pipelines import prompt_head
from ragkit.apps.tui import ChatApp
from ragkit.apps.tui.session import ChatState
from ragkit.options import AnswerOptions, Models


class _Loading(ScriptedChatModel):
    """A scripted model that loads the way a local one does (`start_loading`)."""

    def __init__(self, loaded: bool = False) -> None:
        super().__init__(["It lasts 18 months [1]."])
        self.loaded = loaded
        self.started: list[tuple[Message, ...]] = []

    def start_loading(self, prefix: Sequence[Message] = ()) -> None:
        self.started.append(tuple(prefix))


def _session(tmp_path: Path, model: _Loading, built: bool = True, **answer: str) -> ChatState:
    def open_kb(name: str, spec: str) -> KnowledgeBase:
        return KnowledgeBase.open(
            tmp_path / name,
            models=Models(embedder=HashingEmbedder(), chat_model=model),
            answer=AnswerOptions(**answer),
        )

    if built:
        kettle = write_file(tmp_path / "files" / "kettle.txt", "Its warranty lasts 18 months.")
        open_kb("docs", "bundled").add([kettle.parent])
    return ChatState(open_kb, "docs")


def test_rag_mode_loads_the_model_and_its_prompt_head(tmp_path: Path) -> None:
    model = _Loading()
    session = _session(tmp_path, model)
    session.warm_up()
    assert model.started == [prompt_head(session.kb.templates)]


def test_chat_mode_loads_the_model_alone(tmp_path: Path) -> None:
    model = _Loading()
    session = _session(tmp_path, model, built=False)
    session.set_mode("chat")
    session.warm_up()
    assert model.started == [()]


@pytest.mark.parametrize(
    ("loaded", "built", "mode"),
    [(True, True, "generate"), (False, False, "generate"), (False, True, "extractive")],
)
def test_nothing_loads_where_no_model_writes_or_it_is_loaded(
    tmp_path: Path, loaded: bool, built: bool, mode: str
) -> None:
    model = _Loading(loaded)
    _session(tmp_path, model, built, mode=mode).warm_up()
    assert model.started == []


@pytest.mark.asyncio
async def test_the_chat_loads_its_model_when_it_opens(tmp_path: Path) -> None:
    model = _Loading()
    app = ChatApp(_session(tmp_path, model))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert model.started == [prompt_head(app.session.kb.templates)]
