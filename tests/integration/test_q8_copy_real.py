"""The bundled SmolLM2 GGUF converted to Q8_0 by llama.cpp (requantize.py) loads, answers
an answer prompt with the fact its source gives, as the Q4_1 file it ships as does, and
the copy is reused. The replies' words may differ: Q8_0 computes with the Q4_1 weights
at a finer precision (its greedy replies matched a float16 copy's where Q4_1's did not,
docs/models.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.answer.pipelines import prompt_head
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path
from ragkit.models.llm.requantize import q8_copy
from ragkit.models.prompts import PromptTemplates

pytestmark = pytest.mark.slow(reason="the bundled GGUF converted and loaded twice")

SOURCES = (
    "Sources:\n[1] The Ember brewing kettle comes with a warranty of 18 months from the "
    "date of purchase.\n[2] Member farms deliver fresh leaf between 06:00 and 11:00.\n\n"
)
QUESTION = "How long is the warranty on the Ember brewing kettle?"
GREEDY = GenerationOptions(max_tokens=24, temperature=0.0, seed=0)


def test_the_q8_copy_loads_answers_and_is_reused(tmp_path: Path) -> None:
    head = prompt_head(PromptTemplates())
    prompt = [head[0], Message("user", f"{SOURCES}Question: {QUESTION}")]
    shipped = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024)
    copied = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024, q8_folder=tmp_path)
    for model in (shipped, copied):
        assert "18" in "".join(model.stream(prompt, GREEDY))
    copy = tmp_path / "SmolLM2-135M-Instruct.Q4_1-q8_0.gguf"
    assert copied.loaded_file == copy and shipped.loaded_file == bundled_gguf_path()
    assert copy.stat().st_size > bundled_gguf_path().stat().st_size  # 8 bits a weight, not 4

    def refuse(source: Path, target: Path) -> None:
        raise AssertionError("converted again")

    assert q8_copy(bundled_gguf_path(), tmp_path, refuse) == copy
