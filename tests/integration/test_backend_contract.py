"""One contract for both index backends: the local folder and Milvus (the real engine,
milvus-lite 2.5.1, started by these tests; each test its own `.db` file, since
milvus-lite opens a file from one process at a time). Add, re-add unchanged, change,
delete, filters, hybrid, Chinese, a killed writer, and reopening in a new process mean
the same on both. Most tests embed with the hashing fake; one uses the bundled model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ceilings import HANG_S
from corpus_files import write_file
from embedders import CountingEmbedder
from milvus_kbs import milvus_target
from processes import run_ragkit

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name, glob_to_like
from ragkit.models.embeddings import Embedder
from ragkit.options import Models, SearchOptions
from ragkit.search.retrieval import SearchFilter

pytestmark = pytest.mark.slow(
    reason="starts the real Milvus engine (milvus-lite) per test, child processes, a server"
)

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("local", "milvus")


# Every field of a chunk row: the tests read rows whole to insert them back altered.
ROW_FIELDS = [
    *("id", "gen", "doc_key", "source", "file_name", "title", "file_type", "ordinal"),
    *("page_start", "page_end", "page_last", "char_start", "char_end", "text"),
    *("terms", "text_hash", "metadata", "dense"),
    *("doc_id", "doc_hash", "doc_chunks", "doc_pages"),
]


def _backend(kind: str, index: Path) -> MilvusBackend | None:
    if kind == "local":
        return None
    return MilvusBackend(milvus_target(index))


def _open(kind: str, index: Path, embedder: Embedder | None = None) -> KnowledgeBase:
    return KnowledgeBase.open(
        index,
        models=Models(embedder=embedder or HashingEmbedder(dim=64)),
        backend=_backend(kind, index),
    )


def _indexed(kind: str, index: Path, corpus: Path) -> int:
    """Index `corpus` into a new knowledge base at `index`; its generation then."""
    with _open(kind, index) as kb:
        kb.add([corpus])
        return kb.reader().generation


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def corpus(corpus: Path) -> Path:
    """The three files of tests/conftest.py, and JSON Lines records with metadata."""
    write_file(
        corpus / "shop" / "items.jsonl",
        json.dumps({"_id": "a1", "text": "Cast iron teapot, enamelled inside.", "lang": "en"})
        + "\n"
        + json.dumps({"_id": "a2", "text": "Glass teapot with a bamboo handle.", "lang": "fr"})
        + "\n",
    )
    return corpus


@pytest.fixture
def kb(kind: str, tmp_path: Path) -> Iterator[KnowledgeBase]:
    with _open(kind, tmp_path / "ix") as opened:
        yield opened


def _sources(hits: Sequence[Any]) -> list[str]:
    return [Path(h.chunk.source).name for h in hits]


def test_add_and_readd_unchanged_embeds_nothing(kind: str, tmp_path: Path, corpus: Path) -> None:
    embedder = CountingEmbedder()
    with _open(kind, tmp_path / "ix", embedder) as kb:
        assert not kb.exists
        report = kb.add([corpus])
        assert {Path(f.path).name: f.status for f in report.files} == {
            "tea.md": "indexed",
            "kettle.txt": "indexed",
            "zh.txt": "indexed",
            "items.jsonl": "indexed",
        }
        assert kb.exists
        first = len(embedder.embedded)
        assert first == report.chunks_added == 5
        again = kb.add([corpus])
        assert {f.status for f in again.files} == {"unchanged"}
        assert len(embedder.embedded) == first
        assert kb.reader().manifest.counts.chunks == 5
        assert kb.reader().manifest.counts.documents == 5


def test_change_reembeds_only_new_text(kind: str, tmp_path: Path, corpus: Path) -> None:
    embedder = CountingEmbedder()
    with _open(kind, tmp_path / "ix", embedder) as kb:
        kb.add([corpus])
        before = kb.reader().generation
        embedder.embedded.clear()
        write_file(corpus / "kettle.txt", "The Ember kettle now has a warranty of two years.")
        # Same text under a new name: its vector comes from the stored one.
        write_file(
            corpus / "copy.md", "# Tea\n\nGreen tea is steamed or pan-fired soon after picking."
        )
        report = kb.add([corpus])
        statuses = {Path(f.path).name: f.status for f in report.files}
        assert statuses["kettle.txt"] == "indexed" and statuses["tea.md"] == "unchanged"
        assert embedder.embedded == ["The Ember kettle now has a warranty of two years."]
        assert kb.reader().generation == before + 1
        hits = kb.search("kettle warranty", k=6, mode="bm25")
        texts = [h.chunk.text for h in hits]
        assert "The Ember kettle now has a warranty of two years." in texts
        assert "The Ember kettle has a warranty of eighteen months." not in texts
        assert kb.reader().manifest.counts.chunks == 6


def test_one_changed_jsonl_record(kind: str, tmp_path: Path, corpus: Path) -> None:
    with _open(kind, tmp_path / "ix") as kb:
        kb.add([corpus])
        items = corpus / "shop" / "items.jsonl"
        lines = items.read_text(encoding="utf-8").splitlines()
        lines[1] = json.dumps({"_id": "a2", "text": "Glass teapot, cork lid.", "lang": "fr"})
        items.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = kb.add([items])
        assert report.chunks_added == 1
        docs = {d.key: d.chunks for d in kb.documents(items)}
        assert len(docs) == 2 and set(docs.values()) == {1}
        assert kb.chunk(kb.search("cork lid", k=1, mode="bm25")[0].chunk.id) is not None


def test_deleted_and_removed_files_leave_nothing(kind: str, tmp_path: Path, corpus: Path) -> None:
    with _open(kind, tmp_path / "ix") as kb:
        kb.add([corpus])
        old = kb.search("kettle warranty", k=1, mode="bm25")[0].chunk.id
        (corpus / "kettle.txt").unlink()
        report = kb.add([corpus])
        assert [f.reason for f in report.files if f.status == "skipped"] == [
            "file no longer exists; removed"
        ]
        assert kb.chunk(old) is None
        assert "kettle.txt" not in _sources(kb.search("kettle warranty", k=10))
        gone = kb.remove([corpus / "shop"])
        assert [Path(g).name for g in gone] == ["items.jsonl"]
        assert sorted(Path(d.source).name for d in kb.documents()) == ["tea.md", "zh.txt"]
        assert kb.reader().manifest.counts.chunks == 2


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_modes(kb: KnowledgeBase, corpus: Path, mode: str) -> None:
    kb.add([corpus])
    hits = kb.search("Ember kettle warranty", k=3, mode=mode)  # type: ignore[arg-type]
    assert _sources(hits)[0] == "kettle.txt"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert hits[0].chunk.location.endswith("kettle.txt")


def test_rrf_fusion(kind: str, tmp_path: Path, corpus: Path) -> None:
    backend = _backend(kind, tmp_path / "ix")
    with KnowledgeBase.open(
        tmp_path / "ix",
        models=Models(embedder=HashingEmbedder(dim=64)),
        search=SearchOptions(fusion="rrf"),
        backend=backend,
    ) as kb:
        kb.add([corpus])
        hits = kb.search("Ember kettle warranty", k=3)
        assert _sources(hits)[0] == "kettle.txt"
        # Both rankings put the kettle first: 2 / (60 + 1).
        assert hits[0].score == pytest.approx(2 / 61, rel=1e-4)


def test_chinese_found_by_bm25(kb: KnowledgeBase, corpus: Path) -> None:
    kb.add([corpus])
    assert _sources(kb.search("茶园海拔多少米", k=1))[0] == "zh.txt"
    assert _sources(kb.search("景谷大白茶", k=1, mode="bm25"))[0] == "zh.txt"


def test_bm25_ranks_alike_on_both_backends(tmp_path: Path) -> None:
    """Milvus scores ragkit's analyzer terms (stems, jieba search-mode words) with the
    same BM25 as the local index, so the two rank the same chunks in the same order."""
    texts = [
        "Green tea is steamed soon after picking; steaming keeps it green.",
        "Black tea is withered, rolled and oxidised before it is dried.",
        "The Ember kettle has a warranty of eighteen months from purchase.",
        "Kettles boil water; a kettle with a thermostat stops at ninety degrees.",
        "Teapots of cast iron keep tea warm; glass teapots show the leaves.",
        "雾溪茶园位于云南省，平均海拔一千六百五十米。",
        "云南的茶园多在高海拔山区，雨水充足。",
        "景谷大白茶的芽头肥壮，白毫显露。",
        "Oolong sits between green and black tea in oxidation.",
        "Picking season for green tea starts in early spring.",
    ]
    docs = tmp_path / "docs"
    for i, text in enumerate(texts):
        write_file(docs / f"d{i}.txt", text)
    queries = [
        "steaming green tea",
        "kettle warranty",
        "teapot",
        "平均海拔",
        "云南茶园",
        "oxidised",
    ]
    ranked: dict[str, list[list[tuple[float, str]]]] = {}
    for kind in BACKENDS:
        with _open(kind, tmp_path / f"ix-{kind}") as kb:
            kb.add([docs])
            ranked[kind] = [
                [(round(h.score, 3), h.chunk.text) for h in kb.search(q, k=5, mode="bm25")]
                for q in queries
            ]
    for local, milvus in zip(ranked["local"], ranked["milvus"], strict=True):
        # The same chunks with the same scores; equal scores may come in either order.
        assert sorted(milvus, key=lambda p: (-p[0], p[1])) == sorted(
            local, key=lambda p: (-p[0], p[1])
        )
        assert [p[0] for p in milvus] == sorted((p[0] for p in milvus), reverse=True)
    # The stemmer is what finds these ("teapot" ~ "Teapots", "steaming" ~ "steamed"),
    # jieba's search mode what splits 平均海拔 into words a query can share.
    tops = [hits[0][1] for hits in ranked["milvus"]]
    assert tops[0].startswith("Green tea is steamed")
    assert tops[2].startswith("Teapots")
    assert tops[3].startswith("雾溪茶园")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilter(path_glob="*.txt"), {"kettle.txt", "zh.txt"}),
        (SearchFilter(path_glob="*/shop/*"), {"items.jsonl"}),
        (SearchFilter(path_glob="[kz]*.txt"), {"kettle.txt", "zh.txt"}),
        (SearchFilter(file_types=frozenset({"MD", ".jsonl"})), {"tea.md", "items.jsonl"}),
        (SearchFilter(metadata={"id": "a2"}), {"items.jsonl"}),
        (SearchFilter(page_min=1), set()),
    ],
)
def test_filters(
    kb: KnowledgeBase, corpus: Path, filters: SearchFilter, expected: set[str]
) -> None:
    kb.add([corpus])
    hits = kb.search("tea kettle teapot", k=10, filters=filters)
    assert set(_sources(hits)) == expected
    if filters.metadata:
        assert [h.chunk.text for h in hits] == ["Glass teapot with a bamboo handle."]


def test_page_filter_on_pdf(kb: KnowledgeBase, tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    for text in ("Page one talks about oolong.", "Page two about puerh.", "Page three: oolong."):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=text)
    path = tmp_path / "pdfs" / "tea_notes.pdf"
    path.parent.mkdir()
    pdf.output(str(path))
    kb.add([path])
    hits = kb.search("oolong", k=5, filters=SearchFilter(page_min=2, page_max=3))
    assert hits and all(h.chunk.page_start is not None for h in hits)
    assert all(2 <= (h.chunk.page_end or 0) and (h.chunk.page_start or 0) <= 3 for h in hits)
    assert kb.documents()[0].pages is not None


def test_mmr_and_documents(kb: KnowledgeBase, corpus: Path) -> None:
    kb.add([corpus])
    hits = kb.search("teapot", SearchOptions(mmr_lambda=0.5), k=2)
    assert len(hits) == 2
    infos = {Path(d.source).name for d in kb.documents()}
    assert infos == {"tea.md", "kettle.txt", "zh.txt", "items.jsonl"}
    key = next(d.key for d in kb.documents() if d.source.endswith("tea.md"))
    assert kb.page_text(corpus / "tea.md") is not None
    assert key


_CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    # This module's folder, and tests/ for the helper modules it imports.
    sys.path[:0] = [sys.argv[1], str(Path(sys.argv[1]).parent)]
    from test_backend_contract import _open
    kind, index, action = sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    kb = _open(kind, index)
    if action == "kill-at-commit":
        # Die the moment before the commit point, as `kill -9` would.
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        if kind == "local":
            import ragkit.index.engine as engine
            engine.write_manifest = die
        else:
            client = kb.backend.client()
            insert = client.insert
            client.insert = lambda name, rows, **kw: (
                die() if rows[0].get("key", "").startswith("state:") else insert(name, rows, **kw)
            )
        kb.add([Path(sys.argv[5])])
    hits = kb.search("Ember kettle warranty", k=5, mode="bm25")
    print(json.dumps({
        "texts": [h.chunk.text for h in hits],
        "docs": sorted(Path(d.source).name for d in kb.documents()),
        "generation": kb.reader().generation,
    }))
    kb.close()
    """
)


