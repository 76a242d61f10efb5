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
compare ratios, not seconds).

The bound: the operations of the model's matrix products (counted from the int8 ONNX
graph: 2*K*N per token for each weight product, 4*t^2*hidden per layer for attention)
over the tokens of every chunk (unpadded, truncated at 256 as the model is), divided by
the best int8 GEMM throughput measured on one core with onnxruntime times the cores.
It counts nothing else (tokenizing, layer norms, softmax, parsing, writing) as work, so
no build on this machine can be faster; the share printed is bound / measured, by wall
time and by CPU time (the CPU share is the one a loaded machine disturbs less). Leaves
out query latency (index_bench.py).
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
sys.path.insert(1, str(REPO))

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


# --- the physical bound -------------------------------------------------------------
# Matrix products whose second operand is a weight: 2*K*N operations per token.
WEIGHT_OPS = {
    "MatMul",
    "Gemm",
    "MatMulInteger",
    "DynamicQuantizeMatMul",
    "MatMulIntegerToFloat",
    "Attention",
    "QAttention",
}


def model_ops(model: Path) -> tuple[int, int, int]:
    """(operations per token in weight products, layers, hidden size) of an ONNX encoder,
    counted from its graph: every weight product's K x N, and per layer the two
    token-by-token products of attention (4 * t^2 * hidden for a sequence of t)."""
    import onnx

    graph = onnx.load(str(model)).graph
    shapes = {i.name: tuple(i.dims) for i in graph.initializer}
    per_token, layers = 0, 0
    inner: list[int] = []
    for node in graph.node:
        # One softmax per layer, or one fused attention node holding it.
        layers += node.op_type in ("Softmax", "Attention", "QAttention")
        dims = shapes.get(node.input[1]) if len(node.input) > 1 else None
        if node.op_type in WEIGHT_OPS and dims is not None and len(dims) == 2:
            per_token += 2 * dims[0] * dims[1]
            inner.append(dims[0])
    hidden = max(set(inner), key=inner.count)  # most products take the hidden state
    return per_token, layers, hidden


def int8_ops_per_core() -> tuple[float, str]:
    """Best measured int8 matrix-product throughput of one core (operations/s), with
    onnxruntime's MatMulInteger (uint8 x int8, its MLAS kernels: VNNI or AMX where the
    CPU has them) on the model's own shapes and a large square one; best of 7 runs each,
    one thread (a shared machine disturbs one thread less than all of them)."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    best, label = 0.0, ""
    for m, k, n in ((2048, 384, 1536), (2048, 1536, 384), (4096, 4096, 4096)):
        b = numpy_helper.from_array(rng.integers(-127, 127, (k, n), dtype=np.int8), "B")
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])],
            "gemm",
            [helper.make_tensor_value_info("A", TensorProto.UINT8, [m, k])],
            [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
            [b],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        a = rng.integers(0, 255, (m, k), dtype=np.uint8)
        session.run(None, {"A": a})
        for _ in range(7):
            started = time.perf_counter()
            session.run(None, {"A": a})
            rate = 2 * m * k * n / (time.perf_counter() - started)
            if rate > best:
                best, label = rate, f"{m}x{k}x{n}"
    return best, label


def bound(docs: Path) -> dict[str, float | int | str]:
    """The physical bound of embedding `docs` as ragkit chunks them: the operations of
    the model's matrix products over every chunk's tokens (no padding, truncated where
    the model truncates) divided by the int8 throughput of all cores. Everything else
    (tokenizing, layer norms, softmax, quantizing activations, parsing, writing) counts
    as zero, so no build can beat it."""
    from tokenizers import Tokenizer

    from ragkit.ingest.chunking import Chunker, ChunkerParams
    from ragkit.ingest.loaders.text import load_text
    from ragkit.models.embeddings import bundled_model_dir
    from ragkit.models.embeddings.onnx import bundled_int8_model
    from ragkit.models.embeddings.quantize import cached_dynamic_int8, default_models_dir

    chunker = Chunker(ChunkerParams())
    texts = [c.text for p in sorted(docs.rglob("*.txt")) for c in chunker.split(load_text(p))]
    tokenizer = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)  # what both embedders see
    lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    model = cached_dynamic_int8(bundled_int8_model(), default_models_dir())
    per_token, layers, hidden = model_ops(model)
    ops = sum(t * per_token + layers * 4 * t * t * hidden for t in lengths)
    per_core, shape = int8_ops_per_core()
    cores = os.cpu_count() or 1
    return {
        "chunks": len(texts),
        "tokens": sum(lengths),
        "ops_per_token": per_token,
        "layers": layers,
        "ops": ops,
        "per_core": per_core,
        "shape": shape,
        "cores": cores,
        "seconds": ops / (per_core * cores),
    }


def chunks_of(index: Path) -> int:
    return int(json.loads((index / "manifest.json").read_text())["counts"]["chunks"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--skip-langchain", action="store_true")
    parser.add_argument("--bound-only", action="store_true", help="print the bound only")
    args = parser.parse_args()
    if args.bound_only:
        with tempfile.TemporaryDirectory(prefix="ragkit-bound-") as tmp:
            write_corpus(args.corpus, args.limit, Path(tmp) / "docs")
            print(json.dumps(bound(Path(tmp) / "docs"), indent=1))
        return
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
        b = bound(work / "docs")
        cores = int(b["cores"])
        limit = float(b["seconds"])
        print(
            f"bound: {b['chunks']} chunks, {b['tokens']} tokens, "
            f"{int(b['ops_per_token']) / 1e6:.1f} M int8 ops per token in weight products "
            f"+ attention over {b['layers']} layers = {float(b['ops']) / 1e12:.2f} T ops; "
            f"int8 GEMM {float(b['per_core']) / 1e9:.0f} G ops/s per core "
            f"(onnxruntime MatMulInteger {b['shape']}) x {cores} cores"
        )
        print(
            f"bound full build             {limit:8.1f} s  (CPU {limit * cores:.1f} s); "
            f"ragkit at {100 * limit / full:.1f}% of it by wall, "
            f"{100 * limit * cores / full_cpu:.1f}% by CPU"
        )
        load = os.getloadavg()
        print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
