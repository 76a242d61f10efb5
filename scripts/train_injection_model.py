"""Fit the prompt-injection classifier that ships in ragkit/guard/data/.

Reads the deepset prompt-injections set (Apache-2.0) from ../shared/data at run time,
fits an L2 logistic regression over hashed n-grams on all of it (ragkit.guard.training),
picks the threshold from 4-fold out-of-fold scores for a false-positive rate of at most
3% (a margin under the 5% target), and writes injection_model.npy (float32 weights) and
injection_model.json (bias, threshold, provenance). The data itself is never copied.
Figures for this design come from bench/guard_bench.py's cross-validation, not from
this model, which has seen all of deepset.

    python scripts/train_injection_model.py [--data PATH] [--out ragkit/guard/data]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from ragkit.guard.training import train

ROOT = Path(__file__).resolve().parent.parent
DATA = (
    ROOT.parent / "shared" / "data" / "prompt_injections" / "deepset_prompt_injections_all662.jsonl"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "ragkit" / "guard" / "data")
    args = parser.parse_args()
    raw = args.data.read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    texts = [str(r["text"]) for r in rows]
    labels = [int(r["label"]) for r in rows]
    model = train(
        texts,
        labels,
        meta={
            "trained_on": "deepset/prompt-injections train+test (Apache-2.0)",
            "examples": len(texts),
            "injections": sum(labels),
            "data_sha256": hashlib.sha256(raw).hexdigest(),
            "features": "hashed char 3-5-grams + words + word pairs (ragkit.guard.features)",
        },
    )
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(
        f"wrote {args.out}/injection_model.npy and .json: {model.buckets} buckets, "
        f"threshold {model.threshold:.4f} on {len(texts)} examples"
    )


if __name__ == "__main__":
    main()
