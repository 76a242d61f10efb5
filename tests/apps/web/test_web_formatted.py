"""Word, HTML and Markdown sources in the page viewer: shown formatted (headings, lists,
tables, emphasis) from the loader's blocks, with the cited sentence, and only it,
marked; through the API and in headless Chromium (screenshots at desktop and 390 px).
Also the block renderer on its own: runs are slices of the indexed text, markup is
left out of them, and marking cuts runs at the sentence's ends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docx
from browser import chromium, page_errors, upload_and_index, wait_for
from ceilings import HANG_S
from chatpdf_fakes import answer_from_sources, factory
from conftest import LOCAL, ThreadServer
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from test_web_chatpdf import ask_in_page, shoot, thread_texts
from test_web_pages import events, upload

from ragkit import ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app
from ragkit.apps.web.formatted import formatted_blocks
from ragkit.ingest.loaders.text import markdown_blocks
from ragkit.types import Block

MD_FACT = "The copper base of the kettle is **polished by hand** in Sheffield."
DOCX_FACT = "Descale the kettle every month with a spoon of citric acid."
HTML_FACT = "The lid hinge is rated for twenty thousand openings."

MARKDOWN = f"""# Ember kettle: materials

The kettle is made of three parts. Each part is *chosen* for its use.

## The base

- {MD_FACT}
- The base is sealed with food-safe lacquer.

