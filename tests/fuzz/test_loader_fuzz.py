"""Fuzzing each loader with mutated real files: whatever the bytes, `load_file` returns
documents or raises `LoaderError` (one line for the report), never anything else.

Seeds are real files of each format, generated here (fpdf2 for the PDF, a minimal
WordprocessingML package for the DOCX); hypothesis mutates them (bit flips, cut, spliced
and repeated slices, hostile tokens) and, for DOCX, also mutates the XML inside an
intact zip so the parser (not only the unzipper) is exercised. The number of examples
per loader is small by default, so this runs in the quick tier; for a longer run:

    RAGKIT_FUZZ_EXAMPLES=2000 python -m pytest tests/fuzz -q

Leaves out coverage guidance (atheris): hypothesis's random mutations are enough to
keep the loaders' error handling honest, and need no native build.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import hostile_corpus
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.errors import LoaderError
from ragkit.ingest.loaders import LoaderOptions, load_file
from ragkit.types import Document

EXAMPLES = int(os.environ.get("RAGKIT_FUZZ_EXAMPLES", "25"))
# Small caps, so a mutation that multiplies content fails fast instead of running long.
OPTIONS = LoaderOptions(
    max_file_bytes=4 * 1024 * 1024,
    max_paragraphs=20_000,
    html_max_depth=256,
    max_pdf_pages=50,
    max_xml_bytes=4 * 1024 * 1024,
)

TOKENS = [
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8
    b"<div>" * 64,
    b"[" * 2000,
    b'{"text": "\\ud800"}',
    b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 8,
    b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>&a;",
    b"\r\n\r",
    b"obj << /Length 99999999 >> stream",
    b'<meta charset="iso-8859-1">',
    "大熊猫".encode("gb18030"),
]


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in ("A first page about glaciers.", "A second page about volcanoes."):
        pdf.add_page()
        pdf.text(20, 30, text)
    return bytes(pdf.output())


SEEDS: dict[str, Callable[[], bytes]] = {
    ".txt": lambda: "Plain text about tea.\n第二行是中文。\n".encode(),
    ".md": lambda: b"# Title\n\nSome *markdown* text.\n\n```\n# not a heading\n```\n",
    ".html": lambda: (
        b'<html><head><meta charset="utf-8"><title>T</title><script>x()</script></head>'
        b"<body><h1>Head</h1><p>One<br>two</p><ul><li>a</li><li>b</li></ul>"
        b"<table><tr><td>c1</td><td>c2</td></tr></table></body></html>"
    ),
    ".jsonl": lambda: (
        b'{"_id": "1", "title": "One", "text": "first line"}\n'
        b'{"_id": 2, "text": "second line"}\n'
        b'["not", "an", "object"]\n'
    ),
    ".docx": lambda: hostile_corpus.docx_bytes(["Quarterly report", "Revenue grew."]),
    ".pdf": _pdf,
}


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "splice", "repeat", "token"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            end = draw(st.integers(at, len(data)))
            del data[at:end]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == "splice" and data:
            start = draw(st.integers(0, len(data) - 1))
            data[at:at] = data[start : start + draw(st.integers(1, 64))]
        elif op == "repeat" and data:
            part = data[at : at + draw(st.integers(1, 32))]
            data[at:at] = part * draw(st.integers(2, 200))
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
    return bytes(data)


def _check(tmp: Path, suffix: str, data: bytes) -> None:
    path = tmp / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        docs = load_file(path, OPTIONS)
    except LoaderError as exc:
        assert exc.reason and "\n" not in exc.reason, exc.reason
        return
    assert docs and all(isinstance(d, Document) for d in docs)
    for doc in docs:
        assert isinstance(doc.title, str) and isinstance(doc.text, str)


_FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # speed is not the property; a hang ends at pytest-timeout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_mutated_files_fail_cleanly(suffix: str, tmp_path: Path) -> None:
    seed = SEEDS[suffix]()

    @_FUZZ
    @given(mutated(seed))
    def run(data: bytes) -> None:
        _check(tmp_path, suffix, data)

    run()


def _docx_with(document: bytes) -> bytes:
    buf = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(SEEDS[".docx"]()))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            body = document if info.filename == "word/document.xml" else source.read(info)
            out.writestr(info.filename, body)
    return buf.getvalue()


def test_mutated_docx_xml_fails_cleanly(tmp_path: Path) -> None:
    xml = zipfile.ZipFile(io.BytesIO(SEEDS[".docx"]())).read("word/document.xml")

    @_FUZZ
    @given(mutated(xml))
    def run(document: bytes) -> None:
        _check(tmp_path, ".docx", _docx_with(document))

    run()
