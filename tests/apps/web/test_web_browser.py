"""End to end in headless Chromium against uvicorn on 127.0.0.1: create a collection,
upload a PDF and watch it index, ask, see the answer stream and its citation, open the
cited page with the passage highlighted, page on, delete the document. Once over the fake
models (a uvicorn thread) and once, marked slow, over the real bundled models through
`ragkit serve` in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import ask, chromium, console_errors, page_errors, upload_and_index, wait_for
from ceilings import HANG_S
from conftest import ThreadServer, fake_factory, free_port, make_pdf
from selenium.webdriver.common.by import By

from ragkit import Message, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app

ROOT = Path(__file__).resolve().parents[3]


def quote_source_one(messages: Sequence[Message]) -> str:
    user = messages[-1].content
    body = user[user.find("[1]") :].split("\n")[1]
    return f"The handbook says: {body} [1]"


def test_document_qa_page_end_to_end(tmp_path: Path) -> None:
    model = ScriptedChatModel([quote_source_one])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(model))
    pdf = make_pdf(
        tmp_path / "handbook.pdf",
        [
            "Welcome to the Ember handbook. It covers brewing kettles and their care.",
            "Warranty terms. The Ember kettle carries a warranty of seven years.",
            "Cleaning. Descale the kettle every month with citric acid.",
        ],
    )
    note = tmp_path / "markup.md"
    note.write_text("Markup check: <img src=x onerror=alert(1)> <b>bold</b> stays text.\n")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents").text, HANG_S, "the page to load")
        driver.find_element(By.ID, "new-collection-name").send_keys("Ember manuals")
        driver.find_element(By.ID, "create-collection").click()
        select = driver.find_element(By.ID, "collection-select")
        wait_for(lambda: "Ember manuals" in select.text, HANG_S, "the new collection")
        model_id = select.get_attribute("value")
        assert model_id.startswith("ember-manuals-")
        assert driver.find_element(By.ID, "collection-id").text == f"model id for /v1: {model_id}"

        progress = upload_and_index(driver, [pdf, note], HANG_S)
        assert progress[-1].startswith("Indexing finished: 2 indexed")
        assert driver.find_element(By.ID, "job-progress").get_attribute("value") == "1"
        docs = driver.find_element(By.ID, "documents")
        wait_for(lambda: "handbook.pdf" in docs.text, HANG_S, "the document list")
        assert (
            "3 passages" in docs.find_element(By.CSS_SELECTOR, 'li[data-name="handbook.pdf"]').text
        )

        # Final content only: how many pieces the page caught on the way depends on the
        # machine's speed (that the page shows an answer mid-stream is checked with a held
        # model in test_web_chatpdf.py::test_states_while_waiting_and_stop).
        answer, _ = ask(driver, "How many years is the Ember kettle warranty?", HANG_S)
        assert "warranty of seven years" in answer, answer
        cited = driver.find_element(By.CSS_SELECTOR, "#citations li.cited button.citation")
        assert cited.text == "[1] handbook.pdf p. 2"

        driver.find_element(By.CSS_SELECTOR, "#answer button.cite").click()
        title = driver.find_element(By.ID, "viewer-title")
        wait_for(lambda: title.text == "handbook.pdf — page 2 of 3", HANG_S, "the cited page")
        mark = driver.find_element(By.CSS_SELECTOR, "#page-text mark")
        assert "seven years" in mark.text
        assert "Warranty terms" in driver.find_element(By.ID, "page-text").text
        driver.find_element(By.ID, "next-page").click()
        wait_for(lambda: title.text == "handbook.pdf — page 3 of 3", HANG_S, "the next page")
        assert "Descale" in driver.find_element(By.ID, "page-text").text
        assert driver.find_elements(By.CSS_SELECTOR, "#page-text mark") == []

        # Document text reaches the page as text, never as markup (asked in a new thread).
        driver.find_element(By.ID, "new-conversation").click()
        answer, _ = ask(driver, "markup check bold", HANG_S)
        assert "<b>bold</b>" in answer and "<img src=x" in answer
        assert driver.find_elements(By.CSS_SELECTOR, "#answer b, #answer img") == []

        item = docs.find_element(By.CSS_SELECTOR, 'li[data-name="handbook.pdf"]')
        item.find_element(By.CSS_SELECTOR, "button.delete-doc").click()
        wait_for(lambda: "handbook.pdf" not in docs.text, HANG_S, "the document to go")
        assert "markup.md" in docs.text and not page_errors(driver)

        # A bad request shows the server's message on the page.
        driver.find_element(By.ID, "question").clear()
        driver.find_element(By.ID, "ask-button").click()
        wait_for(lambda: "question is empty" in page_errors(driver), HANG_S, "the error message")

    stored = tmp_path / "data" / "collections"
    assert [p.name for p in stored.glob("*/uploads/*")] == ["markup.md"]


def _long_page(fact: str, topic: str) -> str:
    filler = (
        f"This section of the Ember handbook is about {topic}. "
        "It explains the topic in plain words for owners of the kettle. "
    ) * 6
    return f"{filler}{fact} {filler}"


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        RAGKIT_LLM__MAX_TOKENS="48",  # the tiny model on 2 cores: keep the answer short
        RAGKIT_LLM__N_THREADS="2",
        HF_HUB_OFFLINE="1",
        PYTHONFAULTHANDLER="1",  # a crash of the server leaves its stack in the log
    )
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragkit", "serve", "--port", str(port), "--data-dir", "data"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        return httpx.get(url + "/healthz", timeout=HANG_S).status_code == 200

    try:
        wait_for(up, HANG_S, "ragkit serve to start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=HANG_S)
        log.close()
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it: -15 is a clean stop.
        output = (tmp_path / "serve.log").read_text()
        assert proc.returncode in (0, -15) and "Traceback" not in output, output


@pytest.mark.slow(reason="ragkit serve on the bundled embedder and GGUF, driven in Chromium")
def test_document_qa_page_with_the_real_models(real_server: str, tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "ember.pdf",
        [
            _long_page("The kettle heats water with a 1500 watt element.", "heating"),
            _long_page(
                "Warranty: the Ember brewing kettle carries a warranty of seven years.",
                "the warranty",
            ),
            _long_page("Descale the kettle every month with citric acid.", "cleaning"),
        ],
    )
    with chromium(tmp_path / "profile") as driver:
        driver.get(real_server + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents").text, HANG_S, "the page to load")
        progress = upload_and_index(driver, [pdf], HANG_S)  # no collection yet: one is created
        assert progress[-1].startswith("Indexing finished: 1 indexed"), progress
        select = driver.find_element(By.ID, "collection-select")
        assert select.text == "ember"

        answer, _ = ask(
            driver, "How many years is the warranty of the Ember brewing kettle?", HANG_S
        )
        assert answer.strip()
        item = driver.find_element(By.CSS_SELECTOR, "#citations li.cited")
        first = item.find_element(By.CSS_SELECTOR, "button.citation")
        # The number is the passage's place among those searched (quoted evidence can come
        # from any of them); the page must be the supporting sentence's. Two cited passages
        # of the file are one item: its name, then each number and page.
        assert "ember.pdf" in item.text, item.text
        assert re.fullmatch(r"\[\d+\] (ember\.pdf )?p\. 2", first.text), first.text
        first.click()
        title = driver.find_element(By.ID, "viewer-title")
        wait_for(lambda: title.text == "ember.pdf — page 2 of 3", HANG_S, "the cited page")
        marks = " ".join(m.text for m in driver.find_elements(By.CSS_SELECTOR, "#page-text mark"))
        assert "seven years" in marks

        docs = driver.find_element(By.ID, "documents")
        docs.find_element(By.CSS_SELECTOR, 'li[data-name="ember.pdf"] button.delete-doc').click()
        wait_for(lambda: "No documents" in docs.text, HANG_S, "the document to go")
        assert not page_errors(driver)


def test_the_page_asks_for_the_api_key(tmp_path: Path) -> None:
    config = WebConfig(data_dir=tmp_path / "data", api_key="s3cret")
    app = create_app(config, fake_factory(ScriptedChatModel(["ok"])))
    app.state.web.collections.create("Locked away")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: "API key" in page_errors(driver), HANG_S, "the key error")
        form = driver.find_element(By.ID, "key-form")
        assert form.is_displayed()
        assert driver.find_element(By.ID, "collection-select").text == ""
        driver.find_element(By.ID, "api-key").send_keys("s3cret")
        form.find_element(By.CSS_SELECTOR, "button").click()
        select = driver.find_element(By.ID, "collection-select")
        wait_for(lambda: select.text == "Locked away", HANG_S, "the collections")
        assert not form.is_displayed() and not page_errors(driver)


def test_the_browser_logs_no_error_for_the_icon(tmp_path: Path) -> None:
    """The page links its icon, and /favicon.ico (which browsers ask for on any page, the
    JSON ones too) is served: no 404 in the console."""
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    asked: list[str] = []

    @app.middleware("http")
    async def record(request: Any, call_next: Any) -> Any:
        asked.append(request.url.path)
        return await call_next(request)

    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents").text, HANG_S, "the page to load")
        icon = driver.execute_script(
            "const l = document.querySelector('link[rel=icon]');"
            "return l && fetch(l.href).then(r => [r.status, r.headers.get('content-type')]);"
        )
        assert icon == [200, "image/svg+xml"], icon
        driver.get(server.url + "/healthz")  # a page without a link: the browser asks /favicon.ico
        wait_for(lambda: "/favicon.ico" in asked, HANG_S, "the browser to ask for /favicon.ico")
        with httpx.Client(base_url=server.url) as client:
            served = client.get("/favicon.ico")
        assert served.status_code == 200 and served.text.startswith("<svg"), served.text[:200]
        assert served.headers["content-type"] == "image/svg+xml"
        errors = console_errors(driver)
        assert not errors, errors


# Each answer renders in a box of every width from 60 to 400 px; the script returns
# [width, sentence] for each box where a citation's group (the word before it, its
# punctuation and chips) is broken across lines or does not start with that word (a
# line may break before a group that starts with a chip or a mark).
_STRANDED = """
const box = document.createElement("div");
box.className = "answer";
box.style.font = "16px sans-serif";
document.body.append(box);
const stranded = [];
const chip = (n) => {
  const b = document.createElement("button");
  b.className = "cite";
  b.textContent = String(n);
  return b;
};
for (const text of arguments[0]) {
  for (let width = 60; width <= 400; width += 2) {
    box.style.width = width + "px";
    RagkitMarkdown.render(box, text, chip);
    for (const group of box.querySelectorAll(".cite-group")) {
      const rects = group.getClientRects();
      const wordless = !/^[\\p{L}\\p{N}]/u.test(group.textContent);
      if (rects.length !== 1 || wordless) stranded.push([width, text]);
    }
  }
}
box.remove();
return stranded;
"""

# The answer's text and each citation group's text, as rendered.
_RENDERED = """
const b = document.createElement("div");
RagkitMarkdown.render(b, arguments[0], (n) => {
  const c = document.createElement("button"); c.className = "cite"; c.textContent = n; return c; });
