"""Integration tests: the real `ragkit` CLI, run as a subprocess, against bad input.

One folder holds every kind of file a user might wrongly feed `ragkit index` (a
binary file named .txt, Latin-1 bytes, an encrypted, a corrupt and a scanned PDF, an
empty file, an unsupported suffix, an empty sub-folder) next to files that must be
indexed (English .txt, Chinese .md, GB18030 Chinese .txt, one 3 MB line), and a path
that does not exist is passed beside it. That folder is indexed once, with the real
bundled embedder (all-MiniLM-L6-v2), in a module-scoped fixture; the tests assert on
that one run. The remaining tests are cheap: they fail before any model loads.

Every input is generated here (fpdf2 for PDFs, pypdf for encryption).
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from processes import run_ragkit

pytestmark = pytest.mark.slow(
    reason="the real CLI in subprocesses, indexing with the bundled embedder"
)

INDEX = "badinput"
MISSING = "does-not-exist.txt"

ENGLISH = "photosynthesis.txt"
ENGLISH_TEXT = (
    "Photosynthesis is the process by which green plants use sunlight, water and carbon "
    "dioxide to make glucose and release oxygen. It takes place in the chloroplasts.\n"
)
CHINESE = "熊猫.md"
CHINESE_TEXT = "# 大熊猫\n\n大熊猫是中国特有的哺乳动物，主要生活在四川的竹林里，以竹子为食。\n"
GB18030 = "zh-gb18030.txt"
GB18030_TEXT = "向量数据库用于存储嵌入向量，并支持近似最近邻检索。"
ONE_LINE = "one-line.txt"

GOOD_FILES = (ENGLISH, CHINESE, GB18030, ONE_LINE)

# (path as the report shows it, relative to the working folder; status; reason fragment)
BAD_INPUTS = [
    pytest.param(MISSING, "failed", "no such file", id="missing-path"),
    pytest.param("docs/notes.xyz", "skipped", "unsupported", id="unsupported-suffix"),
    pytest.param("docs/binary.txt", "failed", "binary", id="binary-named-txt"),
    pytest.param("docs/latin1.txt", "failed", "UTF-8", id="neither-utf8-nor-gb18030"),
    pytest.param("docs/locked.pdf", "failed", "encrypted", id="encrypted-pdf"),
    pytest.param("docs/corrupt.pdf", "failed", "not a readable PDF", id="corrupt-pdf"),
    pytest.param("docs/scanned.pdf", "failed", "no text layer", id="pdf-without-text"),
    pytest.param("docs/empty.txt", "failed", "empty", id="zero-byte-file"),
]


# --- helpers ---------------------------------------------------------------------------


def _env(home: Path, **extra: str) -> dict[str, str]:
    # A user's RAGKIT_* settings or terminal width must not change what the CLI does.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RAGKIT_") and k not in ("COLUMNS", "LINES", "RAGKIT_CONFIG")
    }
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["RAGKIT_INDEX__HOME"] = str(home)
    env.update(extra)
    return env


def _ragkit(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_ragkit(args, cwd=cwd, env=env)


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + "\n" + proc.stderr


def _assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr


def _pdf_bytes(text: str | None = None, rectangle: bool = False) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    if text:
        pdf.text(20, 30, text)
    if rectangle:
        pdf.rect(20, 20, 120, 80, style="F")
    return bytes(pdf.output())


def _encrypted_pdf_bytes() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf_bytes("Secret quarterly figures"))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _make_corpus(docs: Path) -> None:
    docs.mkdir()
    (docs / "empty-folder").mkdir()
    (docs / "notes.xyz").write_text("not a format ragkit reads\n", encoding="utf-8")
    (docs / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    latin = b"\x80\xff\xfa\xfb" * 100
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            latin.decode(encoding)  # the input is only meaningful if both refuse it
    (docs / "latin1.txt").write_bytes(latin)
    (docs / "locked.pdf").write_bytes(_encrypted_pdf_bytes())
    good_pdf = _pdf_bytes("A perfectly good page of text")
    (docs / "corrupt.pdf").write_bytes(good_pdf[: len(good_pdf) // 2])
    (docs / "scanned.pdf").write_bytes(_pdf_bytes(rectangle=True))
    (docs / "empty.txt").write_bytes(b"")
    line = b"lorem ipsum " * (3 * 1024 * 1024 // 12)
    assert b"\n" not in line and len(line) >= 3 * 1024 * 1024 - 12
    (docs / ONE_LINE).write_bytes(line)
    gb = GB18030_TEXT.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")  # must exercise the GB18030 fallback
    (docs / GB18030).write_bytes(gb)
    (docs / ENGLISH).write_text(ENGLISH_TEXT, encoding="utf-8")
    (docs / CHINESE).write_text(CHINESE_TEXT, encoding="utf-8")


@dataclass(frozen=True)
class Built:
    base: Path  # working folder of every command
    env: dict[str, str]
    proc: subprocess.CompletedProcess[str]  # the one `ragkit index` run

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _ragkit(list(args), self.base, self.env)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("bad_input")
    _make_corpus(base / "docs")
    env = _env(base / "indexes")
    proc = _ragkit(["index", "docs", MISSING, "--index", INDEX], base, env)
    return Built(base, env, proc)


def _report_line(built: Built, shown: str) -> str:
    """The one output line that names `shown` as skipped or failed."""
    lines = [
        line
        for line in _output(built.proc).splitlines()
        if re.match(rf"\s*(skipped|failed): {re.escape(shown)}: ", line)
    ]
    assert len(lines) == 1, f"{shown!r} not reported once:\n{_output(built.proc)}"
    return lines[0]


def _search(built: Built, query: str, *extra: str) -> list[dict[str, object]]:
    proc = built.run("search", query, "--index", INDEX, "--json", *extra)
    _assert_no_traceback(proc)
    assert proc.returncode == 0, _output(proc)
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list)
    return rows


# --- the one indexing run ----------------------------------------------------------------


def test_index_exits_1_because_files_failed_without_traceback(built: Built) -> None:
    _assert_no_traceback(built.proc)
    assert built.proc.returncode == 1, _output(built.proc)


def test_index_summary_counts(built: Built) -> None:
    out = built.proc.stdout
    assert re.search(r"\b4\s+indexed\b", out), out
    assert re.search(r"\b1\s+skipped\b", out), out
    assert re.search(r"\b7\s+failed\b", out), out


@pytest.mark.parametrize(("shown", "status", "reason"), BAD_INPUTS)
def test_bad_input_named_with_reason(built: Built, shown: str, status: str, reason: str) -> None:
    line = _report_line(built, shown)
    assert line.strip().startswith(f"{status}: "), line
    assert reason.lower() in line.lower(), line


def test_empty_subfolder_contributes_nothing(built: Built) -> None:
    assert "empty-folder" not in _output(built.proc)


def test_good_files_not_reported_as_problems(built: Built) -> None:
    for line in _output(built.proc).splitlines():
        if re.match(r"\s*(skipped|failed):", line):
            for name in GOOD_FILES:
                assert name not in line, line


def test_ls_lists_indexed_files_with_chunk_counts(built: Built) -> None:
    proc = built.run("ls", "--index", INDEX)
    _assert_no_traceback(proc)
    assert proc.returncode == 0, _output(proc)
    counts: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        match = re.fullmatch(r"\s*(\d+)\s+(\S.*?)\s*", line)
        assert match, f"unexpected ls line {line!r}"
        counts[match.group(2)] = int(match.group(1))
    assert counts.keys() == {f"docs/{name}" for name in GOOD_FILES}, proc.stdout
    assert all(n >= 1 for n in counts.values()), counts
    # 3 MB of text cannot fit one 800-character chunk: the long line was split.
    assert counts[f"docs/{ONE_LINE}"] > 100, counts


def test_info_shows_embedder_and_format(built: Built) -> None:
    proc = built.run("info", "--index", INDEX)
    _assert_no_traceback(proc)
    assert proc.returncode == 0, _output(proc)
    assert "all-MiniLM-L6-v2" in proc.stdout
    assert re.search(r"^format\s+\S+ v\d+", proc.stdout, re.MULTILINE), proc.stdout
    assert re.search(r"^documents\s+4$", proc.stdout, re.MULTILINE), proc.stdout


def test_english_query_finds_english_file(built: Built) -> None:
    rows = _search(built, "how do green plants turn sunlight into sugar")
    assert rows, "no results"
    assert Path(str(rows[0]["file"])).name == ENGLISH, rows[0]


def test_chinese_query_finds_chinese_file(built: Built) -> None:
    rows = _search(built, "大熊猫吃什么")
    assert rows, "no results"
    assert Path(str(rows[0]["file"])).name == CHINESE, rows[0]


def test_gb18030_file_indexed_as_decoded_text(built: Built) -> None:
    # BM25 only: no embedder to load, and an exact check that the text was not mojibake.
    rows = _search(built, "向量数据库", "--mode", "bm25")
    assert rows, "no results"
    assert Path(str(rows[0]["file"])).name == GB18030, rows[0]
    assert rows[0]["text"] == GB18030_TEXT


def test_empty_question_against_built_index(built: Built) -> None:
    proc = built.run("ask", "   ", "--index", INDEX)
    _assert_no_traceback(proc)
    assert proc.returncode == 1, _output(proc)
    assert "question is empty" in proc.stderr, proc.stderr


def test_report_lines_are_not_wrapped(built: Built) -> None:
    # Piped stdout has no terminal width: a report a script reads must keep each file's
    # line whole (COLUMNS is removed from the environment, so rich would wrap at 80).
    out = built.proc.stdout
    summary = r"^index .+: \d+ indexed \(\d+ chunks\), \d+ unchanged, \d+ skipped, \d+ failed in "
    assert re.search(summary, out, re.MULTILINE), out
    assert "qpdf --decrypt" in _report_line(built, "docs/locked.pdf"), out


def test_damaged_index_error_suggests_a_command_that_repairs_it(built: Built) -> None:
    home = Path(built.env["RAGKIT_INDEX__HOME"])
    damaged = home / "damaged"
    shutil.copytree(home / INDEX, damaged)
    faiss = next(damaged.glob("gen-*/vectors/seg-*.faiss"))
    data = bytearray(faiss.read_bytes())
    data[100:107] = b"garbage"
    faiss.write_bytes(bytes(data))

    proc = built.run("search", "lorem", "--index", "damaged", "--mode", "bm25", "--json")
    _assert_no_traceback(proc)
    assert proc.returncode == 1, _output(proc)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "damaged" in proc.stderr, proc.stderr
    match = re.search(r"run: ragkit ([^;\n]+)", proc.stderr)
    assert match, proc.stderr
    fix = built.run(*shlex.split(match.group(1)))
    _assert_no_traceback(fix)
    assert fix.returncode == 0, _output(fix)

    again = built.run("search", "lorem", "--index", "damaged", "--mode", "bm25", "--json")
    _assert_no_traceback(again)
    assert again.returncode == 0, _output(again)
    assert any(Path(str(r["file"])).name == ONE_LINE for r in json.loads(again.stdout))


# --- cheap failures: no model is loaded -------------------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return _env(tmp_path / "indexes")


def test_index_empty_folder_alone(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "nothing-here").mkdir()
    proc = _ragkit(["index", "nothing-here"], tmp_path, env)
    _assert_no_traceback(proc)
    assert proc.returncode == 1, _output(proc)
    assert "no files found" in _output(proc), _output(proc)


@pytest.mark.parametrize("command", ["search", "ask"])
def test_missing_index(tmp_path: Path, env: dict[str, str], command: str) -> None:
    proc = _ragkit([command, "x", "--index", "nosuch"], tmp_path, env)
    _assert_no_traceback(proc)
    assert proc.returncode == 1, _output(proc)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "nosuch" in lines[0]
    assert "ragkit index" in lines[0]


def test_missing_index_given_as_path_suggests_that_path(
    tmp_path: Path, env: dict[str, str]
) -> None:
    proc = _ragkit(["search", "x", "--index", "sub/nosuch"], tmp_path, env)
    _assert_no_traceback(proc)
    assert proc.returncode == 1, _output(proc)
    assert "--index sub/nosuch" in proc.stderr, proc.stderr


def test_unknown_mode(tmp_path: Path, env: dict[str, str]) -> None:
    proc = _ragkit(["search", "x", "--mode", "fuzzy"], tmp_path, env)
    _assert_no_traceback(proc)
    assert proc.returncode in (1, 2), _output(proc)
    assert "fuzzy" in proc.stderr, proc.stderr


def test_invalid_setting_in_environment(tmp_path: Path) -> None:
    env = _env(tmp_path / "indexes", RAGKIT_RETRIEVAL__K="abc")
    proc = _ragkit(["search", "x"], tmp_path, env)
    _assert_no_traceback(proc)
    assert proc.returncode != 0, _output(proc)
    assert "RAGKIT_RETRIEVAL__K" in proc.stderr, proc.stderr


def test_top_level_help(tmp_path: Path, env: dict[str, str]) -> None:
    proc = _ragkit(["--help"], tmp_path, env)
    assert proc.returncode == 0, _output(proc)
    for command in ("index", "search", "ask", "ls", "info"):
        assert re.search(rf"^\s+{command}\s+\S", proc.stdout, re.MULTILINE), proc.stdout


def test_index_help(tmp_path: Path, env: dict[str, str]) -> None:
    proc = _ragkit(["index", "--help"], tmp_path, env)
    assert proc.returncode == 0, _output(proc)
    assert "Index .txt .md .pdf" in proc.stdout
    assert "--index" in proc.stdout
    assert "--no-wait" in proc.stdout
