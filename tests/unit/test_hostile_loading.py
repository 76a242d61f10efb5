"""A batch never aborts, loaders stay bounded, the store is verified: unit-level checks
with the hashing fake embedder and real files (zip bombs, deep nesting, FIFOs, link
loops, names that are not UTF-8, damaged stores). The one-run end-to-end version over
the real CLI is tests/integration/test_hostile_inputs.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import hostile_corpus
import pytest
from corpus_files import write_file
from processes import child_env, run_ragkit

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.errors import IndexCorruptError, IndexStoreError, LoaderError, UnsupportedFileError
from ragkit.index.engine import IndexReader
from ragkit.index.store import STORE, connect, store_error
from ragkit.ingest.loaders import BoundedLoader, LoaderOptions, WalkProblem, load_file, walk
from ragkit.options import Models

OPTIONS = LoaderOptions()


def _kb(path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(path, models=Models(embedder=HashingEmbedder(dim=32)))


def _outcomes(report: object) -> dict[str, tuple[str, str]]:
    files = report.files  # type: ignore[attr-defined]
    return {Path(f.path).name: (f.status, f.reason) for f in files}


# --- walking ---------------------------------------------------------------------------


def test_walk_reports_special_entries_and_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_file(root / "a.txt", "alpha")
    os.symlink("loop.txt", root / "loop.txt")
    os.symlink("gone", root / "dangling.txt")
    os.mkfifo(root / "pipe.txt")
    os.symlink("/dev/zero", root / "zero.txt")
    os.symlink("..", root / "up")
    write_file(root / "z.txt", "zulu")
    items = list(walk([root]))
    files = [i.name for i in items if isinstance(i, Path)]
    problems = {i.path.name: (i.status, i.reason) for i in items if isinstance(i, WalkProblem)}
    assert files == ["a.txt", "z.txt"]  # "up" links back to root: walked once
    assert problems["loop.txt"][0] == "failed" and "loop" in problems["loop.txt"][1]
    assert "to nothing" in problems["dangling.txt"][1]
    assert problems["pipe.txt"] == ("skipped", problems["pipe.txt"][1])
    assert "named pipe" in problems["pipe.txt"][1]
    assert "device" in problems["zero.txt"][1]


def test_unlistable_subfolder_is_named_and_later_files_still_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Permissions do not bind root, so the refusal is simulated at os.scandir.
    root = tmp_path / "d"
    write_file(root / "a.txt", "alpha")
    write_file(root / "m-locked" / "secret.txt", "hidden")
    write_file(root / "z.txt", "zulu")
    real = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)).name == "m-locked":
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(walk([root]))
    assert [i.name for i in items if isinstance(i, Path)] == ["a.txt", "z.txt"]
    (problem,) = [i for i in items if isinstance(i, WalkProblem)]
    assert problem.path == root / "m-locked"
    assert "Permission denied" in problem.reason


def test_deep_folder_tree_walks_without_recursion(tmp_path: Path) -> None:
    deep = tmp_path / "d"
    path = deep
    for _ in range(300):  # PATH_MAX allows this; the walk must not use the stack
        path = path / "x"
    path.mkdir(parents=True)
    write_file(path / "leaf.txt", "leaf")
    assert [p.name for p in walk([deep]) if isinstance(p, Path)] == ["leaf.txt"]


# --- the batch -------------------------------------------------------------------------


def test_batch_with_every_bad_entry_indexes_the_rest(tmp_path: Path) -> None:
    corpus = hostile_corpus.make(
        tmp_path / "docs", unreadable_folder=False, bomb_bytes=64 * 1024 * 1024
    )
    kb = _kb(tmp_path / "ix")
    report = kb.add([corpus.root])
    got = {
        os.fsencode(Path(f.path).name).decode("utf-8", "backslashreplace"): (f.status, f.reason)
        for f in report.files
    }
    for name, status, fragment in corpus.bad:
        assert got[name][0] == status and fragment in got[name][1], (name, got[name])
    for name in corpus.good:
        assert got[name][0] == "indexed", (name, got[name])
    assert "skipped bad lines 2" in got["lines.jsonl"][1]
    hits = kb.search("espresso crema", k=1, mode="bm25")
    assert hits[0].chunk.source.endswith("caf\\xe9-notes.txt")
    # Indexed again: the name that is not UTF-8 is recognised as the same, unchanged file.
    again = _outcomes(kb.add([corpus.root]))
    assert again["caf\\xe9-notes.txt"][0] == "unchanged"


def test_non_utf8_name_keeps_its_exact_bytes(tmp_path: Path) -> None:
    name = os.fsdecode(b"r\xe9sum\xe9.txt")
    write_file(tmp_path / "d" / name, "curriculum vitae of a pastry chef")
    kb = _kb(tmp_path / "ix")
    kb.add([tmp_path / "d"])
    reader = kb.reader()
    rows = reader.store.conn.execute("SELECT source, metadata FROM documents").fetchall()
    ((source, metadata),) = rows
    assert source.endswith("r\\xe9sum\\xe9.txt")
    exact = bytes.fromhex(__import__("json").loads(metadata)["source_bytes"])
    assert exact == os.fsencode(str((tmp_path / "d" / name).resolve()))


def test_jsonl_lone_surrogate_and_deep_line_fail_only_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(
        b'{"text": "ok one"}\n'
        + b"[" * 50_000
        + b"\n"
        + b'{"text": "half \\ud800 pair"}\n'
        + b'{"text": "ok two"}\n'
    )
    docs = load_file(path, OPTIONS)
    assert [d.text for d in docs] == ["ok one", "half ? pair", "ok two"]
    assert docs[0].metadata["skipped_lines"] == "2"


def test_unexpected_error_in_one_file_fails_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "d" / "a.txt", "alpha")
    write_file(tmp_path / "d" / "b.txt", "bravo")
    real = BoundedLoader.load

    def load(
        self: BoundedLoader, path: Path, on_page: object = None, sha256: str | None = None
    ) -> object:
        if path.name == "a.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, path, on_page, sha256)  # type: ignore[arg-type]

    monkeypatch.setattr(BoundedLoader, "load", load)
    report = _kb(tmp_path / "ix").add([tmp_path / "d"])
    assert _outcomes(report) == {
        "a.txt": ("failed", "nested too deeply to read"),
        "b.txt": ("indexed", ""),
    }


def test_failed_first_run_leaves_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(tmp_path / "d" / "a.txt", "alpha")
    kb = _kb(tmp_path / "ix")

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("ragkit.index.store.Store.cache_vectors", full)
    with pytest.raises(IndexStoreError, match=r"disk .* is full"):
        kb.add([tmp_path / "d"])
    assert not (tmp_path / "ix" / STORE).exists()
    assert not list((tmp_path / "ix").glob("gen-*"))


def test_disk_full_while_committing_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "d" / "a.txt", "alpha")
    kb = _kb(tmp_path / "ix")
    kb.add([tmp_path / "d"])
    write_file(tmp_path / "d" / "b.txt", "bravo")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ragkit.index.engine.write_manifest", full)
    with pytest.raises(IndexStoreError, match=r"is full .* keeps its previous state"):
        kb.add([tmp_path / "d"])
    monkeypatch.undo()
    assert [d.source.rsplit("/", 1)[-1] for d in _kb(tmp_path / "ix").documents()] == ["a.txt"]


# --- bounded loaders -------------------------------------------------------------------


def test_docx_zip_bomb_refused_from_the_directory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    path.write_bytes(hostile_corpus.zip_bomb_docx(16 * 1024 * 1024))
    with pytest.raises(LoaderError, match=r"inflates .* times .*zip bomb"):
        load_file(path, OPTIONS)
    small = LoaderOptions(docx_max_ratio=10_000, docx_max_uncompressed_bytes=1024 * 1024)
    with pytest.raises(LoaderError, match=r"unpacks to .* over the limit"):
        load_file(path, small)


def test_docx_paragraph_and_xml_caps(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    path.write_bytes(hostile_corpus.many_paragraphs_docx(3_000))
    with pytest.raises(LoaderError, match="3000 paragraphs, over the limit of 1000"):
        load_file(path, LoaderOptions(max_paragraphs=1000))
    with pytest.raises(LoaderError, match="bytes of XML, over the limit"):
        load_file(path, LoaderOptions(max_xml_bytes=10_000))
    assert load_file(path, OPTIONS)[0].text.count("\n") == 2_999


def test_html_deep_nesting_is_linear_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    depth = 20_000
    path.write_bytes(b"<div>" * depth + b"deep" + b"</div>" * depth)
    with pytest.raises(LoaderError, match="nest more than 512 levels"):
        load_file(path, OPTIONS)
    doc = load_file(path, LoaderOptions(html_max_depth=depth + 10))[0]
    assert doc.text == "deep"


def test_html_declared_latin1_but_gb18030_is_not_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "gb.html"
    text = hostile_corpus.GB_TEXT
    path.write_bytes(f'<meta charset="iso-8859-1"><p>{text}</p>'.encode("gb18030"))
    assert load_file(path, OPTIONS)[0].text == text
    utf8 = tmp_path / "utf8.html"
    utf8.write_bytes(f'<meta charset="iso-8859-1"><p>{text}</p>'.encode())
    assert load_file(utf8, OPTIONS)[0].text == text
    latin = tmp_path / "latin.html"
    latin.write_bytes(
        '<meta charset="iso-8859-1"><p>Café crème à la française</p>'.encode("latin-1")
    )
    assert load_file(latin, OPTIONS)[0].text == "Café crème à la française"


def test_special_file_is_skipped_before_any_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnsupportedFileError, match="named pipe"):
        load_file(fifo, OPTIONS)  # would block forever if it were opened


def test_worker_time_limit_and_restart(tmp_path: Path) -> None:
    deep = tmp_path / "deep.html"
    deep.write_bytes(b"<div>" * 200_000 + b"x" + b"</div>" * 200_000)
    good = write_file(tmp_path / "ok.html", "<p>still fine</p>")
    options = LoaderOptions(timeout_s=0.05, html_max_depth=10**9)
    with BoundedLoader(options) as loader:
        with pytest.raises(LoaderError, match=r"longer than 0\.05 s"):
            loader.load(deep)
    with BoundedLoader(LoaderOptions()) as loader:
        assert loader.load(good)[0].text == "still fine"


@pytest.mark.slow(reason="parses a 5 MB page into a tree until a 256 MiB cap stops it")
def test_worker_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.html"
    # 5 MB on disk, several hundred MB as a parsed tree: over a 256 MiB cap.
    path.write_bytes(b"<p>x</p>" * 700_000)
    with BoundedLoader(LoaderOptions(memory_mb=256)) as loader:
        with pytest.raises(LoaderError, match="more than the 256 MiB memory limit"):
            loader.load(path)
        assert loader.load(write_file(tmp_path / "ok.html", "<p>fine</p>"))[0].text == "fine"


# --- the store -------------------------------------------------------------------------


def _edit_store(index: Path, sql: str) -> None:
    """Run `sql` on the index's SQLite store behind ragkit's back."""
    conn = sqlite3.connect(index / STORE)
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_edited_chunk_text_is_reported_not_served(tmp_path: Path) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    _kb(tmp_path / "ix").add([tmp_path / "d"])
    _edit_store(tmp_path / "ix", "UPDATE chunks SET text = replace(text, 'eighteen', 'eighty')")
    with pytest.raises(IndexCorruptError, match="does not match its checksum"):
        _kb(tmp_path / "ix").search("kettle warranty", k=1)


@pytest.mark.parametrize("name", ["has#hash", "has?query", "pct%41", "sp ace"])
def test_index_path_with_uri_characters_opens(tmp_path: Path, name: str) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    ix = tmp_path / name / "ix"
    _kb(ix).add([tmp_path / "d"])
    hits = _kb(ix).search("kettle", k=1, mode="bm25")
    assert hits[0].chunk.text.startswith("The kettle")
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["ix"]  # no stray file


def test_readonly_media_index_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    ix = tmp_path / "ix"
    _kb(ix).add([tmp_path / "d"])
    for p in [ix, *ix.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    if os.geteuid() == 0:
        # Root writes through permissions: make SQLite and os.access see what a user
        # on read-only media sees (no shared-memory file can be created).
        real = sqlite3.connect

        def connect_ro(target: object, *args: object, **kwargs: object) -> sqlite3.Connection:
            name = str(target)
            if "mode=ro" in name and "immutable=1" not in name:
                raise sqlite3.OperationalError("unable to open database file")
            return real(target, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(sqlite3, "connect", connect_ro)
        monkeypatch.setattr(os, "access", lambda *a, **k: False)
    try:
        assert IndexReader.open(ix).store.counts(1) == (1, 1)
    finally:
        for p in [ix, *ix.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


def test_damaged_store_is_one_line(tmp_path: Path) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    _kb(tmp_path / "ix").add([tmp_path / "d"])
    store = tmp_path / "ix" / STORE
    data = bytearray(store.read_bytes())
    data[0:16] = b"garbage garbage!"
    store.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="is damaged"):
        connect(tmp_path / "ix", readonly=True)


@pytest.mark.parametrize(
    ("message", "kind", "fragment"),
    [
        ("database disk image is malformed", IndexCorruptError, "damaged"),
        ("attempt to write a readonly database", IndexStoreError, "read-only"),
        ("database or disk is full", IndexStoreError, "full"),
        ("database is locked", IndexStoreError, "locked"),
    ],
)
def test_sqlite_errors_get_advice(message: str, kind: type, fragment: str) -> None:
    err = store_error(sqlite3.OperationalError(message), Path("/idx"))
    assert isinstance(err, kind) and fragment in str(err)
    assert "\n" not in str(err)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_ragkit(args, cwd=cwd, env=child_env())


def test_verify_command(tmp_path: Path) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    _kb(tmp_path / "ix").add([tmp_path / "d"])
    ok = _cli("verify", "--index", str(tmp_path / "ix"), cwd=tmp_path)
    assert ok.returncode == 0 and "ok (1 documents, 1 chunks" in ok.stdout, ok.stderr
    _edit_store(tmp_path / "ix", "UPDATE chunks SET text = 'tampered'")
    bad = _cli("verify", "--index", str(tmp_path / "ix"), cwd=tmp_path)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "chunk text does not match its checksum (chunks 1)" in bad.stderr


# --- the guard -------------------------------------------------------------------------


def _id_number() -> str:
    from ragkit.guard.checksums import gb11643_check_char

    base = "11010519491231002"
    return base + gb11643_check_char(base)


@pytest.mark.parametrize(
    "written",
    [
        lambda n: n,
        lambda n: "".join(chr(ord(c) + 0xFEE0) for c in n),  # full-width digits and X
        lambda n: f"{n[:6]}－{n[6:14]}－{n[14:]}",  # full-width dashes
        lambda n: f"{n[:6]}-{n[6:14]}-{n[14:]}",
        lambda n: f"{n[:6]} {n[6:14]} {n[14:]}",
    ],
)
def test_resident_id_in_any_width_is_found(written: Callable[[str], str]) -> None:
    from ragkit.guard.pii import PiiScanner

    shown = written(_id_number())
    text = f"身份证号：{shown}，请核对。"
    found = PiiScanner().scan(text)
    assert [(f.label, text[f.start : f.end]) for f in found] == [("ID_NUMBER", shown)]


def test_pdf_page_cap(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for n in range(5):
        pdf.add_page()
        pdf.text(20, 30, f"Page {n + 1} about glaciers.")
    path = tmp_path / "five.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(LoaderError, match="PDF has 5 pages, over the limit of 4"):
        load_file(path, LoaderOptions(max_pdf_pages=4))
    assert len(load_file(path, OPTIONS)[0].pages) == 5


def test_damaged_index_page_found_by_verify(tmp_path: Path) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    _kb(tmp_path / "ix").add([tmp_path / "d"])
    store = tmp_path / "ix" / STORE
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'files_source'"
    ).fetchone()
    (page,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    # Cells sit at the end of a b-tree page: trash the index's entries, not the table's.
    with open(store, "r+b") as fh:
        fh.seek(root * page - 48)
        fh.write(b"\xa5" * 48)
    reader = IndexReader.open(tmp_path / "ix")
    try:
        problems = reader.verify_store()
    finally:
        reader.close()
    assert problems and "store.sqlite" in problems[0], problems


def test_edited_document_path_is_reported_not_served(tmp_path: Path) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    _kb(tmp_path / "ix").add([tmp_path / "d"])
    _edit_store(tmp_path / "ix", "UPDATE documents SET source = '/etc/passwd'")
    with pytest.raises(IndexCorruptError, match=r"file path or title .* does not match"):
        _kb(tmp_path / "ix").search("kettle warranty", k=1)
    reader = IndexReader.open(tmp_path / "ix")
    try:
        assert any("document path or title" in p for p in reader.verify_store())
    finally:
        reader.close()


def test_store_from_before_document_checksums_still_works(tmp_path: Path) -> None:
    write_file(tmp_path / "d" / "a.txt", "The kettle warranty lasts eighteen months.")
    _kb(tmp_path / "ix").add([tmp_path / "d"])
    _edit_store(tmp_path / "ix", "ALTER TABLE documents DROP COLUMN ident_hash")  # an older store
    assert _kb(tmp_path / "ix").search("kettle", k=1, mode="bm25")
    write_file(tmp_path / "d" / "b.txt", "The teapot is made of cast iron.")
    kb = _kb(tmp_path / "ix")
    kb.add([tmp_path / "d"])  # the writer adds the column; new rows carry a checksum
    rows = sqlite3.connect(tmp_path / "ix" / STORE).execute(
        "SELECT source, ident_hash FROM documents WHERE removed_gen IS NULL ORDER BY source"
    )
    assert [(Path(s).name, h is not None) for s, h in rows] == [
        ("a.txt", False),
        ("b.txt", True),
    ]
    assert kb.search("teapot", k=1, mode="bm25")[0].chunk.source.endswith("b.txt")
