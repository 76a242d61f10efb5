"""The indexing bar `ragkit index` draws (apps/cli/common.BarProgress), on a console with a
clock the test moves: the chunk rate is the whole step's, and a step whose vectors all
came from the index's cache says so instead of showing 0/0 and an unknown time left."""

from __future__ import annotations

import io
from pathlib import Path

from ragkit import FileOutcome
from ragkit.apps.cli.common import BarProgress, SafeConsole


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _drawn(steps: list[tuple[float, str, int | str]]) -> str:
    """The bar's last frame after `steps`: (seconds later, "embedding"|"embedded", n)."""
    clock = Clock()
    out = io.StringIO()
    console = SafeConsole(file=out, width=120, get_time=clock, force_terminal=False)
    with BarProgress.shown(console) as bar:
        bar.files_found(1)
        for later, call, count in steps:
            clock.now += later
            getattr(bar, call)(count)
    return out.getvalue()


def test_the_rate_is_chunks_over_the_whole_step_not_the_last_two_updates() -> None:
    # 64 chunks embedded over 2 s, the two batches reported a microsecond apart (a thread
    # pool hands back batches that finished together): rich's own speed would be 32/1e-6.
    frame = _drawn([(0.0, "embedding", 64), (2.0, "embedded", 32), (1e-6, "embedded", 32)])
    line = next(row for row in frame.splitlines() if row.startswith("chunks embedded"))
    assert "64/64" in line and "32.0/s" in line, line


def test_a_step_with_every_vector_cached_says_so() -> None:
    frame = _drawn([(0.5, "embedding", 0)])
    line = next(row for row in frame.splitlines() if row.startswith("chunks embedded"))
    assert "(all from cache)" in line and "/s" not in line and "eta" not in line, line


def test_a_run_that_finds_no_files_draws_no_bar() -> None:
    # An empty folder ends in one error line; a "files 0/0 (all from cache)" bar above
    # it would only confuse.
    out = io.StringIO()
    with BarProgress.shown(SafeConsole(file=out, width=120, force_terminal=False)) as bar:
        bar.files_found(0)
    assert out.getvalue() == ""


def test_a_finished_run_ends_on_files_not_on_its_last_writing_step() -> None:
    frame = _drawn([(0.5, "embedding", 2), (0.5, "embedded", 2), (0.1, "stage", "commit")])
    files = [row for row in frame.splitlines() if row.startswith("files")]
    assert files and files[-1].split()[0] == "files" and "writing" not in frame, frame


def test_a_failed_symbolic_link_to_nothing_still_moves_the_files_bar(tmp_path: Path) -> None:
    # Found in the folder and counted, so it counts as done: the bar ends on 2/2, not 1/2.
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "nothing")
    out = io.StringIO()
    with BarProgress.shown(SafeConsole(file=out, width=120, force_terminal=False)) as bar:
        bar.files_found(2)
        bar.file_done(FileOutcome(str(dangling), "failed", "symbolic link to nothing"))
        bar.file_done(FileOutcome(str(tmp_path / "ok.txt"), "indexed", chunks=1))
    files = [row for row in out.getvalue().splitlines() if row.startswith("files")]
    assert files and "2/2" in files[-1], out.getvalue()
