"""The web page's first answer starts loading the local chat model, and evaluating the
answer prompt's constant start, before it searches (`ModelQueue._warm_ahead`), as
`ragkit ask` does; a model in memory already, or one that cannot load ahead, is left
alone."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import cast

from ragkit import KnowledgeBase
from ragkit.answer.pipelines import prompt_head
from ragkit.apps.web.answers import ModelQueue
from ragkit.apps.web.stopping import Stoppable
from ragkit.models.llm.base import Message
from ragkit.models.llm.fake import ScriptedChatModel
from ragkit.models.prompts import PromptTemplates


class _Loadable(ScriptedChatModel):
    def __init__(self, loaded: bool) -> None:
        super().__init__(["reply"])
        self.loaded = loaded
        self.ahead: list[tuple[Message, ...]] = []

    def start_loading(self, prefix: Sequence[Message] = ()) -> None:
        self.ahead.append(tuple(prefix))


def _kb(model: object) -> KnowledgeBase:
    return cast(KnowledgeBase, SimpleNamespace(chat_model=model, templates=PromptTemplates()))


def test_a_model_not_in_memory_loads_and_evaluates_the_prompt_head_ahead() -> None:
    model = _Loadable(loaded=False)
    ModelQueue._warm_ahead(_kb(Stoppable(model)))  # the collection's wrapped model
    assert model.ahead == [prompt_head(PromptTemplates())]


def test_a_loaded_model_or_one_without_loading_ahead_is_left_alone() -> None:
    loaded = _Loadable(loaded=True)
    ModelQueue._warm_ahead(_kb(Stoppable(loaded)))
    assert loaded.ahead == []
    plain = ScriptedChatModel(["reply"])
    ModelQueue._warm_ahead(_kb(Stoppable(plain)))  # nothing to call, nothing raised
    assert plain.prompts == []
