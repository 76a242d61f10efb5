"""OCR of scanned PDF pages: a text PDF drawn to an image-only PDF reads back with its
page numbers, the words spaced again, and boxes per line; Chinese too where a CJK font
is installed to draw the test page with. Each page read is reported as it is read, from
the loader's worker process through an index build (in-process and pipelined
preparation) to `ragkit index`'s progress."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from cli_runs import isolated_home, run
from pdfs import make_pdf, scan

pytest.importorskip("rapidocr_onnxruntime")

from ragkit import HashingEmbedder
from ragkit.index.engine import PIPELINE_MIN_FILES, IndexWriter
from ragkit.index.progress import NoProgress
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.ingest.digest import sha256_file
from ragkit.ingest.loaders import LoaderOptions, load_file, load_file_bounded
from ragkit.ingest.loaders.ocr import (
    PageReader,
    ocr_pdf_page,
    ocr_pdf_page_cached,
    page_text,
    reading_order,
    respace,
    unturn,
)
from ragkit.text.analysis import Analyzer
from ragkit.types import FileOutcome

# Debian's WenQuanYi fonts; .ci/run installs fonts-wqy-microhei (1.6 MB).
CJK_FONT = next(
    (
        font
        for font in (
            Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
            Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
        )
        if font.exists()
    ),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


# The test pages hold a line or two: a page this high, drawn at OCR's 144 dpi, is 737
# pixels high, just above what the text detector enlarges a page to (736 on its short
# side), so it reads the same lines as an A4 page at 44% of the pixels: each reading of
# a page, the tests' main cost, takes about half as long.
PAGE_MM = (210.0, 130.0)


def _scan(tmp_path: Path, pages: list[str], font: Path | None = None) -> Path:
    text = make_pdf(
        tmp_path / "text.pdf", pages, font=font, size=12, line_height=7, page_mm=PAGE_MM
    )
    return scan(text, tmp_path / "scan.pdf", scale=2)


def test_a_scanned_pdf_loads_with_its_pages(tmp_path: Path) -> None:
    scan = _scan(
        tmp_path,
        ["Page one is about kettles.", "The warranty of the Ember kettle lasts seven years."],
    )
    (doc,) = load_file(scan, LoaderOptions())
    assert [p.number for p in doc.pages] == [1, 2]
    assert "warranty of the Ember kettle lasts seven years" in doc.pages[1].text
    assert "kettles" in doc.pages[0].text
    assert doc.metadata["ocr_pages"] == "1,2"
    lines = ocr_pdf_page(scan, 2)
    assert page_text(lines) == doc.pages[1].text  # the same page reads the same again
    (_, (left, top, right, bottom)), *_ = lines
    assert 0 <= left < right <= 1 and 0 <= top < bottom <= 0.5


def test_pages_scanned_on_their_side_or_upside_down_read_upright(tmp_path: Path) -> None:
    """A scanner fed the page sideways or upside down: the page reads as the upright one
    does, and its line boxes are where the line is on the page as it is drawn."""
    import pypdfium2 as pdfium

    sentence = "The warranty of the Ember kettle lasts seven years. Keep the receipt safe."
    upright = _scan(tmp_path, [sentence])
    pdf = pdfium.PdfDocument(upright)
    image = pdf[0].render(scale=1).to_pil().convert("RGB")
    pdf.close()
    (expected,) = load_file(upright, LoaderOptions())[0].pages
    assert expected.text == sentence
    # PIL turns anticlockwise: 90 puts the text's top at the left edge, 270 at the right.
    where: dict[int, Callable[[tuple[float, float, float, float]], bool]] = {
        90: lambda b: b[2] < 0.2 and b[3] - b[1] > 0.4,
        180: lambda b: b[1] > 0.8 and b[2] - b[0] > 0.4,
        270: lambda b: b[0] > 0.8 and b[3] - b[1] > 0.4,
    }
    # The loader keeps the lines it read, with their boxes, in its OCR cache: the boxes
    # are read back from there, so each turned page is read by OCR once (a reading is
    # seconds, and a page on its side is read up to three times to find its way up).
    cache = tmp_path / "ocr-cache"
    for angle, placed in where.items():
        turned = tmp_path / f"turned-{angle}.pdf"
        image.rotate(angle, expand=True).save(turned, "PDF", resolution=144)
        (doc,) = load_file(turned, LoaderOptions(ocr_cache=str(cache)))
        assert doc.pages[0].text == expected.text, angle
        lines = ocr_pdf_page_cached(turned, sha256_file(turned), 1, cache, nullcontext())
        assert page_text(lines) == doc.pages[0].text, angle  # the reading the loader made
        (_, box), *_ = lines
        assert placed(box), (angle, box)


def test_a_page_of_one_colour_is_not_read() -> None:
    """A blank page (white, or any one colour) has no text: it never reaches the engine,
    while a page with a mark on it does."""
    import numpy as np

    read: list[tuple[int, ...]] = []

    class Engine:
        def __call__(self, image: Any, use_cls: bool) -> tuple[None, None]:
            read.append(image.shape)
            return None, None  # finds nothing

    reader = PageReader()
    reader._engine = Engine()
    for colour in (255, 0, 128):
        assert reader.read(np.full((40, 30, 3), colour, np.uint8)) == []
    assert read == []
    marked = np.full((40, 30, 3), 255, np.uint8)
    marked[10:12, 5:25] = 0
    assert reader.read(marked) == []
    assert read  # read as is, then turned: it read as nothing upright


def test_unturn_maps_boxes_back() -> None:
    box = (0.1, 0.2, 0.3, 0.6)
    assert unturn(box, 0) == box
    # A quarter turn anticlockwise maps (x, y) to (y, 1 - x); four turns are none.
    assert unturn((0.2, 0.7, 0.6, 0.9), 1) == pytest.approx(box)
    assert unturn((0.7, 0.4, 0.9, 0.8), 2) == pytest.approx(box)
    assert unturn(box, 4) == box


def test_ocr_can_be_turned_off(tmp_path: Path) -> None:
    from ragkit.errors import LoaderError

    scan = _scan(tmp_path, ["Some words on a page."])
    with pytest.raises(LoaderError, match=r"no text layer .*loader\.ocr"):
        load_file(scan, LoaderOptions(ocr=False))


@pytest.mark.skipif(
    not CJK_FONT.exists(), reason="no CJK font (Debian: fonts-wqy-microhei) to draw the page"
)
def test_a_chinese_scan_reads_back(tmp_path: Path) -> None:
    text = "这把茶壶由景德镇的陶工手工制作。保修期为七年。"
    (doc,) = load_file(_scan(tmp_path, [text], CJK_FONT), LoaderOptions())
    assert "".join(doc.pages[0].text.split()) == text


def test_respace_and_reading_order() -> None:
    assert respace("Thewarrantyofthekettlelastssevenyears.Keep it") == (
        "The warranty of the kettle lasts seven years. Keep it"
    )
    assert respace("茶壶说明。") == "茶壶说明。"
    assert respace("draws1500watts") == "draws 1500 watts"
    right = ("world", (0.5, 0.10, 0.9, 0.14))
    left = ("hello", (0.1, 0.11, 0.4, 0.15))
    below = ("next", (0.1, 0.30, 0.4, 0.34))
    assert [t for t, _ in reading_order([below, right, left])] == ["hello", "world", "next"]


THREE_PAGES = ["The first page is about kettles.", "The second page is about tea.", "The end."]


class Reports(NoProgress):
    """Each page OCR reads and each file finished, in the order they were reported."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object, object]] = []

    def ocr_page(self, source: str, done: int, total: int) -> None:
        self.seen.append((Path(source).name, done, total))

    def file_done(self, outcome: FileOutcome) -> None:
        self.seen.append((Path(outcome.path).name, "done", outcome.status))


