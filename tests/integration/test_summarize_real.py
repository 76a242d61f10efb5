"""Summarize and translate on the real bundled SmolLM2 GGUF: a small window forces the
map-reduce path with the model's own tokenizer; translation keeps paragraph breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.answer.summarize import Summarizer, Translator
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, bundled_gguf_path

pytestmark = pytest.mark.slow(reason="map-reduce summaries and translation on the bundled GGUF")

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"


class Steps:
    def __init__(self) -> None:
        self.stages: list[tuple[str, int]] = []
        self.advanced = 0

    def stage(self, name: str, total: int) -> None:
        self.stages.append((name, total))

    def advance(self) -> None:
        self.advanced += 1


@pytest.fixture(scope="module")
def model() -> LlamaCppChatModel:
    # A 384-token window: the first 1200 characters of the sample history (about 280 tokens) no
    # longer fits one call. One thread: on a busy two-core machine more threads only wait.
    return LlamaCppChatModel(bundled_gguf_path(), n_ctx=384, n_threads=1)


def test_real_model_map_reduces_a_document_longer_than_its_window(
    model: LlamaCppChatModel,
) -> None:
    text = (SAMPLES / "company_history.md").read_text(encoding="utf-8")[:1200]
    assert model.count_tokens(text) > 260
    steps = Steps()
    options = GenerationOptions(max_tokens=24, temperature=0.0)
    pieces = list(Summarizer(model, options).stream(text, progress=steps))
    summary = "".join(pieces).strip()
    assert steps.stages[0][0] == "map" and steps.stages[0][1] >= 2
    assert steps.stages[-1] == ("final", 1)
    assert steps.advanced == sum(total for _, total in steps.stages)
    assert len(pieces) > 3 and len(summary.split()) >= 5
    # The summary is about this document: it names the cooperative or its valley.
    assert any(word in summary for word in ("Lumen", "Kestrel", "tea", "cooperative"))


def test_real_model_translates_paragraph_by_paragraph(model: LlamaCppChatModel) -> None:
    # One paragraph to translate; the English one between is copied, not sent.
    source = "茶园始建于2003年。\n\nSee table 3.\n\n"
    # 48 tokens for a reply leave 24 for its source: the paragraph is one call.
    options = GenerationOptions(max_tokens=48, temperature=0.0)
    steps = Steps()
    out = "".join(Translator(model, options).stream(source, "en", progress=steps))
    assert steps.stages == [("translate", 1)] and steps.advanced == 1
    first, second, rest = out.split("\n\n")
    assert "2003" in first  # blank lines inside a reply are narrowed, so the split holds
    assert second == "See table 3." and rest == ""
