"""Unit tests for ragkit.ingest.loaders: every format, its failure modes, and path expansion.

Every input is generated in the test (fpdf2 for PDFs, pypdf for encryption,
python-docx for Word files), so nothing depends on sample files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.errors import LoaderError, UnsupportedFileError
from ragkit.ingest.loaders import LoaderOptions, iter_files, load_file
from ragkit.types import Document

OPTIONS = LoaderOptions()


def _load_one(path: Path, options: LoaderOptions = OPTIONS) -> Document:
    docs = load_file(path, options)
    assert len(docs) == 1
    return docs[0]


def _error(path: Path, options: LoaderOptions = OPTIONS) -> LoaderError:
    with pytest.raises(LoaderError) as info:
        load_file(path, options)
    # Every message must say which file it is about.
    assert str(path) in str(info.value)
    return info.value


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _pdf_bytes(pages: list[str], title: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.text(20, 30, text)
    return bytes(pdf.output())


def _encrypted_pdf(path: Path, user_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = _write(path.with_name("plain-" + path.name), _pdf_bytes(["Secret page text"]))
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password, "owner-password")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


# --- plain text -------------------------------------------------------------------------


def test_utf8_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.txt", "Grüße aus Köln\r\nzweite Zeile\rdritte\n".encode())
    doc = _load_one(path)
    assert doc.text == "Grüße aus Köln\nzweite Zeile\ndritte\n"
    assert doc.source == str(path.resolve())
    assert doc.key == doc.source
    assert doc.title == "notes"
    assert doc.file_type == "txt"
    assert [p.number for p in doc.pages] == [None]


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + "héllo wörld".encode())
    assert _load_one(path).text == "héllo wörld"


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "wide.txt", "UTF-16 text, ünïcode\r\n".encode("utf-16"))
    assert _load_one(path).text == "UTF-16 text, ünïcode\n"


def test_gb18030_chinese(tmp_path: Path) -> None:
    text = "人工智能是计算机科学的一个分支。"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test is only meaningful if UTF-8 refuses it
    path = _write(tmp_path / "zh.txt", data)
    assert _load_one(path).text == text


def test_neither_utf8_nor_gb18030(tmp_path: Path) -> None:
    data = b"\x80\xff\xfa\xfb" * 100
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(encoding)
    path = _write(tmp_path / "latin.txt", data)
    err = _error(path)
    assert "not UTF-8 or GB18030 text; re-save it as UTF-8" in str(err)


def test_binary_with_nul_named_txt(tmp_path: Path) -> None:
    path = _write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    assert "looks like a binary file, not text" in str(_error(path))


def test_binary_without_nul_but_control_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path / "blob.md", bytes(range(1, 32)) * 50)
    assert "looks like a binary file" in str(_error(path))


def test_zero_byte_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.txt", b"")
    assert "empty file (0 bytes)" in str(_error(path))


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.txt", b"  \n\t\n \r\n")
    assert "no text" in str(_error(path))


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.txt", b"a" * 2048)
    err = _error(path, LoaderOptions(max_file_bytes=1024))
    assert "2048 bytes" in str(err)
    assert "RAGKIT_LOADER__MAX_FILE_BYTES" in str(err)


def test_enormous_single_line(tmp_path: Path) -> None:
    line = "word " * (1024 * 1024)  # 5 MiB, no newline
    path = _write(tmp_path / "one-line.md", line.encode())
    # No clock here (the machine's speed is not the loader's): a scan that went quadratic
    # on a 5 MiB line would run for hours and fail on the per-test timeout.
    doc = _load_one(path)
    assert len(doc.text) == len(line)
    assert doc.title == "one-line"


def test_markdown_title(tmp_path: Path) -> None:
    text = "Intro line\n\n```bash\n# not a title\n```\n\n## Sub\n# Real Title #\n\nBody.\n"
    path = _write(tmp_path / "readme.md", text.encode())
    doc = _load_one(path)
    assert doc.title == "Real Title"
    assert doc.file_type == "md"
    assert "# not a title" in doc.text  # Markdown is kept as written


def test_markdown_without_heading_uses_stem(tmp_path: Path) -> None:
    path = _write(tmp_path / "plain.markdown", b"just text\n")
    doc = _load_one(path)
    assert doc.title == "plain"
    assert doc.file_type == "md"


def test_txt_ignores_markdown_heading(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.TXT", b"# Heading\ntext\n")
    doc = _load_one(path)  # suffix matched case-insensitively
    assert doc.title == "notes"
    assert doc.file_type == "txt"


# --- HTML ------------------------------------------------------------------------------


HTML = """<!DOCTYPE html>
<html><head><title>  The  Page </title>
<style>body { color: red }</style>
<script>var secret = "do not index";</script></head>
<body>
<noscript>enable javascript</noscript>
<template><p>template text</p></template>
<h1>Main heading</h1>
<p>First paragraph with <b>bold</b> text.</p>


