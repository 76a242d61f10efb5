"""A live `ragkit serve` (127.0.0.1) fed the hostile uploads: it stays up and bounded.

The zip-bomb DOCX, the DOCX of 300,000 paragraphs, HTML nested 100,000 deep and a
JSON-lines file with one 100,000-deep line are uploaded with a good file in one request.
The job finishes, each bad file is one reason, the good files are indexed, the server
still answers, and the peak RSS of the server's process tree (the server and its parsing
workers, measured with getrusage by a wrapper that stops it) stays under a bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import hostile_corpus
import httpx
import pytest
from ceilings import HANG_S, wait_until

pytestmark = pytest.mark.slow(
    reason="a real `ragkit serve` subprocess indexing hostile uploads with the bundled embedder"
)

# Measured about 0.3 GB; before the loaders were bounded one zip bomb took 4.4 GB.
PEAK_RSS_BOUND = 1536 * 1024 * 1024

# Starts the server, forwards SIGTERM to it as SIGINT (a clean stop), then prints its
# exit status and the peak RSS (KiB) of its process tree.
_MEASURE = """
import resource, signal, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGINT))
code = proc.wait()
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_survives_hostile_uploads(tmp_path: Path) -> None:
    corpus = hostile_corpus.make(tmp_path / "docs", unreadable_folder=False)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH")) if p
    )
    command = [sys.executable, "-m", "ragkit", "serve", "--port", str(port)]
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _MEASURE, *command, "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=HANG_S) as client:

            def healthy() -> bool:
                try:
                    return client.get("/healthz").status_code == 200
                except httpx.TransportError:
                    assert wrapper.poll() is None, "the server exited"
                    return False

            wait_until(healthy, "the server to answer /healthz")
            cid = client.post("/api/collections", json={"name": "hostile"}).json()["id"]
            names = [
                "bomb.docx",
                "paragraphs.docx",
                "deep.html",
                "lines.jsonl",
                "english.txt",
                "report.docx",
            ]
            files = [("files", (n, (corpus.root / n).read_bytes())) for n in names]
            r = client.post(f"/api/collections/{cid}/documents", files=files)
            assert r.status_code == 202, r.text
            job_id = r.json()["job"]["id"]

            def finished() -> dict[str, object] | None:
                job: dict[str, object] = client.get(f"/api/jobs/{job_id}").json()
                return job if job["state"] in ("done", "failed") else None

            wait_until(finished, "the upload's indexing job to finish")
            docs = client.get(f"/api/collections/{cid}/documents").json()["documents"]
            status = {d["name"]: (d["status"], d["reason"]) for d in docs}
            assert status["english.txt"][0] == "indexed"
            assert status["report.docx"][0] == "indexed"
            assert status["lines.jsonl"][0] == "indexed"
            assert "zip bomb" in status["bomb.docx"][1]
            assert "paragraphs" in status["paragraphs.docx"][1]
            assert "levels deep" in status["deep.html"][1]
            assert client.get("/healthz").status_code == 200
    finally:
        wrapper.send_signal(signal.SIGTERM)
        _, err = wrapper.communicate(timeout=HANG_S)
    assert "Traceback" not in err, err
    code, kib = err.strip().splitlines()[-1].split()
    peak = int(kib) * 1024
    print(f"server exit {code}, peak RSS of the server's process tree: {peak / 2**20:.0f} MiB")
    assert peak < PEAK_RSS_BOUND
