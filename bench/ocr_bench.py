"""OCR of scanned pages: character accuracy and time per page on English and Chinese
pages made here (a text PDF drawn by PDFium and saved as an image-only PDF, as a scanner
would), read by ragkit's OCR (RapidOCR's bundled ONNX models).

    python bench/ocr_bench.py [--pages 3]

Character accuracy is 1 - edit distance / reference length over the text with all white
space removed (the recogniser's spacing is not what is measured). Times are wall-clock
per page including drawing the page, on this machine with its load average printed.
Last, the English scan is read again as a citation reads it (the loader, in its worker
process) without and with the OCR cache (`LoaderOptions.ocr_cache`, which the web
server's collections fill while indexing).
Needs rapidocr-onnxruntime (`pip install 'ragkit[ocr]'`), fpdf2, and for the Chinese
pages a CJK font (Debian: fonts-wqy-zenhei, fonts-wqy-microhei or fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the PDF makers

from pdfs import make_pdf, scan

ENGLISH = (
    "Warranty terms. The Ember brewing kettle carries a warranty of seven years from the "
    "date of purchase. Keep the receipt safe, because the shop will ask for it when you "
    "claim. Descale the kettle every month with citric acid and rinse it twice afterwards. "
    "The heating element draws 1500 watts; use a grounded socket and never run it dry."
)
CHINESE = (
    "茶壶说明。这把茶壶由景德镇的陶工手工制作，每次使用后请用清水冲洗并倒置晾干。"
    "保修期为七年，自购买之日起计算。请妥善保管收据，维修时商店会要求出示。"
    "每月用柠檬酸除垢一次，然后用清水冲洗两遍。加热元件功率为一千五百瓦。"
)
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def text_pdf(path: Path, pages: list[str], font: str | None = None) -> Path:
    return make_pdf(path, pages, font=font, size=12, line_height=7)


def char_accuracy(reference: str, read: str) -> float:
    return _accuracy("".join(reference.split()), "".join(read.split()))


def word_accuracy(reference: str, read: str) -> float:
    """The same over words: whether the spaces between words came back."""
    return _accuracy(reference.split(), read.split())


def _accuracy(ref: str | list[str], hyp: str | list[str]) -> float:
    previous = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, start=1):
        current = [i]
        for j, b in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return max(0.0, 1 - previous[-1] / max(len(ref), 1))


def run(pages: int) -> None:
    from ragkit.ingest.loaders.ocr import PageReader, ocr_pdf_page, page_text

    reader = PageReader()
    font = next((f for f in CJK_FONTS if Path(f).exists()), None)
    sets = [("English", ENGLISH, None)]
    if font:
        sets.append(("Chinese", CHINESE, font))
    else:
        print("Chinese: skipped (no CJK font; apt-get install fonts-wqy-zenhei)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ocr_pdf_page(scan(text_pdf(folder / "w.pdf", [ENGLISH]), folder / "w-scan.pdf"), 1, reader)
        for name, text, cjk in sets:
            source = text_pdf(folder / f"{name}.pdf", [text] * pages, cjk)
            scanned = scan(source, folder / f"{name}-scan.pdf")
            accuracies, words, seconds, cpu = [], [], [], []
            for page in range(1, pages + 1):
                start, start_cpu = time.perf_counter(), time.process_time()
                lines = ocr_pdf_page(scanned, page, reader)
                seconds.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                accuracies.append(char_accuracy(text, page_text(lines)))
                words.append(word_accuracy(text, " ".join(page_text(lines).split())))
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(
                f"{name}: character accuracy {min(accuracies):.3f} (worst page) "
                f"{sum(accuracies) / pages:.3f} (mean) over {pages} pages; "
                + (f"word accuracy {sum(words) / pages:.3f}; " if cjk is None else "")
                + f"{sum(seconds) / pages:.2f} s per page wall-clock, "
                f"{sum(cpu) / pages:.2f} s CPU (load average {load}, {os.cpu_count()} CPUs)"
            )
        reread(folder / "English-scan.pdf", folder / "ocr-cache", pages)


def reread(scanned: Path, cache: Path, pages: int) -> None:
    """Seconds to read the scan again in the loader's worker: without the cache; with
    it, once to fill it (as indexing does) and once more (as a citation does)."""
    from ragkit.ingest.loaders import LoaderOptions, load_file_bounded

    cached = LoaderOptions(ocr_cache=str(cache))
    times = []
    for options in (LoaderOptions(), cached, cached):
        start = time.perf_counter()
        load_file_bounded(scanned, options)
        times.append(time.perf_counter() - start)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"reading the {pages}-page English scan again: {times[0]:.2f} s without the OCR "
        f"cache, {times[2]:.2f} s from it (filling it: {times[1]:.2f} s; load average {load})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3)
    run(parser.parse_args().pages)
