"""Schemathesis over the server's own OpenAPI schema, every check on (`--checks all`): the
server answers each generated request (valid and invalid) as its schema says, with no
5xx. A real uvicorn server on 127.0.0.1 over the fake models, with one indexed collection
and one served read-only index whose ids the run is given, so requests reach past the
404s. The case budget is small by default; RAGKIT_FUZZ_EXAMPLES raises it (the issue's
run used thousands). No check is excluded.

By hand, against any running server:
    st run http://127.0.0.1:8321/openapi.json --checks all -n 50 -w 1
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from ceilings import HANG_S
from conftest import ThreadServer, cite_first_source, fake_factory, wait_job

from ragkit import HashingEmbedder, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app

pytest.importorskip("schemathesis")
pytestmark = pytest.mark.slow(
    reason="a fuzzer in a subprocess sends hundreds of requests to a live server"
)


def test_schemathesis_all_checks_pass(tmp_path: Path, handbook: Path) -> None:
    factory = fake_factory(ScriptedChatModel([cite_first_source]))
    factory(tmp_path / "served").add([handbook])
    config = WebConfig(
        data_dir=tmp_path / "data", served_indexes={"docs": tmp_path / "served"}, max_collections=50
    )
    app = create_app(config, factory, HashingEmbedder())
    with ThreadServer(app) as server:
        with httpx.Client(base_url=server.url, timeout=HANG_S) as client:
            cid = client.post("/api/collections", json={"name": "Ember"}).json()["id"]
            r = client.post(
                f"/api/collections/{cid}/documents",
                files=[("files", ("handbook.pdf", handbook.read_bytes(), "application/pdf"))],
            )
            wait_job(client, r.json()["job"]["id"])
        settings = tmp_path / "schemathesis.toml"
        settings.write_text(
            '[parameters]\n"path.cid" = "docs"\n"body.model" = "docs"\n',
            encoding="utf-8",
        )
        st = shutil.which("st") or str(Path(sys.executable).parent / "st")
        examples = os.environ.get("RAGKIT_FUZZ_EXAMPLES", "10")
        run = subprocess.run(
            [
                st,
                "--config-file",
                str(settings),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                examples,
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--generation-deterministic",
                "--no-shrink",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
    failures = run.stdout[run.stdout.find("FAILURES") :] if "FAILURES" in run.stdout else ""
    assert run.returncode == 0, (failures or run.stdout)[:20000] + run.stderr[-2000:]