return [b.textContent, [...b.querySelectorAll(".cite-group")].map((g) => g.textContent)];
"""


def test_punctuation_after_a_citation_chip_stays_on_its_line(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    answers = [
        "保修期为两年，自购买之日起计算[1]。请保留发票[2]。",
        "The Ember kettle carries a warranty of seven years from purchase [1].",
        "Descale it monthly [1, 2]; use citric acid [3]!",
        # Mixed Chinese and English, marks with no punctuation after them: before, the
        # line could break between "年" and its chip.
        "Ember 水壶的保修期为七年[1]和两年[2]，Kestrel Valley [3] 的茶园海拔1650米[4]",
        "Tours last 75 minutes [2] and cost 12 dollars",
    ]
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")
        assert driver.execute_script(_STRANDED, answers) == []
        assert not page_errors(driver)


def test_a_citation_chip_stands_before_its_punctuation_against_the_word(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")

        def rendered(text: str) -> list[Any]:
            return list(driver.execute_script(_RENDERED, text))

        # The chip stands where the text's mark does, before the full stop (as `ragkit
        # ask` prints it); the space before the mark goes, and the word before it and the
        # punctuation after it are held with it.
        assert rendered("It lasts 30 days [1].") == ["It lasts 30 days1.", ["days1."]]
        assert rendered("保修期为两年[1]。请保留发票[2]。") == [
            "保修期为两年1。请保留发票2。",
            ["年1。", "票2。"],
        ]
        assert rendered("Descale it monthly [1, 2]; use citric acid [3]!") == [
            "Descale it monthly1 2; use citric acid3!",
            ["monthly1 2;", "acid3!"],
        ]
        # Kept: a mark with no punctuation after it stays where it was, and the words after
        # it keep their space.
        assert rendered("Tours last 75 minutes [2] and cost 12 dollars") == [
            "Tours last 75 minutes2 and cost 12 dollars",
            ["minutes2"],
        ]
        # Kept: a source's own brackets (no `cite`) are text, their spaces untouched.
        snippet = driver.execute_script(
            "const s = document.createElement('span');"
            "RagkitMarkdown.snippet(s, arguments[0]); return s.textContent;",
            "See note [1]. Then go on.",
        )
        assert snippet == "See note [1]. Then go on."
        assert not page_errors(driver)


def test_a_long_word_in_a_turn_breaks_inside_the_conversation(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    url = "https://lumentea.example/processing/guide/withering-and-rolling-steps-2026-edition.html"
    source = {
        "number": 1,
        "chunk_id": 1,
        "file": "faq.html",
        "page": None,
        "location": "faq.html",
        "snippet": url,
        "sentence": f"See {url} for the steps.",
    }
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.set_window_size(390, 900)
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")
        overflow = driver.execute_script(
            "const t = addTurn('Where is ' + arguments[0] + '?');"
            "finishTurn(t, {text: 'The guide is at ' + arguments[0] + ' [1].',"
            " sources: [arguments[1]], citations: [arguments[1]]}, 'done');"
            "return [...t.querySelectorAll('.question p, .answer, .source-list li')]"
            ".map((n) => n.scrollWidth - n.clientWidth);",
            url,
            source,
        )
        assert len(overflow) == 3 and all(extra <= 0 for extra in overflow), overflow
        # The words are all there, broken, not cut.
        assert url in driver.find_element(By.ID, "answer").text.replace("\n", "")
        assert not page_errors(driver)


_SOURCE_LIST = """
const box = document.createElement("div");
document.body.append(box);
renderSources(box, arguments[0], arguments[1]);
const items = [...box.querySelectorAll(".source-list > li")].map((li) => ({
  text: li.innerText, hidden: li.hidden,
  buttons: [...li.querySelectorAll("button.citation")].map((b) => b.textContent),
}));
box.remove();
return items;
"""


def test_the_source_list_names_each_document_once(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))

    def source(number: int, file: str, page: int | None, sentence: str) -> dict[str, object]:
        where = f"{file} p. {page}" if page else file
        return {"number": number, "chunk_id": number, "file": file, "page": page,
                "location": where, "snippet": sentence, "sentence": sentence}  # fmt: skip

    sources = [
        source(1, "faq.html", None, "The cooperative is fictional."),
        source(2, "history.md", None, "Since 2021 the board has been chaired by Priya."),
        source(3, "history.md", None, "The founders are Mirela Osei and Tomas Varga."),
        source(4, "handbook.pdf", 2, "The warranty is 18 months."),
        source(5, "handbook.pdf", 3, "Descale monthly."),
    ]
    cited = [{"number": n} for n in (1, 2, 3, 4)]
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")
        items = driver.execute_script(_SOURCE_LIST, sources, cited)
        assert not page_errors(driver)
    # The two cited passages of history.md are one item naming the file once, each with
    # its number and sentence; the uncited page of handbook.pdf stays folded away.
    assert [i["buttons"] for i in items] == [
        ["[1] faq.html"],
        ["[2]", "[3]"],
        ["[4] handbook.pdf p. 2"],
        ["[5] handbook.pdf p. 3"],
    ]
    assert items[1]["text"].count("history.md") == 1
    assert "Mirela Osei" in items[1]["text"] and "Priya" in items[1]["text"]
    assert [i["hidden"] for i in items] == [False, False, False, True]


def test_a_refused_first_upload_leaves_no_empty_collection(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")
        driver.find_element(By.ID, "file-input").send_keys(str(empty))
        driver.find_element(By.ID, "upload-button").click()
        wait_for(lambda: page_errors(driver), HANG_S, "the refusal")
        assert page_errors(driver) == "empty.pdf is empty (0 bytes)"
        # The collection the upload made for itself ("empty") went with the refusal.
        select = driver.find_element(By.ID, "collection-select")
        wait_for(lambda: select.text == "No collections yet", HANG_S, "the collection to go")
        assert not select.is_enabled()
        assert httpx.get(server.url + "/api/collections").json()["collections"] == []


def test_a_stopped_server_is_named_not_failed_to_fetch(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    server = ThreadServer(app).__enter__()
    try:
        created = httpx.post(server.url + "/api/collections", json={"name": "notes"})
        with chromium(tmp_path / "profile") as driver:
            driver.get(server.url + "/")
            select = driver.find_element(By.ID, "collection-select")
            wait_for(lambda: select.text == "notes", HANG_S, "the collection")
            assert created.status_code == 201
            server.__exit__(None, None, None)
            driver.find_element(By.ID, "question").send_keys("Is anyone there?")
            driver.find_element(By.ID, "ask-button").click()
            wait_for(lambda: page_errors(driver), HANG_S, "the error line")
            assert page_errors(driver) == (
                "the ragkit server cannot be reached; check that ragkit serve is still "
                "running, then try again"
            )
    finally:
        server.__exit__(None, None, None)


def test_the_question_box_stays_in_the_window_under_an_error(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        created = httpx.post(server.url + "/api/collections", json={"name": "notes"})
        assert created.status_code == 201
        driver.get(server.url + "/")
        empty = driver.find_element(By.ID, "empty-thread")
        wait_for(lambda: "no documents yet" in empty.text, HANG_S, "the empty collection")
        assert "left" not in empty.text  # on a phone the documents are not on the left
        button = driver.find_element(By.ID, "ask-button")
        bottom = "return arguments[0].getBoundingClientRect().bottom <= window.innerHeight"
        assert driver.execute_script(bottom, button)
        button.click()  # an empty question: the server's refusal shows above the layout
        wait_for(lambda: "question is empty" in page_errors(driver), HANG_S, "the error line")
        assert driver.execute_script(bottom, button), "the Ask button left the window"


def test_a_clamped_passage_shows_no_sliver_of_its_third_line(tmp_path: Path) -> None:
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    notes = tmp_path / "notes.txt"
    # One long sentence: a passage of many lines in the narrow documents panel.
    notes.write_text("The kettle boils water quickly and quietly " * 8 + "at home.\n")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")
        upload_and_index(driver, [notes], HANG_S)
        item = driver.find_element(By.CSS_SELECTOR, 'li[data-name="notes.txt"]')
        item.find_element(By.CSS_SELECTOR, "button.show-chunks").click()
        passage = wait_for(
            lambda: item.find_element(By.CSS_SELECTOR, "ol.chunks button.chunk"), HANG_S, "passages"
        )
        # What shows of a clamped passage (its padding box) is its two lines, no more.
        shown, line, full = driver.execute_script(
            "const b = arguments[0];"
            "const whole = b.cloneNode(true);"  # unclamped, for the passage's full height
            "whole.style.display = 'block'; whole.style.webkitLineClamp = 'none'; b.after(whole);"
            "const full = whole.clientHeight; whole.remove();"
            "return [b.clientHeight, parseFloat(getComputedStyle(b).lineHeight), full];",
            passage,
        )
        assert full > shown, "the passage is not long enough to be clamped"
        assert abs(shown - 2 * line) <= 1, (shown, line)


def test_the_page_says_what_the_checks_left_out_under_the_answer(tmp_path: Path) -> None:
    """A model sentence no source backs is withheld, and the page says so under the
    answer, as `ragkit ask` does, in the question's language; so does the conversation
    opened again. An answer with nothing withheld has no such line."""
    warranty = "The Ember kettle carries a warranty of seven years [1]."
    invented = "The kettle was designed in Oslo in 1970 by Ingrid Berg [1]."
    model = ScriptedChatModel([f"{warranty} {invented}", warranty])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(model))
    pdf = make_pdf(
        tmp_path / "handbook.pdf",
        ["Warranty terms. The Ember kettle carries a warranty of seven years from purchase."],
    )
    note = "(left out 1 sentence of the model's answer that the sources do not support)"
    shown = "#thread .turn:last-child .answer .left-out"
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents").text, HANG_S, "the page to load")
        driver.find_element(By.ID, "new-collection-name").send_keys("Ember")
        driver.find_element(By.ID, "create-collection").click()
        select = driver.find_element(By.ID, "collection-select")
        wait_for(lambda: "Ember" in select.text, HANG_S, "the new collection")
        upload_and_index(driver, [pdf], HANG_S)
        answer, _ = ask(driver, "How long is the Ember kettle warranty?", HANG_S)
        assert "Oslo" not in answer and "seven years" in answer
        assert driver.find_element(By.CSS_SELECTOR, shown).text == note
        driver.refresh()  # the conversation, opened again from the address
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, shown), HANG_S, "the thread")
        assert driver.find_element(By.CSS_SELECTOR, shown).text == note
        driver.find_element(By.ID, "new-conversation").click()
        answer, _ = ask(driver, "How long is the Ember kettle warranty?", HANG_S)
        assert "seven years" in answer
        assert driver.find_elements(By.CSS_SELECTOR, shown) == []
        assert not page_errors(driver)


# The width of the first character of a note under an answer, and the note's font size.
_OPENING = """
const p = document.createElement("p");
p.className = "meta left-out";
p.textContent = arguments[0];
document.getElementById("thread").append(p);
const r = document.createRange();
r.setStart(p.firstChild, 0);
r.setEnd(p.firstChild, 1);
const out = [r.getBoundingClientRect().width, parseFloat(getComputedStyle(p).fontSize)];
p.remove();
return out;
"""


def test_the_chinese_note_under_an_answer_lines_up_with_it(tmp_path: Path) -> None:
    """The Chinese note opens with a full-width "（", whose empty half set the note a
    half character in from the answer's edge; an English "(" is untouched."""
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(ScriptedChatModel(["ok"])))
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "documents"), HANG_S, "the page to load")
        width, size = driver.execute_script(_OPENING, "（略去了模型回答中没有回答问题的 1 句）")
        assert width <= 0.6 * size, (width, size)
        width, size = driver.execute_script(_OPENING, "(left out 1 sentence of the model's answer")
        assert 0.2 * size <= width <= 0.5 * size, (width, size)
        assert not page_errors(driver)