def _child(tmp_path: Path, kind: str, index: Path, action: str, *args: str) -> dict[str, Any]:
    script = tmp_path / "child.py"
    script.write_text(_CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            str(script),
            str(Path(__file__).parent),
            kind,
            str(index),
            action,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        env=env,
    )
    if action == "kill-at-commit":
        assert proc.returncode == -9, proc.stderr[-2000:]
        return {}
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_reopen_in_new_process(kind: str, tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "ix"
    generation = _indexed(kind, index, corpus)
    seen = _child(tmp_path, kind, index, "read")
    assert seen["texts"][0] == "The Ember kettle has a warranty of eighteen months."
    assert seen["docs"] == ["items.jsonl", "items.jsonl", "kettle.txt", "tea.md", "zh.txt"]
    assert seen["generation"] == generation


def test_killed_writer_leaves_nothing_visible(kind: str, tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "ix"
    generation = _indexed(kind, index, corpus)
    write_file(corpus / "kettle.txt", "The Ember kettle now has a warranty of two years.")
    write_file(corpus / "new.txt", "A new kettle manual, never committed.")
    _child(tmp_path, kind, index, "kill-at-commit", str(corpus))
    seen = _child(tmp_path, kind, index, "read")
    assert seen["generation"] == generation
    assert "The Ember kettle has a warranty of eighteen months." in seen["texts"]
    assert not any("two years" in t or "never committed" in t for t in seen["texts"])
    assert "new.txt" not in seen["docs"]
    # The next writer undoes the leftovers and commits the change once.
    with _open(kind, index) as kb:
        report = kb.add([corpus])
        assert {Path(f.path).name for f in report.files if f.status == "indexed"} == {
            "kettle.txt",
            "new.txt",
        }
        texts = [h.chunk.text for h in kb.search("kettle warranty", k=10, mode="bm25")]
        assert texts.count("The Ember kettle now has a warranty of two years.") == 1
        assert "The Ember kettle has a warranty of eighteen months." not in texts
        assert kb.reader().manifest.counts.chunks == 6


def test_glob_to_like() -> None:
    assert glob_to_like("*.pdf") == '"%.pdf"'
    assert glob_to_like("my_file?.md") == '"my\\\\_file_.md"'
    assert glob_to_like("[ab]*.md") is None


def test_missing_milvus_index_is_one_clear_line(tmp_path: Path) -> None:
    from ragkit.errors import IndexNotFoundError

    with _open("milvus", tmp_path / "nothing") as kb:
        assert not kb.exists
        with pytest.raises(IndexNotFoundError, match="does not exist; build it first"):
            kb.search("anything")


@pytest.mark.parametrize("uri", ["server file", "in the index folder"])
def test_missing_milvus_index_advice_run_as_written_makes_it(
    tmp_path: Path, corpus: Path, uri: str
) -> None:
    """The command a missing Milvus index's error gives is real: run as written (DOCS:
    the documents) with the same settings, it builds the very index asked for."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAGKIT_INDEX__HOME": str(tmp_path / "home"),
        "RAGKIT_INDEX__BACKEND": "milvus",
        "HF_HUB_OFFLINE": "1",
    }
    if uri == "server file":
        env["RAGKIT_INDEX__MILVUS_URI"] = str(tmp_path / "server.db")
    launcher = ("-W", "ignore", "-m", "ragkit.apps.cli")
    missing = run_ragkit(["search", "kettle", "--index", "hb"], env=env, launcher=launcher)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr, missing.stderr
    line = " ".join(missing.stderr.split())
    assert line.startswith("error: index ragkit_hb at ") and "PATH" not in line, line
    advice = line.split("build it first with: ", 1)[1].split(" (with the same", 1)[0]
    assert advice.startswith("ragkit index DOCS --index "), line
    assert "ragkit migrate --index " in line and " --to " in line, line
    built = run_ragkit(
        [str(corpus) if a == "DOCS" else a for a in advice.split()[1:]],
        env=env,
        launcher=launcher,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    found = run_ragkit(
        ["search", "Ember kettle warranty", "--index", "hb", "--json"],
        env=env,
        launcher=launcher,
    )
    assert found.returncode == 0, found.stderr[-2000:]
    assert Path(json.loads(found.stdout)[0]["file"]).name == "kettle.txt"


@pytest.mark.slow(reason="the bundled embedding model over both backends")
def test_real_embedder_on_milvus(tmp_path: Path, samples: Path) -> None:
    """The bundled model end to end on Milvus: the same top hit as the local index."""
    from ragkit.models.embeddings import make_embedder

    embedder = make_embedder("bundled")
    tops = []
    for kind in BACKENDS:
        with _open(kind, tmp_path / kind, embedder) as kb:
            kb.add([samples])
            hits = kb.search("What is the warranty of the kettle?", k=3, mode="dense")
            tops.append([h.chunk.text for h in hits])
    assert tops[0] == tops[1]
    vec = np.asarray(embedder.embed(["x"]))
    assert vec.shape[1] == embedder.dim


_SERVED_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from ragkit import HashingEmbedder, KnowledgeBase
    from ragkit.index.milvus import MilvusBackend, MilvusTarget
    from ragkit.options import Models
    uri, action, corpus, ceiling = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    kb = KnowledgeBase.open(
        Path("served-ix"),
        models=Models(embedder=HashingEmbedder(dim=64)),
        backend=MilvusBackend(MilvusTarget(uri, "ragkit_served")),
    )
    OLD = "The Ember kettle has a warranty of eighteen months."
    NEW = "The Ember kettle now has a warranty of two years."
    if action == "index":
        kb.add([corpus])
        print(json.dumps({"generation": kb.reader().generation}), flush=True)
    else:
        # Read until the writer's commit shows; every read sees one whole generation.
        seen = {"old": 0, "new": 0}
        deadline = time.monotonic() + float(ceiling)
        while time.monotonic() < deadline:
            texts = [h.chunk.text for h in kb.search("Ember kettle warranty", k=10, mode="bm25")]
            state = (OLD in texts, NEW in texts)
            assert state in {(True, False), (False, True)}, texts
            seen["old" if state[0] else "new"] += 1
            if seen["old"] == 1 and not state[1]:
                print("ready", flush=True)
            if state[1]:
                break
        print(json.dumps(seen), flush=True)
    kb.close()
    """
)


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """`http://127.0.0.1:PORT` of milvus-lite serving a file over TCP, as a Milvus
    server would: several processes can use it at once."""
    import socket

    from milvus_lite.server import Server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Server(str(tmp_path / "served.db"), address=f"127.0.0.1:{port}")
    assert server.init() and server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_server_two_clients_read_while_one_writes(
    milvus_server: str, tmp_path: Path, corpus: Path
) -> None:
    script = tmp_path / "served_child.py"
    script.write_text(_SERVED_CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start(action: str) -> subprocess.Popen[str]:
        # The reader reads until the writer's commit shows, for at most HANG_S.
        args = [milvus_server, action, str(corpus), str(HANG_S)]
        return subprocess.Popen(
            [sys.executable, "-W", "ignore", str(script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )

    first = start("index")
    out, err = first.communicate(timeout=HANG_S)
    assert first.returncode == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1])["generation"] == 1
    reader = start("watch")
    assert reader.stdout is not None
    assert reader.stdout.readline().strip() == "ready"  # it has read generation 1
    write_file(corpus / "kettle.txt", "The Ember kettle now has a warranty of two years.")
    writer = start("index")
    out, err = writer.communicate(timeout=HANG_S)
    assert writer.returncode == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1])["generation"] == 2
    rest, err = reader.communicate(timeout=HANG_S)
    assert reader.returncode == 0, err[-2000:]
    seen = json.loads(rest.strip().splitlines()[-1])
    assert seen["old"] >= 1 and seen["new"] == 1


