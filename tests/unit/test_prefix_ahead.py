"""The constant start of the answer prompt is evaluated on the model's loading thread
(`LlamaCppChatModel.start_loading(prefix)`): the answer comes after it, a failing one
leaves an empty cache and the answer whole, and it leaves the sampling seed alone. A stub
stands in for the loaded model; tests/integration/test_prefix_ahead_real.py checks the
real model's reply is the same with and without it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from ceilings import HANG_S

from ragkit.answer.pipelines import build_prompt, prompt_head
from ragkit.errors import ModelError
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, Message
from ragkit.models.llm.fake import ScriptedChatModel
from ragkit.models.prompts import PromptTemplates

HEAD = (Message("system", "Answer from the sources."), Message("user", "Sources:\n"))


class _Llama:
    """llama-cpp-python's Llama as `LlamaCppChatModel` uses it: chat completions (a
    one-token one when `fail_ahead`, raising), `reset` and the sampling seed."""

    def __init__(self, fail_ahead: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.resets = 0
        self.seeds: list[int] = []  # the seed each completion found
        self.fail_ahead = fail_ahead
        self._seed = 1234

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        self.seeds.append(self._seed)
        self._seed = 99  # llama-cpp-python sets it for every completion
        if kwargs["max_tokens"] == 1:
            if self.fail_ahead:
                raise RuntimeError("llama_decode returned -1")
            return {"choices": [{"text": "The"}]}  # not streamed
        return (p for p in [{"choices": [{"delta": {"content": "18 months [1]."}}]}])

    def reset(self) -> None:
        self.resets += 1


def _loading(
    monkeypatch: pytest.MonkeyPatch, llama: _Llama
) -> tuple[LlamaCppChatModel, threading.Event]:
    """A model whose load waits for the returned event, then finds `llama`."""
    model = LlamaCppChatModel(Path("unused.gguf"), n_threads_batch=1)
    release = threading.Event()

    def load_once() -> Any:
        if model._llama is None:
            release.wait(HANG_S)
            model._llama = llama
        return model._llama

    monkeypatch.setattr(model, "_load_once", load_once)
    return model, release


def test_the_prompt_head_is_evaluated_on_the_loading_thread_before_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Llama()
    model, release = _loading(monkeypatch, llama)
    model.start_loading(HEAD)
    replies: list[str] = []
    asking = threading.Thread(
        target=lambda: replies.append(
            "".join(model.stream([*HEAD, Message("user", "How long?")], GenerationOptions()))
        )
    )
    asking.start()  # the answer asks while the model still loads ...
    release.set()
    asking.join(HANG_S)
    assert replies == ["18 months [1]."]  # ... and comes after the head all the same
    ahead, asked = llama.calls
    assert ahead["messages"] == [
        {"role": "system", "content": "Answer from the sources."},
        {"role": "user", "content": "Sources:\n"},
    ]
    assert ahead["max_tokens"] == 1 and ahead["temperature"] == 0.0
    assert asked["stream"] is True and asked["max_tokens"] == GenerationOptions().max_tokens
    assert llama.resets == 0 and llama.seeds == [1234, 1234]  # the answer's seed as it was


def test_without_a_head_nothing_is_evaluated_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    llama = _Llama()
    model, release = _loading(monkeypatch, llama)
    model.start_loading()
    release.set()
    assert "".join(model.stream([Message("user", "hi")], GenerationOptions())) == "18 months [1]."
    assert [c["max_tokens"] for c in llama.calls] == [GenerationOptions().max_tokens]


def test_a_failing_head_start_leaves_an_empty_cache_and_the_answer_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Llama(fail_ahead=True)
    model, release = _loading(monkeypatch, llama)
    model.start_loading(HEAD)
    release.set()
    assert "".join(model.stream([Message("user", "hi")], GenerationOptions())) == "18 months [1]."
    assert llama.resets == 1  # nothing half-evaluated is reused
    assert len(llama.calls) == 2 and llama.seeds == [1234, 1234]


def test_a_load_that_fails_ends_the_wait_too(broken_model: LlamaCppChatModel) -> None:
    model = broken_model
    model.start_loading(HEAD)
    with pytest.raises(ModelError, match=r"could not load GGUF model"):
        list(model.stream([Message("user", "hi")], GenerationOptions()))


def test_the_head_is_how_an_answer_prompt_starts(tmp_path: Path) -> None:
    templates = PromptTemplates()
    system, user = prompt_head(templates)
    prompt = build_prompt("How long is the warranty?", [], ScriptedChatModel(["-"]), templates, 64)
    assert prompt.messages[0] == system and system.content.startswith("Answer the question")
    # The user message as far as its sources: "Sources:" and the line break after it.
    opening = user.content[: user.content.index("\n") + 1]
    assert opening == "Sources:\n" and prompt.messages[1].content.startswith(opening)


def _answer_on_a_thread(model: LlamaCppChatModel, replies: list[str]) -> threading.Thread:
    asking = threading.Thread(
        target=lambda: replies.append(
            "".join(model.stream([*HEAD, Message("user", "How long?")], GenerationOptions()))
        )
    )
    asking.start()
    return asking


@pytest.mark.parametrize("given", ["while loading", "after the load"])
def test_a_head_is_evaluated_once_the_model_has_loaded_and_before_the_answer(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    # `ragkit ask` starts the load first and hands the head over once it has imported
    # the code that writes the prompt: while the model still loads, or after it has.
    llama = _Llama()
    model, release = _loading(monkeypatch, llama)
    model.start_loading()
    if given == "after the load":
        release.set()
        model._ready.wait(HANG_S)  # loaded, nothing left to do there: its thread has ended
        assert model.loaded and llama.calls == []
    model.start_loading(HEAD)  # still loading, or a thread of its own evaluates it
    replies: list[str] = []
    asking = _answer_on_a_thread(model, replies)
    release.set()
    asking.join(HANG_S)
    assert replies == ["18 months [1]."]
    assert [c["max_tokens"] for c in llama.calls] == [1, GenerationOptions().max_tokens]
    assert llama.calls[0]["messages"][0] == {"role": "system", "content": HEAD[0].content}


def test_once_loaded_a_start_without_a_head_evaluates_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Llama()
    model, release = _loading(monkeypatch, llama)
    model.start_loading()
    release.set()
    model._ready.wait(HANG_S)
    model.start_loading()
    assert model._ready.is_set()  # no thread started: the answer does not wait
    assert "".join(model.stream([Message("user", "hi")], GenerationOptions())) == "18 months [1]."
    assert [c["max_tokens"] for c in llama.calls] == [GenerationOptions().max_tokens]


def test_a_head_given_after_a_failed_load_starts_nothing_and_the_answer_says_why(
    broken_model: LlamaCppChatModel,
) -> None:
    model = broken_model
    model.start_loading()
    model._ready.wait(HANG_S)
    model.start_loading(HEAD)
    assert model._ready.is_set()  # no second load on a thread: the answer tries it
    with pytest.raises(ModelError, match=r"could not load GGUF model"):
        list(model.stream([Message("user", "hi")], GenerationOptions()))
