"""Search filters, MMR, reranker plumbing and multi-query fusion, on real index files
built with the hashing fake embedder (no model)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from corpus_files import write_file

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.errors import RagkitError
from ragkit.ingest.chunking import ChunkerParams
from ragkit.options import IndexOptions, Models, SearchOptions
from ragkit.search.multiquery import generate_variants, parse_variants
from ragkit.search.rerank import Reranker
from ragkit.search.retrieval import SearchFilter, convex_fuse, mmr, rrf_fuse
from ragkit.types import SearchHit, StoredChunk


def _kb(
    path: Path,
    *,
    chunker: ChunkerParams | None = None,
    reranker: Reranker | None = None,
    chat_model: ScriptedChatModel | None = None,
    **search: Any,
) -> KnowledgeBase:
    return KnowledgeBase.open(
        path,
        models=Models(embedder=HashingEmbedder(dim=64), reranker=reranker, chat_model=chat_model),
        index=IndexOptions(chunker=chunker),
        search=SearchOptions(**search),
    )


def _names(hits: Sequence[SearchHit]) -> list[str]:
    return [Path(h.chunk.source).name for h in hits]


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write_file(root / "tea.md", "# Tea\n\nGreen tea is steamed or pan-fired soon after picking.")
    write_file(root / "notes" / "tea.txt", "Tea notes: black tea is fully oxidised before drying.")
    write_file(root / "notes" / "oolong.txt", "Oolong tea is partly oxidised; tea masters roll it.")
    write_file(root / "kettle.html", "<html><body><p>The tea kettle boils water.</p></body></html>")
    rows = [
        {"_id": "d1", "title": "Matcha", "text": "Matcha tea is ground green tea leaves."},
        {"_id": "d2", "title": "Puer", "text": "Puer tea is fermented and aged tea."},
    ]
    write_file(root / "corpus.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    return root


# --- filters ---------------------------------------------------------------------------


def test_path_glob_matches_the_file_name_or_the_full_path(tmp_path: Path, mixed: Path) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([mixed])
    everything = kb.search("tea", k=10, mode="bm25")
    assert len(everything) == 6
    md = kb.search("tea", k=10, mode="bm25", filters=SearchFilter(path_glob="*.md"))
    assert _names(md) == ["tea.md"]
    notes = kb.search("tea", k=10, mode="hybrid", filters=SearchFilter(path_glob="*/notes/*"))
    assert sorted(_names(notes)) == ["oolong.txt", "tea.txt"]
    assert [h.rank for h in notes] == [1, 2]
    assert kb.search("tea", k=10, filters=SearchFilter(path_glob="*.pdf")) == []


def test_file_type_and_metadata_filters(tmp_path: Path, mixed: Path) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([mixed])
    txt = kb.search("tea", k=10, mode="dense", filters=SearchFilter(file_types=frozenset({".TXT"})))
    assert sorted(_names(txt)) == ["oolong.txt", "tea.txt"]
    web = SearchFilter(file_types=frozenset({"html", "md"}))
    assert sorted(_names(kb.search("tea", k=10, filters=web))) == ["kettle.html", "tea.md"]
    d2 = kb.search("tea", k=10, filters=SearchFilter(metadata={"id": "d2"}))
    assert [h.chunk.doc_key.rsplit("#", 1)[1] for h in d2] == ["d2"]
    assert kb.search("tea", k=10, filters=SearchFilter(metadata={"id": "nope"})) == []
    # Conditions combine: a JSON-lines file type with a glob that names no JSON file.
    both = SearchFilter(path_glob="*.md", file_types=frozenset({"jsonl"}))
    assert kb.search("tea", k=10, filters=both) == []


def test_a_selective_filter_searches_deeper_until_k_chunks_survive(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    for i in range(30):
        write_file(root / f"common{i:02}.txt", f"warranty warranty warranty period number {i}")
    write_file(root / "rare.md", "The warranty is mentioned once among other words here.")
    # Few candidates per retriever: the one Markdown chunk ranks far below them.
    kb = _kb(tmp_path / "ix", candidates=2)
    kb.add([root])
    plain = kb.search("warranty", k=3, mode="bm25")
    assert "rare.md" not in _names(plain)
    for mode in ("bm25", "dense", "hybrid"):
        hits = kb.search("warranty", k=3, mode=mode, filters=SearchFilter(path_glob="*.md"))  # type: ignore[arg-type]
        assert _names(hits) == ["rare.md"], mode
    txt = kb.search(
        "warranty", k=25, mode="bm25", filters=SearchFilter(file_types=frozenset({"txt"}))
    )
    assert len(txt) == 25 and all(n.endswith(".txt") for n in _names(txt))


def test_page_range_keeps_overlapping_pages_and_drops_pageless_chunks(tmp_path: Path) -> None:
    from fpdf import FPDF

    root = tmp_path / "in"
    root.mkdir()
    pdf = FPDF()
    for text in ("Oolong tea grows on hills.", "Green tea is steamed fast.", "Black tea is dark."):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(text=text)
    pdf.output(str(root / "tea.pdf"))
    write_file(root / "tea.txt", "Plain text tea has no pages.")
    kb = _kb(tmp_path / "ix", chunker=ChunkerParams(chunk_size=40, chunk_overlap=0))
    kb.add([root])
    pages = {(h.chunk.page_start, h.chunk.page_end) for h in kb.search("tea", k=10, mode="bm25")}
    assert pages == {(1, 1), (2, 2), (3, 3), (None, None)}
    middle = kb.search("tea", k=10, filters=SearchFilter(page_min=2, page_max=2))
    assert [h.chunk.page_start for h in middle] == [2]
    later = kb.search("tea", k=10, filters=SearchFilter(page_min=2))
    assert sorted(h.chunk.page_start or 0 for h in later) == [2, 3]
    early = kb.search("tea", k=10, filters=SearchFilter(page_max=1))
    assert [h.chunk.page_start for h in early] == [1]


def test_filter_matching_rules() -> None:
    chunk = StoredChunk(1, "t", "k", "/data/reports/q3.pdf", "", 0, 3, 5)
    assert SearchFilter().matches(chunk) and not SearchFilter().active
    assert SearchFilter(path_glob="q3.pdf").matches(chunk)
    assert SearchFilter(path_glob="/data/*").matches(chunk)
    assert not SearchFilter(path_glob="reports").matches(chunk)
    assert SearchFilter(page_min=5, page_max=9).matches(chunk)  # pages 3-5 overlap 5-9
    assert not SearchFilter(page_min=6).matches(chunk)
    assert not SearchFilter(page_max=2).matches(chunk)
    typed = SearchFilter(file_types=frozenset({".PDF"}))
    assert typed.file_types == frozenset({"pdf"})
    assert typed.matches(chunk, ("pdf", {})) and not typed.matches(chunk, ("txt", {}))
    assert not typed.matches(chunk)  # fields unknown: a filter that needs them fails
    tagged = SearchFilter(metadata={"lang": "en"})
    assert tagged.matches(chunk, ("pdf", {"lang": "en", "x": "y"}))
    assert not tagged.matches(chunk, ("pdf", {"lang": "zh"}))
    with pytest.raises(RagkitError, match="page range 4-2"):
        SearchFilter(page_min=4, page_max=2)


# --- MMR -------------------------------------------------------------------------------


def test_mmr_picks_the_unlike_vector_second() -> None:
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    assert mmr(query, vectors, 3, 1.0) == [0, 1, 2]
    # After row 0 the gains are: duplicate 0.7*1 - 0.3*1, tilted row 0.7*0.6 - 0.3*0.6.
    assert mmr(query, vectors, 3, 0.7) == [0, 1, 2]
    # Lower lambda: the orthogonal row (gain 0) beats the duplicate (-0.2) and the tilted
    # row (0.4*0.6 - 0.6*0.6); third, the duplicate (-0.2) beats it (0.24 - 0.6*0.8).
    assert mmr(query, vectors, 3, 0.4) == [0, 3, 1]
    assert mmr(None, vectors, 2, 0.5, relevance=[1.0, 0.9, 0.8, 0.1]) == [0, 2]
    assert mmr(query, vectors, 0, 0.5) == []
    assert mmr(query, vectors, 9, 0.5)[:1] == [0] and len(mmr(query, vectors, 9, 0.5)) == 4


def test_mmr_search_surfaces_another_document_instead_of_a_duplicate(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    text = "Green tea leaves are steamed soon after picking to stop oxidation."
    write_file(root / "a.txt", text)
    write_file(root / "a_copy.txt", text)
    write_file(root / "b.txt", "Green tea picking season starts in spring on the hills.")
    write_file(root / "c.txt", "Kettles boil water for tea.")
    write_file(root / "d.txt", "The warranty of the kettle lasts two years.")
    kb = _kb(tmp_path / "ix")
    kb.add([root])
    query = "green tea leaves steamed after picking"
    for mode in ("dense", "bm25", "hybrid"):
        plain = kb.search(query, k=3, mode=mode)  # type: ignore[arg-type]
        assert plain[0].chunk.text == plain[1].chunk.text == text, mode
        diverse = kb.search(query, kb.search_options.with_(k=3, mode=mode, mmr_lambda=0.4))
        assert diverse[0].chunk.id == plain[0].chunk.id, mode
        assert diverse[1].chunk.text != text, mode
        assert len({"a.txt", "a_copy.txt"} & set(_names(diverse))) == 1, mode
        assert "b.txt" in _names(diverse), mode
        assert [h.rank for h in diverse] == [1, 2, 3]
        # lambda 1 is pure relevance: the plain ranking.
        same = kb.search(query, kb.search_options.with_(k=3, mode=mode, mmr_lambda=1.0))
        assert [h.chunk.id for h in same] == [h.chunk.id for h in plain], mode
    with pytest.raises(RagkitError, match="mmr_lambda"):
        kb.search(query, kb.search_options.with_(mmr_lambda=1.5))


# --- reranker plumbing -----------------------------------------------------------------


class ReverseReranker:
    """Scores hits in reverse order of their first-stage rank, and records its calls."""

    id = "reverse"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
        self.calls.append((query, len(hits)))
        return [
            replace(hit, rank=rank, score=float(rank)) for rank, hit in enumerate(reversed(hits), 1)
        ]


def test_retriever_reranks_the_top_rerank_depth_candidates(tmp_path: Path, mixed: Path) -> None:
    reranker = ReverseReranker()
    kb = _kb(tmp_path / "ix", reranker=reranker, rerank_depth=4)
    kb.add([mixed])
    first = kb.search("tea", kb.search_options.with_(k=4, mode="bm25", rerank=False))
    assert reranker.calls == []
    hits = kb.search("tea", k=2, mode="bm25")
    assert reranker.calls == [("tea", 4)]
    assert [h.chunk.id for h in hits] == [first[3].chunk.id, first[2].chunk.id]
    assert [(h.rank, h.score) for h in hits] == [(1, 1.0), (2, 2.0)]


# --- multi-query -----------------------------------------------------------------------


def test_parse_variants_strips_markers_and_drops_junk() -> None:
    reply = "\n".join(
        [
            "Here are 3 search queries:",
            "1. kettle warranty length",
            "2) How long is the kettle warranty?",  # the question again
            "",
            "- “Ember kettle guarantee period”",
            "* kettle warranty length",  # a duplicate
            "Query 4: " + "very long " * 60,
            "3.5 year warranty kettles",
            "5、水壶保修期",
        ]
    )
    question = "How long is the kettle warranty?"
    assert parse_variants(question, reply, 5) == [
        question,
        "kettle warranty length",
        "Ember kettle guarantee period",
        "3.5 year warranty kettles",
        "水壶保修期",
    ]
    assert parse_variants(question, reply, 1) == [question, "kettle warranty length"]
    assert parse_variants(question, "", 3) == [question]


def test_generate_variants_prompts_the_model_once() -> None:
    model = ScriptedChatModel(["1. oolong oxidation\n2. semi-fermented tea\n3. wulong tea"])
    variants = generate_variants("What is oolong?", model, n=2)
    assert variants == ["What is oolong?", "oolong oxidation", "semi-fermented tea"]
    assert len(model.prompts) == 1
    prompt = model.prompts[0][-1].content
    assert "What is oolong?" in prompt and "2 different search queries" in prompt
    assert generate_variants("What is oolong?", model, n=0) == ["What is oolong?"]
    assert len(model.prompts) == 1


def test_search_multi_fuses_the_rankings_of_question_and_variants(
    tmp_path: Path, mixed: Path
) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([mixed])
    question, variant = "puer aged", "kettle boils water"
    retriever = kb.retriever(kb.search_options.with_(k=10, mode="bm25"))
    alone = retriever.search(question)
    assert "kettle.html" not in _names(alone)
    fused = retriever.search_multi(question, [variant, "PUER  aged"])
    other = retriever.search(variant)
    expected = rrf_fuse([[h.chunk.id for h in alone], [h.chunk.id for h in other]])
    assert [(h.chunk.id, pytest.approx(h.score)) for h in fused] == expected
    assert "kettle.html" in _names(fused) and [h.rank for h in fused] == list(
        range(1, len(fused) + 1)
    )
    # No variants: exactly the plain search.
    assert retriever.search_multi(question, []) == alone


def test_kb_multi_query_asks_the_chat_model_for_variants(tmp_path: Path, mixed: Path) -> None:
    model = ScriptedChatModel(["1. kettle boils water\n2. aged puer"])
    kb = _kb(tmp_path / "ix", chat_model=model, multi_query=2)
    kb.add([mixed])
    hits = kb.search("puer aged", k=10, mode="bm25")
    assert len(model.prompts) == 1
    assert "kettle.html" in _names(hits)
    off = kb.search("puer aged", kb.search_options.with_(k=10, mode="bm25", multi_query=0))
    assert len(model.prompts) == 1 and "kettle.html" not in _names(off)
    default = _kb(tmp_path / "ix", chat_model=model)  # off unless asked for
    default.search("puer aged", k=3)
    assert len(model.prompts) == 1


def test_ask_passes_search_options_through(tmp_path: Path, mixed: Path) -> None:
    model = ScriptedChatModel(["Oolong is partly oxidised [1]."])
    kb = _kb(tmp_path / "ix", chat_model=model)
    kb.add([mixed])
    answer = kb.ask("tea", k=3, search=SearchOptions(filters=SearchFilter(path_glob="*oolong*")))
    assert [Path(s.source).name for s in answer.sources] == ["oolong.txt"]
    assert answer.citations[0].source.endswith("oolong.txt")


# --- hybrid fusion -----------------------------------------------------------------------


def test_convex_fusion_weights_scaled_scores_and_keeps_score_gaps() -> None:
    dense = [(1, 0.9), (2, 0.5), (3, 0.1)]
    bm25 = [(3, 12.0), (4, 11.0), (1, 2.0)]
    fused = dict(convex_fuse([dense, bm25], [0.5, 0.5]))
    # 1: dense 1.0, bm25 0.0 -> 0.5; 3: dense 0.0, bm25 1.0 -> 0.5; 4: bm25 0.9 only
    assert fused[1] == pytest.approx(0.5)
    assert fused[3] == pytest.approx(0.5)
    assert fused[4] == pytest.approx(0.45)
    assert fused[2] == pytest.approx(0.25)
    # RRF sees only ranks: 4 (rank 2 in one list) ties with 2 (rank 2 in the other).
    rrf = dict(rrf_fuse([[i for i, _ in dense], [i for i, _ in bm25]]))
    assert rrf[4] == pytest.approx(rrf[2])
    # All-equal scores carry no order: every item scales to 1, not 0 or NaN.
    assert dict(convex_fuse([[(7, 3.0), (8, 3.0)]], [1.0])) == {7: 1.0, 8: 1.0}
    assert convex_fuse([[], []], [0.5, 0.5]) == []


def test_fusion_setting_changes_hybrid_ranking_and_bad_values_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    for i in range(6):
        write_file(
            root / f"{i}.txt", f"Tea note {i}: " + " ".join(["oolong"] * i + ["kettle"] * (5 - i))
        )
    convex = _kb(tmp_path / "ix")
    convex.add([root])
    rrf = _kb(tmp_path / "ix", fusion="rrf")
    query = "oolong kettle"
    c_hits = convex.search(query, k=6)
    r_hits = rrf.search(query, k=6)
    assert {h.chunk.id for h in c_hits} == {h.chunk.id for h in r_hits}
    assert all(0.0 <= h.score <= 1.0 for h in c_hits)  # convex scores are scaled sums
    assert all(h.score < 0.05 for h in r_hits)  # RRF scores are sums of 1/(60 + rank)
    dense_only = _kb(tmp_path / "ix", dense_weight=1.0).search(query, k=6, mode="hybrid")
    assert [h.chunk.id for h in dense_only] == [
        h.chunk.id for h in convex.search(query, k=6, mode="dense")
    ]
    # Options are validated when built: pydantic's ValidationError (a ValueError) in code,
    # a ConfigError naming the option through `with_` (CLI flags).
    with pytest.raises(ValueError, match="fusion"):
        _kb(tmp_path / "ix", fusion="sum").search(query)
    with pytest.raises(RagkitError, match="dense_weight"):
        convex.search(query, convex.search_options.with_(dense_weight=1.5))
