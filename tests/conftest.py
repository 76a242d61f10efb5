"""Shared fixtures. Every test runs offline: model hubs are switched off here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "corpus"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A user's RAGKIT_* variables or ./ragkit.toml must not leak into tests.
    for key in list(os.environ):
        if key.startswith("RAGKIT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
