"""The ChatPDF page in headless Chromium (Debian's chromium + chromedriver) over uvicorn on
127.0.0.1: upload a PDF and a Chinese text, ask, ask a follow-up that needs the first
answer, reload and find the thread again, open a citation chip and see the rendered page
with only the supporting sentence's boxes lit, stop an answer, the thread following a
growing answer, delete with a confirmation,
and a scanned PDF (rendered in the test to an image-only PDF) answered with its page.

Screenshots at desktop width and at 390 px go to tmp/artefacts/web (or $TEST_ARTEFACTS).
Waits are on states with generous ceilings; assertions are on final content, never on
timings or on how many pieces streamed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from browser import chromium, page_errors, upload_and_index, wait_for
from ceilings import HANG_S
from chatpdf_fakes import CHINESE, FACT_PAGES, Gated, answer_from_sources, factory
from conftest import ThreadServer, make_pdf
from pdfs import scan
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from ragkit import ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app

ROOT = Path(__file__).resolve().parents[3]
ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS") or ROOT / "tmp" / "artefacts") / "web"


def shoot(driver: Any, name: str) -> None:
    """Screenshots of the page as it is, at desktop width and at 390 px."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for width, height, tag in ((1400, 1000, "desktop"), (390, 844, "390px")):
        driver.set_window_size(width, height)
        driver.save_screenshot(str(ARTEFACTS / f"{name}-{tag}.png"))
    driver.set_window_size(1400, 1000)


def ask_in_page(driver: Any, question: str, timeout: float = HANG_S) -> Any:
    box = driver.find_element(By.ID, "question")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "ask-button").click()

    def answered() -> Any:
        answer = driver.find_element(By.ID, "answer")
        state = answer.get_attribute("data-state")
        assert state != "failed", page_errors(driver)
        return answer if state == "done" else None

    return wait_for(answered, timeout, "the answer")


# How wide the page picture is drawn, where the first lit box is across the window, and
# the picture's height against the height it is shown at (no scrolling of its own).
PHONE_PAGE = """
const lit = document.querySelector("#page-image .hl").getBoundingClientRect();
const picture = document.getElementById("page-image");
return {page: document.querySelector("#page-image img").getBoundingClientRect().width,
        box: [lit.left, lit.left + Math.min(lit.width, 100)],
        tall: [picture.scrollHeight, picture.clientHeight]};
"""


