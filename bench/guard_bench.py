"""Content-filter figures: injection detection and false-positive rates with 95% Wilson
intervals, PII checksum handling, and latency per 1,000 characters.

Data, read at run time (never copied into the repository):
- ../shared/data/prompt_injections/deepset_prompt_injections_all662.jsonl (Apache-2.0).
  The shipped classifier was fitted on all of it, so its figures here would be no
  evidence: this script reports k-fold cross-validation instead: for each fold the
  classifier is fitted on the other folds, its threshold chosen from out-of-fold scores
  inside those training folds (target FPR 3%), and the held-out fold is scored by rules
  + that classifier. Exact duplicates share a fold.
- ../shared/data/prompt_injections/giskard_prompt_injections.csv (35 attacks, MIT): never
  used for fitting; scored by the shipped guard as questions and as chunks.
- ../shared/data/scifact, rgb, cmrc2018: ordinary documents, for false positives on
  retrieved chunks (the first 1,000 of each).
- bench/data/zh_guard_set.jsonl: ragkit's own Chinese injection + PII set
  (bench/make_zh_set.py); never used for fitting; scored by the shipped guard.

    python bench/guard_bench.py [--folds 5] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.guard import (
    Direction,
    Guard,
    InjectionScanner,
    LinearModel,
    SentenceClassifier,
    StreamFilter,
    default_guard,
)
from ragkit.guard.injection import SENTENCE_THRESHOLD
from ragkit.guard.training import fit, fold_ids, probabilities, threshold_for_fpr, vectorize

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
DATA = SHARED / "prompt_injections"
ZH_SET = ROOT / "bench" / "data" / "zh_guard_set.jsonl"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(k: int, n: int) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n if n else float("nan"), "ci95": [low, high]}


def fmt(r: dict[str, Any]) -> str:
    return f"{r['rate']:.3f} ({r['k']}/{r['n']}, 95% CI {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f})"


def deepset_cv(folds: int, seed: int, buckets: int = 1 << 17) -> dict[str, Any]:
    rows = [json.loads(x) for x in (DATA / "deepset_prompt_injections_all662.jsonl").open()]
    texts = [str(r["text"]) for r in rows]
    y = np.asarray([int(r["label"]) for r in rows])
    groups = [t.strip().casefold() for t in texts]
    x = vectorize(texts, buckets)
    rules = np.asarray([bool(InjectionScanner().rule_findings(t)) for t in texts])
    outer = fold_ids(len(texts), folds, seed, groups)
    model_pred = np.zeros(len(texts), dtype=bool)
    # Indirect: every text planted in a SciFact abstract, scanned as a chunk by the rules
    # and the held-out fold's model sentence by sentence.
    hosts = _hosts()
    rng = np.random.default_rng(seed)
    planted = [_plant(t, hosts[int(rng.integers(len(hosts)))]) for t in texts] if hosts else []
    chunk_rules = np.asarray([bool(InjectionScanner().rule_findings(t)) for t in planted])
    chunk_pred = np.zeros(len(planted), dtype=bool)
    for f in range(folds):
        train = np.flatnonzero(outer != f)
        test = np.flatnonzero(outer == f)
        inner = fold_ids(len(train), 4, seed + 1, [groups[i] for i in train])
        xt, yt = x.take(train), y[train]
        oof = np.zeros(len(train))
        for g in range(4):
            a, b = np.flatnonzero(inner != g), np.flatnonzero(inner == g)
            w, bias = fit(xt.take(a), yt[a], buckets)
            oof[b] = probabilities(xt.take(b), w, bias)
        threshold = threshold_for_fpr(oof[yt == 0], 0.03)
        w, bias = fit(xt, yt, buckets)
        model_pred[test] = probabilities(x.take(test), w, bias) > threshold
        if planted:
            sentences = SentenceClassifier(LinearModel(w.astype(np.float32), bias, threshold, {}))
            for i in test:
                chunk_pred[i] = sentences.max_score(planted[i]) > SENTENCE_THRESHOLD
    pos, neg = y == 1, y == 0
    combined = model_pred | rules
    chunk = chunk_pred | chunk_rules if planted else np.zeros(0, dtype=bool)
    indirect = (
        {
            "detection": rate(int(chunk[pos].sum()), int(pos.sum())),
            "false_positive": rate(int(chunk[neg].sum()), int(neg.sum())),
            "detection_rules_only": rate(int(chunk_rules[pos].sum()), int(pos.sum())),
        }
        if planted
        else {}
    )
    return {
        "planted_in_scifact_as_chunks_cv": indirect,
        "examples": len(texts),
        "injections": int(pos.sum()),
        "folds": folds,
        "rules_only": {
            "detection": rate(int(rules[pos].sum()), int(pos.sum())),
            "false_positive": rate(int(rules[neg].sum()), int(neg.sum())),
        },
        "classifier_only_cv": {
            "detection": rate(int(model_pred[pos].sum()), int(pos.sum())),
            "false_positive": rate(int(model_pred[neg].sum()), int(neg.sum())),
        },
        "rules_plus_classifier_cv": {
            "detection": rate(int(combined[pos].sum()), int(pos.sum())),
            "false_positive": rate(int(combined[neg].sum()), int(neg.sum())),
        },
    }


def _injection(guard: Guard, text: str, direction: Direction) -> bool:
    return any(f.kind == "injection" for f in guard.scan(text, direction).findings)


def giskard() -> dict[str, Any]:
    with (DATA / "giskard_prompt_injections.csv").open(encoding="utf-8") as f:
        prompts = [row["prompt"] for row in csv.DictReader(f)]
    guard = default_guard()
    return {
        d: {"detection": rate(sum(_injection(guard, p, d) for p in prompts), len(prompts))}
        for d in ("input", "chunk")
    }


def _hosts(limit: int = 1000) -> list[str]:
    sci = SHARED / "scifact" / "corpus.jsonl"
    if not sci.is_file():
        return []
    with sci.open(encoding="utf-8") as f:
        return [json.loads(x)["text"] for _, x in zip(range(limit), f, strict=False)]


def _plant(text: str, host: str) -> str:
    """`text` inserted at the first sentence break after the middle of `host`."""
    middle = host.find(". ", len(host) // 2)
    cut = middle + 2 if middle >= 0 else len(host)
    return f"{host[:cut]}{text} {host[cut:]}"


def indirect(seed: int = 0) -> dict[str, Any]:
    """Giskard's attacks planted in SciFact abstracts, scanned as chunks by the shipped
    guard (deepset's, which the shipped model has seen, are in `deepset_cv`)."""
    hosts = _hosts()
    if not hosts:
        return {}
    with (DATA / "giskard_prompt_injections.csv").open(encoding="utf-8") as f:
        attacks = [row["prompt"] for row in csv.DictReader(f)]
    rng = np.random.default_rng(seed)
    guard = default_guard()
    hits = sum(
        _injection(guard, _plant(t, hosts[int(rng.integers(len(hosts)))]), "chunk") for t in attacks
    )
    return {"giskard": rate(hits, len(attacks))}


def benign_documents(limit: int = 1000) -> dict[str, Any]:
    """False positives on ordinary documents a retriever returns: SciFact abstracts,
    RGB passages (en) and CMRC 2018 passages (zh), scanned as chunks; and how often the
    classifier would fire on them (why it runs on questions only)."""
    sets: dict[str, list[str]] = {}
    sci = SHARED / "scifact" / "corpus.jsonl"
    if sci.is_file():
        with sci.open(encoding="utf-8") as f:
            rows = [json.loads(x) for _, x in zip(range(limit), f, strict=False)]
        sets["SciFact abstracts (en)"] = [f"{r['title']}. {r['text']}" for r in rows]
    rgb = SHARED / "rgb" / "en_fact.json"
    if rgb.is_file():
        passages = []
        for line in rgb.open(encoding="utf-8"):
            r = json.loads(line)
            passages += [
                p for p in r.get("positive", []) + r.get("negative", []) if isinstance(p, str)
            ]
        sets["RGB passages (en)"] = passages[:limit]
    cmrc = SHARED / "cmrc2018" / "cmrc2018_dev.json"
    if cmrc.is_file():
        data = json.loads(cmrc.read_text(encoding="utf-8"))
        contexts = [p["context"] for a in data["data"] for p in a["paragraphs"]]
        sets["CMRC 2018 passages (zh)"] = contexts[:limit]
    guard = default_guard()
    model = LinearModel.load()
    out: dict[str, Any] = {}
    for name, texts in sets.items():
        chunk_hits = sum(_injection(guard, t, "chunk") for t in texts)
        clf_hits = sum(model.score(t) > model.threshold for t in texts)
        out[name] = {
            "chunk_false_positive": rate(chunk_hits, len(texts)),
            "classifier_would_flag": rate(int(clf_hits), len(texts)),
        }
    return out


def chinese() -> dict[str, Any]:
    rows = [json.loads(x) for x in ZH_SET.open(encoding="utf-8")]
    guard = default_guard()
    inj = [r for r in rows if r["task"] == "injection"]
    pos = [r for r in inj if r["label"] == 1]
    neg = [r for r in inj if r["label"] == 0]
    as_chunk = {r["id"]: _injection(guard, r["text"], "chunk") for r in inj}
    flagged = {r["id"]: _injection(guard, r["text"], "input") for r in inj}
    pii = [r for r in rows if r["task"] == "pii"]
    redact_total = redact_ok = keep_total = keep_ok = 0
    misses: list[str] = []
    for r in pii:
        shown = guard.scan(r["text"], "output").text
        for value in r["redact"]:
            redact_total += 1
            redact_ok += value not in shown
            if value in shown:
                misses.append(f"{r['id']}: {value} not redacted")
        for value in r["keep"]:
            keep_total += 1
            keep_ok += value in shown
            if value not in shown:
                misses.append(f"{r['id']}: {value} redacted but invalid")
    return {
        "injection_detection": rate(sum(flagged[r["id"]] for r in pos), len(pos)),
        "injection_false_positive": rate(sum(flagged[r["id"]] for r in neg), len(neg)),
        "chunk_detection": rate(sum(as_chunk[r["id"]] for r in pos), len(pos)),
        "chunk_false_positive": rate(sum(as_chunk[r["id"]] for r in neg), len(neg)),
        "missed_injections": [r["text"] for r in pos if not flagged[r["id"]]],
        "false_positives": [r["text"] for r in neg if flagged[r["id"]]],
        "valid_redacted": rate(redact_ok, redact_total),
        "invalid_left_alone": rate(keep_ok, keep_total),
        "pii_mistakes": misses,
    }


def _timed(texts: list[str], run: Any) -> tuple[float, float]:
    """(CPU ms, wall ms) per text, median of 3 passes. CPU time is what a scan costs;
    wall time also counts whatever else the machine is doing."""
    cpu, wall = [], []
    for _ in range(3):
        c0, w0 = time.process_time(), time.perf_counter()
        for t in texts:
            run(t)
        cpu.append((time.process_time() - c0) / len(texts) * 1000)
        wall.append((time.perf_counter() - w0) / len(texts) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def latency() -> dict[str, Any]:
    guard = default_guard()
    rows = [json.loads(x) for x in (DATA / "deepset_prompt_injections_all662.jsonl").open()]
    en = " ".join(str(r["text"]) for r in rows)
    zh = "".join(json.loads(x)["text"] for x in ZH_SET.open(encoding="utf-8"))
    out: dict[str, Any] = {}
    for lang, corpus in (("en/de (deepset)", en), ("zh (own set)", zh)):
        # 50 windows of 1,000 characters (the Chinese set is short: it is cycled).
        text = corpus * (1 + 50_000 // len(corpus))
        texts = [text[i * 997 : i * 997 + 1000] for i in range(50)]
        for direction in ("input", "chunk", "output"):
            for t in texts[:5]:
                guard.scan(t, direction)  # type: ignore[arg-type]  # warm-up
            out[f"{lang} {direction}"] = _timed(
                texts,
                lambda t, d=direction: guard.scan(t, d),  # type: ignore[misc]
            )
        out[f"{lang} output streamed in 4-char pieces"] = _timed(
            texts[:10],
            lambda t: list(
                StreamFilter(guard, "output").filter(
                    iter([t[i : i + 4] for i in range(0, 1000, 4)])
                )
            ),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="guard benchmark")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    shipped = LinearModel.load()
    report = {
        "deepset": deepset_cv(args.folds, args.seed),
        "giskard_shipped_guard": giskard(),
        "benign_documents_shipped_guard": benign_documents(),
        "indirect_in_scifact_shipped_guard": indirect(args.seed),
        "chinese_set_shipped_guard": chinese(),
        "latency_ms_per_1000_chars": latency(),
        "shipped_model": {"buckets": shipped.buckets, "threshold": shipped.threshold},
    }
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return
    d = report["deepset"]
    print(f"deepset ({d['examples']} texts, {d['injections']} injections), {d['folds']}-fold CV")
    for name in ("rules_only", "classifier_only_cv", "rules_plus_classifier_cv"):
        print(f"  {name:26s} detection {fmt(d[name]['detection'])}")
        print(f"  {'':26s} false pos. {fmt(d[name]['false_positive'])}")
    p = d["planted_in_scifact_as_chunks_cv"]
    if p:
        print("  deepset texts planted in SciFact abstracts, scanned as chunks, CV:")
        print(f"    detection (rules + sentence classifier) {fmt(p['detection'])}")
        print(f"    false positives (benign texts planted)  {fmt(p['false_positive'])}")
        print(f"    detection, rules alone                  {fmt(p['detection_rules_only'])}")
    g = report["giskard_shipped_guard"]
    print("giskard (35 attacks, not fitted on), detection:")
    print(f"  as a question (rules + classifier) {fmt(g['input']['detection'])}")
    print(f"  as a chunk (rules + sentences)     {fmt(g['chunk']['detection'])}")
    print("indirect: attacks inserted mid-way into SciFact abstracts, scanned as chunks:")
    for name, r in report["indirect_in_scifact_shipped_guard"].items():
        print(f"  {name:24s} detection {fmt(r)}")
    print("benign documents scanned as chunks (shipped guard):")
    for name, b in report["benign_documents_shipped_guard"].items():
        print(f"  {name:24s} false positives {fmt(b['chunk_false_positive'])}")
        print(f"  {'':24s} classifier would flag {fmt(b['classifier_would_flag'])}")
    z = report["chinese_set_shipped_guard"]
    print("Chinese set (bench/data/zh_guard_set.jsonl, not fitted on):")
    print(f"  injection detection, as a question  {fmt(z['injection_detection'])}")
    print(f"  false positives, as a question      {fmt(z['injection_false_positive'])}")
    print(f"  injection detection, as a chunk     {fmt(z['chunk_detection'])}")
    print(f"  false positives, as a chunk         {fmt(z['chunk_false_positive'])}")
    print(f"  valid IDs+cards redacted  {fmt(z['valid_redacted'])}")
    print(f"  invalid ones left alone   {fmt(z['invalid_left_alone'])}")
    for text in z["missed_injections"]:
        print(f"    missed: {text}")
    for text in z["false_positives"]:
        print(f"    false positive: {text}")
    for text in z["pii_mistakes"]:
        print(f"    pii: {text}")
    print("latency, ms per scan of 1,000 characters (50 texts, median of 3 passes):")
    print(f"  {'':42s} {'CPU':>7s} {'wall':>7s}")
    for name, (cpu, wall) in report["latency_ms_per_1000_chars"].items():
        print(f"  {name:42s} {cpu:7.3f} {wall:7.3f}")


if __name__ == "__main__":
    main()
