"""The page's JSON API over the fake models: collections, uploads and their indexing
jobs, streamed answers, the cited page's text, deletion, and clear errors for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import HANDBOOK_PAGES, LOCAL, fake_factory, make_pdf, wait_job
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app
from ragkit.apps.web.pages import passage_span
from ragkit.options import Models


def new_collection(client: TestClient, name: str = "Ember docs") -> str:
    response = client.post("/api/collections", json={"name": name})
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


def upload(client: TestClient, cid: str, *files: tuple[str, bytes]) -> dict[str, Any]:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    response = client.post(f"/api/collections/{cid}/documents", files=parts)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json()["job"]["id"])


def ask_events(client: TestClient, cid: str, question: str) -> list[tuple[str, Any]]:
    with client.stream("POST", f"/api/collections/{cid}/ask", json={"question": question}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        # Progress events (which conversation, what the server is doing) are tested apart.
        if lines["event"] not in ("conversation", "status"):
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_upload_index_ask_view_page_and_delete(client: TestClient, handbook: Path) -> None:
    cid = new_collection(client)
    job = upload(client, cid, ("handbook.pdf", handbook.read_bytes()))
    assert job["state"] == "done" and job["files_done"] == 1
    assert job["chunks_total"] == job["chunks_done"] == 3  # one passage per page
    assert job["outcomes"] == [
        {"file": "handbook.pdf", "status": "indexed", "reason": "", "chunks": 3}
    ]
    docs = client.get(f"/api/collections/{cid}/documents").json()["documents"]
    assert docs == [
        {"name": "handbook.pdf", "chunks": 3, "pages": 3, "status": "indexed", "reason": ""}
    ]

    events = ask_events(client, cid, "How many years is the warranty of the Ember kettle?")
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "sources" and kinds[-1] == "done" and kinds.count("text") > 3
    streamed = "".join(data["text"] for kind, data in events if kind == "text")
    done = events[-1][1]
    assert done["text"] == streamed.strip() and "[1]" in done["text"]
    cited = done["citations"][0]
    assert (cited["number"], cited["file"], cited["page_start"]) == (1, "handbook.pdf", 2)
    assert cited["location"] == "handbook.pdf p. 2"
    assert "seven years" in cited["snippet"]

    view = client.get(f"/api/collections/{cid}/chunks/{cited['chunk_id']}/page").json()
    assert (view["file"], view["page"], view["pages"], view["exact"]) == (
        "handbook.pdf",
        2,
        3,
        True,
    )
    assert "Warranty terms" in view["text"]
    (start, end), *_ = view["highlights"]
    assert "seven years" in view["text"][start:end]
    other = client.get(f"/api/collections/{cid}/chunks/{cited['chunk_id']}/page?page=3").json()
    assert other["page"] == 3 and "Descale" in other["text"] and other["highlights"] == []

    stored = Path("data/collections") / cid / "uploads" / "handbook.pdf"  # tests run in tmp_path
    assert stored.read_bytes() == handbook.read_bytes()
    removed = client.delete(f"/api/collections/{cid}/documents/handbook.pdf")
    assert removed.status_code == 200 and removed.json() == {"removed": ["handbook.pdf"]}
    assert client.get(f"/api/collections/{cid}/documents").json()["documents"] == []
    assert not stored.exists()
    gone = client.get(f"/api/collections/{cid}/chunks/{cited['chunk_id']}/page")
    assert gone.status_code == 404 and "no passage" in gone.json()["error"]["message"]


def test_text_formats_show_a_window_of_the_document(client: TestClient) -> None:
    cid = new_collection(client)
    text = "# Care\n\nRinse the kettle after use.\n\nThe filter basket is dishwasher safe.\n"
    job = upload(client, cid, ("care.md", text.encode()))
    assert job["outcomes"][0]["status"] == "indexed"
    done = ask_events(client, cid, "Is the filter basket dishwasher safe?")[-1][1]
    source = next(s for s in done["sources"] if "dishwasher" in s["snippet"])
    view = client.get(f"/api/collections/{cid}/chunks/{source['chunk_id']}/page").json()
    assert view["page"] is None and view["exact"]
    (start, end), *_ = view["highlights"]
    assert "dishwasher safe" in view["text"][start:end]


def test_a_file_that_fails_to_index_is_listed_with_its_reason(client: TestClient) -> None:
    cid = new_collection(client)
    job = upload(client, cid, ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf"))
    assert job["state"] == "done"
    assert job["outcomes"][0]["status"] == "failed" and "PDF" in job["outcomes"][0]["reason"]
    (doc,) = client.get(f"/api/collections/{cid}/documents").json()["documents"]
    assert doc["name"] == "broken.pdf" and doc["status"] == "not indexed"
    assert "PDF" in doc["reason"]
    assert client.delete(f"/api/collections/{cid}/documents/broken.pdf").status_code == 200
    assert client.get(f"/api/collections/{cid}/documents").json()["documents"] == []


def test_each_upload_set_is_its_own_collection(client: TestClient, handbook: Path) -> None:
    first = new_collection(client, "Kettles")
    second = new_collection(client, "Gardens")
    upload(client, first, ("handbook.pdf", handbook.read_bytes()))
    upload(client, second, ("garden.txt", b"The garden pavilion was built in 1506."))

    def names(cid: str) -> list[str]:
        listing = client.get(f"/api/collections/{cid}/documents").json()["documents"]
        return [d["name"] for d in listing]

    assert names(first) == ["handbook.pdf"] and names(second) == ["garden.txt"]
    listed = [c["id"] for c in client.get("/api/collections").json()["collections"]]
    assert listed == [first, second]
    done = ask_events(client, second, "When was the pavilion built?")[-1][1]
    assert {s["file"] for s in done["sources"]} == {"garden.txt"}
    assert client.delete(f"/api/collections/{first}").json() == {"deleted": first}
    assert [c["id"] for c in client.get("/api/collections").json()["collections"]] == [second]
    assert client.get(f"/api/collections/{first}/documents").status_code == 404


def test_collections_survive_a_restart(make_app: Callable[..., FastAPI], handbook: Path) -> None:
    with TestClient(make_app(), base_url=LOCAL) as c:
        cid = new_collection(c)
        upload(c, cid, ("handbook.pdf", handbook.read_bytes()))
    folder = Path("data/collections") / cid  # tests run in tmp_path
    (folder / "staging" / "deadjob").mkdir(parents=True)  # a stop mid-upload left these
    (folder / "staging" / "deadjob" / "half.pdf").write_bytes(b"%PDF-")
    (folder / "uploads" / "orphan.md").write_text("placed, never indexed")
    with TestClient(make_app(), base_url=LOCAL) as c:
        assert [x["id"] for x in c.get("/api/collections").json()["collections"]] == [cid]
        assert not (folder / "staging").exists()
        docs = c.get(f"/api/collections/{cid}/documents").json()["documents"]
        assert [(d["name"], d["status"]) for d in docs] == [
            ("handbook.pdf", "indexed"),
            ("orphan.md", "not indexed"),
        ]
        assert ask_events(c, cid, "warranty years")[-1][0] == "done"


def test_an_existing_index_is_served_read_only(tmp_path: Path, handbook: Path) -> None:
    model = ScriptedChatModel(["It is seven years [1]."])
    factory = fake_factory(model)
    kb = factory(tmp_path / "cli-index")
    kb.add([handbook])
    config = WebConfig(data_dir=tmp_path / "data", served_indexes={"docs": tmp_path / "cli-index"})
    with TestClient(create_app(config, factory), base_url=LOCAL) as c:
        models = c.get("/v1/models").json()["data"]
        assert [m["id"] for m in models] == ["docs"]
        summary = c.get("/api/collections").json()["collections"][0]
        made = int((tmp_path / "cli-index" / "manifest.json").stat().st_mtime)
        assert summary == {"id": "docs", "name": "docs", "read_only": True, "created": made}
        assert [
            d["name"] for d in c.get("/api/collections/docs/documents").json()["documents"]
        ] == ["handbook.pdf"]
        refused = [
            c.post("/api/collections/docs/documents", files=[("files", ("a.txt", b"x"))]),
            c.delete("/api/collections/docs/documents/handbook.pdf"),
            c.delete("/api/collections/docs"),
        ]
        for response in refused:
            assert response.status_code == 403
            message = response.json()["error"]["message"]
            # The commands that change it, as typed where the server runs; no folder.
            assert "read-only" in message and "ragkit index DOCS --index docs" in message
            assert "PATH" not in message and str(tmp_path) not in message, message
        # The quoted evidence leads; the model's words follow it.
        assert "It is seven years [1]." in ask_events(c, "docs", "warranty?")[-1][1]["text"]
    assert KnowledgeBase.open(
        tmp_path / "cli-index", models=Models(embedder=HashingEmbedder())
    ).exists


def test_bad_requests_get_json_errors_naming_the_problem(client: TestClient) -> None:
    def error(response: Any, status: int) -> str:
        assert response.status_code == status, response.text
        message: str = response.json()["error"]["message"]
        return message

    assert "no collection or index named 'nope'" in error(
        client.get("/api/collections/nope/documents"), 404
    )
    cid = new_collection(client)
    assert "no indexed documents yet" in error(
        client.post(f"/api/collections/{cid}/ask", json={"question": "hi?"}), 409
    )
    assert "question is empty" in error(
        client.post(f"/api/collections/{cid}/ask", json={"question": "  "}), 400
    )
    assert "question" in error(client.post(f"/api/collections/{cid}/ask", json={}), 400)
    assert "invalid request" in error(
        client.post(
            f"/api/collections/{cid}/ask",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        400,
    )
    assert "name" in error(client.post("/api/collections", json={"name": ""}), 400)
    assert "no indexing job" in error(client.get("/api/jobs/123"), 404)
    assert "multipart form field 'files'" in error(
        client.post(f"/api/collections/{cid}/documents", data={"other": "x"}), 400
    )
    assert "appears twice" in error(
        client.post(
            f"/api/collections/{cid}/documents",
            files=[("files", ("a.txt", b"one")), ("files", ("a.txt", b"two"))],
        ),
        400,
    )
    assert "no document 'missing.pdf'" in error(
        client.delete(f"/api/collections/{cid}/documents/missing.pdf"), 404
    )


def test_page_number_out_of_range(client: TestClient, tmp_path: Path) -> None:
    cid = new_collection(client)
    upload(
        client, cid, ("two.pdf", make_pdf(tmp_path / "two.pdf", HANDBOOK_PAGES[:2]).read_bytes())
    )
    chunk_id = ask_events(client, cid, "warranty")[0][1]["sources"][0]["chunk_id"]
    response = client.get(f"/api/collections/{cid}/chunks/{chunk_id}/page?page=9")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "two.pdf has no page 9; it has 2 pages"


def test_a_changed_or_missing_file_falls_back_to_the_indexed_passage(
    client: TestClient, handbook: Path, tmp_path: Path
) -> None:
    cid = new_collection(client)
    upload(client, cid, ("handbook.pdf", handbook.read_bytes()))
    chunk_id = ask_events(client, cid, "warranty seven years")[0][1]["sources"][0]["chunk_id"]
    url = f"/api/collections/{cid}/chunks/{chunk_id}/page"
    first = client.get(url).json()
    assert first["exact"] and first["page"] == 2
    assert client.get(url).json() == first  # served again from the document cache
    stored = tmp_path / "data" / "collections" / cid / "uploads" / "handbook.pdf"
    make_pdf(stored, ["Entirely different text now.", "Nothing about kettles."])
    changed = client.get(url).json()  # the cache notices the new size and mtime
    assert not changed["exact"] and "seven years" in changed["text"]
    assert changed["highlights"] == [[0, len(changed["text"])]]
    # The cited sentence is still lit on its own in the stored passage (before: the
    # whole passage, a quote of it all).
    sentence = "The Ember brewing kettle carries a warranty of seven years"
    cited = client.get(url, params={"sentence": sentence}).json()
    (start, end), *_ = cited["highlights"]
    assert not cited["exact"] and cited["text"][start:end] == sentence, cited
    stored.unlink()
    assert not client.get(url).json()["exact"]


@pytest.mark.parametrize(
    ("page", "passage", "marked"),
    [
        ("Intro. The whole passage. Outro.", "The whole passage.", "The whole passage."),
        # A passage over a page break: its beginning ends this page...
        (
            "Intro. Warranty terms start here",
            "Warranty terms start here\n\nand end.",
            "Warranty terms start here",
        ),
        # ...or its end opens the next one.
        (
            "and the rest of the warranty follows. Next topic.",
            "Terms.\n\nand the rest of the warranty follows.",
            "and the rest of the warranty follows.",
        ),
        (
            "a page wholly inside the passage",
            "before\n\na page wholly inside the passage\n\nafter",
            "a page wholly inside the passage",
        ),
        ("Nothing in common with it at all.", "Warranty of seven years.", None),
        ("ends with a dot.", "And.", None),  # a chance overlap this short is not marked
    ],
)
def test_passage_span_marks_the_part_of_a_passage_on_a_page(
    page: str, passage: str, marked: str | None
) -> None:
    span = passage_span(page, passage)
    assert (page[span[0] : span[1]] if span is not None else None) == marked
