"""`LlamaCppChatModel.stream` passes a `json_schema` to llama-cpp-python as a grammar
(compiled once per schema, strings JSON-strict), and nothing when there is none. A stub
stands in for the loaded model; tests/integration/test_agent_real.py uses the real GGUF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_cpp import LlamaGrammar

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
