"""The documents panel as a user sees it, in headless Chromium against uvicorn on
127.0.0.1: while an upload is being indexed the page says the files are being read (not
"no documents yet"), every document's buttons line up under its name whatever its
length, the collection's model id is not broken inside a word, with no collection
the list says so instead of being an empty box, and a read-only index shows its whole
name and says how its files change instead of offering an upload it would refuse."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from browser import chromium, page_errors, upload_and_index, wait_for
from ceilings import HANG_S
from conftest import ThreadServer, fake_factory
from fastapi import FastAPI
from selenium.webdriver.common.by import By

from ragkit import Embedder, HashingEmbedder, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app
from ragkit.models.embeddings.base import Vectors


class GatedEmbedder(HashingEmbedder):
    """The fake embedder, holding every batch until `gate` is set: the upload stays
    "being indexed" for as long as the test needs to look at the page."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.gate.wait(HANG_S)
        return super().embed_batch(texts)


def _app(
    tmp_path: Path, embedder: Embedder | None = None, served: dict[str, Path] | None = None
) -> FastAPI:
    """The web app keeping its collections under `tmp_path`, over the fake models, also
    serving the indexes in `served` read-only."""
    config = WebConfig(data_dir=tmp_path / "data", served_indexes=served or {})
    return create_app(config, fake_factory(ScriptedChatModel(["ok"]), embedder))


def _notes(tmp_path: Path) -> Path:
    """The one-line document the tests upload."""
    notes = tmp_path / "notes.txt"
    notes.write_text("The Ember kettle has a warranty of 18 months.\n")
    return notes


@contextmanager
def _gated_server(tmp_path: Path) -> Iterator[tuple[ThreadServer, threading.Event]]:
    """The app (`_app`) served over a `GatedEmbedder`, and its gate: an upload stays
    "being indexed" until the test sets it, and it is set whatever the test does."""
    gate = threading.Event()
    try:
        with ThreadServer(_app(tmp_path, GatedEmbedder(gate))) as server:
            yield server, gate
    finally:
        gate.set()


def _open_new_collection(driver: Any, server: ThreadServer) -> None:
    """Create an empty collection before the page loads (no new collection reloads the
    panel during the upload), and open the page on it."""
    created = httpx.post(server.url + "/api/collections", json={"name": "notes"})
    driver.get(f"{server.url}/#c={created.json()['id']}")


def test_while_files_are_indexed_the_page_says_they_are_being_read(tmp_path: Path) -> None:
    notes = _notes(tmp_path)
    with _gated_server(tmp_path) as (server, gate), chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page")
        driver.find_element(By.ID, "file-input").send_keys(str(notes))
        driver.find_element(By.ID, "upload-button").click()
        documents = driver.find_element(By.ID, "documents")
        empty = driver.find_element(By.ID, "empty-thread")
        wait_for(lambda: "Reading your files" in documents.text, HANG_S, "the panel")
        wait_for(lambda: "being read" in empty.text, HANG_S, "the conversation's note")
        # The panel says "Reading" from the moment the upload starts, before the
        # server has answered with the job the status line follows.
        status = driver.find_element(By.ID, "job-status")
        wait_for(lambda: status.get_attribute("data-state") == "running", HANG_S, "the job")
        for shown in (documents.text, empty.text):
            assert "no documents" not in shown.lower(), shown
        gate.set()
        wait_for(lambda: "notes.txt" in documents.text, HANG_S, "the document")
        wait_for(lambda: "Ask a question" in empty.text, HANG_S, "the invitation")
        assert "Reading your files" not in documents.text and not page_errors(driver)