def thread_texts(driver: Any) -> list[str]:
    return [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#thread .turn .answer")]


def gone(element: Any) -> bool:
    """Whether `element` has left the page (WebDriver calls a detached element stale)."""
    try:
        return not element.tag_name
    except StaleElementReferenceException:
        return True


def test_conversation_page_sentence_and_delete(tmp_path: Path) -> None:
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model))
    pdf = make_pdf(tmp_path / "ember.pdf", FACT_PAGES)
    chinese = tmp_path / "茶壶.txt"
    chinese.write_text(CHINESE, encoding="utf-8")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        empty = driver.find_element(By.ID, "empty-thread")
        wait_for(lambda: "dropping a few documents" in empty.text, HANG_S, "the empty state")
        shoot(driver, "01-empty")

        progress = upload_and_index(driver, [pdf, chinese], HANG_S)
        assert progress[-1].startswith("Indexing finished: 2 indexed"), progress
        docs = driver.find_element(By.ID, "documents")
        wait_for(lambda: "茶壶.txt" in docs.text and "ember.pdf" in docs.text, HANG_S, "documents")
        assert "4 pages" in docs.find_element(By.CSS_SELECTOR, 'li[data-name="ember.pdf"]').text

        first = ask_in_page(driver, "How many years is the Ember kettle warranty?")
        assert "seven years" in first.text
        # The model's copied "**…**" is no part of the answer: plain text, as in every
        # front end (before: drawn bold here, asterisks in a /v1 client's answer).
        assert "**" not in first.text and not first.find_elements(By.CSS_SELECTOR, "strong")
        chip = first.find_element(By.CSS_SELECTOR, "button.cite")
        assert chip.get_attribute("title") == "ember.pdf p. 2"
        url = driver.current_url
        assert "#c=" in url and "&t=" in url

        second = ask_in_page(driver, "And how should I keep the receipt?")
        # Answered from the receipt sentence; the fake's "Following on from …" prefix
        # quotes the first answer, which the answer checks may drop (no source says it).
        assert "Keep the receipt safe" in second.text
        # The model was given the first question and answer before the follow-up.
        roles = [m.role for m in model.prompts[-1]]
        assert roles.count("user") >= 2 and "assistant" in roles
        shoot(driver, "02-thread")

        driver.refresh()
        wait_for(lambda: len(thread_texts(driver)) == 2, HANG_S, "the restored thread")
        assert "seven years" in thread_texts(driver)[0]
        assert driver.current_url == url

        chip = driver.find_elements(By.CSS_SELECTOR, "#thread .turn button.cite")[0]
        chip.click()
        title = driver.find_element(By.ID, "viewer-title")
        wait_for(lambda: title.text == "ember.pdf — page 2 of 4", HANG_S, "the cited page")
        picture = driver.find_element(By.ID, "page-image")
        wait_for(lambda: picture.get_attribute("data-state") == "ready", HANG_S, "the page picture")
        image = picture.find_element(By.TAG_NAME, "img")
        assert image.get_attribute("naturalWidth") not in (None, "0")
        boxes = picture.find_elements(By.CSS_SELECTOR, ".hl")
        assert len(boxes) >= 1
        quote = driver.find_element(By.ID, "viewer-sentence").text
        assert quote == (
            "The Ember kettle carries a warranty of seven years from the date of purchase."
        )
        assert [m.text for m in driver.find_elements(By.CSS_SELECTOR, "#page-text mark")] == [quote]
        shoot(driver, "03-cited-page")
        # On a phone the page is drawn at a reading size (before: as wide as the screen,
        # its text 4-5 px tall), scrolled sideways to the lit sentence.
        driver.find_element(By.ID, "close-viewer").click()
        driver.set_window_size(390, 844)
        driver.execute_script("arguments[0].click();", chip)
        # The page is drawn anew for the phone: the desktop picture leaves the page and the
        # new one is ready. (Waiting for the passing "loading" state first could miss it
        # between two polls and then wait out the ceiling: seen under load.)
        wait_for(
            lambda: gone(image) and picture.get_attribute("data-state") == "ready",
            HANG_S,
            "a new picture",
        )
        shown = driver.execute_script(PHONE_PAGE)
        assert shown["page"] >= 700 and shown["box"][0] >= 0 and shown["box"][1] <= 390, shown
        assert shown["tall"][0] <= shown["tall"][1] + 1, shown
        shoot(driver, "03b-cited-page-phone")

        # Documents view: a passage opens on its page.
        docs = driver.find_element(By.ID, "documents")
        item = docs.find_element(By.CSS_SELECTOR, 'li[data-name="ember.pdf"]')
        item.find_element(By.CSS_SELECTOR, "button.show-chunks").click()
        passage = wait_for(
            lambda: item.find_element(By.CSS_SELECTOR, "ol.chunks button.chunk"), HANG_S, "passages"
        )
        passage.click()
        wait_for(lambda: title.text == "ember.pdf — page 1 of 4", HANG_S, "the passage's page")
        shoot(driver, "04-documents")

        # Delete asks first, naming the collection and its files; Cancel keeps it.
        select = driver.find_element(By.ID, "collection-select")
        name = select.text
        driver.find_element(By.ID, "delete-collection").click()
        dialog = driver.find_element(By.ID, "confirm")
        wait_for(lambda: dialog.is_displayed(), HANG_S, "the confirmation")
        text = driver.find_element(By.ID, "confirm-text").text
        assert f"“{name}” and its 2 files will be deleted" in text
        assert "/" not in text and "uploads" not in text
        shoot(driver, "05-confirm-delete")
        driver.find_element(By.ID, "confirm-cancel").click()
        wait_for(lambda: not dialog.is_displayed(), HANG_S, "the dialog to close")
        assert select.text == name
        driver.find_element(By.ID, "delete-collection").click()
        wait_for(lambda: dialog.is_displayed(), HANG_S, "the confirmation")
        driver.find_element(By.ID, "confirm-ok").click()
        wait_for(lambda: select.text == "No collections yet", HANG_S, "the collection to go")
        assert not page_errors(driver)
    assert list((tmp_path / "data" / "collections").iterdir()) == []


