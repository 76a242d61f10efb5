"""The hostile corpus (hostile_corpus.py) indexed in one real `ragkit index` run.

The real CLI, as a subprocess, with the bundled embedder: every bad entry is one line of
the report, every good file is indexed, there is no traceback, the run ends (its
ceiling is the subprocess timeout, far above the seconds it takes) and its peak RSS,
measured with getrusage over the run's process tree (the CLI and its parsing worker),
stays under a bound. Afterwards an extractive answer over a file holding personal data
comes out guarded, and `ragkit verify` passes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import hostile_corpus
import pytest
from ceilings import HANG_S
from processes import run_ragkit

from ragkit.index.engine import PIPELINE_MIN_FILES

pytestmark = pytest.mark.slow(
    reason="the real CLI in subprocesses, indexing a generated hostile corpus with the bundled "
    "embedder"
)

INDEX = "hostile"
# The run measured about 0.65 GB (the embedder dominates); the bound leaves room for
# other machines, and is far below what one zip bomb alone took before (4.3 GB).
PEAK_RSS_BOUND = 1536 * 1024 * 1024

# Runs the CLI and prints its exit status and the peak RSS of its process tree (KiB on
# Linux): this wrapper's only children are the CLI and its loader worker.
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
"""


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RAGKIT_") and k not in ("COLUMNS", "LINES")
    }
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONIOENCODING="utf-8",
        RAGKIT_INDEX__HOME=str(home),
        PYTHONPATH=os.pathsep.join(
            p for p in (str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH")) if p
        ),
    )
    return env


@dataclass(frozen=True)
class Run:
    base: Path
    env: dict[str, str]
    corpus: hostile_corpus.Corpus
    stdout: str
    stderr: str
    code: int
    peak_rss: int  # bytes

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ragkit", *args],
            cwd=self.base,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=HANG_S,
            check=False,
        )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("hostile")
    corpus = hostile_corpus.make(base / "docs")
    (base / "docs" / "contact.txt").write_text(
        "Contact. Wang Fang can be reached at wang.fang@example.com or on card "
        "4111 1111 1111 1111 for the refund.\n",
        encoding="utf-8",
    )
    corpus.good.append("contact.txt")
    # Enough files for the pipelined build (a worker process preparing files ahead of
    # the embedder, which reads through its own bounded loader) to be the path taken.
    assert PIPELINE_MIN_FILES <= 20
    for n in range(20):
        name = f"extra-{n:02d}.txt"
        (base / "docs" / name).write_text(f"Extra note {n} about rivers.\n", encoding="utf-8")
        corpus.good.append(name)
    env = _env(base / "indexes")
    command = [sys.executable, "-m", "ragkit", "index", "docs", "--index", INDEX]
    proc = run_ragkit(command, cwd=base, env=env, launcher=("-c", _MEASURE))
    code, kib = proc.stderr.strip().splitlines()[-1].split()
    return Run(base, env, corpus, proc.stdout, proc.stderr, int(code), int(kib) * 1024)


def test_no_traceback_and_exit_1_for_the_failed_files(run: Run) -> None:
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    assert run.code == 1, run.stdout + run.stderr


def test_every_bad_entry_is_one_line(run: Run) -> None:
    for name, status, fragment in run.corpus.bad:
        lines = [
            line
            for line in run.stdout.splitlines()
            if re.match(rf"\s*{status}: docs/{re.escape(name)}: ", line)
        ]
        assert len(lines) == 1, f"{name} not reported once as {status}:\n{run.stdout}"
        assert fragment in lines[0], lines[0]


def test_every_good_file_is_indexed(run: Run) -> None:
    summary = run.stdout.splitlines()[0]
    good, bad = len(run.corpus.good), len(run.corpus.bad)
    assert f": {good} indexed" in summary, run.stdout
    skipped = sum(1 for _, status, _ in run.corpus.bad if status == "skipped")
    assert f"{skipped} skipped, {bad - skipped} failed" in summary, run.stdout
    listed = run.cli("ls", "--index", INDEX)
    assert listed.returncode == 0, listed.stderr
    for name in run.corpus.good:
        assert f"docs/{name}" in listed.stdout, (name, listed.stdout)
    # The JSON-lines file lost only its deep line.
    assert "docs/lines.jsonl#a" in listed.stdout and "docs/lines.jsonl#b" in listed.stdout
    assert re.search(r"note: docs/lines\.jsonl: skipped bad lines 2\b", run.stdout)


def test_peak_rss_is_bounded(run: Run) -> None:
    print(f"peak RSS of the index run: {run.peak_rss / 2**20:.0f} MiB")
    assert run.peak_rss < PEAK_RSS_BOUND


def test_mislabelled_page_is_found_in_chinese(run: Run) -> None:
    proc = run.cli("search", "向量数据库", "--index", INDEX, "--json", "-k", "1")
    assert proc.returncode == 0, proc.stderr
    (hit,) = json.loads(proc.stdout)
    assert hit["file"].endswith("mislabelled-gb18030.html"), hit
    assert "向量数据库" in hit["text"]


def test_extractive_answer_is_guarded(run: Run) -> None:
    proc = run.cli("ask", "How can Wang Fang be reached?", "--mode", "extractive", "--index", INDEX)
    assert proc.returncode == 0, proc.stderr
    assert "Wang Fang can be reached" in proc.stdout
    assert "wang.fang@example.com" not in proc.stdout
    assert "4111 1111 1111 1111" not in proc.stdout
    assert "pii (EMAIL) redacted" in proc.stderr


def test_verify_passes(run: Run) -> None:
    proc = run.cli("verify", "--index", INDEX)
    assert proc.returncode == 0 and ": ok (" in proc.stdout, proc.stdout + proc.stderr
