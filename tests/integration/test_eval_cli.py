"""`ragkit eval retrieval` through the real CLI and the bundled embedding model."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from processes import run_ragkit

pytestmark = pytest.mark.slow(
    reason="the real CLI in subprocesses with the bundled embedding model"
)

DOCS = {
    "d1": ("Kettles", "The Ember kettle carries an eighteen month warranty."),
    "d2": ("Oolong", "Oolong tea is partly oxidised before it is rolled and fired."),
    "d3": ("Altitude", "雾溪茶园位于云南，平均海拔一千六百五十米。"),
    "d4": ("Storage", "Keep green tea sealed, cool and away from light."),
}
QUERIES = {
    "q1": ("How long is the kettle warranty?", "d1"),
    "q2": ("How is oolong tea processed?", "d2"),
    "q3": ("茶园的海拔是多少", "d3"),
}


def _beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    with open(root / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc_id, (title, text) in DOCS.items():
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with open(root / "queries.jsonl", "w", encoding="utf-8") as fh:
        for qid, (text, _) in QUERIES.items():
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t1" for q, (_, d) in QUERIES.items()]
    (root / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")
    return root


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAGKIT_INDEX__HOME": str(home)}
    return run_ragkit(args, env=env)


def test_eval_retrieval_scores_and_reuses_its_index(tmp_path: Path) -> None:
    data = _beir(tmp_path / "mini")
    args = ["eval", "retrieval", "--dataset", f"beir:{data}", "--mode", "bm25", "--json"]
    first = _run(args, tmp_path / "home")
    assert first.returncode == 0, first.stderr
    scores = json.loads(first.stdout)
    assert [s["mode"] for s in scores] == ["bm25"]
    assert scores[0]["ndcg_10"] == pytest.approx(1.0)
    assert scores[0]["recall_1"] == pytest.approx(1.0) and scores[0]["queries"] == 3
    second = _run(args, tmp_path / "home")
    assert second.returncode == 0, second.stderr
    assert "reused" in second.stderr or "unchanged" in second.stderr
    table = _run(
        ["eval", "retrieval", "--dataset", f"beir:{data}", "-m", "dense"], tmp_path / "home"
    )
    assert table.returncode == 0 and "nDCG@10" in table.stdout and "dense" in table.stdout


def test_eval_with_a_bad_dataset_is_one_clear_line(tmp_path: Path) -> None:
    for spec in ("beir:/no/such/dir", "squad:/no/such.json", "trec:x"):
        done = _run(["eval", "retrieval", "--dataset", spec], tmp_path)
        assert done.returncode == 1, done.stdout
        assert "Traceback" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
