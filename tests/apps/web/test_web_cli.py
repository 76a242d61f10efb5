"""`ragkit serve` as a process: it serves an existing index read-only beside the
collections, answers on 127.0.0.1, and stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from browser import wait_for
from ceilings import HANG_S
from conftest import free_port
from processes import child_env, run_ragkit

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.options import Models

ROOT = Path(__file__).resolve().parents[3]


def test_serve_an_existing_index(tmp_path: Path) -> None:
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nThe kettle boils in four minutes.\n")
    # Listing needs no model, so an index built with the fake embedder will do.
    KnowledgeBase.open(
        tmp_path / "indexes" / "notes", models=Models(embedder=HashingEmbedder())
    ).add([doc])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env.update(PYTHONPATH=str(ROOT), RAGKIT_SERVER__DATA_DIR="srv")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragkit", "serve", "--index", "notes", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    # httpx's default 5 s timeout is a speed assumption: a loaded machine answers later.
    http = httpx.Client(base_url=url, timeout=HANG_S)

    def up() -> bool:
        assert proc.poll() is None, f"ragkit serve exited: {proc.communicate()[0]}"
        return http.get("/healthz").status_code == 200

    try:
        wait_for(up, HANG_S, "ragkit serve")
        models = http.get("/v1/models").json()["data"]
        # The served index, then the embedding model /v1/embeddings offers.
        assert [m["id"] for m in models] == ["notes", "all-MiniLM-L6-v2-onnx-qint8"]
        docs = http.get("/api/collections/notes/documents").json()["documents"]
        assert [(d["name"], d["status"]) for d in docs] == [("notes.md", "indexed")]
        page = http.get("/")
        assert page.status_code == 200 and "<title>ragkit" in page.text
        assert http.get("/static/app.js").text.startswith("// ragkit's document Q&A page")
    finally:
        http.close()
        proc.terminate()
        out, _ = proc.communicate(timeout=HANG_S)
    assert out.startswith(f"ragkit serving on http://127.0.0.1:{port}/ (data in srv)"), out
    assert "Traceback" not in out and (tmp_path / "srv" / "collections").is_dir()


def test_two_served_indexes_may_not_share_a_name(tmp_path: Path) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("kettles")
    for where in ("one", "two"):
        KnowledgeBase.open(
            tmp_path / where / "docs", models=Models(embedder=HashingEmbedder())
        ).add([doc])
    done = run_ragkit(["serve", "-i", "one/docs", "-i", "two/docs"], cwd=tmp_path, env=child_env())
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "two --index values are both named 'docs'" in done.stderr
