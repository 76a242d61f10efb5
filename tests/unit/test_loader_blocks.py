"""The structure loaders record for the page viewer (`Page.blocks`): Word, HTML and
Markdown blocks are character ranges of the indexed text, with the right kinds and
levels, and they survive the isolated loader worker's wire form."""

from __future__ import annotations

from pathlib import Path

import docx

from ragkit.ingest.loaders import LoaderOptions, load_file, load_file_bounded
from ragkit.ingest.loaders.text import markdown_blocks
from ragkit.types import Page

MARKDOWN = """# Ember kettle guide #

The kettle boils water.
It has a **second** line.

## Cleaning

- Rinse with vinegar.
  Then water.
- Dry it.
  1. Nested step

> Quoted words.

```python
# not a heading
```

| Part | Years |
| --- | ---: |
| Base | 7 |
---
Last words.
"""

HTML = """<html><head><title>Ember</title><style>p { color: red }</style></head><body>
<h1>Ember kettle guide</h1>
<p>The kettle boils <b>water</b> fast.<br>Second line.</p>
<h2>Cleaning</h2>
<ul><li>Rinse with vinegar.<ul><li>Nested item</li></ul></li><li><p>Dry it.</p></li></ul>
<ol><li>One</li><li>Two</li></ol>
<table><tr><th>Part</th><th>Years</th></tr><tr><td>Base</td><td>7</td></tr></table>
<blockquote><p>Quoted words.</p></blockquote>
Bare body text.
<pre>code here</pre>
</body></html>"""


# The blocks of the table in all three documents: a header row, a body row, their cells.
TABLE = [
    ("row", 1, "Part | Years"),
    ("cell", 0, "Part"),
    ("cell", 0, "Years"),
    ("row", 0, "Base | 7"),
    ("cell", 0, "Base"),
    ("cell", 0, "7"),
]


def shown(page: Page) -> list[tuple[str, int, str]]:
    return [(b.kind, b.level, page.text[b.start : b.end]) for b in page.blocks]


def loaded_blocks(path: Path) -> list[tuple[str, int, str]]:
    """The blocks of the first page of `path` as loaded in this process."""
    (doc,) = load_file(path, LoaderOptions(isolate=False))
    return shown(doc.pages[0])


def test_markdown_blocks_leave_markers_out() -> None:
    blocks = [(b.kind, b.level, MARKDOWN[b.start : b.end]) for b in markdown_blocks(MARKDOWN)]
    assert blocks == [
        ("heading", 1, "Ember kettle guide"),
        ("paragraph", 0, "The kettle boils water.\nIt has a **second** line."),
        ("heading", 2, "Cleaning"),
        ("bullet", 1, "Rinse with vinegar.\n  Then water."),
        ("bullet", 1, "Dry it."),
        ("number", 2, "Nested step"),
        ("quote", 0, "Quoted words."),
        ("code", 0, "# not a heading"),
        *TABLE,
        ("paragraph", 0, "Last words."),
    ]


def test_word_blocks_name_headings_lists_and_table_cells(tmp_path: Path) -> None:
    word = docx.Document()
    word.add_heading("Ember kettle guide", 0)
    word.add_heading("Cleaning", 2)
    word.add_paragraph("Rinse it with vinegar. Then dry it.")
    word.add_paragraph("First step", style="List Bullet")
    word.add_paragraph("Deeper step", style="List Bullet 2")
    word.add_paragraph("Counted step", style="List Number")
    table = word.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Part", (0, 1): "Years", (1, 0): "Base", (1, 1): "7"}.items():
        table.cell(r, c).text = text
    word.add_paragraph("Last words.")
    path = tmp_path / "guide.docx"
    word.save(str(path))
    assert loaded_blocks(path) == [
        ("heading", 1, "Ember kettle guide"),
        ("heading", 2, "Cleaning"),
        ("paragraph", 0, "Rinse it with vinegar. Then dry it."),
        ("bullet", 1, "First step"),
        ("bullet", 2, "Deeper step"),
        ("number", 1, "Counted step"),
        *TABLE,
        ("paragraph", 0, "Last words."),
    ]


def test_html_blocks_are_found_in_the_tidied_text(tmp_path: Path) -> None:
    (tmp_path / "guide.html").write_text(HTML, encoding="utf-8")
    assert loaded_blocks(tmp_path / "guide.html") == [
        ("heading", 1, "Ember kettle guide"),
        ("paragraph", 0, "The kettle boils water fast.\nSecond line."),
        ("heading", 2, "Cleaning"),
        ("bullet", 1, "Rinse with vinegar."),
        ("bullet", 2, "Nested item"),
        ("bullet", 1, "Dry it."),
        ("number", 1, "One"),
        ("number", 1, "Two"),
        *TABLE,
        ("quote", 0, "Quoted words."),
        ("paragraph", 0, "Bare body text."),
        ("code", 0, "code here"),
    ]


def test_blocks_cross_the_worker_and_take_no_part_in_equality(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    options = LoaderOptions(inprocess_max_bytes=0)  # through the isolated worker
    (far,) = load_file_bounded(path, options)
    (near,) = load_file(path, LoaderOptions(isolate=False))
    assert far.pages[0].blocks == near.pages[0].blocks == markdown_blocks(near.text)
    assert Page(None, near.text) == near.pages[0]


PLAIN = """LEAF PROCESSING GUIDE

Fresh leaf is weighed on arrival.

4. Oxidation

Rolled leaf rests for 2.5 hours.
It turns copper.

Grades:

  - Grade A, whole leaf;
    sold loose.
  - Grade B, broken leaf.

A short closing line.
雾溪茶园简介

茶园始建于2003年。

Last line alone
"""


def test_plain_text_blocks_name_headings_items_and_paragraphs(tmp_path: Path) -> None:
    (tmp_path / "guide.txt").write_text(PLAIN, encoding="utf-8")
    assert loaded_blocks(tmp_path / "guide.txt") == [
        ("heading", 1, "LEAF PROCESSING GUIDE"),
        ("paragraph", 0, "Fresh leaf is weighed on arrival."),
        ("heading", 2, "4. Oxidation"),
        ("paragraph", 0, "Rolled leaf rests for 2.5 hours.\nIt turns copper."),
        # A line ending like a sentence (here a colon) is no heading.
        ("paragraph", 0, "Grades:"),
        ("bullet", 1, "Grade A, whole leaf;\n    sold loose."),
        ("bullet", 1, "Grade B, broken leaf."),
        # Two lines without a blank line between them are one paragraph.
        ("paragraph", 0, "A short closing line.\n雾溪茶园简介"),
        ("paragraph", 0, "茶园始建于2003年。"),
        # A short line with nothing after it heads nothing.
        ("paragraph", 0, "Last line alone"),
    ]
