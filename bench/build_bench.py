"""A full build, side by side in one run: `ragkit index` as shipped (int8 ONNX embedder,
pipelined, checkpointed) against LangChain's `FAISS.from_documents` with the same
model in fp32 (its usual path: HuggingFaceEmbeddings on sentence-transformers), plus a
build killed at about half way and resumed.

    python bench/build_bench.py [--limit 1000] [--corpus ../shared/data/scifact/corpus.jsonl]

The corpus is written as one .txt file per document (as bench/index_bench.py does).
Each step runs in a fresh process and is timed from process start to exit, model loading
included (a user's wall time): ragkit as `python -m ragkit index DOCS --index DIR`,
LangChain as load + split with ragkit's chunker (same chunk texts) + from_documents +
save_local. Kill-and-resume: the same ragkit command with
`RAGKIT_INDEX__CHECKPOINT_CHUNKS` at a tenth of the chunks, SIGKILLed as soon as half
the chunks are committed, then run again to completion; the resumed run's time is reported as
a share of the full build. Prints the load average at the start (2 shared cores here:
compare ratios, not seconds). Leaves out query latency (index_bench.py) and a bound
estimate beyond the note printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from index_bench import DEFAULT_CORPUS, write_corpus  # noqa: E402

LANGCHAIN = r"""
import sys, time
from pathlib import Path
from langchain_community.vectorstores import FAISS
from langchain_core.documents import Document
from langchain_huggingface import HuggingFaceEmbeddings
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.models.embeddings import bundled_model_dir
from ragkit.ingest.loaders.text import load_text

docs, out = Path(sys.argv[1]), Path(sys.argv[2])
chunker = Chunker(ChunkerParams())
pieces = [
    Document(page_content=c.text, metadata={"source": d.source})
    for p in sorted(docs.rglob("*.txt"))
    for d in [load_text(p)]
    for c in chunker.split(d)
]
emb = HuggingFaceEmbeddings(
    model_name=str(bundled_model_dir()),
    model_kwargs={"device": "cpu", "local_files_only": True},
    encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
)
store = FAISS.from_documents(pieces, emb)
store.save_local(str(out))
print(len(pieces))
"""


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    out |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    out["PYTHONPATH"] = str(REPO)
    return out | (extra or {})


def ragkit_cmd(docs: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "ragkit", "index", str(docs), "--index", str(index)]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cmd: list[str], cwd: Path, extra: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one process run. CPU is user + system of the process and its
    children: other work on a shared machine stretches wall time but barely moves it."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, cwd=cwd, env=env(extra), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, _children_cpu() - cpu


def chunks_of(index: Path) -> int:
    return int(json.loads((index / "manifest.json").read_text())["counts"]["chunks"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--skip-langchain", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ragkit-build-") as tmp:
        work = Path(tmp)
        files = write_corpus(args.corpus, args.limit, work / "docs")
        print(
            f"{len(files)} documents; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
            flush=True,
        )
        # A first run builds the int8 model into the cache; not part of any figure.
        warm = work / "docs-warm"
        warm.mkdir()
        (warm / "a.txt").write_text("warm up", encoding="utf-8")
        timed(ragkit_cmd(warm, work / "ix-warm"), work)

        full, full_cpu = timed(ragkit_cmd(work / "docs", work / "ix-full"), work)
        chunks = chunks_of(work / "ix-full")
        print(
            f"ragkit full build            {full:8.1f} s  ({chunks} chunks, {chunks / full:.1f}/s)"
            f"  CPU {full_cpu:.1f} s",
            flush=True,
        )
        lc = None
        if not args.skip_langchain:
            script = work / "lc.py"
            script.write_text(LANGCHAIN, encoding="utf-8")
            cmd = [sys.executable, str(script), str(work / "docs"), str(work / "lc")]
            lc, lc_cpu = timed(cmd, work)
            print(
                f"LangChain from_documents     {lc:8.1f} s  ({chunks / lc:.1f} chunks/s)"
                f"  CPU {lc_cpu:.1f} s",
                flush=True,
            )
        step = {"RAGKIT_INDEX__CHECKPOINT_CHUNKS": str(max(1, chunks // 10))}
        proc = subprocess.Popen(
            ragkit_cmd(work / "docs", work / "ix-kill"),
            cwd=work,
            env=env(step),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Killed once about half the chunks are committed (a checkpoint is what a kill
        # keeps; a timer would land elsewhere whenever the machine's load changes).
        began = time.perf_counter()
        while proc.poll() is None:
            try:
                if chunks_of(work / "ix-kill") >= chunks // 2:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        killed_at = time.perf_counter() - began
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kept = chunks_of(work / "ix-kill") if (work / "ix-kill" / "manifest.json").exists() else 0
        resumed, _ = timed(ragkit_cmd(work / "docs", work / "ix-kill"), work, step)
        assert chunks_of(work / "ix-kill") == chunks
        print(
            f"killed at {killed_at:.1f} s ({kept} of {chunks} chunks committed), "
            f"resumed in {resumed:.1f} s = {100 * resumed / full:.0f}% of a full build"
        )
        if lc is not None:
            print(f"ratio LangChain / ragkit full build: {lc / full:.2f}x wall")
            print(f"ratio LangChain / ragkit CPU seconds: {lc_cpu / full_cpu:.2f}x")
        load = os.getloadavg()
        print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
