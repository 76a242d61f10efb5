"""The OpenAPI schema tells the truth about the server: each route declares the error
statuses it answers (with the error body) and event streams as text/event-stream; a 405
keeps its Allow header; ids beyond SQLite's range are a 400, not a 500; the per-server
limits on collections and uploaded files hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import LOCAL
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_openapi_declares_errors_and_event_streams(make_app: Callable[..., FastAPI]) -> None:
    schema: dict[str, Any] = make_app().openapi()
    paths = schema["paths"]
    chat = paths["/v1/chat/completions"]["post"]["responses"]
    assert {"200", "400", "401", "404", "409", "500", "503"} <= set(chat)
    assert set(chat["200"]["content"]) == {"application/json", "text/event-stream"}
    error_ref = chat["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.endswith("/ErrorBody")
    ask = paths["/api/collections/{cid}/ask"]["post"]["responses"]
    assert set(ask["200"]["content"]) == {"text/event-stream"}
    events = paths["/api/jobs/{job_id}/events"]["get"]["responses"]
    assert set(events["200"]["content"]) == {"text/event-stream"}
    for path, methods in paths.items():
        for method, op in methods.items():
            codes = set(op["responses"])
            assert {"401", "500"} <= codes, (method, path)
            assert "422" not in codes, (method, path)  # validation errors are 400 here


def test_405_keeps_allow_and_big_ids_are_refused(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(), base_url=LOCAL) as client:
        r = client.put("/v1/models")
        assert r.status_code == 405 and r.headers["allow"] == "GET"
        assert r.json()["error"]["type"] == "invalid_request_error"
        # Two routes share the path: Allow names both (Starlette's named only the first).
        r = client.request("OPTIONS", "/api/collections/x/documents")
        assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
        cid = client.post("/api/collections", json={"name": "c"}).json()["id"]
        r = client.get(f"/api/collections/{cid}/chunks/{2**63}/page")
        assert r.status_code == 400 and r.json()["error"]["param"] == "path.chunk_id"
        r = client.get(f"/api/collections/{cid}/chunks/1/page", params={"page": 0})
        assert r.status_code == 400


def test_collection_and_upload_limits(make_app: Callable[..., FastAPI], tmp_path: Path) -> None:
    with TestClient(make_app(max_collections=2, max_documents=1), base_url=LOCAL) as client:
        first = client.post("/api/collections", json={"name": "a"}).json()["id"]
        assert client.post("/api/collections", json={"name": "b"}).status_code == 201
        r = client.post("/api/collections", json={"name": "c"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "collection_limit"
        assert "server.max_collections" in r.json()["error"]["message"]
        files = [
            ("files", ("a.txt", b"alpha text", "text/plain")),
            ("files", ("b.txt", b"beta text", "text/plain")),
        ]
        r = client.post(f"/api/collections/{first}/documents", files=files)
        assert r.status_code == 409 and "server.max_documents" in r.json()["error"]["message"]
