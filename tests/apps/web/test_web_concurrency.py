"""Many requests at once against a real uvicorn server: questions, uploads and deletions
interleave, every request succeeds, and the index afterwards opens, verifies and holds
exactly what the last writes left. Also: the model queue's limit and cancellation.

The fake models here hold their work back until the test has seen what it checks (a
question queued, a progress step), so no assertion depends on the machine's speed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from ceilings import HANG_S, wait_until
from conftest import ThreadServer, fake_factory, wait_job
from fastapi import FastAPI

from ragkit import ChunkerParams, HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app
from ragkit.index.engine import IndexReader
from ragkit.index.verify import problems, uncommitted, visible_state
from ragkit.models.embeddings.base import Vectors
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.options import IndexOptions, Models


def ask(client: httpx.Client, cid: str, question: str) -> list[str]:
    kinds = []
    with client.stream("POST", f"/api/collections/{cid}/ask", json={"question": question}) as r:
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():
            # Progress events (which conversation, what the server does) are tested apart.
            if line.startswith("event: ") and line not in ("event: conversation", "event: status"):
                kinds.append(line.removeprefix("event: "))
    return kinds


def test_concurrent_questions_uploads_and_deletes(
    live_server: ThreadServer, handbook: Path, tmp_path: Path
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=HANG_S) as client:
        cid = client.post("/api/collections", json={"name": "busy"}).json()["id"]
        r = client.post(
            f"/api/collections/{cid}/documents",
            files=[("files", ("handbook.pdf", handbook.read_bytes()))],
        )
        wait_job(client, r.json()["job"]["id"])

        def question(i: int) -> list[str]:
            return ask(client, cid, f"warranty years question {i}")

        def upload(i: int) -> str:
            text = f"Note {i}: the kettle model K{i} boils in {i + 2} minutes.".encode()
            r = client.post(
                f"/api/collections/{cid}/documents", files=[("files", (f"note{i}.txt", text))]
            )
            assert r.status_code == 202, r.text
            job = wait_job(client, r.json()["job"]["id"])
            assert job["state"] == "done" and job["outcomes"][0]["status"] == "indexed", job
            if i % 2:  # delete every other note again, racing the other writes
                d = client.delete(f"/api/collections/{cid}/documents/note{i}.txt")
                assert d.status_code == 200, d.text
            return f"note{i}.txt"

        with ThreadPoolExecutor(12) as pool:
            asked = [pool.submit(question, i) for i in range(24)]
            added = [pool.submit(upload, i) for i in range(8)]
            answers = [f.result() for f in asked]
            [f.result() for f in added]
        for kinds in answers:  # queued ones first hear `waiting`, then the answer
            answered = kinds[kinds.count("waiting") :]
            assert answered[0] == "sources" and answered[-1] == "done", kinds
            assert "waiting" not in answered
        docs = client.get(f"/api/collections/{cid}/documents").json()["documents"]
        expected = ["handbook.pdf"] + [f"note{i}.txt" for i in range(0, 8, 2)]
        assert [d["name"] for d in docs] == sorted(expected)

    index_dir = tmp_path / "data" / "collections" / cid / "index"
    reader = IndexReader.open(index_dir, verify=True)  # checksums of every data file
    try:
        assert problems(reader) == []
        assert uncommitted(index_dir, reader.generation) == (0, 0)
        assert {Path(source).name for source, _, _ in visible_state(reader)} == set(expected)
    finally:
        reader.close()


class SlowModel(ScriptedChatModel):
    """A chat model that yields `pieces` words, `delay` seconds apart, counting them: a
    sentence the seeded document supports, then words without end. With `held`, each
    answer waits for `go` before its first word: the test keeps the model busy until it
    has seen what it checks. (The scripted model's window and token count, not its
    replies.)"""

    def __init__(self, pieces: int = 400, delay: float = 0.01, held: bool = False) -> None:
        super().__init__(["(unused: SlowModel streams its own words)"])
        self.pieces = pieces
        self.delay = delay
        self.pulled = 0
        self.started = threading.Event()
        self.go = threading.Event()
        if not held:
            self.go.set()

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        self.started.set()
        self.go.wait(HANG_S)
        for i in range(self.pieces):
            time.sleep(self.delay)
            self.pulled += 1
            yield ("Kettles ", "boil ", "water. ")[i] if i < 3 else f"w{i} "


def slow_app(tmp_path: Path, model: SlowModel, **options: object) -> FastAPI:
    config = WebConfig(data_dir=tmp_path / "data", **options)  # type: ignore[arg-type]
    return create_app(config, fake_factory(model))  # type: ignore[arg-type]


def seeded(client: httpx.Client) -> str:
    cid: str = client.post("/api/collections", json={"name": "s"}).json()["id"]
    r = client.post(
        f"/api/collections/{cid}/documents", files=[("files", ("a.txt", b"kettles boil water"))]
    )
    wait_job(client, r.json()["job"]["id"])
    return cid


def test_a_full_queue_answers_503_at_once(tmp_path: Path) -> None:
    model = SlowModel(pieces=5, delay=0, held=True)
    app = slow_app(tmp_path, model, max_pending_questions=1)
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = seeded(client)
        first = threading.Thread(target=ask, args=(client, cid, "kettles?"))
        first.start()
        assert model.started.wait(HANG_S)
        # "At once": the answer comes while the model is still held on the first question.
        r = client.post(f"/api/collections/{cid}/ask", json={"question": "again?"})
        assert r.status_code == 503 and not model.go.is_set() and model.pulled == 0
        assert "already waiting for the model" in r.json()["error"]["message"]
        model.go.set()
        first.join()
        assert ask(client, cid, "do kettles boil water now?")[-1] == "done"


def test_a_client_that_leaves_stops_its_answer(tmp_path: Path) -> None:
    model = SlowModel(pieces=100_000, delay=0.01)  # 1,000 s if read to the end
    app = slow_app(tmp_path, model)
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = seeded(client)
        with client.stream(
            "POST", f"/api/collections/{cid}/ask", json={"question": "kettles?"}
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and "Kettles" in line:
                    break  # leave mid-answer
        wait_until(lambda: app.state.web.models.pending == 0, "the question to be cancelled")
        assert model.pulled < model.pieces  # stopped, not read to the end
        # The next answer is read to its end: the model's one sentence (the checker stops
        # a model that goes on to repeat the quote leading the answer, so no more words).
        model.pulled, model.pieces = 0, 3
        kinds = ask(client, cid, "do kettles still boil water?")
        assert kinds[-1] == "done" and model.pulled == 3


def test_sse_text_events_are_valid_json(live_server: ThreadServer, handbook: Path) -> None:
    with httpx.Client(base_url=live_server.url, timeout=HANG_S) as client:
        cid = client.post("/api/collections", json={"name": "j"}).json()["id"]
        tricky = b'Line one\nline two with "quotes" and data: inside\n\nevent: fake\n'
        r = client.post(f"/api/collections/{cid}/documents", files=[("files", ("t.txt", tricky))])
        wait_job(client, r.json()["job"]["id"])
        with client.stream("POST", f"/api/collections/{cid}/ask", json={"question": "quotes"}) as s:
            events = [line for line in s.iter_lines() if line]
        names = [e for e in events if e.startswith("event: ")]
        datas = [json.loads(e.removeprefix("data: ")) for e in events if e.startswith("data: ")]
        assert len(names) == len(datas) and "event: fake" not in names
        assert "data: inside" in datas[-1]["sources"][0]["snippet"]


def test_a_waiting_question_hears_its_place_in_the_queue(tmp_path: Path) -> None:
    model = SlowModel(pieces=5, delay=0, held=True)
    app = slow_app(tmp_path, model)
    app.state.web.models.heartbeat = 0.2
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = seeded(client)
        first = threading.Thread(target=ask, args=(client, cid, "kettles?"))
        first.start()
        assert model.started.wait(HANG_S)
        events = []
        with client.stream(
            "POST", f"/api/collections/{cid}/ask", json={"question": "do kettles boil?"}
        ) as r:
            for line in r.iter_lines():
                if line.startswith(("event: ", "data: ")):
                    events.append(line)
                if line == 'data: {"ahead": 1}':
                    model.go.set()  # heard its place: now the first answer may finish
        first.join()
        # The stream opens with its conversation and a first status; the queue follows.
        assert events[0] == "event: conversation" and events[2:4] == [
            "event: status",
            'data: {"stage": "queued"}',
        ]
        events = events[4:]
        assert events[:2] == ["event: waiting", 'data: {"ahead": 1}']
        kinds = [e for e in events if e.startswith("event: ")]
        assert kinds[-1] == "event: done" and "event: sources" in kinds
        assert kinds.index("event: sources") > max(
            i for i, k in enumerate(kinds) if k == "event: waiting"
        )

        # OpenAI clients get the wait as SSE comments, which they skip.
        model.go.clear()
        model.started.clear()
        second = threading.Thread(target=ask, args=(client, cid, "kettles?"))
        second.start()
        assert model.started.wait(HANG_S)
        body = {
            "model": cid,
            "stream": True,
            "messages": [{"role": "user", "content": "do kettles boil?"}],
        }
        lines = []
        with client.stream("POST", "/v1/chat/completions", json=body) as r:
            for line in r.iter_lines():
                if line:
                    lines.append(line)
                if line.startswith(": waiting"):
                    model.go.set()
        second.join()
        assert lines[0].startswith("data: ") and '"role": "assistant"' in lines[0]
        assert lines[1] == ": waiting for the model, 1 questions ahead"
        assert lines[-1] == "data: [DONE]"


class SteppedEmbedder(HashingEmbedder):
    """Embeds a batch per permit: the test hands one out each time it has seen a step of
    the progress, so it sees every step (a poll of a fast job sees fewer)."""

    def __init__(self) -> None:
        super().__init__(batch_size=1)
        self.permits = threading.Semaphore(0)

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.permits.acquire(timeout=HANG_S)
        return super().embed_batch(texts)


def test_indexing_progress_as_server_sent_events(tmp_path: Path) -> None:
    embedder = SteppedEmbedder()
    chunker = ChunkerParams(chunk_size=120, chunk_overlap=0)
    config = WebConfig(data_dir=tmp_path / "data")
    app = create_app(
        config,
        lambda path: KnowledgeBase.open(
            path,
            models=Models(embedder=embedder, chat_model=ScriptedChatModel(["x"])),
            index=IndexOptions(chunker=chunker),
        ),
    )
    para = "Paragraph {} about kettle {}: its lid closes tightly and keeps the tea warm for hours."
    text = "\n\n".join(para.format(i, i) for i in range(6))
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = client.post("/api/collections", json={"name": "p"}).json()["id"]
        r = client.post(
            f"/api/collections/{cid}/documents", files=[("files", ("p.txt", text.encode()))]
        )
        job_id = r.json()["job"]["id"]
        snaps = []
        stepped: set[int] = set()
        with client.stream("GET", f"/api/jobs/{job_id}/events") as s:
            assert s.headers["content-type"].startswith("text/event-stream")
            for line in s.iter_lines():
                if line.startswith("data: "):
                    snaps.append(json.loads(line.removeprefix("data: ")))
                    step = snaps[-1]["chunks_done"]
                    if snaps[-1]["stage"] == "embedding" and step not in stepped:
                        stepped.add(step)
                        embedder.permits.release()  # seen this step: on to the next
                else:
                    assert line in ("", "event: progress"), line
        assert snaps[-1]["state"] == "done" and snaps[-1]["chunks_done"] == 6
        embedded = [s["chunks_done"] for s in snaps if s["stage"] == "embedding"]
        assert len(set(embedded)) >= 3 and embedded == sorted(embedded)  # seen moving
        assert client.get("/api/jobs/nope/events").status_code == 404