def test_migrate_copies_without_embedding(tmp_path: Path, corpus: Path) -> None:
    """`ragkit migrate`: the local index's vectors and chunk ids move into Milvus; the
    same searches give the same chunks, and re-indexing finds every file unchanged."""
    embedder = CountingEmbedder()
    local_dir = tmp_path / "ix"
    with _open("local", local_dir, embedder) as local:
        local.add([corpus])
        want = [
            (h.chunk.id, h.chunk.text) for h in local.search("teapot kettle", k=5, mode="dense")
        ]
        docs = local.documents()
    target = tmp_path / "copy" / "milvus.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAGKIT_INDEX__HOME": str(tmp_path)}
    migrate = ["migrate", "--index", "ix", "--to", str(target)]
    launcher = ("-W", "ignore", "-m", "ragkit.apps.cli")
    proc = run_ragkit(migrate, env=env, launcher=launcher)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "5 documents, 5 chunks (counts checked)" in " ".join(proc.stdout.split())
    again = run_ragkit(migrate, env=env, launcher=launcher)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    embedder.embedded.clear()
    backend = MilvusBackend(MilvusTarget(str(target), collection_name("ix")))
    with KnowledgeBase.open(local_dir, models=Models(embedder=embedder), backend=backend) as kb:
        got = [(h.chunk.id, h.chunk.text) for h in kb.search("teapot kettle", k=5, mode="dense")]
        assert got == want
        assert kb.documents() == docs
        assert {f.status for f in kb.add([corpus]).files} == {"unchanged"}
        assert embedder.embedded == ["teapot kettle"]  # the query only


