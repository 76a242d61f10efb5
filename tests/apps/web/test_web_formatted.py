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


# A plain-text file as an editor wraps it at 72 columns, with lines its writer broke.
WRAPPED_FACT = (
    "Each delivery is weighed on the bay scale and checked by hand before the leaf goes "
    "to the withering troughs."
)
WRAPPED = """LEAF RECEIVING

Member farms deliver fresh leaf to the receiving bay between 06:00 and
14:00 during the plucking season. Each delivery is weighed on the bay
scale and checked by hand before the leaf goes to the withering troughs.
Leaf is accepted only if it arrives within four hours of picking.

Lumen Tea Cooperative
27 Mill Lane
Kestrel Valley

The staff at the bay follow three steps, one after another, each day:
1. Weigh the delivery on the bay scale and write the weight down.
2. Check the pluck by hand before the leaf goes to the troughs.

The drying house keeps these records for every delivery that arrives:
    the farm, the weight and the time of arrival at the bay;
    the name of the person who checked the leaf by hand.

雾溪茶园是流明茶叶合作社在中国的合作茶园，位于云南省普洱市景谷县的
一处山谷中。茶园始建于2003年。
"""


def test_a_plain_text_files_wrapped_paragraphs_are_reflowed_and_its_own_lines_kept() -> None:
    from ragkit.ingest.loaders.text import plain_blocks

    start = WRAPPED.index("Each delivery")
    end = WRAPPED.index("troughs.") + len("troughs.")
    shown = formatted_blocks(
        WRAPPED, plain_blocks(WRAPPED), (0, len(WRAPPED)), (start, end), plain=True
    )
    texts = ["".join(t for t, _ in b["runs"]) for b in shown]
    # The editor's breaks are spaces; the mark is the sentence, spaces and all.
    assert texts[1] == " ".join(WRAPPED.split("\n\n")[1].split())
    assert marked(shown) == WRAPPED_FACT
    # A short line's break is the writer's, as is one before an item or an indented line.
    assert texts[2] == "Lumen Tea Cooperative\n27 Mill Lane\nKestrel Valley"
    assert texts[3].count("\n") == 2 and "each day:\n1. Weigh" in texts[3]
    assert texts[4].count("\n") == 2 and "arrives:\n    the farm" in texts[4]
    # Two Chinese characters join with nothing between them.
    assert texts[5] == WRAPPED.split("\n\n")[-1].strip().replace("\n", "")
    assert texts[5].startswith("雾溪茶园") and "景谷县的一处山谷中" in texts[5]
    # Kept: without `plain` (Word and HTML breaks are real) every break stays.
    kept = formatted_blocks(WRAPPED, plain_blocks(WRAPPED), (0, len(WRAPPED)), (start, end))
    assert "".join(t for t, _ in kept[1]["runs"]).count("\n") == 3


# Each line of the paragraph holding the mark, as [left, right] of its words, and the
# paragraph's own [left, right]; and its text as the page has it.
_LINES = """
const p = document.querySelector("#page-text mark").closest("p");
const lines = new Map();
const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const range = document.createRange();
  range.selectNodeContents(node);
  for (const r of range.getClientRects()) {
    const top = Math.round(r.top);
    const [l, rt] = lines.get(top) || [Infinity, -Infinity];
    lines.set(top, [Math.min(l, r.left), Math.max(rt, r.right)]);
  }
}
const box = p.getBoundingClientRect();
return {lines: [...lines.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]),
        box: [box.left, box.right], text: p.textContent};
"""


# Where the words `arguments[0]` start on the page, and the left edge of their paragraph.
_INDENT = """
const page = document.getElementById("page-text");
const walker = document.createTreeWalker(page, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const at = node.data.indexOf(arguments[0]);
  if (at < 0) continue;
  const range = document.createRange();
  range.setStart(node, at);
  range.setEnd(node, at + 1);
  const p = node.parentElement.closest("p");
  return [range.getBoundingClientRect().left, p.getBoundingClientRect().left];
}
return [null, null];
"""


def test_a_plain_text_page_reads_as_paragraphs_on_a_phone(tmp_path: Path) -> None:
    """The cited .txt in the viewer at 390 px: each line of the cited paragraph runs to
    the column's edge (before, the file's 72-column lines broke again at the screen's
    width, leaving a short line after each), and the sentence lit is the cited one."""
    model = ScriptedChatModel([answer_from_sources])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), factory(model))
    guide = tmp_path / "receiving.txt"
    guide.write_text(WRAPPED, encoding="utf-8")
    with ThreadServer(app) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url + "/")
        upload_and_index(driver, [guide], HANG_S)
        driver.set_window_size(390, 844)
        answer = ask_in_page(driver, "How is each delivery checked before the troughs?")
        answer.find_element(By.CSS_SELECTOR, "button.cite").click()
        text = driver.find_element(By.ID, "page-text")
        wait_for(lambda: text.find_elements(By.TAG_NAME, "mark"), HANG_S, "the mark")
        lit = " ".join(m.text for m in text.find_elements(By.TAG_NAME, "mark"))
        assert flat(lit) == WRAPPED_FACT
        shown = driver.execute_script(_LINES)
        assert "\n" not in shown["text"], shown["text"]
        lines, (_, right) = shown["lines"], shown["box"]
        assert len(lines) > 4, lines
        # Every line but the last fills the column to within a long word's width.
        assert all(r >= right - 90 for _, r in lines[:-1]), (lines, right)
        address = text.find_element(By.XPATH, ".//p[contains(., 'Mill Lane')]")
        assert address.get_attribute("textContent").count("\n") == 2
        # An indented line keeps its indentation (before, pre-line dropped its spaces).
        left, box = driver.execute_script(_INDENT, "the farm, the weight")
        assert left >= box + 8, (left, box)
        shoot(driver, "07-plain-text-390")
        assert not page_errors(driver)
