"""The server against hostile requests and files: cross-site writes (Origin), long
non-ASCII upload names, and an upload that is a zip bomb."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import hostile_corpus
import pytest
from conftest import KEY, LOCAL, wait_job
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ragkit.apps.web.security import same_origin
from ragkit.apps.web.uploads import MAX_NAME_BYTES, safe_name


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://LOCALHOST:8000", "localhost:8000", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),
        ("https://evil.example", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        ("file://", "127.0.0.1:8000", False),
    ],
)
def test_same_origin(origin: str, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same


def test_foreign_origin_cannot_change_data(client: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    r = client.post("/api/collections", json={"name": "x"}, headers=evil)
    assert r.status_code == 403 and "another site" in r.json()["error"]["message"]
    cid = client.post("/api/collections", json={"name": "t"}, headers={"Origin": LOCAL}).json()[
        "id"
    ]
    upload = client.post(
        f"/api/collections/{cid}/documents",
        files=[("files", ("a.txt", b"some text here"))],
        headers=evil,
    )
    assert upload.status_code == 403
    assert client.delete(f"/api/collections/{cid}", headers={"Origin": "null"}).status_code == 403
    # Reading is not a write; a request without Origin (curl, SDKs) is not a browser's.
    assert client.get("/api/collections", headers=evil).status_code == 200
    assert client.delete(f"/api/collections/{cid}").status_code == 200


def test_foreign_origin_with_the_api_key_passes(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(api_key=KEY), base_url=LOCAL) as c:
        headers = {"Origin": "https://tool.example", "Authorization": f"Bearer {KEY}"}
        assert c.post("/api/collections", json={"name": "x"}, headers=headers).status_code == 201
        headers["Authorization"] = "Bearer wrong"
        assert c.post("/api/collections", json={"name": "x"}, headers=headers).status_code == 403


def test_long_cjk_name_is_cut_by_bytes(client: TestClient, tmp_path: Path) -> None:
    name = "长" * 200 + ".txt"
    safe = safe_name(name)
    assert len(safe.encode()) <= MAX_NAME_BYTES and safe.endswith("长.txt")
    cid = client.post("/api/collections", json={"name": "t"}).json()["id"]
    r = client.post(
        f"/api/collections/{cid}/documents", files=[("files", (name, "长文件名的内容。".encode()))]
    )
    assert r.status_code == 202, r.text
    assert wait_job(client, r.json()["job"]["id"])["state"] == "done"
    (stored,) = (tmp_path / "data" / "collections" / cid / "uploads").iterdir()
    assert stored.name == safe


def test_zip_bomb_upload_fails_as_one_file(client: TestClient) -> None:
    cid = client.post("/api/collections", json={"name": "t"}).json()["id"]
    r = client.post(
        f"/api/collections/{cid}/documents",
        files=[
            ("files", ("bomb.docx", hostile_corpus.zip_bomb_docx(32 * 1024 * 1024))),
            ("files", ("fine.txt", b"The kettle warranty lasts seven years.")),
        ],
    )
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["job"]["id"])
    assert "zip bomb" in repr(job), job
    docs = client.get(f"/api/collections/{cid}/documents").json()["documents"]
    status = {d["name"]: (d["status"], d["reason"]) for d in docs}
    assert status["fine.txt"] == ("indexed", "")
    assert status["bomb.docx"][0] == "not indexed" and "zip bomb" in status["bomb.docx"][1]
