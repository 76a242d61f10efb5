"""Time `ragkit ask` as a user sees it: process start to first answer byte, and to exit.

Runs the real CLI in a subprocess several times against an existing index and prints
min / median / max of both, and the median user+sys CPU seconds of a run (less
sensitive than wall time to other work on the machine). Build the index first:

    ragkit index samples/corpus
    python bench/ask_latency.py "How long is the warranty on the Ember brewing kettle?"

With `--before PATH` (another checkout, e.g. a worktree of main) the two run in turn,
ask by ask, against the same index (this folder's), each as `python -m ragkit` with
PYTHONPATH at its checkout, and the after/before ratios of the medians are printed with
the load average at the start and the end: on a shared machine only a side-by-side
comparison in the same minutes means anything.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(question: str, index: str | None, checkout: Path) -> tuple[float, float, float]:
    """Seconds to the first answer byte and to exit, and the CPU seconds it used."""
    # -P: the current folder (this checkout's index) must not put its ragkit first.
    cmd = [sys.executable, "-P", "-m", "ragkit", "ask", question]
    if index:
        cmd += ["--index", index]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(checkout)}
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    first_at = time.perf_counter() - started
    proc.stdout.read()
    if proc.wait() != 0 or not first:
        raise SystemExit(f"ragkit ask failed (exit {proc.returncode}); is the index built?")
    return first_at, time.perf_counter() - started, _children_cpu() - cpu


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question")
    parser.add_argument("--index", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None, help="checkout to compare with")
    args = parser.parse_args()
    sides = {"this": HERE} | ({"before": args.before.resolve()} if args.before else {})
    print(f"load average at start: {_load()}")
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in sides}
    for i in range(args.runs):
        # Alternate which side goes first, so neither always follows the other.
        order = list(sides.items()) if i % 2 == 0 else list(reversed(sides.items()))
        for name, checkout in order:
            runs[name].append(one_run(args.question, args.index, checkout))
    print(f"load average at end: {_load()}")
    medians: dict[str, list[float]] = {}
    for name, results in runs.items():
        print(f"{name} ({sides[name]}), {args.runs} runs:")
        medians[name] = []
        for column, label in enumerate(("first token", "end", "cpu user+sys")):
            values = [r[column] for r in results]
            medians[name].append(statistics.median(values))
            print(
                f"  {label:12s} min {min(values):.2f} s  median {statistics.median(values):.2f} s"
                f"  max {max(values):.2f} s"
            )
    if "before" in medians:
        ratios = [a / b for a, b in zip(medians["this"], medians["before"], strict=True)]
        print("this/before medians: first token {:.2f}, end {:.2f}, cpu {:.2f}".format(*ratios))


if __name__ == "__main__":
    main()