def test_an_upload_to_an_empty_collection_says_its_files_are_being_read(tmp_path: Path) -> None:
    notes = _notes(tmp_path)
    with _gated_server(tmp_path) as (server, gate), chromium(tmp_path / "profile") as driver:
        _open_new_collection(driver, server)
        documents = driver.find_element(By.ID, "documents")
        empty = driver.find_element(By.ID, "empty-thread")
        wait_for(lambda: "No documents" in documents.text, HANG_S, "the empty list")
        assert "no documents yet" in empty.text
        driver.find_element(By.ID, "file-input").send_keys(str(notes))
        driver.find_element(By.ID, "upload-button").click()
        status = driver.find_element(By.ID, "job-status")
        wait_for(lambda: status.get_attribute("data-state") == "running", HANG_S, "the job")
        assert "Reading your files" in documents.text, documents.text
        assert "being read" in empty.text, empty.text
        gate.set()
        wait_for(lambda: "notes.txt" in documents.text, HANG_S, "the document")
        wait_for(lambda: status.get_attribute("data-state") == "done", HANG_S, "the end")
        # The time and its unit are never split over two lines.
        finished = str(driver.execute_script("return arguments[0].textContent;", status))
        assert re.search(r" in [0-9.]+\u00a0s\b", finished), finished
        assert not page_errors(driver)


def test_each_documents_buttons_line_up_under_its_name(tmp_path: Path) -> None:
    app = _app(tmp_path)
    files = []
    for name in ("faq.txt", "membership_policy_for_new_members.md", "handbook.txt"):
        files.append(tmp_path / name)
        files[-1].write_text(f"{name} says the kettle boils water.\n")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page")
        upload_and_index(driver, files, HANG_S)
        rows = driver.execute_script(
            "return [...document.querySelectorAll('#documents > li[data-name]')].map((li) => {"
            "  const name = li.querySelector('.name').getBoundingClientRect();"
            "  const button = li.querySelector('button.show-chunks').getBoundingClientRect();"
            "  return [li.dataset.name, name.left, name.bottom, button.left, button.top]; });"
        )
        assert len(rows) == 3, rows
        lefts = {round(row[3]) for row in rows}
        assert len(lefts) == 1, rows  # the Passages buttons stand in one column
        for name, name_left, name_bottom, button_left, button_top in rows:
            assert button_top >= name_bottom - 1, (name, rows)  # under the name, not beside
            # The button's text (inside its 8 px padding) starts where the name does.
            assert abs(button_left + 9 - name_left) <= 2, (name, rows)