def _index(index: Path, paths: list[Path], pipeline: bool) -> Reports:
    reports = Reports()
    writer = IndexWriter(
        index,
        HashingEmbedder(dim=32),
        Chunker(ChunkerParams(chunk_size=200, chunk_overlap=0)),
        Analyzer(),
        LoaderOptions(),  # isolate: PDFs are read in the loader's worker process
        pipeline=pipeline,
    )
    writer.add(paths, progress=reports)
    return reports


def test_each_scanned_page_is_reported_as_ocr_reads_it(tmp_path: Path) -> None:
    pages = _scan(tmp_path, THREE_PAGES)
    per_page = [("scan.pdf", n, 3) for n in (1, 2, 3)]
    # Prepared in this process: the loader's worker reports each page before its answer.
    reports = _index(tmp_path / "one", [pages], pipeline=False)
    assert reports.seen == [*per_page, ("scan.pdf", "done", "indexed")]
    # Pipelined (enough files for the preparing worker): the pages come from the worker's
    # worker, still each before the scan is done.
    folder = tmp_path / "many"
    folder.mkdir()
    os.replace(pages, folder / "scan.pdf")
    for i in range(PIPELINE_MIN_FILES):
        (folder / f"note{i:02d}.md").write_text(f"Note {i} is about kettles.\n", encoding="utf-8")
    seen = _index(tmp_path / "many-index", [folder], pipeline=True).seen
    scan_lines = [line for line in seen if line[0] == "scan.pdf"]
    assert scan_lines == [*per_page, ("scan.pdf", "done", "indexed")]
    assert len(seen) == PIPELINE_MIN_FILES + 4