def test_file_rows_say_counts_not_members(tmp_path: Path) -> None:
    """A file row holds how many documents and chunks its file has, never a list of them
    (a 20,000-record file's list was past Milvus's query result limit): the chunk rows
    say which document and file they belong to, and incremental indexing, `ls`, removal
    and `verify` go by those."""
    records = 3000
    items = tmp_path / "docs" / "items.jsonl"
    lines = [
        json.dumps({"_id": f"r{i}", "text": f"Record {i} about teapot {i % 7}."})
        for i in range(records)
    ]
    write_file(items, "\n".join(lines) + "\n")
    write_file(
        tmp_path / "docs" / "kettle.txt", "The Ember kettle has a warranty of eighteen months."
    )
    index = tmp_path / "ix"
    embedder = CountingEmbedder()
    with _open("milvus", index, embedder) as kb:
        kb.add([tmp_path / "docs"])
        lines[10] = json.dumps({"_id": "r10", "text": "Record ten, now about a kettle."})
        del lines[20]
        write_file(items, "\n".join(lines) + "\n")
        embedder.embedded.clear()
        report = kb.add([tmp_path / "docs"])
        assert report.chunks_added == 1
        assert embedder.embedded == ["Record ten, now about a kettle."]
        reader = kb.reader()
        assert reader.verify_store() == []  # type: ignore[union-attr]
        assert (reader.manifest.counts.documents, reader.manifest.counts.chunks) == (3000, 3000)
        by_file = [Path(d.source).name for d in kb.documents()]
        assert by_file.count("items.jsonl") == records - 1 and by_file.count("kettle.txt") == 1
        keys = [d.key for d in kb.documents() if d.source == str(items.resolve())]
        assert f"{items.resolve()}#r20" not in keys and len(set(keys)) == records - 1
        removed = kb.remove([items])
        assert removed == [str(items.resolve())]
        assert [Path(h.chunk.source).name for h in kb.search("teapot record", k=5)] == [
            "kettle.txt"
        ]
        assert kb.reader().manifest.counts.chunks == 1
    backend = _backend("milvus", index)
    assert backend is not None
    client = backend.client()
    files = client.query(
        collection_name("ix") + "_files", filter='key != ""', output_fields=["source", "docs"]
    )
    backend.close()
    # The removed file's row stays, hidden by its tombstone, until the next write.
    assert sorted((Path(f["source"]).name, f["docs"]) for f in files) == [
        ("items.jsonl", {"documents": records - 1, "chunks": records - 1}),
        ("kettle.txt", {"documents": 1, "chunks": 1}),
    ]


