"""Cold start of the `ragkit` command: each command's wall and CPU time, measured with
hyperfine (Debian package `hyperfine`), for this checkout and optionally an older one
side by side in the same run.

    python bench/startup_bench.py [--before PATH_TO_OLDER_CHECKOUT] [--runs 10]
    python bench/startup_bench.py --search-index PATH_TO_A_REAL_INDEX   # adds a search row

Both checkouts run as `python -m ragkit` with PYTHONPATH pointing at them, against
the same small index (built here with the hashing embedder, so no model is involved).
Reported per command: mean wall time, mean user+sys CPU time (less sensitive to other
processes than wall time on a shared machine) and the before/after ratios, plus the
load average when the run started. With `--search-index` (an index built with the
bundled embedder, e.g. `ragkit index` over SciFact), one more row times a hybrid
`search` from process start to printed results, model load included. Leaves out `ask`
(see ask_latency.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commands(
    index: Path, missing: Path, search_index: Path | None = None
) -> list[tuple[str, list[str]]]:
    searched = (
        [("search (given index)", ["search", "what causes fever", "--index", str(search_index)])]
        if search_index is not None
        else []
    )
    return [
        ("--help", ["--help"]),
        ("--version", ["--version"]),
        ("ls", ["ls", "--index", str(index)]),
        ("info", ["info", "--index", str(index)]),
        ("error: no such index (search)", ["search", "x", "--index", str(missing)]),
        ("error: bad --mode (search)", ["search", "x", "--mode", "fuzzy", "--index", str(index)]),
        *searched,
    ]


def build_index(work: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from ragkit import HashingEmbedder, KnowledgeBase, Models

    docs = work / "docs"
    docs.mkdir()
    for i in range(20):
        (docs / f"doc{i}.md").write_text(f"# Doc {i}\n\nSome text about topic {i}.\n")
    kb = KnowledgeBase.open(work / "ix", models=Models(embedder=HashingEmbedder(dim=64)))
    kb.add([docs])
    kb.close()
    return work / "ix"


def hyperfine(command: str, env_path: Path, runs: int, out: Path) -> dict[str, float]:
    # Run from the temporary folder: `python -m` puts the working folder first on
    # sys.path, which would otherwise shadow PYTHONPATH.
    shell = f"PYTHONPATH={env_path} {sys.executable} -m ragkit {command}"
    subprocess.run(
        [
            "hyperfine",
            "--warmup",
            "2",
            "--runs",
            str(runs),
            "--ignore-failure",
            "--style",
            "none",
            "--export-json",
            str(out),
            shell,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=out.parent,
    )
    result = json.loads(out.read_text())["results"][0]
    return {"wall": result["mean"], "cpu": result["user"] + result["system"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="an older checkout to compare with")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--search-index", type=Path, help="a real index for a search row")
    args = parser.parse_args()
    if shutil.which("hyperfine") is None:
        raise SystemExit("hyperfine is not installed; run: apt-get install hyperfine")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        index = build_index(work)
        load = os.getloadavg()
        trees = [("after", REPO)] + ([("before", args.before.resolve())] if args.before else [])
        rows = []
        search_index = args.search_index.resolve() if args.search_index else None
        for label, argv in commands(index, work / "missing", search_index):
            line: dict[str, object] = {"command": label}
            for name, tree in trees:
                quoted = " ".join(f"'{a}'" for a in argv)
                line[name] = hyperfine(quoted, tree, args.runs, work / "h.json")
            rows.append(line)
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    head = f"{'command':32} {'after wall':>10} {'after cpu':>10}"
    if args.before:
        head += f" {'before wall':>11} {'before cpu':>10} {'wall ratio':>10} {'cpu ratio':>9}"
    print(head)
    for line in rows:
        after = line["after"]
        assert isinstance(after, dict)
        text = f"{line['command']:32} {after['wall']:9.3f}s {after['cpu']:9.3f}s"
        if args.before:
            before = line["before"]
            assert isinstance(before, dict)
            text += (
                f" {before['wall']:10.3f}s {before['cpu']:9.3f}s"
                f" {before['wall'] / after['wall']:9.1f}x {before['cpu'] / after['cpu']:8.1f}x"
            )
        print(text)


if __name__ == "__main__":
    main()
