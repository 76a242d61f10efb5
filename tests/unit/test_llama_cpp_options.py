"""`LlamaCppChatModel.stream` passes a `json_schema` to llama-cpp-python as a grammar
(compiled once per schema, strings JSON-strict), and nothing when there is none. A stub
stands in for the loaded model; tests/integration/test_agent_real.py uses the real GGUF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ceilings import HANG_S
from llama_cpp import LlamaGrammar

from ragkit.errors import ModelError
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, Message
from ragkit.models.llm.base import supports_json_schema
from ragkit.models.llm.llama_cpp import json_schema_gbnf


class _Parts:
    def __init__(self, pieces: list[str]) -> None:
        self._it: Iterator[str] = iter(pieces)

    def __iter__(self) -> _Parts:
        return self

    def __next__(self) -> dict[str, Any]:
        return {"choices": [{"delta": {"content": next(self._it)}}]}

    def close(self) -> None:
        pass


class _StubLlama:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, **kwargs: Any) -> _Parts:
        self.calls.append(kwargs)
        return _Parts(['{"answer": ', '"hi"}'])


def _model() -> tuple[LlamaCppChatModel, _StubLlama]:
    model = LlamaCppChatModel(Path("unused.gguf"))
    stub = _StubLlama()
    model._llama = stub
    return model, stub


def test_json_schema_becomes_a_response_format_constraint() -> None:
    model, stub = _model()
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    options = GenerationOptions(json_schema=schema)
    text = "".join(model.stream([Message("user", "hi")], options))
    assert text == '{"answer": "hi"}'
    grammar = stub.calls[0]["grammar"]
    assert isinstance(grammar, LlamaGrammar) and stub.calls[0]["stream"] is True
    list(model.stream([Message("user", "again")], options))
    assert stub.calls[1]["grammar"] is grammar  # compiled once
    assert supports_json_schema(model)


def test_grammar_strings_refuse_raw_control_characters() -> None:
    gbnf = json_schema_gbnf({"type": "object", "properties": {"a": {"type": "string"}}})
    char = next(line for line in gbnf.splitlines() if line.startswith("char ::="))
    assert char.startswith('char ::= [^"') and r"\x7F\x00-\x1F]" in char, char


def test_no_schema_no_constraint() -> None:
    model, stub = _model()
    list(model.stream([Message("user", "hi")], GenerationOptions()))
    assert "grammar" not in stub.calls[0] and "response_format" not in stub.calls[0]
    assert not supports_json_schema(object())


def test_a_chat_template_the_sandbox_refuses_is_one_clear_error(tmp_path: Path) -> None:
    """A GGUF whose chat template reaches for Python internals: llama-cpp-python renders
    it in jinja2's sandbox, which raises SecurityError; ragkit turns it into a ModelError
    (one line in the CLI) instead of a traceback. The formatter here is llama-cpp-python's
    own, with the hostile template; only the model weights are left out."""
    from jinja2.sandbox import SecurityError
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from ragkit.errors import ModelError

    hostile = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    formatter = Jinja2ChatFormatter(template=hostile, eos_token="</s>", bos_token="<s>")
    with pytest.raises(SecurityError):
        formatter(messages=[{"role": "user", "content": "hi"}])

    class HostileTemplate:
        def create_chat_completion(self, **kwargs: Any) -> Any:
            return formatter(messages=kwargs["messages"])

    model = LlamaCppChatModel(tmp_path / "hostile.gguf")
    model._llama = HostileTemplate()
    with pytest.raises(ModelError, match=r"chat template inside hostile\.gguf"):
        list(model.stream([Message("user", "hi")], GenerationOptions()))


class _Context:
    def __init__(self) -> None:
        self.threads: list[tuple[int, int]] = []

    def set_n_threads(self, n_threads: int, n_threads_batch: int) -> None:
        self.threads.append((n_threads, n_threads_batch))


class _LoadedLlama(_StubLlama):
    """The stub with llama-cpp-python's context, whose thread counts `stream` may set."""

    n_threads = 1

    def __init__(self) -> None:
        super().__init__()
        self._ctx = _Context()


def test_idle_cores_leave_out_the_busy_ones() -> None:
    from ragkit.models.cores import idle_cores

    assert idle_cores(2, 0.3) == 2  # quiet: every core
    assert idle_cores(2, None) == 2  # no load average (Windows): every core
    assert idle_cores(2, 1.0) == 1  # one core kept busy
    assert idle_cores(2, 1.2) == 1
    assert idle_cores(8, 2.5) == 6  # a core busy half the time counts as idle
    assert idle_cores(2, 7.0) == 1  # never fewer than one


@pytest.mark.parametrize(("load", "threads"), [(7.5, 1), (0.2, 2), (None, 2)])
def test_the_prompt_gets_the_idle_cores(
    monkeypatch: pytest.MonkeyPatch, load: float | None, threads: int
) -> None:
    import ragkit.models.llm.llama_cpp as module

    monkeypatch.setattr(module, "usable_cores", lambda: 2)
    monkeypatch.setattr(module, "load_average", lambda: load)
    model = LlamaCppChatModel(Path("unused.gguf"))
    stub = _LoadedLlama()
    model._llama = stub
    list(model.stream([Message("user", "hi")], GenerationOptions()))
    # Generation keeps its own count; the prompt's follows the load.
    assert stub._ctx.threads == [(1, threads)]


def test_configured_prompt_threads_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import ragkit.models.llm.llama_cpp as module

    monkeypatch.setattr(module, "load_average", lambda: 7.5)
    model = LlamaCppChatModel(Path("unused.gguf"), n_threads_batch=2)
    stub = _LoadedLlama()
    model._llama = stub
    assert "".join(model.stream([Message("user", "hi")], GenerationOptions())) == '{"answer": "hi"}'
    assert stub._ctx.threads == []


def test_the_prompt_threads_setting_reaches_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from ragkit.config import load_settings
    from ragkit.wiring import chat_model

    model = chat_model(load_settings())
    assert isinstance(model, LlamaCppChatModel) and model.n_threads_batch is None
    monkeypatch.setenv("RAGKIT_LLM__N_THREADS_BATCH", "3")
    model = chat_model(load_settings())
    assert isinstance(model, LlamaCppChatModel) and model.n_threads_batch == 3


def test_a_model_loaded_in_the_background_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    model = LlamaCppChatModel(Path("unused.gguf"))
    stub = _StubLlama()
    release = threading.Event()
    loads: list[str] = []

    def load_once() -> Any:
        # As the real one: only the first caller finds nothing loaded.
        if model._llama is None:
            release.wait(HANG_S)  # still loading when the answer asks for the model
            loads.append(threading.current_thread().name)
            model._llama = stub
        return model._llama

    monkeypatch.setattr(model, "_load_once", load_once)
    model.start_loading()
    model.start_loading()  # a second start is no second load
    assert not model.loaded
    release.set()
    assert "".join(model.stream([Message("user", "hi")], GenerationOptions())) == '{"answer": "hi"}'
    assert loads == ["ragkit-model-load"] and model.loaded


def test_a_background_load_that_fails_is_a_clear_error_where_the_model_is_used(
    broken_model: LlamaCppChatModel,
) -> None:
    model = broken_model
    model.start_loading()
    with pytest.raises(ModelError, match=r"could not load GGUF model .*broken\.gguf"):
        list(model.stream([Message("user", "hi")], GenerationOptions()))
    assert not model.loaded
