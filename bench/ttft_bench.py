"""Time to first token for a question with three sources, model already loaded.

Indexes `samples/corpus` into a temporary folder (int8 ONNX embedder), loads the bundled
SmolLM2 GGUF in process twice, as `ragkit ask` loads it (its Q8_0 copy, converted once
into the models folder) and as it ships (Q4_1), and starts `python -m llama_cpp.server`
with the Q4_1 file on 127.0.0.1, then for each of three sample questions, `--rounds`
times: searches (k=3), builds the prompt and times `pipelines.answer` to its first piece
(the first checked sentence, as a user sees it) on every path, alternating. Prints the
prompt's size in tokens and the median/min/max per path, plus search time. Read the
median: a single reading can be far off (runs here showed a 0.01 s first reading in
process, not yet explained, and one 17 s stall). Nothing is asserted.

    python bench/ttft_bench.py [--rounds 3] [--no-remote]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))  # the llama.cpp server helper

from llama_server import llama_server  # noqa: E402

from ragkit import KnowledgeBase  # noqa: E402
from ragkit.answer.pipelines import answer  # noqa: E402
from ragkit.models.embeddings import make_embedder  # noqa: E402
from ragkit.models.embeddings.quantize import default_models_dir  # noqa: E402
from ragkit.models.llm.base import ChatModel, GenerationOptions  # noqa: E402
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path  # noqa: E402
from ragkit.models.llm.openai_compat import OpenAICompatChatModel  # noqa: E402
from ragkit.options import AnswerOptions, Models  # noqa: E402

# Not among QUESTIONS: llama.cpp reuses the cached prefix of an identical prompt, which
# would time a cache hit, not prompt evaluation.
WARM_UP = "What does the Lumen Tea Cooperative pay for fresh leaf?"
QUESTIONS = (
    "How long is the warranty on the Ember brewing kettle?",
    "Between which hours do member farms deliver fresh leaf?",
    "What is the minimum area of tea a member must farm?",
)


def first_piece(stream: object, started: float) -> float:
    """Seconds from `started` to the stream's first non-empty piece: the first checked
    text a user would see (the checker releases a sentence once it is checked)."""
    try:
        for piece in stream:  # type: ignore[attr-defined]
            if piece:
                return time.perf_counter() - started
        return float("nan")
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # stop generating the rest: the next timing starts on an idle model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-remote", action="store_true", help="skip the llama.cpp server path")
    args = p.parse_args()
    # Room for a whole first sentence: the checker releases text a sentence at a time
    # (about 9 tokens in here), so a cap of a few tokens would time the end-of-stream
    # flush instead of the first checked piece.
    options = AnswerOptions(generation=GenerationOptions(max_tokens=64, temperature=0.0, seed=0))
    with tempfile.TemporaryDirectory() as tmp:
        local = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048, q8_folder=default_models_dir())
        shipped = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048)
        kb = KnowledgeBase.open(
            Path(tmp) / "ix",
            models=Models(embedder=make_embedder("bundled-int8"), chat_model=local),
        )
        kb.add([ROOT / "samples" / "corpus"])
        server = nullcontext(None) if args.no_remote else llama_server()
        with server as base:
            models: dict[str, ChatModel] = {"in process Q8_0": local, "in process Q4_1": shipped}
            if base is not None:
                models["llama.cpp server"] = OpenAICompatChatModel(
                    base, "local", context_window=2048
                )
            times: dict[str, list[float]] = {name: [] for name in [*models, "search"]}
            for model in models.values():  # load / warm up outside the timings
                first_piece(
                    answer(
                        QUESTIONS[0], kb.search(QUESTIONS[0], k=3), model, kb.templates, options
                    ),
                    0,
                )
            for _ in range(args.rounds):
                for q in QUESTIONS:
                    started = time.perf_counter()
                    hits = kb.search(q, k=3)
                    times["search"].append(time.perf_counter() - started)
                    for name, model in models.items():
                        started = time.perf_counter()
                        stream = answer(q, hits, model, kb.templates, options)
                        times[name].append(first_piece(stream, started))
            prompt = answer(
                QUESTIONS[0], kb.search(QUESTIONS[0], k=3), local, kb.templates, options
            )
            tokens = sum(local.count_tokens(m.content) for m in prompt.prompt.messages)
    load = os.getloadavg()[0]
    print(f"prompt ~{tokens} tokens (3 sources), {os.cpu_count()} CPUs, load average {load:.1f}")
    for name, values in times.items():
        print(
            f"{name:17} median {statistics.median(values):.3f} s  min {min(values):.3f} s  "
            f"max {max(values):.3f} s  (n={len(values)})"
        )


if __name__ == "__main__":
    main()
