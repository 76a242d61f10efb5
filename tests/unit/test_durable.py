"""Files replaced whole (ragkit/durable.py), the one copy that the index's manifest, the
derived data files and the chat model's Q8_0 copy are written with: old or new content,
never a mix, no temporary file left by a write that failed, the target's mode kept."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from ragkit.durable import STALE_TEMP_S, atomic_write_bytes, replaced_whole


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_write_replaces_the_whole_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert _temps(tmp_path) == []


def test_a_write_that_fails_midway_leaves_the_old_file_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "copy.gguf"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), replaced_whole(target) as temp:
        temp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert _temps(tmp_path) == []


def test_two_writes_at_once_use_two_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "copy.gguf"
    with replaced_whole(target) as first, replaced_whole(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_bytes(b"one")
        second.write_bytes(b"two")
    assert target.read_bytes() == b"one"  # the outer block renames last
    assert _temps(tmp_path) == []


def test_a_new_file_is_readable_by_all_a_replaced_one_keeps_its_mode(tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    atomic_write_bytes(new, b"{}")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644  # mkstemp alone would make it 0600
    private = tmp_path / "private.txt"
    private.write_bytes(b"old")
    os.chmod(private, 0o600)
    atomic_write_bytes(private, b"new")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_a_killed_writes_old_temporary_file_goes_a_recent_one_stays(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    old = tmp_path / ".manifest.json.dead.tmp"
    recent = tmp_path / ".manifest.json.live.tmp"
    other = tmp_path / ".store.sqlite.dead.tmp"  # another file's: not this write's to take
    long_ago = time.time() - 2 * STALE_TEMP_S
    for path in (old, recent, other):
        path.write_bytes(b"half")
    for path in (old, other):
        os.utime(path, (long_ago, long_ago))
    atomic_write_bytes(target, b"{}")
    assert _temps(tmp_path) == sorted([recent.name, other.name])