@contextmanager
def long_answer_page(tmp_path: Path) -> Iterator[tuple[Gated, ThreadServer, Any]]:
    """The page over one indexed PDF whose answers are long, and the gated model writing
    them (a word each time its gate opens)."""
    model = Gated()
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model, chunk_size=2000))
    # Many distinct sentences, so the answer (the sources read back) is long.
    notes = [f"Warranty note {i} says the kettle warranty covers part {i}." for i in range(40)]
    pdf = make_pdf(tmp_path / "ember.pdf", [" ".join(notes)])
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents").text, HANG_S, "the page to load")
        upload_and_index(driver, [pdf], HANG_S)
        yield model, server, driver


def wait_first_sentence(model: Gated, answer: Any) -> None:
    """Let `model` write on until the page's `answer` shows its first sentence."""

    def shown() -> str:
        # Answers are released a checked sentence at a time: let words through until
        # the first sentence shows.
        model.step.release()
        return str(answer.text).strip()

    wait_for(shown, HANG_S, "the first sentence")


def test_states_while_waiting_and_stop(tmp_path: Path) -> None:
    with long_answer_page(tmp_path) as (model, server, driver):
        driver.find_element(By.ID, "question").send_keys("What is the warranty?")
        driver.find_element(By.ID, "ask-button").click()
        status = driver.find_element(By.ID, "ask-status")
        # A state shows before the model has written anything.
        wait_for(lambda: status.text, HANG_S, "a waiting state")
        assert status.text.endswith("…")
        assert model.started.wait(HANG_S)
        stop = driver.find_element(By.ID, "stop-button")
        assert stop.is_displayed()
        answer = driver.find_element(By.ID, "answer")
        wait_first_sentence(model, answer)
        shoot(driver, "06-writing")
        stop.click()
        wait_for(lambda: answer.get_attribute("data-state") == "stopped", HANG_S, "the stop")
        # The server closed the model's stream before the end of the answer.
        model.release_until_closed()
        assert model.written < model.WORDS
        assert "Stopped." in answer.text and not stop.is_displayed()
        # The stopped turn is kept with what was written. The server stores it once the
        # model's stream has ended, which may be after the page showed the stop: reload
        # only when it is stored, or the page would load the thread without it.
        where = parse_qs(urlparse(driver.current_url).fragment)
        turns = f"{server.url}/api/collections/{where['c'][0]}/conversations/{where['t'][0]}"
        wait_for(lambda: httpx.get(turns).json()["turns"], HANG_S, "the stopped turn stored")
        driver.refresh()
        wait_for(lambda: "Stopped." in " ".join(thread_texts(driver)), HANG_S, "the stopped turn")


# A turn's place against what can be seen of the thread (which scrolls inside a wide
# window; in a narrow one the whole page scrolls): how far its end is below the visible
# bottom (negative: shown), its top, its height, and the visible height.
TURN_IN_VIEW = """
const turn = arguments[0].getBoundingClientRect();
const thread = document.getElementById("thread").getBoundingClientRect();
const bottom = Math.min(thread.bottom, window.innerHeight);
return [turn.bottom - bottom, turn.top, turn.height, bottom - Math.max(thread.top, 0)];
"""


