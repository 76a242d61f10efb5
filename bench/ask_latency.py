"""Time `ragkit ask` as a user sees it: process start to first answer byte, and to exit.

Runs the real CLI in a subprocess several times against an existing index and prints
min / median / max of both. Build the index first, for example:

    ragkit index samples/corpus
    python bench/ask_latency.py "How long is the warranty on the Ember brewing kettle?"
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def one_run(question: str, index: str | None) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "ragkit", "ask", question]
    if index:
        cmd += ["--index", index]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    first_at = time.perf_counter() - started
    proc.stdout.read()
    if proc.wait() != 0 or not first:
        raise SystemExit(f"ragkit ask failed (exit {proc.returncode}); is the index built?")
    return first_at, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question")
    parser.add_argument("--index", default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    firsts, totals = [], []
    for _ in range(args.runs):
        first, total = one_run(args.question, args.index)
        firsts.append(first)
        totals.append(total)
    for name, values in (("first token", firsts), ("end", totals)):
        print(
            f"{name:12s} min {min(values):.2f} s  median {statistics.median(values):.2f} s  "
            f"max {max(values):.2f} s  ({args.runs} runs)"
        )


if __name__ == "__main__":
    main()
