"""Question answering quality and speed: closed-book, RAG in process, RAG through the
llama.cpp server (the remote path) and extractive answers, side by side.

Data from ../shared/data, read at run time:
- rgb_en: RGB en_fact; the corpus is every sampled query's positive and negative passages;
- rgb_zh: RGB zh_refine, likewise;
- cmrc: a fixed sample of CMRC 2018 dev (one question from each of the first passages;
  the corpus is those passages plus as many following ones as distractors).

Figures per set and system: answer accuracy (a normalised gold answer is contained in the
answer), citation precision (cited chunks that contain the gold answer, over all
citations), the "not in the documents" rate on an index with the positive passages
withheld (and, for contrast, on the full index), time to first token (from the call,
retrieval included, model loaded), generated tokens per second and the prompt's length
in tokens (as the backend counts them: exactly in process, estimated remotely). Then: how often the
remote path's answer equals the in-process one (same seed), and the wrapper's overhead
over raw llama-cpp-python on the same prompts.

    python bench/qa_bench.py                       # 30 questions per set
    python bench/qa_bench.py --limit 10 --sets rgb_en --systems closed,local,extractive

Works in a temporary folder it removes; prints tables, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests" / "integration"))  # the llama.cpp server helper

from ragkit import KnowledgeBase  # noqa: E402
from ragkit.embeddings import make_embedder  # noqa: E402
from ragkit.extractive import extract_answer  # noqa: E402
from ragkit.llm.base import ChatModel, GenerationOptions, Message  # noqa: E402
from ragkit.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path  # noqa: E402
from ragkit.options import Models  # noqa: E402
from ragkit.pipelines import AnswerStream, Prompt, answer  # noqa: E402

SYSTEMS = ("closed", "local", "remote", "extractive")


@dataclass
class Item:
    question: str
    gold: list[list[str]]  # parts, each a list of acceptable alternatives
    positive: list[str]
    negative: list[str]


@dataclass
class Run:
    correct: int = 0
    asked: int = 0
    cited: int = 0
    cited_ok: int = 0
    not_found_full: int = 0
    not_found_withheld: int = 0
    withheld_asked: int = 0
    ttft: list[float] = field(default_factory=list)
    tps: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    prompt_tokens: list[float] = field(default_factory=list)


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def gold_parts(answer: Any) -> list[list[str]]:
    if isinstance(answer, str):
        return [[answer]]
    if answer and all(isinstance(a, list) for a in answer):
        return [[str(x) for x in part] for part in answer]
    return [[str(a) for a in answer]]


def contains_gold(text: str, gold: list[list[str]]) -> bool:
    t = norm(text)
    return all(any(norm(alt) and norm(alt) in t for alt in part) for part in gold)


def load_rgb(name: str, limit: int) -> list[Item]:
    items = []
    with open(DATA / "rgb" / f"{name}.json", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            items.append(
                Item(row["query"], gold_parts(row["answer"]), row["positive"], row["negative"])
            )
            if len(items) == limit:
                break
    return items


def load_cmrc(limit: int) -> list[Item]:
    data = json.loads((DATA / "cmrc2018" / "cmrc2018_dev.json").read_text(encoding="utf-8"))
    paragraphs = [p for article in data["data"] for p in article["paragraphs"]]
    distractors = [p["context"] for p in paragraphs[limit : 2 * limit]]
    items = []
    for p in paragraphs[:limit]:
        qa = p["qas"][0]
        answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
        items.append(Item(qa["question"], [answers], [p["context"]], []))
    if items:
        items[0].negative = distractors  # distractors join the corpus once
    return items


def write_corpus(items: list[Item], path: Path, withhold: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, item in enumerate(items):
            passages = ([] if withhold else item.positive) + item.negative
            for j, text in enumerate(passages):
                f.write(json.dumps({"_id": f"q{i}-{j}", "text": text}, ensure_ascii=False) + "\n")
    return path


def timed(pieces: Iterator[str], started: float) -> tuple[str, float, float, int]:
    """Text, time to the first piece, seconds from it to the end, and pieces after it.
    Both backends send one piece per generated token (llama.cpp's server one event per
    token), so pieces per second after the first is tokens per second, measured alike."""
    first: float | None = None
    parts = []
    for piece in pieces:
        if not piece:
            continue
        if first is None:
            first = time.perf_counter()
        parts.append(piece)
    end = time.perf_counter()
    if first is None:
        return "", float("nan"), 0.0, 0
    return "".join(parts), first - started, end - first, len(parts) - 1


def ask_all(
    kb: KnowledgeBase,
    model: ChatModel | None,
    items: list[Item],
    run: Run,
    opts: GenerationOptions,
    record_texts: bool = True,
) -> None:
    """RAG (model given) or extractive (None) answers over `kb`, three sources each."""
    for item in items:
        started = time.perf_counter()
        hits = kb.search(item.question, k=3)
        if model is None:
            found = extract_answer(item.question, hits, kb.scorer())
            stream = AnswerStream(
                item.question,
                Prompt((), found.sources),
                lambda f=found: iter([f.text]),
                lambda _, f=found: f,
            )
        else:
            stream = answer(item.question, hits, model, kb.templates, opts)
        _, ttft, gen_s, pieces = timed(iter(stream), started)
        result = stream.answer
        if model is not None:
            run.prompt_tokens.append(
                sum(model.count_tokens(m.content) for m in stream.prompt.messages)
            )
        run.asked += 1
        if record_texts:
            run.texts.append(result.text)
        run.correct += contains_gold(result.text, item.gold)
        run.not_found_full += result.not_found
        for c in result.citations:
            run.cited += 1
            run.cited_ok += contains_gold(hits[c.number - 1].chunk.text, item.gold)
        run.ttft.append(ttft)
        if model is not None and gen_s > 0 and pieces > 0:
            run.tps.append(pieces / gen_s)


def withheld(
    kb: KnowledgeBase, model: ChatModel | None, items: list[Item], run: Run, opts: GenerationOptions
) -> None:
    for item in items:
        hits = kb.search(item.question, k=3)
        if model is None:
            result = extract_answer(item.question, hits, kb.scorer())
        else:
            result = answer(item.question, hits, model, kb.templates, opts).answer
        run.withheld_asked += 1
        run.not_found_withheld += result.not_found


def closed_book(model: ChatModel, items: list[Item], run: Run, opts: GenerationOptions) -> None:
    for item in items:
        messages = [
            Message("system", "Answer the question briefly."),
            Message("user", item.question),
        ]
        started = time.perf_counter()
        text, ttft, gen_s, pieces = timed(model.stream(messages, opts), started)
        run.asked += 1
        run.texts.append(text)
        run.correct += contains_gold(text, item.gold)
        run.ttft.append(ttft)
        if gen_s > 0 and pieces > 0:
            run.tps.append(pieces / gen_s)


def wrapper_overhead(
    model: LlamaCppChatModel, prompts: list[tuple[Message, ...]], opts: GenerationOptions
) -> tuple[float, float]:
    """Pieces (tokens) per second after the first: raw llama-cpp-python against
    `LlamaCppChatModel.stream`, alternating on the same prompts. Greedy, so both
    generate the same tokens."""
    llama = model._load()
    totals = {"raw": [0.0, 0], "ragkit": [0.0, 0]}
    for messages in prompts:
        wire = [{"role": m.role, "content": m.content} for m in messages]
        for which in ("raw", "ragkit", "ragkit", "raw"):
            if which == "raw":
                gen: Iterator[str] = (
                    part["choices"][0]["delta"].get("content") or ""
                    for part in llama.create_chat_completion(
                        messages=wire,
                        stream=True,
                        max_tokens=opts.max_tokens,
                        temperature=opts.temperature,
                        seed=opts.seed,
                        repeat_penalty=opts.repeat_penalty,
                    )
                )
            else:
                gen = model.stream(messages, opts)
            _, _, gen_s, pieces = timed(gen, time.perf_counter())
            totals[which][0] += gen_s
            totals[which][1] += pieces
    raw = totals["raw"][1] / totals["raw"][0]
    wrapped = totals["ragkit"][1] / totals["ragkit"][0]
    return raw, wrapped


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   n/a"


def med(values: list[float], fmt: str = "{:6.2f}") -> str:
    return fmt.format(statistics.median(values)) if values else "   n/a"


def build(path: Path, corpus: Path) -> KnowledgeBase:
    embedder = make_embedder("bundled-int8")
    kb = KnowledgeBase.open(path, models=Models(embedder=embedder, query_embedder=embedder))
    kb.add([corpus])
    return kb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=30, help="questions per set")
    parser.add_argument("--sets", default="rgb_en,rgb_zh,cmrc")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    systems = args.systems.split(",")
    opts = GenerationOptions(max_tokens=args.max_tokens, temperature=0.0, seed=args.seed)
    local = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048)
    local.warm_up()
    loaders = {
        "rgb_en": lambda: load_rgb("en_fact", args.limit),
        "rgb_zh": lambda: load_rgb("zh_refine", args.limit),
        "cmrc": lambda: load_cmrc(args.limit),
    }
    results: dict[tuple[str, str], Run] = {}
    prompts: list[tuple[Message, ...]] = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp, _remote(systems) as remote:
        for name in args.sets.split(","):
            items = loaders[name]()
            t0 = time.perf_counter()
            full = build(
                Path(tmp) / name / "full",
                write_corpus(items, Path(tmp) / name / "full.jsonl", False),
            )
            held = build(
                Path(tmp) / name / "held",
                write_corpus(items, Path(tmp) / name / "held.jsonl", True),
            )
            print(
                f"[{name}] {len(items)} questions, indexes in {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            for system in systems:
                run = results.setdefault((name, system), Run())
                t0 = time.perf_counter()
                if system == "closed":
                    closed_book(local, items, run, opts)
                elif system == "extractive":
                    ask_all(full, None, items, run, opts)
                    withheld(held, None, items, run, opts)
                else:
                    model: ChatModel = local if system == "local" else remote  # type: ignore[assignment]
                    ask_all(full, model, items, run, opts)
                    withheld(held, model, items, run, opts)
                print(
                    f"[{name}] {system}: {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
            report(results, args, systems)  # after every set, so a long run shows progress
            if name == "rgb_en":
                prompts = [
                    answer(
                        i.question, full.search(i.question, k=3), local, full.templates, opts
                    ).prompt.messages
                    for i in items[:5]
                ]
                raw, wrapped = wrapper_overhead(local, prompts, opts)
                print(
                    f"\nwrapper overhead (rgb_en prompts, greedy, {args.max_tokens} tokens "
                    f"max): raw llama-cpp-python {raw:.1f} tok/s, ragkit {wrapped:.1f} tok/s, "
                    f"ragkit/raw = {wrapped / raw:.3f}",
                    flush=True,
                )


def report(
    results: dict[tuple[str, str], Run], args: argparse.Namespace, systems: list[str]
) -> None:
    print(
        f"\nqa_bench: {args.limit} questions per set, k=3 sources, greedy, "
        f"max_tokens {args.max_tokens}, bundled SmolLM2-135M (Q4_1)"
    )
    head = (
        f"{'set':7s} {'system':10s} {'accuracy':>9s} {'cite prec':>9s} {'cites':>6s} "
        f"{'NF full':>8s} {'NF held':>8s} {'TTFT s':>7s} {'tok/s':>7s} {'prompt':>6s}"
    )
    print(head)
    print("-" * len(head))
    for (name, system), r in results.items():
        print(
            f"{name:7s} {system:10s} {pct(r.correct, r.asked):>9s} {pct(r.cited_ok, r.cited):>9s} "
            f"{r.cited:6d} {pct(r.not_found_full, r.asked) if r.withheld_asked else '   n/a':>8s} "
            f"{pct(r.not_found_withheld, r.withheld_asked):>8s} {med(r.ttft):>7s} "
            f"{med(r.tps, '{:7.1f}'):>7s} {med(r.prompt_tokens, '{:6.0f}'):>6s}"
        )
    print("\nratios")
    for name in dict.fromkeys(n for n, _ in results):
        closed = results.get((name, "closed"))
        for system in ("local", "remote", "extractive"):
            r = results.get((name, system))
            if closed and r and closed.correct:
                print(
                    f"  {name}: {system} accuracy / closed-book = {r.correct / closed.correct:.2f}"
                )
            elif closed and r:
                print(f"  {name}: {system} {r.correct}/{r.asked}, closed-book 0/{closed.asked}")
        loc, rem = results.get((name, "local")), results.get((name, "remote"))
        if loc and rem and loc.texts:
            same = sum(a == b for a, b in zip(loc.texts, rem.texts, strict=False))
            print(f"  {name}: remote answer identical to in-process: {same}/{len(loc.texts)}")


@contextmanager
def _remote(systems: list[str]) -> Iterator[ChatModel | None]:
    """The llama.cpp server on 127.0.0.1 serving the bundled GGUF, with the thread
    counts llama-cpp-python uses in process (half the cores generate, all evaluate the
    prompt), so the two paths are timed alike."""
    if "remote" not in systems:
        yield None
        return
    from llama_server import free_port

    from ragkit.llm.openai_compat import OpenAICompatChatModel

    cores = os.cpu_count() or 1
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf_path()),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
        "--n_threads", str(max(1, cores // 2)), "--n_threads_batch", str(cores),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(400):
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        yield OpenAICompatChatModel(base, "smollm2", context_window=2048)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
