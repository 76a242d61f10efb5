"""An answer prompt is evaluated ahead of its answer (`LlamaCppChatModel.evaluate_ahead`,
called by `pipelines.answer` once the prompt is built): on a thread of its own, with one
core left to the caller's checks; the answer waits for it, a failing one leaves an
empty cache and the answer whole, a refusal asks for none without sources and calls off
the one it asked for with them (under way, the model is told to stop and what it had
cached stays; not yet begun, it never begins). Stubs stand in for the loaded model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from ceilings import HANG_S

from ragkit.answer.pipelines import answer
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, Message
from ragkit.models.llm.fake import ScriptedChatModel
from ragkit.models.prompts import PromptTemplates
from ragkit.types import SearchHit, StoredChunk

PROMPT = (Message("system", "Answer from the sources."), Message("user", "[1] It lasts 18 months."))


class _Context:
    def __init__(self) -> None:
        self.threads: list[tuple[int, int]] = []

    def set_n_threads(self, n_threads: int, n_threads_batch: int) -> None:
        self.threads.append((n_threads, n_threads_batch))


class _Llama:
    """llama-cpp-python's Llama as `LlamaCppChatModel` uses it: chat completions (a
    one-token one evaluates ahead: it waits for `release` and raises when `fail`),
    `reset`, the sampling seed and the context's thread counts."""

    n_threads = 1

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.resets = 0
        self.fail = fail
        self.release = threading.Event()
        self._seed = 1234
        self._ctx = _Context()

    def create_chat_completion(self, **kwargs: Any) -> Any:
        if kwargs["max_tokens"] == 1:
            self.release.wait(HANG_S)
            self.calls.append(kwargs)
            if self.fail:
                raise RuntimeError("llama_decode returned -1")
            return {"choices": [{"text": "It"}]}
        self.calls.append(kwargs)
        return (p for p in [{"choices": [{"delta": {"content": "18 months [1]."}}]}])

    def reset(self) -> None:
        self.resets += 1


def _loaded(monkeypatch: pytest.MonkeyPatch, llama: _Llama, load: float) -> LlamaCppChatModel:
    import ragkit.models.llm.llama_cpp as module

    monkeypatch.setattr(module, "usable_cores", lambda: 2)
    monkeypatch.setattr(module, "load_average", lambda: load)
    model = LlamaCppChatModel(Path("unused.gguf"))
    model._llama = llama
    return model


def test_the_answer_waits_for_its_prompt_evaluated_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    llama = _Llama()
    model = _loaded(monkeypatch, llama, 0.2)
    model.evaluate_ahead(PROMPT)  # returns at once: the evaluation waits for `release`
    replies: list[str] = []
    asking = threading.Thread(
        target=lambda: replies.append("".join(model.stream(PROMPT, GenerationOptions())))
    )
    asking.start()
    asking.join(0.2)
    assert asking.is_alive() and llama.calls == []  # the answer waits ...
    llama.release.set()
    asking.join(HANG_S)
    assert replies == ["18 months [1]."]  # ... and comes after the prompt evaluated ahead
    ahead, asked = llama.calls
    assert (
        ahead["messages"]
        == asked["messages"]
        == [{"role": m.role, "content": m.content} for m in PROMPT]
    )
    assert ahead["max_tokens"] == 1 and ahead["temperature"] == 0.0 and asked["stream"]
    # Quiet 2 cores: one evaluates ahead while the caller's checks run on the other;
    # the answer then gets both. Generation keeps its own count.
    assert llama._ctx.threads == [(1, 1), (1, 2)]
    assert llama.resets == 0 and llama._seed == 1234


def test_a_failing_evaluation_ahead_leaves_an_empty_cache_and_the_answer_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Llama(fail=True)
    llama.release.set()
    model = _loaded(monkeypatch, llama, 7.5)
    model.evaluate_ahead(PROMPT)
    assert "".join(model.stream(PROMPT, GenerationOptions())) == "18 months [1]."
    assert llama.resets == 1 and len(llama.calls) == 2
    assert llama._ctx.threads == [(1, 1), (1, 1)]  # a loaded machine: one thread each


