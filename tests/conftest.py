"""Shared fixtures. Every test runs offline: model hubs are switched off here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ragkit import KnowledgeBase
    from ragkit.models.llm import LlamaCppChatModel

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "corpus"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """`tmp_path/docs` with three one-chunk files: Markdown, plain text and Chinese."""
    root = tmp_path / "docs"
    root.mkdir()
    files = {
        "tea.md": "# Tea\n\nGreen tea is steamed or pan-fired soon after picking.",
        "kettle.txt": "The Ember kettle has a warranty of eighteen months.",
        "zh.txt": "雾溪茶园位于云南省，平均海拔一千六百五十米。茶园种植景谷大白茶。",
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The sample corpus indexed with the hashing fake embedder, once per test module
    (tests that only read it share one index)."""
    # Imported here: the hub switches above must be set before ragkit is imported.
    from ragkit import HashingEmbedder, KnowledgeBase
    from ragkit.options import Models

    kb = KnowledgeBase.open(
        tmp_path_factory.mktemp("ix") / "kb", models=Models(embedder=HashingEmbedder())
    )
    kb.add([SAMPLES])
    return kb


@pytest.fixture
def broken_model(tmp_path: Path) -> LlamaCppChatModel:
    """A llama.cpp chat model over a file that is no GGUF, not yet loading: its load fails
    with a ModelError naming the file."""
    from ragkit.models.llm import LlamaCppChatModel

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file")
    return LlamaCppChatModel(broken)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A user's RAGKIT_* variables or ./ragkit.toml must not leak into tests.
    for key in list(os.environ):
        if key.startswith("RAGKIT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