| Part | Metal |
| --- | --- |
| Base | copper |
| Handle | `walnut` wood |
"""

HTML = f"""<html><head><title>Ember lid</title><script>alert("x")</script></head><body>
<h1>Ember kettle: the lid</h1>
<p>The lid closes with a soft click. &lt;b&gt;Not bold&lt;/b&gt; stays text.</p>
<h2>Hinge</h2>
<table><tr><th>Part</th><th>Rating</th></tr>
<tr><td>Hinge</td><td>{HTML_FACT} It is tested at the factory.</td></tr></table>
<ul><li>Open the lid slowly.</li><li>Do not force it.</li></ul>
</body></html>"""


def word_guide(path: Path) -> Path:
    word = docx.Document()
    word.add_heading("Ember kettle: care", 0)
    word.add_heading("Descaling", 2)
    word.add_paragraph("Hard water leaves scale inside the kettle over time.")
    word.add_paragraph(DOCX_FACT, style="List Number")
    word.add_paragraph("Rinse it twice afterwards.", style="List Number")
    table = word.add_table(rows=2, cols=2)
    for (r, c), text in {
        (0, 0): "Water",
        (0, 1): "How often",
        (1, 0): "Hard",
        (1, 1): "Monthly",
    }.items():
        table.cell(r, c).text = text
    word.save(str(path))
    return path


def sources(tmp_path: Path) -> list[Path]:
    md = tmp_path / "materials.md"
    md.write_text(MARKDOWN, encoding="utf-8")
    html = tmp_path / "lid.html"
    html.write_text(HTML, encoding="utf-8")
    return [md, word_guide(tmp_path / "care.docx"), html]


def marked(blocks: list[dict[str, Any]]) -> str:
    runs = [r for b in blocks for rs in b.get("cells", [b.get("runs", [])]) for r in rs]
    return "".join(t for t, style in runs if "mark" in style.split())


def flat(text: str) -> str:
    return " ".join(re.sub(r"\*\*", "", text).split())


QUESTIONS = (
    ("Where is the copper base polished by hand?", "materials.md", MD_FACT, "bullet"),
    ("What should I descale the kettle with every month?", "care.docx", DOCX_FACT, "number"),
    ("How many openings is the lid hinge rated for?", "lid.html", HTML_FACT, "row"),
)


def test_renderer_cuts_runs_at_the_sentence_and_drops_markdown_markers() -> None:
    text = "# Title\n\nSome *soft* words. A **bold** fact here. After.\n"
    blocks = markdown_blocks(text)
    start = text.index("A **bold**")
    end = text.index("here.") + len("here.")
    shown = formatted_blocks(text, blocks, (0, len(text)), (start, end), markdown=True)
    assert shown == [
        {"kind": "heading", "level": 1, "runs": [["Title", ""]]},
        {
            "kind": "paragraph",
            "level": 0,
            "runs": [
                ["Some ", ""],
                ["soft", "em"],
                [" words. ", ""],
                ["A ", "mark"],
                ["bold", "strong mark"],
                [" fact here.", "mark"],
                [" After.", ""],
            ],
        },
    ]
    # Plain text has no blocks: paragraphs at blank lines, markup-looking text kept.
    plain = "One <b>line</b>\nand its next.\n\nTwo."
    assert formatted_blocks(plain, (), (0, len(plain)), None) == [
        {"kind": "paragraph", "level": 0, "runs": [["One <b>line</b>\nand its next.", ""]]},
        {"kind": "paragraph", "level": 0, "runs": [["Two.", ""]]},
    ]
    # A window that cuts a long block keeps only the window's part of it.
    long = Block("paragraph", 0, len(plain))
    cut = formatted_blocks(plain, (long,), (4, 8), None)
    assert cut[0]["runs"] == [[plain[0 : len(plain)], ""]]  # within EDGE_SLACK: whole


def test_word_html_and_markdown_pages_are_formatted_with_the_sentence_marked(
    tmp_path: Path,
) -> None:
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model))
    with TestClient(app, base_url=LOCAL) as client:
        cid = client.post("/api/collections", json={"name": "care"}).json()["id"]
        upload(client, cid, *sources(tmp_path))
        for question, file, fact, kind in QUESTIONS:
            done = events(client, cid, question)[-1]
            assert done[0] == "done" and done[1]["citations"], (question, done)
            cited = done[1]["citations"][0]
            view = client.get(
                f"/api/collections/{cid}/chunks/{cited['chunk_id']}/page",
                params={"sentence": cited["sentence"]},
            ).json()
            assert view["file"] == file and view["page"] is None
            kinds = [b["kind"] for b in view["blocks"]]
            assert kinds[0] == "heading" and "row" in kinds and kind in kinds, kinds
            # Only the supporting sentence is marked, markers left out of its runs.
            assert flat(marked(view["blocks"])) == flat(fact), view["blocks"]
            (start, end), *_ = view["highlights"]
            # Cut to the block: no bullet, no neighbouring table cell.
            assert flat(view["text"][start:end]) == flat(fact)
            runs = [r for b in view["blocks"] for rs in b.get("cells", [b.get("runs")]) for r in rs]
            shown = "".join(t for t, _ in runs)
            assert "<script>" not in shown and "alert" not in shown
            if file == "materials.md":
                assert ["polished by hand", "strong mark"] in runs
                assert "**" not in shown and "`" not in shown and "|" not in shown
            if file == "lid.html":
                assert "<b>Not bold</b>" in shown  # escaped markup in the page stays text


def test_formatted_pages_in_the_browser(tmp_path: Path) -> None:
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model))
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        upload_and_index(driver, sources(tmp_path), HANG_S)
        title = driver.find_element(By.ID, "viewer-title")
        text = driver.find_element(By.ID, "page-text")
        for question, file, fact, kind in QUESTIONS:
            # Each question in a thread of its own: a follow-up would search with the last.
            driver.find_element(By.ID, "new-conversation").click()
            wait_for(lambda: not thread_texts(driver), HANG_S, "an empty thread")
            answer = ask_in_page(driver, question)
            # The source card shows the passage's Markdown rendered, not its markers.
            card = driver.find_element(By.CSS_SELECTOR, "#citations li.cited .snippet")
            assert flat(fact) in flat(card.text) and "**" not in card.text, card.text
            if file == "materials.md":
                assert card.find_element(By.TAG_NAME, "strong").text == "polished by hand"
            answer.find_element(By.CSS_SELECTOR, "button.cite").click()
            wait_for(lambda file=file: title.text == file, HANG_S, f"{file} in the viewer")
            wait_for(lambda: text.find_elements(By.TAG_NAME, "mark"), HANG_S, "the mark")
            assert "formatted" in (text.get_attribute("class") or "")
            assert text.find_elements(By.TAG_NAME, "h1") and text.find_elements(By.TAG_NAME, "h2")
            assert text.find_elements(By.CSS_SELECTOR, "table tr th")
            lit = " ".join(m.text for m in text.find_elements(By.TAG_NAME, "mark"))
            assert flat(lit) == flat(fact)
            holder = {"bullet": "ul li", "number": "ol li", "row": "table td"}[kind]
            assert any(
                c.find_elements(By.TAG_NAME, "mark")
                for c in text.find_elements(By.CSS_SELECTOR, holder)
            ), f"the sentence is not inside a {holder}"
            if file == "materials.md":
                assert (
                    text.find_element(By.CSS_SELECTOR, "mark strong, strong mark").text
                    == "polished by hand"
                )
            assert driver.find_element(By.ID, "viewer-sentence").text
            shoot(driver, f"06-formatted-{Path(file).suffix.lstrip('.')}")
            assert not page_errors(driver)
        # The documents view's passages are rendered the same way.
        item = driver.find_element(By.CSS_SELECTOR, 'li[data-name="materials.md"]')
        item.find_element(By.CSS_SELECTOR, "button.show-chunks").click()
        passages = wait_for(
            lambda: item.find_elements(By.CSS_SELECTOR, "ol.chunks button.chunk"),
            HANG_S,
            "passages",
        )
        # textContent: a passage shows two lines, and Selenium's text leaves out the rest.
        shown = " ".join(p.get_attribute("textContent") for p in passages)
        assert "polished by hand" in shown and not re.search(r"\*\*|`|\||^#", shown), shown
        assert item.find_elements(By.CSS_SELECTOR, "ol.chunks strong")


def test_bold_wrapped_across_a_line_break_is_shown_bold_without_its_marks() -> None:
    text = (
        "## Today\n\nThe board is chaired by **Priya\nNandakumar**, a grower.\n\n"
        "A ** b\n\nc ** d.\n"
    )
    shown = formatted_blocks(text, markdown_blocks(text), (0, len(text)), None, markdown=True)
    assert shown[1]["runs"] == [
        ["The board is chaired by ", ""],
        ["Priya Nandakumar", "strong"],
        [", a grower.", ""],
    ]
    # Marks in two paragraphs do not pair across the blank line between them.
    assert shown[2]["runs"] == [["A ** b", ""]] and shown[3]["runs"] == [["c ** d.", ""]]
