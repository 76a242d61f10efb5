"""End to end on the real bundled models: all-MiniLM-L6-v2 through sentence-transformers
and SmolLM2-135M-Instruct (GGUF) through llama-cpp-python, over the shipped sample
corpus, with real index files on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ceilings import HANG_S

from ragkit import KnowledgeBase
from ragkit.models.embeddings import make_embedder
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, Message, bundled_gguf_path
from ragkit.options import AnswerOptions, Models

pytestmark = pytest.mark.slow(
    reason="the bundled embedder and GGUF end to end, also as CLI subprocesses"
)

QUICKSTART = "How long is the warranty on the Ember brewing kettle?"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    from docx import Document as Docx

    samples = Path(__file__).resolve().parents[2] / "samples" / "corpus"
    extra = tmp_path_factory.mktemp("extra")
    word = Docx()
    word.add_heading("Night market opening hours", level=1)
    word.add_paragraph("The Lumen night market stall opens every Friday from 18:00 to 23:30.")
    word.save(str(extra / "market.docx"))
    base = KnowledgeBase.open(
        tmp_path_factory.mktemp("ix") / "samples",
        answer=AnswerOptions(generation=GenerationOptions(max_tokens=48, temperature=0.0, seed=7)),
    )
    report = base.add([samples, extra])
    assert not report.by_status("failed"), report
    return base


def test_bundled_embedder_is_real_and_normalised() -> None:
    emb = make_embedder("bundled")
    assert emb.id == "all-MiniLM-L6-v2" and emb.dim == 384
    vecs = emb.embed(["a kettle warranty", "guarantee period of an electric kettle", "tax law"])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2]) + 0.2


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_quickstart_question_finds_pdf_page_two(kb: KnowledgeBase, mode: str) -> None:
    top = kb.search(QUICKSTART, k=3, mode=mode)[0]  # type: ignore[arg-type]
    assert top.chunk.source.endswith("handbook.pdf")
    assert top.chunk.page_start == 2


def test_chinese_question_finds_chinese_passage(kb: KnowledgeBase) -> None:
    hits = kb.search("雾溪茶园的平均海拔是多少？", k=3)
    assert hits[0].chunk.source.endswith("wuxi_garden_zh.txt")
    assert "1650" in " ".join(h.chunk.text for h in hits)
    hits = kb.search("冲泡红隼金毫的推荐水温是多少？", k=3)
    assert hits[0].chunk.source.endswith("brewing_guide_zh.md")


def test_docx_is_searchable(kb: KnowledgeBase) -> None:
    top = kb.search("When does the night market stall open?", k=1)[0]
    assert top.chunk.source.endswith("market.docx")


def test_local_model_streams_a_grounded_answer(kb: KnowledgeBase) -> None:
    stream = kb.ask_stream(QUICKSTART, k=3)
    pieces = list(stream)
    answer = stream.answer
    assert "18" in answer.text
    # Streamed word by word, not one block (a short answer is a few words).
    assert len(pieces) >= max(2, len(answer.text.split()))
    assert answer.sources[0].source.endswith("handbook.pdf")
    assert answer.sources[0].page_start == 2


def test_llama_model_counts_tokens_and_respects_max_tokens() -> None:
    model = LlamaCppChatModel(bundled_gguf_path(), n_ctx=512)
    assert 3 <= model.count_tokens("Hello there, how are you?") <= 10
    text = "".join(
        model.stream(
            [Message("user", "Count from one to one hundred in words.")],
            GenerationOptions(max_tokens=8, temperature=0.0),
        )
    )
    assert 0 < model.count_tokens(text) <= 9


def test_cli_index_then_ask_streams_with_sources(tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parents[2] / "samples" / "corpus"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAGKIT_INDEX__HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "ragkit"]
    done = subprocess.run(
        [*cli, "index", str(samples)], env=env, capture_output=True, text=True, timeout=HANG_S
    )
    assert done.returncode == 0, done.stderr
    assert "7 indexed" in done.stdout
    again = subprocess.run(
        [*cli, "index", str(samples)], env=env, capture_output=True, text=True, timeout=HANG_S
    )
    assert again.returncode == 0 and "nothing changed" in again.stdout
    asked = subprocess.run(
        [*cli, "ask", QUICKSTART], env=env, capture_output=True, text=True, timeout=HANG_S
    )
    assert asked.returncode == 0, asked.stderr
    assert "18 months" in asked.stdout
    assert "Sources:" in asked.stdout and "handbook.pdf p. 2" in asked.stdout
    assert "Traceback" not in asked.stderr


def test_int8_query_embedder_searches_an_fp32_index_alike(kb: KnowledgeBase) -> None:
    from ragkit.models.embeddings.onnx import bundled_int8_embedder

    int8 = bundled_int8_embedder()
    fp32 = make_embedder("bundled")
    texts = [QUICKSTART, "雾溪茶园的平均海拔是多少？"]
    cosines = (int8.embed(texts) * fp32.embed(texts)).sum(axis=1)
    assert np.all(cosines > 0.995)
    fast = KnowledgeBase.open(kb.path, models=Models(query_embedder=int8))
    for query in (QUICKSTART, "When does the night market stall open?"):
        a = [h.chunk.id for h in kb.search(query, k=5, mode="dense")]
        b = [h.chunk.id for h in fast.search(query, k=5, mode="dense")]
        assert a[:3] == b[:3]


def test_cli_search_does_not_import_torch(kb: KnowledgeBase) -> None:
    code = (
        "import sys\n"
        "from ragkit.apps.cli import app\n"
        f"app(['search', 'kettle warranty', '--json', '--index', {str(kb.path)!r}],"
        " standalone_mode=False)\n"
        "print('torch loaded' if 'torch' in sys.modules else 'torch not loaded')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr
    assert "handbook.pdf" in done.stdout
    assert done.stdout.strip().endswith("torch not loaded")


def test_cli_search_filters(kb: KnowledgeBase) -> None:
    import json

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cli = [sys.executable, "-m", "ragkit", "search", "--index", str(kb.path), "--json"]
    done = subprocess.run(
        [*cli, "tea", "--type", "pdf", "--pages", "3-4", "-k", "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(r["file"].endswith("handbook.pdf") for r in rows)
    assert all(r["page_end"] >= 3 and r["page_start"] <= 4 for r in rows)
    bad = subprocess.run(
        [*cli, "tea", "--pages", "x-y"], env=env, capture_output=True, text=True, timeout=HANG_S
    )
    assert bad.returncode == 1 and "--pages" in bad.stderr and "Traceback" not in bad.stderr