@pytest.mark.parametrize("size", [(1200, 500), (390, 380)], ids=["wide", "narrow"])
def test_the_page_follows_a_growing_answer_unless_the_reader_scrolled_up(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    with long_answer_page(tmp_path) as (model, _server, driver):
        driver.set_window_size(*size)

        def ask_and_write(question: str, reader_scrolls_up: bool) -> Any:
            driver.find_element(By.ID, "question").send_keys(question)
            driver.find_element(By.ID, "ask-button").click()
            turn = driver.find_elements(By.CSS_SELECTOR, "#thread .turn")[-1]
            if reader_scrolls_up:  # back to the first answer, to reread it
                driver.execute_script(
                    "arguments[0].scrollIntoView({block: 'start'});",
                    driver.find_element(By.CSS_SELECTOR, "#thread .turn"),
                )
            top = driver.execute_script(TURN_IN_VIEW, turn)[1]
            answer = driver.find_element(By.ID, "answer")

            def written() -> bool:
                model.step.release()  # one more word
                return answer.get_attribute("data-state") == "done"

            wait_for(written, HANG_S, "the answer")
            return turn, top

        # Asking scrolls the new turn into view, its question at the bottom; before, the
        # answer and its sources then grew out of sight below.
        turn, _ = ask_and_write("What is the warranty?", reader_scrolls_up=False)
        below, _, height, visible = driver.execute_script(TURN_IN_VIEW, turn)
        assert height > visible  # the answer outgrew what can be seen...
        assert below <= 1  # ...and was followed to its end
        turn, top = ask_and_write("What does warranty note 2 cover?", reader_scrolls_up=True)
        assert driver.execute_script(TURN_IN_VIEW, turn)[1] == top  # the reader is left there


def test_a_scanned_pdf_is_answered_with_its_page(tmp_path: Path) -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model))
    scanned = scan(make_pdf(tmp_path / "text.pdf", FACT_PAGES[:2]), tmp_path / "scanned.pdf")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents").text, HANG_S, "the page to load")
        # OCR reads a page in seconds on an idle machine; the ceiling allows for a busy one.
        progress = upload_and_index(driver, [scanned], 2 * HANG_S)
        assert progress[-1].startswith("Indexing finished: 1 indexed"), progress
        assert progress[-1].endswith("(2 scanned pages read by OCR)"), progress
        # While a scan is read the status names the page (how many polls catch one
        # depends on the machine: only their form is checked).
        for seen in (text for text in progress if "OCR page" in text):
            assert re.search(r"scanned\.pdf: OCR page [12]/2", seen), seen
        docs = driver.find_element(By.ID, "documents")
        wait_for(lambda: "2 pages" in docs.text, HANG_S, "the scanned document's pages")
        # The pages read while indexing are kept for the page viewer and for reading the
        # scan again when an answer cites it: no second OCR.
        kept = sorted(p.name for p in (tmp_path / "data" / "ocr-cache").rglob("*.json"))
        assert kept == ["1.json", "2.json"], kept

        answer = ask_in_page(driver, "How many years is the Ember kettle warranty?", HANG_S)
        assert "seven years" in answer.text
        answer.find_element(By.CSS_SELECTOR, "button.cite").click()
        title = driver.find_element(By.ID, "viewer-title")
        wait_for(lambda: title.text == "scanned.pdf — page 2 of 2", HANG_S, "the scanned page")
        picture = driver.find_element(By.ID, "page-image")
        wait_for(lambda: picture.get_attribute("data-state") == "ready", HANG_S, "the picture")
        assert picture.find_elements(By.CSS_SELECTOR, ".hl")
        quote = driver.find_element(By.ID, "viewer-sentence").text
        assert "warranty of seven years" in quote and "Keep the receipt" not in quote
        shoot(driver, "07-scanned-page")
        assert not page_errors(driver)


def test_an_answer_still_being_written_says_so_until_it_is_done(tmp_path: Path) -> None:
    with long_answer_page(tmp_path) as (model, _server, driver):
        driver.find_element(By.ID, "question").send_keys("What is the warranty?")
        driver.find_element(By.ID, "ask-button").click()
        answer = driver.find_element(By.ID, "answer")
        status = driver.find_element(By.ID, "ask-status")
        # The sources show as soon as they are chosen, before the model has written a
        # sentence (before: only once the answer was done).
        assert model.started.wait(HANG_S)
        listed = wait_for(
            lambda: driver.find_elements(By.CSS_SELECTOR, "#thread .turn .sources li"),
            HANG_S,
            "the sources",
        )
        assert answer.get_attribute("data-state") == "streaming" and "ember.pdf" in listed[0].text
        wait_first_sentence(model, answer)
        # Each is marked cited once the text shown cites it.
        wait_for(
            lambda: driver.find_elements(By.CSS_SELECTOR, "#thread .turn .sources li.cited"),
            HANG_S,
            "a cited source",
        )
        # A shown sentence may read as a whole answer while the model writes on: the
        # answer ends in a muted "…" and the status line says what is still going on.
        assert answer.find_element(By.CSS_SELECTOR, ".pending").text == "…"
        assert answer.text.endswith("…")
        assert status.text == "Still writing: each sentence shows once the sources support it…"
        shoot(driver, "07-still-writing")
        for _ in range(model.WORDS + 1):
            model.step.release()
        wait_for(lambda: answer.get_attribute("data-state") == "done", HANG_S, "the answer")
        assert answer.find_elements(By.CSS_SELECTOR, ".pending") == [] and not status.text
        assert not answer.text.endswith("…") and not page_errors(driver)
