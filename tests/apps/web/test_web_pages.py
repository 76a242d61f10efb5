"""The ChatPDF API: conversations kept on the server, status events, stopping an answer,
and the cited page: the supporting sentence's page (not the passage's first page), its
picture, and boxes that cover that sentence and nothing past it."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium
from ceilings import HANG_S, wait_until
from chatpdf_fakes import Gated, answer_from_sources, factory
from conftest import LOCAL, ThreadServer, make_pdf, wait_job
from fastapi.testclient import TestClient

from ragkit import ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app
from ragkit.apps.web.pdfpages import find_span, squeeze

TOPICS = ("heating", "warranty", "cleaning", "storage", "travel", "colours")
FACTS = (
    "The Ember kettle boils a full litre of water in exactly four minutes.",
    "The warranty of the Ember kettle lasts for seven years after purchase.",
    "Descale the Ember kettle every month with a spoon of citric acid.",
    "Store the Ember kettle upside down in a dry cupboard between uses.",
    "The travel pouch of the Ember kettle weighs only ninety grams.",
    "The Ember kettle is sold in copper, slate and a pale sea green.",
)
QUESTIONS = (
    "How many minutes does a litre take to boil?",
    "How many years does the warranty last?",
    "What do I descale it with every month?",
    "Where should I store it between uses?",
    "How much does the travel pouch weigh?",
    "Which colours is the kettle sold in?",
)


def fact_pages() -> list[str]:
    pages = []
    for topic, fact in zip(TOPICS, FACTS, strict=True):
        filler = (
            f"This part of the handbook is about {topic}. It gives owners plain advice on "
            f"{topic} and on related matters. "
        )
        pages.append(f"{filler * 3}{fact} {filler * 2}")
    return pages


def events(client: Any, cid: str, question: str, conversation: str = "") -> list[tuple[str, Any]]:
    body: dict[str, Any] = {"question": question}
    if conversation:
        body["conversation"] = conversation
    with client.stream("POST", f"/api/collections/{cid}/ask", json=body) as r:
        assert r.status_code == 200, r.read()
        text = "".join(r.iter_text())
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def upload(client: Any, cid: str, *files: Path) -> None:
    r = client.post(
        f"/api/collections/{cid}/documents",
        files=[("files", (f.name, f.read_bytes())) for f in files],
    )
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["job"]["id"])
    assert job["state"] == "done" and all(o["status"] == "indexed" for o in job["outcomes"]), job


def first_stored_turn(client: Any, cid: str, lines: list[str]) -> dict[str, Any]:
    """The first turn of the conversation an answer's event lines (`lines`) started,
    once the server has stored it (a stopped answer is stored after its stream ends)."""
    talk = json.loads(lines[1].removeprefix("data: "))["id"]

    def stored() -> list[dict[str, Any]]:
        turns: list[dict[str, Any]] = client.get(
            f"/api/collections/{cid}/conversations/{talk}"
        ).json()["turns"]
        return turns

    turn: dict[str, Any] = wait_until(stored, "the stopped turn to be stored")[0]
    return turn


def lit_text(pdf: Path, page: int, boxes: list[list[float]]) -> str:
    """The characters of the page whose centres lie in any of `boxes` (fractions of the
    page, top-left origin), in reading order."""
    doc = pdfium.PdfDocument(pdf)
    p = doc[page - 1]
    width, height = p.get_size()
    tp = p.get_textpage()
    out = []
    for i in range(tp.count_chars()):
        left, bottom, right, top = tp.get_charbox(i)
        x, y = (left + right) / 2 / width, 1 - (top + bottom) / 2 / height
        if right > left and any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes):
            out.append(tp.get_text_range(i, 1))
    doc.close()
    return "".join(out)


def test_the_lit_page_is_the_facts_page_and_only_its_sentence_is_lit(tmp_path: Path) -> None:
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model, chunk_size=1500))
    pdf = make_pdf(tmp_path / "facts.pdf", fact_pages())
    with TestClient(app, base_url=LOCAL) as client:
        cid = client.post("/api/collections", json={"name": "facts"}).json()["id"]
        upload(client, cid, pdf)
        spans_pages = 0
        for number, (question, fact) in enumerate(zip(QUESTIONS, FACTS, strict=True), start=1):
            done = events(client, cid, question)[-1]
            assert done[0] == "done", done
            cited = done[1]["citations"][0]
            assert cited["page"] == number, (question, cited)
            assert cited["sentence"] == fact
            spans_pages += cited["page_start"] != cited["page_end"]
            view = client.get(
                f"/api/collections/{cid}/chunks/{cited['chunk_id']}/page",
                params={"page": cited["page"], "sentence": cited["sentence"]},
            ).json()
            assert view["page"] == number and view["image"]
            (start, end), *_ = view["highlights"]
            assert " ".join(view["text"][start:end].split()) == fact
            # The boxes hold the sentence's characters and no others.
            assert squeeze(lit_text(pdf, number, view["boxes"]))[0] == squeeze(fact)[0]
            png = client.get(view["image"], params={"width": 500})
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
            assert png.headers["x-width"] == "600"
        # Passages ran over page breaks, so the page came from the sentence, not the passage.
        assert spans_pages >= 3


def test_on_turned_pages_the_boxes_light_the_sentence_where_it_is_drawn(tmp_path: Path) -> None:
    """Pages with /Rotate 90, 180 and 270 are drawn turned; the lit boxes must fall on the
    sentence as drawn. Checked against a copy whose pages carry the turn in their content
    instead (pypdf's transfer_rotation_to_content: upright pages that draw the same), on
    which the characters inside the boxes must be the sentence and nothing else, and on
    the picture itself: every box holds ink."""
    import io

    import numpy as np
    from PIL import Image
    from pypdf import PdfWriter

    turns = (90, 180, 270, 90, 0, 270)
    upright = make_pdf(tmp_path / "upright.pdf", fact_pages())
    turned = PdfWriter(clone_from=upright)
    for page, angle in zip(turned.pages, turns, strict=True):
        page.rotate(angle)
    pdf = tmp_path / "turned.pdf"
    turned.write(pdf)
    drawn = PdfWriter(clone_from=pdf)
    for page in drawn.pages:
        page.transfer_rotation_to_content()
    same = tmp_path / "drawn.pdf"
    drawn.write(same)

    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model, chunk_size=1500))
    with TestClient(app, base_url=LOCAL) as client:
        cid = client.post("/api/collections", json={"name": "turned"}).json()["id"]
        upload(client, cid, pdf)
        for number, (question, fact, angle) in enumerate(
            zip(QUESTIONS, FACTS, turns, strict=True), start=1
        ):
            done = events(client, cid, question)[-1]
            cited = done[1]["citations"][0]
            assert (cited["page"], cited["sentence"]) == (number, fact), (question, cited)
            view = client.get(
                f"/api/collections/{cid}/chunks/{cited['chunk_id']}/page",
                params={"page": number, "sentence": fact},
            ).json()
            boxes = view["boxes"]
            assert boxes, (angle, view)
            lit = lit_text(same, number, boxes)
            assert squeeze(lit)[0] == squeeze(fact)[0], (angle, lit)
            # The picture is the turned page: its shape, and ink inside every box.
            png = client.get(view["image"], params={"width": 600}).content
            image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
            height, width = image.shape
            assert abs(height / width - view["aspect"]) < 0.01, (angle, image.shape)
            assert (height > width) == (angle % 180 == 0)
            for left, top, right, bottom in boxes:
                inside = image[
                    int(top * height) : int(bottom * height) + 1,
                    int(left * width) : int(right * width) + 1,
                ]
                assert (inside < 128).mean() > 0.05, (angle, (left, top, right, bottom))


def test_a_conversation_is_kept_and_follow_ups_get_its_history(tmp_path: Path) -> None:
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model))
    pdf = make_pdf(tmp_path / "facts.pdf", fact_pages())
    with TestClient(app, base_url=LOCAL) as client:
        cid = client.post("/api/collections", json={"name": "facts"}).json()["id"]
        upload(client, cid, pdf)
        first = events(client, cid, "How many years does the warranty last?")
        kinds = [k for k, _ in first]
        assert kinds[:2] == ["conversation", "status"] and kinds[-1] == "done"
        stages = [d["stage"] for k, d in first if k == "status"]
        assert stages == ["queued", "searching", "writing"]
        talk = first[0][1]
        assert talk["new"] is True
        second = events(client, cid, "And how is it descaled?", talk["id"])
        assert second[0] == ("conversation", {"id": talk["id"], "new": False})
        # The quoted evidence leads; the fake's "Following on from …" reply restates it.
        assert "seven years" in second[-1][1]["text"]
        prompt = model.prompts[-1]
        assert [m.role for m in prompt][:-1].count("assistant") == 1
        assert "seven years" in next(m.content for m in prompt if m.role == "assistant")

        listed = client.get(f"/api/collections/{cid}/conversations").json()["conversations"]
        assert [(c["id"], c["turns"]) for c in listed] == [(talk["id"], 2)]
        assert listed[0]["title"] == "How many years does the warranty last?"
        thread = client.get(f"/api/collections/{cid}/conversations/{talk['id']}").json()
        assert [t["question"] for t in thread["turns"]] == [
            "How many years does the warranty last?",
            "And how is it descaled?",
        ]
        assert thread["turns"][0]["citations"][0]["sentence"] == FACTS[1]
        assert thread["turns"][0]["state"] == "done"

        missing = client.post(
            f"/api/collections/{cid}/ask", json={"question": "hi", "conversation": "nope"}
        )
        assert missing.status_code == 404
        message = missing.json()["error"]["message"]
        assert "nope" in message and "/" not in message and ".sqlite" not in message
        assert client.delete(f"/api/collections/{cid}/conversations/{talk['id']}").json() == {
            "deleted": talk["id"]
        }
        assert client.get(f"/api/collections/{cid}/conversations").json()["conversations"] == []
        # An empty question starts no conversation.
        assert client.post(f"/api/collections/{cid}/ask", json={"question": " "}).status_code == 400
        assert client.get(f"/api/collections/{cid}/conversations").json()["conversations"] == []


def test_closing_the_stream_stops_the_model_and_keeps_the_turn(tmp_path: Path) -> None:
    model = Gated()
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model, chunk_size=2000))
    # Many distinct sentences, so the answer (the sources read back) is long.
    notes = [f"Warranty note {i} says the kettle warranty covers part {i}." for i in range(40)]
    pdf = make_pdf(tmp_path / "facts.pdf", [" ".join(notes)])
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = client.post("/api/collections", json={"name": "facts"}).json()["id"]
        upload(client, cid, pdf)
        seen: list[str] = []
        # Answers are released a checked sentence at a time: let words through until
        # the first sentence has come.
        got_text = threading.Event()

        def let_through() -> None:
            while not got_text.is_set() and not model.closed.is_set():
                model.step.release()
                got_text.wait(0.05)

        feeder = threading.Thread(target=let_through, daemon=True)
        feeder.start()
        with client.stream(
            "POST",
            f"/api/collections/{cid}/ask",
            json={"question": "What does the kettle warranty cover?"},
        ) as r:
            for line in r.iter_lines():
                seen.append(line)
                if line.startswith("event: text"):
                    got_text.set()
                    break
        feeder.join()
        # The client went away mid-answer: the server stops the model at a next piece.
        model.release_until_closed()
        assert model.written < model.WORDS
        turn = first_stored_turn(client, cid, seen)
        assert turn["state"] == "stopped" and turn["text"].strip()


def test_documents_view_lists_passages_with_pages(tmp_path: Path) -> None:
    app = create_app(
        WebConfig(data_dir=tmp_path / "data"), factory(ScriptedChatModel([answer_from_sources]))
    )
    pdf = make_pdf(tmp_path / "facts.pdf", fact_pages())
    with TestClient(app, base_url=LOCAL) as client:
        cid = client.post("/api/collections", json={"name": "facts"}).json()["id"]
        upload(client, cid, pdf)
        docs = client.get(f"/api/collections/{cid}/documents").json()["documents"]
        assert docs[0]["pages"] == 6
        chunks = client.get(f"/api/collections/{cid}/documents/facts.pdf/chunks").json()["chunks"]
        assert len(chunks) == docs[0]["chunks"] and chunks[0]["page_start"] == 1
        assert chunks[-1]["page_end"] == 6
        view = client.get(f"/api/collections/{cid}/chunks/{chunks[1]['id']}/page").json()
        assert view["page"] == chunks[1]["page_start"] and view["boxes"]
        assert find_span(view["text"], chunks[1]["text"][:60]) is not None
        gone = client.get(f"/api/collections/{cid}/documents/nothere.pdf/chunks")
        assert gone.status_code == 404
