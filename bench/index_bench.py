"""Time `ragkit index` over a JSON-lines corpus (default: SciFact's 5,183 abstracts).

Prints total wall time, chunks per second, the time of an unchanged re-run, index size
and peak RSS. Run from the repository root:

    python bench/index_bench.py [--corpus ../shared/data/scifact/corpus.jsonl]

Reads the data at run time from ../shared/data; nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact" / "corpus.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ragkit import KnowledgeBase, LoaderOptions

    work = Path(tempfile.mkdtemp(prefix="ragkit-bench-"))
    try:
        started = time.perf_counter()
        kb = KnowledgeBase.open(work / "ix", loader_options=LoaderOptions())
        report = kb.add([args.corpus])
        full = time.perf_counter() - started
        chunks = report.chunks_added
        print(f"corpus            {args.corpus}")
        print(f"documents         {sum(1 for _ in kb.reader().store.documents(1))}")
        print(f"chunks            {chunks}")
        print(f"ragkit full build {full:.1f} s  ({chunks / full:.1f} chunks/s)")
        started = time.perf_counter()
        again = kb.add([args.corpus])
        print(
            f"ragkit re-run     {time.perf_counter() - started:.2f} s "
            f"({again.chunks_added} chunks re-embedded)"
        )
        size = sum(p.stat().st_size for p in (work / "ix").rglob("*") if p.is_file())
        print(f"index size        {size / 1e6:.1f} MB")
        print(
            f"peak RSS          {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