<div>Second <span>block</span></div>
<ul><li>item one</li><li>item two</li></ul>
<table><tr><td>a</td><td>b</td></tr></table>
<!-- a comment -->
<script>alert("x")</script>
</body></html>
"""


def test_html(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.html", HTML.encode())
    doc = _load_one(path)
    assert doc.title == "The Page"
    assert doc.file_type == "html"
    assert doc.key == doc.source == str(path.resolve())
    text = doc.text
    for dropped in ("secret", "alert", "color", "enable javascript", "template text", "comment"):
        assert dropped not in text
    assert "First paragraph with bold text." in text
    assert "Main heading\n\nFirst paragraph" in text
    assert "item one\nitem two" in text
    assert "a | b" in text
    assert "\n\n\n" not in text


def test_html_title_from_h1_then_stem(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.htm", b"<html><body><h1>Heading One</h1><p>x</p></body></html>")
    assert _load_one(path).title == "Heading One"
    path = _write(tmp_path / "b.html", b"<p>only a paragraph</p>")
    doc = _load_one(path)
    assert doc.title == "b"
    assert doc.text == "only a paragraph"


def test_html_declared_charset(tmp_path: Path) -> None:
    html = '<html><head><meta charset="windows-1252"><title>Café</title></head><body>naïve</body>'
    path = _write(tmp_path / "legacy.html", html.encode("cp1252"))
    doc = _load_one(path)
    assert doc.title == "Café"
    assert doc.text == "naïve"


def test_html_without_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.html", b"<html><head><script>x()</script></head></html>")
    assert "no text" in str(_error(path))


# --- Word ------------------------------------------------------------------------------


def test_docx_paragraphs_and_table(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.add_heading("Quarterly Report", level=1)
    word.add_paragraph("Revenue grew in the third quarter.")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Region"
    table.cell(0, 1).text = "Sales"
    table.cell(1, 0).text = "North"
    table.cell(1, 1).text = "42"
    word.add_paragraph("Closing remarks.")
    path = tmp_path / "report.docx"
    word.save(str(path))

    doc = _load_one(path)
    assert doc.title == "Quarterly Report"
    assert doc.file_type == "docx"
    assert doc.text == (
        "Quarterly Report\nRevenue grew in the third quarter.\n"
        "Region | Sales\nNorth | 42\nClosing remarks."
    )


def test_docx_title_from_core_properties(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.core_properties.title = "Official Title"
    word.add_paragraph("Body text.")
    path = tmp_path / "titled.docx"
    word.save(str(path))
    assert _load_one(path).title == "Official Title"


def test_docx_corrupt(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.docx", b"this is not a zip archive at all")
    assert "not a readable Word .docx file" in str(_error(path))


# --- PDF -------------------------------------------------------------------------------


def test_pdf_three_pages(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "three.pdf",
        _pdf_bytes(["Alpha page text", "Beta page text", "Gamma page text"], title="Greek"),
    )
    doc = _load_one(path)
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert "Alpha" in doc.pages[0].text
    assert "Beta" in doc.pages[1].text
    assert "Gamma" in doc.pages[2].text
    assert "Beta" not in doc.pages[0].text
    assert doc.title == "Greek"
    assert doc.file_type == "pdf"
    assert doc.key == doc.source == str(path.resolve())


def test_pdf_title_falls_back_to_stem(tmp_path: Path) -> None:
    path = _write(tmp_path / "untitled.pdf", _pdf_bytes(["Some text"]))
    assert _load_one(path).title == "untitled"


def test_pdf_encrypted_with_password(tmp_path: Path) -> None:
    path = _encrypted_pdf(tmp_path / "locked.pdf", user_password="s3cret")
    err = _error(path)
    assert "PDF is encrypted with a password; decrypt it first" in str(err)
    assert "qpdf --decrypt" in str(err)


def test_pdf_encrypted_with_empty_password_loads(tmp_path: Path) -> None:
    path = _encrypted_pdf(tmp_path / "permissions-only.pdf", user_password="")
    doc = _load_one(path)
    assert "Secret page text" in doc.text
    assert [p.number for p in doc.pages] == [1]


def test_pdf_truncated(tmp_path: Path) -> None:
    data = _pdf_bytes(["Alpha", "Beta", "Gamma"])
    path = _write(tmp_path / "truncated.pdf", data[: len(data) // 3])
    assert "not a readable PDF (" in str(_error(path))


def test_pdf_random_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path / "noise.pdf", bytes(range(256)) * 10)
    assert "not a readable PDF (" in str(_error(path))


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF

    # A short page: OCR reads it (twice: it reads as nothing, so it is read upside down
    # too), and its cost grows with the page's pixels.
    pdf = FPDF(format=(210, 130))
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    path = _write(tmp_path / "scan.pdf", bytes(pdf.output()))
    err = _error(path)
    assert "PDF has no text layer" in str(err)


def test_pdf_blank_page_keeps_numbering(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.text(20, 30, "First page")
    pdf.add_page()  # blank
    pdf.add_page()
    pdf.text(20, 30, "Third page")
    path = _write(tmp_path / "gap.pdf", bytes(pdf.output()))
    doc = _load_one(path)
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert doc.pages[1].text == ""
    assert "Third page" in doc.pages[2].text


# --- JSON lines ------------------------------------------------------------------------


def _jsonl(path: Path, lines: list[object | str]) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return _write(path, (text + "\n").encode())


def test_jsonl_beir_fields(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "corpus.jsonl",
        [
            {"_id": "d1", "title": "Cats", "text": "Cats purr."},
            "",
            {"_id": 7, "text": "No title here."},
            {"text": "No id either."},
        ],
    )
    docs = load_file(path, OPTIONS)
    source = str(path.resolve())
    assert [d.key for d in docs] == [f"{source}#d1", f"{source}#7", f"{source}#4"]
    assert all(d.source == source and d.file_type == "jsonl" for d in docs)
    assert docs[0].text == "Cats\nCats purr."
    assert docs[0].title == "Cats"
    assert docs[1].text == "No title here."
    assert [d.metadata["id"] for d in docs] == ["d1", "7", "4"]
    assert all(p.number is None for d in docs for p in d.pages)
    assert "skipped_lines" not in docs[0].metadata


def test_jsonl_custom_fields(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "custom.jsonl",
        [{"doc": "a", "body": "first body", "name": "First"}, {"doc": "b", "body": "second"}],
    )
    options = LoaderOptions(jsonl_text_field="body", jsonl_title_field="name", jsonl_id_field="doc")
    docs = load_file(path, options)
    assert [d.metadata["id"] for d in docs] == ["a", "b"]
    assert docs[0].text == "First\nfirst body"
    assert docs[1].text == "second"
    # With the default field names nothing in this file is usable.
    err = _error(path)
    assert "line 1" in str(err)
    assert "'text'" in str(err)
    assert "RAGKIT_LOADER__JSONL_TEXT_FIELD" in str(err)


def test_jsonl_bad_lines_are_skipped(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"_id": "a", "text": "good one"},
            "{not json",
            {"_id": "b", "body": "wrong field"},
            "[1, 2]",
            {"_id": "c", "text": "good two"},
        ],
    )
    docs = load_file(path, OPTIONS)
    assert [d.metadata["id"] for d in docs] == ["a", "c"]
    assert docs[0].metadata["skipped_lines"] == "2,3,4"
    assert docs[0].metadata["skipped_count"] == "3"
    assert "skipped_lines" not in docs[1].metadata


def test_jsonl_only_bad_lines(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "bad.jsonl", ["", "{oops", {"body": "x"}])
    err = _error(path)
    assert "line 2" in str(err)
    assert "RAGKIT_LOADER__JSONL_TEXT_FIELD" in str(err)


def test_jsonl_only_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.jsonl", b"\n\n  \n")
    assert "no text" in str(_error(path))


# --- dispatch and paths ----------------------------------------------------------------


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.xyz", b"something")
    with pytest.raises(UnsupportedFileError) as info:
        load_file(path, OPTIONS)
    message = str(info.value)
    assert str(path) in message
    assert "unsupported file type '.xyz'; ragkit reads .txt .md .pdf .html .docx .jsonl" in message


def test_unsupported_is_reported_before_emptiness(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.bin", b"")
    with pytest.raises(UnsupportedFileError):
        load_file(path, OPTIONS)


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    assert "no such file or folder; check the path" in str(_error(path))


def test_iter_files_nested_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for rel in (
        "b.txt",
        "a.md",
        "z/deep/c.pdf",
        "m/d.xyz",
        ".hidden.txt",
        ".git/config",
        "m/.cache/e.txt",
    ):
        _write(root / rel, b"x")
    found = list(iter_files([root]))
    assert found == [root / "a.md", root / "b.txt", root / "m/d.xyz", root / "z/deep/c.pdf"]


def test_iter_files_file_yields_itself(tmp_path: Path) -> None:
    odd = _write(tmp_path / ".hidden.xyz", b"x")
    folder = tmp_path / "f"
    _write(folder / "one.txt", b"1")
    assert list(iter_files([odd, folder])) == [odd, folder / "one.txt"]


def test_iter_files_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(LoaderError) as info:
        list(iter_files([missing]))
    assert str(missing) in str(info.value)
    assert "no such file or folder; check the path" in str(info.value)


def test_import_is_cheap() -> None:
    code = (
        "import sys, ragkit.ingest.loaders\n"
        "heavy = {'pypdf', 'docx', 'bs4', 'lxml'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