def test_the_model_id_is_not_broken_inside_a_word(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        created = httpx.post(server.url + "/api/collections", json={"name": "handbook"})
        assert created.status_code == 201
        cid = created.json()["id"]
        driver.get(server.url + "/")
        line = driver.find_element(By.ID, "collection-id")
        wait_for(lambda: cid in line.text, HANG_S, "the model id")
        # The panel narrowed (a scrollbar, the page viewer open) until the line holds
        # the id but not all the words before it: the id goes to the next line whole.
        lines = driver.execute_script(
            "const p = arguments[0], node = p.firstChild;"
            "const at = node.textContent.indexOf(arguments[1]);"
            "const range = document.createRange();"
            "range.setStart(node, at); range.setEnd(node, at + arguments[1].length);"
            "p.style.width = (range.getBoundingClientRect().width + 12) + 'px';"
            "return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;",
            line,
            cid,
        )
        assert lines == 1, f"{cid} is broken over {lines} lines"


def test_with_no_collection_the_list_says_so(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        select = driver.find_element(By.ID, "collection-select")
        wait_for(lambda: select.text == "No collections yet", HANG_S, "the empty list")
        assert not select.is_enabled() and select.get_attribute("value") == ""
        # Nothing to delete, nor a conversation to start: no Delete, New disabled.
        assert not driver.find_element(By.ID, "delete-collection").is_displayed()
        assert not driver.find_element(By.ID, "new-conversation").is_enabled()
        driver.find_element(By.ID, "new-collection-name").send_keys("notes")
        driver.find_element(By.ID, "create-collection").click()
        wait_for(lambda: select.text == "notes", HANG_S, "the new collection")
        assert select.is_enabled() and select.get_attribute("value").startswith("notes-")
        wait_for(
            lambda: driver.find_element(By.ID, "delete-collection").is_displayed(),
            HANG_S,
            "the collection's Delete",
        )
        assert driver.find_element(By.ID, "new-conversation").is_enabled()


def test_a_read_only_index_says_so_instead_of_offering_an_upload(tmp_path: Path) -> None:
    notes = _notes(tmp_path)
    fake_factory(ScriptedChatModel(["ok"]))(tmp_path / "cli-index").add([notes])
    app = _app(tmp_path, served={"default": tmp_path / "cli-index"})
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        documents = driver.find_element(By.ID, "documents")
        wait_for(lambda: "notes.txt" in documents.text, HANG_S, "the served index's files")
        select = driver.find_element(By.ID, "collection-select")
        assert select.text == "default (read-only)"
        # The list spans its panel: its label is not cut short by a button beside it.
        widths = driver.execute_script(
            "const s = arguments[0], panel = s.closest('.panel'), cs = getComputedStyle(panel);"
            "const canvas = document.createElement('canvas').getContext('2d');"
            "canvas.font = getComputedStyle(s).font;"
            "return [s.getBoundingClientRect().width,"
            " panel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),"
            " canvas.measureText(s.options[s.selectedIndex].text).width];",
            select,
        )
        assert widths[0] >= widths[1] - 1, widths
        assert widths[2] + 48 <= widths[0], widths  # room for the padding and the arrow
        # No drop zone, Upload or Delete it would refuse; the note names the command.
        for hidden in ("upload-form", "drop-zone", "upload-button", "delete-collection"):
            assert not driver.find_element(By.ID, hidden).is_displayed(), hidden
        note = driver.find_element(By.ID, "read-only")
        assert note.is_displayed()
        assert "read-only" in note.text and "ragkit index FILES --index default" in note.text
        assert str(tmp_path) not in note.text
        assert not driver.find_elements(By.CSS_SELECTOR, "#documents .delete-doc")
        # Its button leads to a collection that takes uploads: the name box, focused.
        driver.find_element(By.ID, "read-only-create").click()
        focused = driver.switch_to.active_element
        assert focused.get_attribute("id") == "new-collection-name"
        focused.send_keys("my uploads")
        driver.find_element(By.ID, "create-collection").click()
        wait_for(lambda: select.text.endswith("my uploads"), HANG_S, "the new collection")
        wait_for(
            lambda: driver.find_element(By.ID, "upload-button").is_displayed(),
            HANG_S,
            "the writable collection's upload",
        )
        # Kept for a writable collection: the drop zone, Upload and Delete; no note.
        assert driver.find_element(By.ID, "drop-zone").is_displayed()
        assert driver.find_element(By.ID, "delete-collection").is_displayed()
        assert not note.is_displayed()
        assert not page_errors(driver)


_IN_VIEW = """
const r = arguments[0].getBoundingClientRect();
return [r.top, r.bottom, window.innerHeight, r.bottom > 0 && r.top < window.innerHeight];
"""


def test_a_first_upload_on_a_phone_keeps_its_outcome_in_view(tmp_path: Path) -> None:
    """At 390 px the conversation moves above the documents once one is indexed; the
    reader watching the upload still sees how it ended (before, the finished status and
    the documents panel dropped a screen below, out of sight)."""
    notes = _notes(tmp_path)
    with _gated_server(tmp_path) as (server, gate), chromium(tmp_path / "profile") as driver:
        driver.set_window_size(390, 844)
        _open_new_collection(driver, server)
        documents = driver.find_element(By.ID, "documents")
        wait_for(lambda: "No documents" in documents.text, HANG_S, "the empty list")
        driver.find_element(By.ID, "file-input").send_keys(str(notes))
        driver.find_element(By.ID, "upload-button").click()
        status = driver.find_element(By.ID, "job-status")
        wait_for(lambda: status.get_attribute("data-state") == "running", HANG_S, "the job")
        # The page as a phone shows it after a tap on Upload: at its top, where the
        # documents panel comes first while nothing is indexed (at the top a browser
        # keeps no element in place when the page above it grows).
        driver.execute_script("window.scrollTo(0, 0);")
        assert driver.execute_script(_IN_VIEW, status)[3]
        gate.set()
        wait_for(lambda: "notes.txt" in documents.text, HANG_S, "the document")
        assert status.get_attribute("data-state") == "done"
        # The conversation did move first: the phone's order is unchanged.
        chat = driver.find_element(By.ID, "chat").rect["y"]
        assert chat < driver.find_element(By.ID, "library").rect["y"]
        where = driver.execute_script(_IN_VIEW, status)
        assert where[3], where
        assert "Indexing finished" in status.text and not page_errors(driver)