def test_ragkit_index_shows_each_ocr_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _scan(tmp_path, THREE_PAGES)
    isolated_home(tmp_path, monkeypatch)
    code, out, err = run("index", str(pages), "--index", "scans")
    assert code == 0, out + err
    # Off a terminal there is no live bar: a line per page.
    shown = [line.strip() for line in err.splitlines() if "OCR page" in line]
    assert shown == [f"OCR page {n}/3 of scan.pdf" for n in (1, 2, 3)], err


def test_an_ocr_cache_keeps_each_page_and_is_read_again(tmp_path: Path) -> None:
    pages = _scan(tmp_path, ["The first page is about kettles.", "The second page is about tea."])
    cache = tmp_path / "cache"
    options = LoaderOptions(ocr_cache=str(cache))
    (doc,) = load_file(pages, options)
    kept = sorted(cache.rglob("*.json"))
    assert [p.name for p in kept] == ["1.json", "2.json"]
    assert [t for t, _ in json.loads(kept[1].read_text(encoding="utf-8"))] == [doc.pages[1].text]
    # Read again (in the loader's worker process), the pages come from the cache, not
    # from OCR: what the cache says page 2 holds is what the document says.
    kept[1].write_text(json.dumps([["Words from the cache.", [0.1, 0.1, 0.5, 0.12]]]))
    (again,) = load_file_bounded(pages, options)
    assert [p.text for p in again.pages] == [doc.pages[0].text, "Words from the cache."]


def test_indexing_a_scan_with_the_ocr_cache_on_hashes_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ragkit.index.ingest
    import ragkit.ingest.loaders.ocr
    from ragkit.ingest.loaders.bounded import BoundedLoader

    scan = _scan(tmp_path, ["The warranty of the Ember kettle lasts seven years."])
    hashed: list[str] = []

    def counted(path: Path) -> str:
        hashed.append(Path(path).name)
        return sha256_file(path)

    # Both places that hash a source file (in this process: isolate off).
    monkeypatch.setattr(ragkit.index.ingest, "sha256_file", counted)
    monkeypatch.setattr(ragkit.ingest.loaders.ocr, "sha256_file", counted)
    cache = tmp_path / "cache"
    writer = IndexWriter(
        tmp_path / "index",
        HashingEmbedder(dim=32),
        Chunker(ChunkerParams(chunk_size=200, chunk_overlap=0)),
        Analyzer(),
        LoaderOptions(ocr_cache=str(cache), isolate=False),
    )
    report = writer.add([scan])
    assert [o.status for o in report.files] == ["indexed"]
    assert hashed == ["scan.pdf"]  # once, for the index; the OCR cache is keyed by it
    assert [p.parent.name for p in cache.rglob("*.json")] == [sha256_file(scan)[:32]]
    # Through the loader's worker process the caller's hash keys the cache the same way.
    with BoundedLoader(LoaderOptions(ocr_cache=str(cache))) as loader:
        loader.load(scan, sha256="f" * 64)
    assert (cache / ("f" * 32) / "1.json").is_file()
