"""OCR of scanned PDF pages: a text PDF drawn to an image-only PDF reads back with its
page numbers, the words spaced again, and boxes per line; Chinese too where a CJK font
is installed to draw the test page with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pdfs import make_pdf, scan

pytest.importorskip("rapidocr_onnxruntime")

from ragkit.ingest.loaders import LoaderOptions, load_file
from ragkit.ingest.loaders.ocr import (
    ocr_pdf_page,
    page_text,
    reading_order,
    respace,
    unturn,
)

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


def _scan(tmp_path: Path, pages: list[str], font: Path | None = None) -> Path:
    text = make_pdf(tmp_path / "text.pdf", pages, font=font, size=12, line_height=7)
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
    for angle, placed in where.items():
        turned = tmp_path / f"turned-{angle}.pdf"
        image.rotate(angle, expand=True).save(turned, "PDF", resolution=144)
        (doc,) = load_file(turned, LoaderOptions())
        assert doc.pages[0].text == expected.text, angle
        (_, box), *_ = ocr_pdf_page(turned, 1)
        assert placed(box), (angle, box)


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