def test_older_layout_is_one_clear_line_and_migrate_replaces_it(
    tmp_path: Path, corpus: Path
) -> None:
    """Collections of another layout version (an older ragkit's, which listed chunk ids
    on file rows) are refused in one line naming the collection and `ragkit migrate`;
    migrating the local index again replaces them."""
    from ragkit.errors import IndexMismatchError

    with _open("local", tmp_path / "ix") as local:
        local.add([corpus])
    target = tmp_path / "copy" / "milvus.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAGKIT_INDEX__HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
    }
    migrate = ["migrate", "--index", "ix", "--to", str(target)]
    launcher = ("-W", "ignore", "-m", "ragkit.apps.cli")
    assert run_ragkit(migrate, env=env, launcher=launcher).returncode == 0
    backend = MilvusBackend(MilvusTarget(str(target), collection_name("ix")))
    client = backend.client()
    meta = collection_name("ix") + "_meta"
    (state,) = client.query(meta, filter='key like "state:%"', output_fields=["key", "value"])
    value = json.loads(state["value"])
    assert value.pop("schema") == 3
    # What the previous layout's writer committed: a newer state row with no version.
    client.insert(
        meta, [{"key": "state:999999999999", "value": json.dumps(value), "v": [0.0, 0.0]}]
    )
    backend.close()
    with KnowledgeBase.open(
        tmp_path / "ix", models=Models(embedder=HashingEmbedder(dim=64)), backend=backend
    ) as kb:
        with pytest.raises(IndexMismatchError) as refused:
            kb.search("kettle")
        with pytest.raises(IndexMismatchError):
            kb.add([corpus])
    line = str(refused.value)
    assert "\n" not in line
    assert "Milvus collection ragkit_ix_chunks" in line and "layout version 1" in line
    assert f"ragkit migrate {' '.join(migrate[1:])}" in line  # the command run below
    search = run_ragkit(
        ["search", "kettle", "--index", "ix"],
        env={
            **env,
            "RAGKIT_INDEX__BACKEND": "milvus",
            "RAGKIT_INDEX__MILVUS_URI": str(target),
        },
        launcher=launcher,
    )
    assert search.returncode == 1 and "Traceback" not in search.stderr
    assert "layout version 1, written by an older ragkit" in " ".join(search.stderr.split())
    again = run_ragkit(migrate, env=env, launcher=launcher)
    assert again.returncode == 0, again.stderr[-2000:]
    with KnowledgeBase.open(
        tmp_path / "ix", models=Models(embedder=HashingEmbedder(dim=64)), backend=backend
    ) as kb:
        assert kb.reader().generation == 1
        assert _sources(kb.search("Ember kettle warranty", k=1, mode="bm25")) == ["kettle.txt"]
        # A chunks collection without the document fields is refused before any write.
        client = backend.client()
        client.drop_collection(collection_name("ix") + "_chunks")
        client.create_collection(collection_name("ix") + "_chunks", dimension=64)
        with pytest.raises(IndexMismatchError, match="layout version 1"):
            kb.add([corpus])