class _Stoppable(_Llama):
    """A loaded model whose evaluation ahead runs until it is told to stop, then fails as
    llama-cpp-python does when llama.cpp's abort callback stopped it."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.stopping = threading.Event()
        self.stops: list[bool] = []

    def stop_evaluating(self, stop: bool) -> None:
        self.stops.append(stop)
        if stop:
            self.stopping.set()

    def create_chat_completion(self, **kwargs: Any) -> Any:
        if kwargs["max_tokens"] == 1:
            self.calls.append(kwargs)
            self.entered.set()
            self.stopping.wait(HANG_S)
            raise RuntimeError("llama_decode returned 2")
        return super().create_chat_completion(**kwargs)


def test_an_evaluation_called_off_under_way_stops_and_keeps_the_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Stoppable()
    model = _loaded(monkeypatch, llama, 0.2)
    call_off = model.evaluate_ahead(PROMPT)
    assert llama.entered.wait(HANG_S)
    call_off()
    assert model._ahead is not None
    model._ahead.join(HANG_S)
    assert not model._ahead.is_alive()
    # Told to stop, then to go on before anything else evaluates; what was cached before
    # the stopped evaluation stays (no reset), and the next answer is whole.
    assert llama.stops == [True, False] and llama.resets == 0
    assert "".join(model.stream(PROMPT, GenerationOptions())) == "18 months [1]."


def test_an_evaluation_called_off_before_it_starts_never_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Stoppable()
    model = _loaded(monkeypatch, llama, 0.2)
    model._ready.clear()  # the head still evaluating: the prompt's evaluation waits
    call_off = model.evaluate_ahead(PROMPT)
    call_off()
    model._ready.set()
    assert model._ahead is not None
    model._ahead.join(HANG_S)
    assert llama.calls == [] and llama.stops == [] and llama.resets == 0


class _Ahead(ScriptedChatModel):
    """A scripted model that records the prompts it was asked to evaluate ahead, and how
    often an evaluation was called off."""

    def __init__(self) -> None:
        super().__init__(["It lasts 18 months [1]."])
        self.ahead: list[tuple[Message, ...]] = []
        self.called_off = 0

    def evaluate_ahead(self, messages: Sequence[Message]) -> Callable[[], None]:
        self.ahead.append(tuple(messages))

        def call_off() -> None:
            self.called_off += 1

        return call_off


def _hit(text: str) -> SearchHit:
    chunk = StoredChunk(1, text, "/d/kettle.txt", "/d/kettle.txt", "", 0, None, None)
    return SearchHit(rank=1, score=1.0, chunk=chunk)


def test_the_answer_path_asks_for_its_prompt_ahead_before_the_checks() -> None:
    model = _Ahead()
    hits = [_hit("The Ember kettle has a steel body. Its warranty lasts 18 months.")]
    stream = answer("How long is the kettle warranty?", hits, model, PromptTemplates())
    assert model.ahead == [stream.prompt.messages] and model.prompts == []  # not yet asked
    assert model.called_off == 0
    assert "18 months" in stream.answer.text
    assert model.prompts == [list(stream.prompt.messages)]  # then asked the same prompt


@pytest.mark.parametrize("text", ["", "Oolong is partly oxidised. Brew it at 90 degrees."])
def test_a_refused_question_asks_for_nothing_ahead_without_sources(text: str) -> None:
    model = _Ahead()
    hits = [_hit(text)] if text else []
    stream = answer("Who designed the Ember kettle?", hits, model, PromptTemplates())
    assert stream.answer.not_found and model.prompts == []
    # No sources: nothing to evaluate. Sources the test then refuses: the evaluation
    # started is called off.
    assert model.ahead == ([] if not text else [stream.prompt.messages])
    assert model.called_off == (1 if text else 0)


def test_stop_ahead_calls_off_the_prefix_under_way_and_the_one_to_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llama = _Stoppable()
    model = _loaded(monkeypatch, llama, 0.2)
    model.start_loading(PROMPT)  # loaded already: its thread evaluates the prefix
    assert llama.entered.wait(HANG_S)
    model.start_loading(PROMPT[:1])  # a second prefix, pending meanwhile
    model.stop_ahead()
    assert model._ready.wait(HANG_S)  # the loading thread has ended
    # The prefix under way stopped (and the stop lifted), the pending one never began.
    assert llama.stops == [True, False] and len(llama.calls) == 1 and llama.resets == 0
    assert "".join(model.stream(PROMPT, GenerationOptions())) == "18 months [1]."
