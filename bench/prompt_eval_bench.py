"""Prompt evaluation and generation speed of GGUF files, per thread count, side by side.

Loads each file once (the bundled model's shipped Q4_1 file and its Q8_0 copy by default,
plus any FILE given, plus `--convert TYPE,...`: the bundled model converted into a
temporary folder with llama.cpp's own `llama_model_quantize`, e.g. F16, Q4_0), then, per
round, thread count and file in turn: evaluates a ~72-token answer-prompt head, times
the ~150 tokens after it (the part an answer evaluates once the head is cached) and 16
single-token evaluations (generation's step). Prints tokens/s medians and the load
average. Read it as a ratio between the files of the same run: the machine's other work
moves every figure. Leaves out sampling, the answer path and the replies themselves
(`sample_bench.py --model FILE` checks those).

    python bench/prompt_eval_bench.py [FILE.gguf ...] [--convert F16,Q4_0]
                                      [--threads 1,2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent

HEAD = "Sources:\n"
REST = (
    "[1] The Ember brewing kettle comes with a two-year warranty covering the heating "
    "element and the thermostat. Register the kettle within 30 days of purchase to extend "
    "the warranty by one year.\n[2] Member farms deliver fresh leaf to the cooperative's "
    "collection point between 6 a.m. and 10 a.m. on weekdays. Leaf delivered after 10 a.m. "
    "is weighed but paid at the afternoon rate.\n[3] To join the cooperative, an applicant "
    "must farm at least 0.5 hectares of tea and sell at least half of the harvest through "
    "the cooperative.\n\nQuestion: How long is the warranty on the Ember brewing kettle?"
)


def convert(source: Path, ftype: str, folder: Path) -> Path:
    import llama_cpp
    from llama_cpp import _logger

    _logger.set_verbose(False)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype.upper()}")
    params.allow_requantize = True
    target = folder / f"{source.stem}-{ftype.lower()}.gguf"
    code = llama_cpp.llama_model_quantize(
        os.fsencode(source), os.fsencode(target), ctypes.byref(params)
    )
    if code != 0:
        raise SystemExit(f"error: llama.cpp could not convert to {ftype} (code {code})")
    return target


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--convert", default="", help="types to convert the bundled model to")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    import llama_cpp

    from ragkit.models.embeddings.quantize import default_models_dir
    from ragkit.models.llm.llama_cpp import bundled_gguf_path
    from ragkit.models.llm.requantize import q8_copy

    shipped = bundled_gguf_path()
    with tempfile.TemporaryDirectory() as tmp:
        files = {"Q4_1 shipped": shipped, "Q8_0 copy": q8_copy(shipped, default_models_dir())}
        for ftype in filter(None, args.convert.split(",")):
            files[ftype.upper()] = convert(shipped, ftype, Path(tmp))
        files.update({f.name: f for f in args.files})
        models: dict[str, Any] = {
            name: llama_cpp.Llama(model_path=str(path), n_ctx=2048, verbose=False)
            for name, path in files.items()
        }
        system = (ROOT / "ragkit" / "models" / "prompts" / "answer_system.txt").read_text()
        template = "<|im_start|>system\n{}<|im_end|>\n<|im_start|>user\n"
        first = next(iter(models.values()))
        head = first.tokenize((template.format(system) + HEAD).encode(), False, True)
        rest = first.tokenize((REST + "<|im_end|>\n<|im_start|>assistant\n").encode(), False, True)
        rows: dict[tuple[str, int], list[tuple[float, float]]] = {}
        threads = [int(t) for t in args.threads.split(",")]
        for _ in range(args.rounds):
            for count in threads:
                for name, llama in models.items():
                    llama._ctx.set_n_threads(count, count)
                    llama.reset()
                    llama.eval(head)
                    started = time.perf_counter()
                    llama.eval(rest)
                    prompt = len(rest) / (time.perf_counter() - started)
                    started = time.perf_counter()
                    for _ in range(16):
                        llama.eval(rest[-1:])
                    rows.setdefault((name, count), []).append(
                        (prompt, 16 / (time.perf_counter() - started))
                    )
    print(f"head {len(head)} tokens, rest {len(rest)} tokens, load {os.getloadavg()[0]:.1f}")
    for (name, count), values in rows.items():
        print(
            f"{name:14} threads {count}  prompt {statistics.median(v[0] for v in values):6.1f} "
            f"tok/s  generation {statistics.median(v[1] for v in values):6.1f} tok/s  "
            f"(n={len(values)})"
        )


if __name__ == "__main__":
    main()