def test_missing_pymilvus_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ragkit.errors import ConfigError

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if not installed
    with _open("milvus", tmp_path / "ix") as kb:
        with pytest.raises(ConfigError, match=r"pymilvus is not installed; run: pip install"):
            kb.add([tmp_path])


def test_secrets_never_shown() -> None:
    from pydantic import SecretStr

    target = MilvusTarget(
        "https://admin:hunter2@milvus.example:19530",
        "ragkit_x",
        token=SecretStr("tok-secret"),
        password=SecretStr("pw-secret"),
    )
    shown = repr(target) + target.label + target.display_uri
    assert "tok-secret" not in shown and "pw-secret" not in shown
    assert "hunter2" not in shown and "admin" not in target.display_uri
    assert target.display_uri == "https://milvus.example:19530"


def _verify_cli(home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env.update(
        PYTHONPATH=str(ROOT),
        HF_HUB_OFFLINE="1",
        RAGKIT_INDEX__HOME=str(home),
        RAGKIT_INDEX__BACKEND="milvus",
    )
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "ragkit", "verify", "--index", "ix"],
        capture_output=True,
        text=True,
        timeout=600,  # tests/ceilings.py's HANG_S
        env=env,
    )


def test_verify_and_repair_on_milvus(tmp_path: Path, corpus: Path) -> None:
    """`verify` finds the collections disagreeing (a chunk row lost, one no file lists,
    a text that no longer matches its checksum); `repair` re-syncs them as one new
    generation, indexing the damaged files again from disk."""
    index = tmp_path / "ix"
    generation = _indexed("milvus", index, corpus)
    assert _verify_cli(tmp_path).returncode == 0
    backend = MilvusBackend(milvus_target(index))
    client = backend.client()
    chunks = collection_name("ix") + "_chunks"

    def row(name: str) -> dict[str, Any]:
        found = client.query(chunks, filter=f'file_name == "{name}"', output_fields=ROW_FIELDS)
        assert len(found) == 1
        return dict(found[0])

    kettle, tea, zh = row("kettle.txt"), row("tea.md"), row("zh.txt")
    client.delete(chunks, filter=f"id == {kettle['id']}")
    client.insert(chunks, [{**tea, "id": 9999}])  # a second tea chunk no file lists
    client.delete(chunks, filter=f"id == {zh['id']}")
    client.insert(chunks, [{**zh, "text": "篡改的文字"}])  # same id and checksum
    backend.close()

    done = _verify_cli(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"1 chunks of indexed files have no row (in {kettle['source']})" in " ".join(
        done.stderr.split()
    )
    assert "1 chunk rows belong to no file (9999)" in done.stderr
    assert f"chunk text does not match its checksum (chunks {zh['id']})" in done.stderr
    assert "ragkit repair --index ix" in done.stderr
    assert "Traceback" not in done.stderr

    embedder = CountingEmbedder()
    with _open("milvus", index, embedder) as kb:
        assert not _sources(kb.search("Ember kettle warranty", k=5, mode="bm25")).count(
            "kettle.txt"
        )
        assert kb.repair() == 5
        reader = kb.reader()
        assert reader.generation == generation + 1
        assert reader.verify_store() == []  # type: ignore[union-attr]
        assert reader.manifest.counts.chunks == 5
        # Only the lost chunk's text had no vector left to reuse.
        assert embedder.embedded == ["The Ember kettle has a warranty of eighteen months."]
        assert _sources(kb.search("Ember kettle warranty", k=1, mode="bm25")) == ["kettle.txt"]
        assert _sources(kb.search("景谷大白茶", k=1, mode="bm25")) == ["zh.txt"]
        tea_hits = [h for h in kb.search("green tea steamed", k=10, mode="bm25")]
        assert _sources(tea_hits).count("tea.md") == 1
        assert kb.repair() == 5  # nothing wrong: nothing committed
        assert kb.reader().generation == generation + 1
    done = _verify_cli(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ok (5 documents, 5 chunks" in done.stdout


def test_verify_and_repair_bm25_terms_on_milvus(tmp_path: Path, corpus: Path) -> None:
    """`verify` analyses each chunk's stored text again and compares the terms Milvus's
    BM25 indexes; `repair` makes rows with the analyzer's terms from the stored text and
    vector: nothing embedded, the file not read (here it is gone from disk)."""
    index = tmp_path / "ix"
    generation = _indexed("milvus", index, corpus)
    backend = MilvusBackend(milvus_target(index))
    client = backend.client()
    chunks = collection_name("ix") + "_chunks"
    (kettle,) = client.query(chunks, filter='file_name == "kettle.txt"', output_fields=ROW_FIELDS)
    assert kettle["terms"] == "ember kettl warranti eighteen month"
    client.delete(chunks, filter=f"id == {kettle['id']}")
    client.insert(chunks, [{**kettle, "terms": "glass teapot bamboo"}])  # text kept
    backend.close()

    done = _verify_cli(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"1 of 5 chunks checked have BM25 terms that are not ragkit's analyzer's for their "
        f"text (chunks {kettle['id']})" in " ".join(done.stderr.split())
    )
    assert "Traceback" not in done.stderr

    (corpus / "kettle.txt").unlink()
    embedder = CountingEmbedder()
    with _open("milvus", index, embedder) as kb:
        reader = kb.reader()
        sampled = reader.audit(terms_sample=3)  # type: ignore[union-attr]
        assert sampled.terms_checked == 3
        assert {i for ids in sampled.bad_terms.values() for i in ids} <= {kettle["id"]}
        assert "kettle.txt" not in _sources(kb.search("Ember kettle warranty", k=5, mode="bm25"))
        assert kb.repair() == 5
        reader = kb.reader()
        assert reader.generation == generation + 1
        assert reader.verify_store() == []  # type: ignore[union-attr]
        assert reader.audit(terms_sample=2).terms_checked == 2  # type: ignore[union-attr]
        assert embedder.embedded == []
        (hit,) = kb.search("Ember kettle warranty", k=1, mode="bm25")
        assert Path(hit.chunk.source).name == "kettle.txt" and hit.chunk.id != kettle["id"]
        assert hit.chunk.text == kettle["text"]
        assert [d.chunks for d in kb.documents() if Path(d.source).name == "kettle.txt"] == [1]
        dense = kb.search("Ember kettle warranty", k=1, mode="dense")
        assert _sources(dense) == ["kettle.txt"]  # its stored vector came along
        assert kb.repair() == 5  # nothing wrong: nothing committed
        assert kb.reader().generation == generation + 1
    done = _verify_cli(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "the BM25 terms of all 5 chunks are the analyzer's" in " ".join(done.stdout.split())


_LOCK_CHILD = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from pathlib import Path
    from ragkit import HashingEmbedder, KnowledgeBase
    from ragkit.index.milvus import MilvusBackend, MilvusTarget
    from ragkit.index.progress import NoProgress
    from ragkit.options import Models
    uri, docs, ready, me, action, ceiling, hold = sys.argv[1:8]
    other = "b" if me == "a" else "a"

    def said(name):
        return Path(f"{name}-{other}").exists()  # in the shared working folder

    class HoldingEmbedder(HashingEmbedder):
        # Holds the write lock until the other writer has met it (or has finished): the
        # other one waits, however slowly a loaded machine runs it.
        def embed_batch(self, texts):
            if action == "die-while-writing":
                os.kill(os.getpid(), signal.SIGKILL)
            deadline = time.monotonic() + float(ceiling)
            while hold == "yes" and not (said("waiting") or said("done")):
                assert time.monotonic() < deadline, f"writer {other} never met the lock"
                time.sleep(0.02)
            return super().embed_batch(texts)

    class Watch(NoProgress):
        waited = False
        def waiting(self, message):
            Watch.waited = True
            Path(f"waiting-{me}").touch()

    kb = KnowledgeBase.open(
        Path("lock-ix"),
        models=Models(embedder=HoldingEmbedder(dim=64)),
        backend=MilvusBackend(MilvusTarget(uri, "ragkit_locked", lock_lease_s=15.0)),
    )
    kb.exists  # connected: imports and start-up are done
    Path(ready, me).touch()
    deadline = time.monotonic() + float(ceiling)
    while len(list(Path(ready).iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    kb.add([Path(docs)], progress=Watch())
    Path(f"done-{me}").touch()
    print(json.dumps({"waited": Watch.waited}), flush=True)
    kb.close()
    """
)


@pytest.mark.parametrize("first", ["add", "die-while-writing"])
def test_two_writers_on_a_server_take_turns(milvus_server: str, tmp_path: Path, first: str) -> None:
    """Two processes index into one collection of a Milvus server at the same moment:
    one waits for the other's claim, so both commits land, one generation each. A writer
    killed while holding the claim blocks the other only until its lease runs out (15 s
    here: renewals every 2.5 s keep a live writer's claim even on a loaded machine)."""
    script = tmp_path / "lock_child.py"
    script.write_text(_LOCK_CHILD, encoding="utf-8")
    ready = tmp_path / "ready"
    ready.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for name, action in (("a", first), ("b", "add")):
        docs = write_file(tmp_path / f"docs-{name}" / f"{name}.txt", f"Writer {name} kettle notes.")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-W",
                    "ignore",
                    str(script),
                    milvus_server,
                    str(docs.parent),
                    str(ready),
                    name,
                    action,
                    str(HANG_S),
                    # Both hold the lock until the other met it, unless one dies holding it.
                    "yes" if first == "add" else "no",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=tmp_path,
            )
        )
    results = []
    for action, proc in zip((first, "add"), procs, strict=True):
        out, err = proc.communicate(timeout=HANG_S)
        if action == "die-while-writing":
            assert proc.returncode == -9, err[-2000:]
            continue
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    with KnowledgeBase.open(
        tmp_path / "lock-ix",
        models=Models(embedder=HashingEmbedder(dim=64)),
        backend=MilvusBackend(MilvusTarget(milvus_server, "ragkit_locked")),
    ) as kb:
        names = sorted(Path(d.source).name for d in kb.documents())
        reader = kb.reader()
        assert reader.verify_store() == []  # type: ignore[union-attr]
        if first == "add":
            # One waited for the other (or both, when each saw the other's claim at once).
            assert any(r["waited"] for r in results), results
            assert names == ["a.txt", "b.txt"]
            assert reader.generation == 2
        else:
            assert names == ["b.txt"]
            assert reader.generation == 1


def test_no_wait_fails_while_another_writer_holds_the_claim(
    milvus_server: str, tmp_path: Path, corpus: Path
) -> None:
    from ragkit.index.lock import IndexBusyError
    from ragkit.index.milvus import _Collections, _ServerLock

    target = MilvusTarget(milvus_server, "ragkit_busy")
    with KnowledgeBase.open(
        tmp_path / "busy",
        models=Models(embedder=HashingEmbedder(dim=64)),
        backend=MilvusBackend(target),
    ) as kb:
        kb.add([corpus / "kettle.txt"])  # creates the collections
        holder = MilvusBackend(target)
        try:
            with _ServerLock(_Collections(holder.client(), target), True, None, 60.0):
                with pytest.raises(IndexBusyError, match="being written by another process"):
                    kb.add([corpus], wait=False)
            report = kb.add([corpus], wait=False)  # released: goes ahead
            assert {f.status for f in report.files} == {"indexed", "unchanged"}
            assert kb.reader().generation == 2
        finally:
            holder.close()
