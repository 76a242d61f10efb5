"""The bundled chat model's Q8_0 copy (ragkit/models/llm/requantize.py): converted once,
written atomically, converted again when its source changes, the source itself when it
cannot be made; only the bundled model, and only while `llm.bundled_q8` is on. A fake
converter stands in for llama.cpp's; tests/integration/test_q8_copy_real.py converts the
real file."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from ceilings import HANG_S

from ragkit.config import Settings
from ragkit.errors import ModelError
from ragkit.models.llm import llama_cpp as local
from ragkit.models.llm import requantize
from ragkit.models.llm.requantize import q8_copy
from ragkit.wiring import chat_model, q8_folder

COPY = b"Q8_0 weights " * 1000


class _Converter:
    """Writes a fixed copy and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, source: Path, target: Path) -> None:
        self.calls += 1
        target.write_bytes(COPY + source.read_bytes())


def _source(tmp_path: Path, content: bytes = b"Q4_1 weights") -> Path:
    source = tmp_path / "pkg" / "Model.Q4_1.gguf"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(content)
    return source


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_converts_once_and_loads_the_copy_after(tmp_path: Path) -> None:
    source, folder, convert = _source(tmp_path), tmp_path / "models", _Converter()
    copy = q8_copy(source, folder, convert)
    assert copy == folder / "Model.Q4_1-q8_0.gguf" and copy.read_bytes() == COPY + b"Q4_1 weights"
    assert q8_copy(source, folder, convert) == copy
    assert convert.calls == 1 and _leftovers(folder) == []


def test_a_failed_conversion_leaves_no_file_and_gives_the_source(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def fails(source: Path, target: Path) -> None:
        target.write_bytes(b"half")
        raise ModelError("llama.cpp could not convert it (code 1)")

    source, folder = _source(tmp_path), tmp_path / "models"
    with caplog.at_level(logging.WARNING, logger=requantize.__name__):
        assert q8_copy(source, folder, fails) == source
    assert sorted(p.name for p in folder.iterdir()) == []
    said = [r.getMessage() for r in caplog.records if "as it ships" in r.getMessage()]
    assert len(said) == 1 and "Traceback" not in said[0]


def test_a_conversion_killed_midway_leaves_no_file_under_the_copys_name(tmp_path: Path) -> None:
    def killed(source: Path, target: Path) -> None:
        target.write_bytes(b"half")
        raise KeyboardInterrupt

    source, folder = _source(tmp_path), tmp_path / "models"
    with pytest.raises(KeyboardInterrupt):
        q8_copy(source, folder, killed)
    assert sorted(p.name for p in folder.iterdir()) == []
    # A temporary file a killed process could not remove goes with the next conversion,
    # unless it is recent (another process converting now).
    old = folder / ".Model.Q4_1-q8_0.gguf.dead.tmp"
    old.write_bytes(b"half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    recent = folder / ".Model.Q4_1-q8_0.gguf.live.tmp"
    recent.write_bytes(b"half")
    assert q8_copy(source, folder, _Converter()) == folder / "Model.Q4_1-q8_0.gguf"
    assert _leftovers(folder) == [recent.name]


def test_a_copy_without_its_record_or_with_a_torn_one_is_made_again(tmp_path: Path) -> None:
    source, folder, convert = _source(tmp_path), tmp_path / "models", _Converter()
    copy = q8_copy(source, folder, convert)
    copy.with_suffix(".json").unlink()
    assert q8_copy(source, folder, convert) == copy and convert.calls == 2
    copy.write_bytes(b"replaced")  # not the size the record names
    assert q8_copy(source, folder, convert) == copy and convert.calls == 3
    assert copy.read_bytes() == COPY + b"Q4_1 weights"


def test_a_new_source_is_converted_again_a_touched_one_is_not(tmp_path: Path) -> None:
    source, folder, convert = _source(tmp_path), tmp_path / "models", _Converter()
    copy = q8_copy(source, folder, convert)
    later = time.time() + 100
    os.utime(source, (later, later))  # reinstalled: same bytes, new time
    assert q8_copy(source, folder, convert) == copy and convert.calls == 1
    source.write_bytes(b"Q4_1 weight2")  # a new package version of the same size
    assert q8_copy(source, folder, convert) == copy and convert.calls == 2
    assert copy.read_bytes() == COPY + b"Q4_1 weight2"


def test_a_folder_that_cannot_be_written_gives_the_source(tmp_path: Path) -> None:
    source, convert = _source(tmp_path), _Converter()
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert q8_copy(source, blocked / "models", convert) == source
    assert convert.calls == 0


def test_two_converting_at_once_both_end_with_one_whole_copy(tmp_path: Path) -> None:
    source, folder = _source(tmp_path), tmp_path / "models"
    both_started = threading.Barrier(2, timeout=HANG_S)

    def slow(src: Path, target: Path) -> None:
        both_started.wait()  # neither has renamed its file yet
        target.write_bytes(COPY + src.read_bytes())

    got: list[Path] = []
    threads = [threading.Thread(target=lambda: got.append(q8_copy(source, folder, slow)))]
    threads.append(threading.Thread(target=lambda: got.append(q8_copy(source, folder, slow))))
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_S)
    copy = folder / "Model.Q4_1-q8_0.gguf"
    assert got == [copy, copy] and copy.read_bytes() == COPY + b"Q4_1 weights"
    assert _leftovers(folder) == []
    assert q8_copy(source, folder, _Converter()) == copy  # its record matches


def test_only_the_bundled_model_with_the_setting_on_is_converted(tmp_path: Path) -> None:
    models = tmp_path / "models"
    on = Settings(embedder={"models_dir": models})
    assert q8_folder(on) == models
    assert q8_folder(Settings(embedder={"models_dir": models}, llm={"bundled_q8": False})) is None
    own = tmp_path / "own.Q4_1.gguf"
    own.write_bytes(b"weights")
    users = Settings(embedder={"models_dir": models}, llm={"model_path": str(own)})
    model = chat_model(users)
    assert isinstance(model, local.LlamaCppChatModel)
    assert q8_folder(users) is None and model.q8_folder is None and model.model_path == own


class _StubLlama:
    def __init__(self, model_path: str, **kwargs: Any) -> None:
        self.model_path = model_path


def _loaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, folder: Path | None) -> str:
    from ragkit.models.llm import quiet_llama

    monkeypatch.setattr(quiet_llama, "QuietLlama", _StubLlama)
    converted: list[Path] = []

    def fake_copy(source: Path, into: Path) -> Path:
        converted.append(source)
        return into / "copy.gguf"

    monkeypatch.setattr(requantize, "q8_copy", fake_copy)
    source = _source(tmp_path)
    model = local.LlamaCppChatModel(source, q8_folder=folder)
    loaded: str = model._load().model_path
    assert model.loaded_file == Path(loaded)
    assert converted == ([source] if folder else [])
    return loaded


def test_the_model_loads_the_copy_when_given_a_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _loaded(monkeypatch, tmp_path, tmp_path / "m") == str(tmp_path / "m" / "copy.gguf")


def test_the_model_loads_its_own_file_without_a_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _loaded(monkeypatch, tmp_path, None) == str(_source(tmp_path))
