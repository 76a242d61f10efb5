"""Retrieval evaluation: metrics against hand-computed values, data set loading (BEIR and
SQuAD-style, good and bad input), and a whole run on a tiny BEIR set with the hashing
embedder, where the right document for each query is obvious."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ragkit import KnowledgeBase
from ragkit.errors import ConfigError, RagkitError
from ragkit.evaluation import (
    DatasetError,
    EvalDataset,
    RetrievalScores,
    evaluate_retrieval,
    format_table,
    jsonl_doc_id,
    load_dataset,
    mean,
    mrr_at_k,
    ndcg_at_k,
    prepare_index,
    rank_documents,
    recall_at_k,
    to_json,
)
from ragkit.ingest.chunking import ChunkerParams
from ragkit.models.embeddings import HashingEmbedder
from ragkit.options import IndexOptions, Models
from ragkit.types import SearchHit, StoredChunk

# --- metrics ----------------------------------------------------------------------------


def test_ndcg_uses_graded_gains_and_the_ideal_order_of_the_grades() -> None:
    qrels = {"a": 2, "b": 1}
    # DCG of [b, x, a] = 1/log2(2) + 0 + 2/log2(4) = 1 + 1 = 2; ideal [a, b] = 2 + 1/log2(3).
    expected = 2 / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "x", "a"], qrels, 10) == pytest.approx(expected)
    assert ndcg_at_k(["b", "x", "a"], qrels, 10) == pytest.approx(0.760_188, abs=1e-6)
    assert ndcg_at_k(["a", "b"], qrels, 10) == pytest.approx(1.0)


def test_ndcg_cuts_both_the_ranking_and_the_ideal_at_k() -> None:
    qrels = {"a": 1, "b": 1, "c": 1}
    # Top 2 of [a, x, b]: DCG 1; the ideal top 2 holds two relevant: 1 + 1/log2(3).
    assert ndcg_at_k(["a", "x", "b"], qrels, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # All relevant documents at rank 1 with k=1: perfect, though two are never seen.
    assert ndcg_at_k(["b"], qrels, 1) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], qrels, 1) == 0.0


def test_non_positive_grades_are_not_relevant() -> None:
    qrels = {"a": 1, "z": 0}
    assert ndcg_at_k(["z", "a"], qrels, 10) == pytest.approx(1 / math.log2(3))
    assert recall_at_k(["z"], qrels, 10) == 0.0
    assert mrr_at_k(["z", "a"], qrels, 10) == pytest.approx(0.5)
    assert ndcg_at_k(["a"], {"z": 0}, 10) == 0.0
    assert recall_at_k(["a"], {}, 10) == 0.0


def test_recall_counts_relevant_documents_found_in_the_top_k() -> None:
    qrels = {"a": 1, "b": 2, "c": 1, "d": 1}
    ranked = ["a", "x", "b", "y", "c"]
    assert recall_at_k(ranked, qrels, 1) == pytest.approx(0.25)
    assert recall_at_k(ranked, qrels, 3) == pytest.approx(0.5)
    assert recall_at_k(ranked, qrels, 100) == pytest.approx(0.75)


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document_within_k() -> None:
    qrels = {"a": 1, "b": 1}
    assert mrr_at_k(["x", "y", "a", "b"], qrels, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "a"], qrels, 2) == 0.0
    assert mrr_at_k(["b"], qrels, 10) == 1.0


def test_k_must_be_positive_and_the_mean_of_nothing_is_zero() -> None:
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], {"a": 1}, 0)
    assert mean([]) == 0.0
    assert mean([1.0, 0.0, 0.5]) == pytest.approx(0.5)


def _hit(rank: int, doc_key: str, source: str = "/data/corpus.jsonl") -> SearchHit:
    chunk = StoredChunk(
        id=rank,
        text="",
        doc_key=doc_key,
        source=source,
        title="",
        ordinal=0,
        page_start=None,
        page_end=None,
    )
    return SearchHit(rank=rank, score=1.0 / rank, chunk=chunk)


def test_chunk_hits_collapse_to_documents_at_their_best_rank() -> None:
    hits = [
        _hit(1, "/data/corpus.jsonl#d1"),
        _hit(2, "/data/corpus.jsonl#d2"),
        _hit(3, "/data/corpus.jsonl#d1"),
        _hit(4, "/data/corpus.jsonl#x#y"),  # an id that itself holds '#'
        _hit(5, "/data/corpus.jsonl#d2"),
    ]
    assert rank_documents(hits, jsonl_doc_id) == ["d1", "d2", "x#y"]
    # Recall counts d1 once although two of its chunks were retrieved.
    assert recall_at_k(rank_documents(hits), {"d1": 1, "d3": 1}, 10) == pytest.approx(0.5)
    assert rank_documents(hits, lambda c: c.source) == ["/data/corpus.jsonl"]


def test_doc_id_of_a_key_from_another_path_is_the_part_after_the_last_hash() -> None:
    assert jsonl_doc_id(_hit(1, "/old/place.jsonl#42", source="/new.jsonl").chunk) == "42"
    assert jsonl_doc_id(_hit(1, "/a/report.pdf", source="/a/report.pdf").chunk) == ("/a/report.pdf")


# --- data sets --------------------------------------------------------------------------

CORPUS = [
    ("d1", "Volcanoes", "Volcanic eruptions pour basalt lava and release sulfur dioxide gas."),
    ("d2", "Bees", "Honeybees pollinate clover meadows and build wax combs in the hive."),
    ("d3", "Music", "The violin concerto gives the soloist a long cadenza before the coda."),
    ("d4", "Ice", "Glaciers carve deep fjords as compacted snow slowly turns to ice."),
    ("d5", "Baking", "Sourdough bread rises with wild yeast and lactobacillus cultures."),
    ("d6", "Space", "Satellites orbit the planet and relay radio telemetry to ground stations."),
]
QUERIES = [
    ("q1", "basalt lava sulfur eruptions"),
    ("q2", "honeybees pollinate clover"),
    ("q3", "violin cadenza soloist"),
    ("q4", "glaciers carve fjords"),
    ("q5", "a query nobody judged"),
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td2\t1\nq3\td3\t2\nq4\td4\t1\n"


def write_beir(folder: Path, qrels: str = QRELS) -> Path:
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc_id, title, text in CORPUS:
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, text in QUERIES:
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
    (folder / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
    return folder


def test_beir_folder_loads_queries_with_relevant_documents(tmp_path: Path) -> None:
    ds = load_dataset(f"beir:{write_beir(tmp_path / 'tiny')}")
    assert ds.name == "tiny"
    assert ds.kind == "beir"
    assert ds.corpus_file == (tmp_path / "tiny" / "corpus.jsonl").resolve()
    assert [q for q, _ in ds.queries] == ["q1", "q2", "q3", "q4"]
    assert ds.queries[0] == ("q1", "basalt lava sulfur eruptions")
    assert ds.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 2}, "q4": {"d4": 1}}
    assert ds.dropped_queries == 1  # q5 has no judgement


def test_beir_numeric_ids_and_a_file_without_header_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "nums"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('{"_id": 7, "text": "seven"}\n', encoding="utf-8")
    (folder / "queries.jsonl").write_text('{"_id": 1, "text": "seven?"}\n', encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("1\t7\t1\n", encoding="utf-8")
    ds = load_dataset(f"beir:{folder}")
    assert ds.queries == [("1", "seven?")]
    assert ds.qrels == {"1": {"7": 1}}


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("scifact", ["no form prefix", "beir:DIR"]),
        ("trec:somewhere", ["unknown form 'trec'", "squad:FILE"]),
        ("beir:{tmp}/nowhere", ["nowhere does not exist", "corpus.jsonl"]),
        ("squad:{tmp}/missing.json", ["missing.json does not exist", "paragraphs"]),
    ],
)
def test_bad_specs_name_the_path_and_the_expected_layout(
    tmp_path: Path, spec: str, words: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_dataset(spec.format(tmp=tmp_path))
    for word in words:
        assert word in str(caught.value)


def test_beir_folder_missing_qrels_lists_what_is_missing(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "tiny")
    (folder / "qrels" / "test.tsv").rename(folder / "qrels" / "dev.tsv")
    with pytest.raises(DatasetError) as caught:
        load_dataset(f"beir:{folder}")
    message = str(caught.value)
    assert str(folder) in message
    assert "qrels/test.tsv" in message
    assert "dev.tsv" in message  # what is there instead
    assert load_dataset(f"beir:{folder}", split="dev").qrels["q1"] == {"d1": 1}


def test_beir_bad_lines_are_errors_with_their_line_number(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "bad")
    with (folder / "queries.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    with pytest.raises(DatasetError, match=r"queries\.jsonl line 6: not valid JSON"):
        load_dataset(f"beir:{folder}")

    folder = write_beir(tmp_path / "badqrels", qrels=QRELS + "q2\td5\n")
    with pytest.raises(DatasetError, match=r"test\.tsv line 7: expected query-id"):
        load_dataset(f"beir:{folder}")

    folder = write_beir(tmp_path / "nomatch", qrels="query-id\tcorpus-id\tscore\nzz\td1\t1\n")
    with pytest.raises(DatasetError, match=r"no query in queries\.jsonl"):
        load_dataset(f"beir:{folder}")


def _squad(path: Path) -> Path:
    shared = "Same passage under two articles. It mentions the harbour."
    data = {
        "version": "v1.0",
        "data": [
            {
                "title": "长城",
                "paragraphs": [
                    {
                        "context": "长城是中国古代的军事防御工程。",
                        "qas": [
                            {"id": "Q1", "question": "长城是什么？", "answers": []},
                            {"id": "Q2", "question": "  ", "answers": []},
                        ],
                    },
                    {"context": shared, "qas": [{"id": "Q3", "question": "Which harbour?"}]},
                ],
            },
            {
                "title": "Second",
                "paragraphs": [
                    {"context": shared, "qas": [{"id": "Q4", "question": "Same passage?"}]},
                    {"context": "Another passage.", "qas": [{"id": "Q1", "question": "dup"}]},
                ],
            },
        ],
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_squad_passages_are_deduplicated_and_each_question_finds_its_own(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    ds = load_dataset(f"squad:{_squad(tmp_path / 'dev.json')}", cache_dir=cache)
    assert ds.name == "dev"
    assert ds.kind == "squad"
    assert ds.corpus_file.is_relative_to(cache.resolve())
    lines = ds.corpus_file.read_text(encoding="utf-8").splitlines()
    passages = [json.loads(line) for line in lines]
    assert passages == [
        {"_id": "p0001", "title": "长城", "text": "长城是中国古代的军事防御工程。"},
        {
            "_id": "p0002",
            "title": "长城",
            "text": "Same passage under two articles. It mentions the harbour.",
        },
        {"_id": "p0003", "title": "Second", "text": "Another passage."},
    ]
    assert "长城" in lines[0]  # written as UTF-8 text, not \\u escapes
    # Q2 is empty (dropped); the second Q1 repeats an id and is ignored.
    assert ds.queries == [("Q1", "长城是什么？"), ("Q3", "Which harbour?"), ("Q4", "Same passage?")]
    assert ds.qrels == {"Q1": {"p0001": 1}, "Q3": {"p0002": 1}, "Q4": {"p0002": 1}}
    assert ds.dropped_queries == 1


def test_squad_derived_file_is_left_alone_when_unchanged(tmp_path: Path) -> None:
    source = _squad(tmp_path / "dev.json")
    first = load_dataset(f"squad:{source}", cache_dir=tmp_path / "cache").corpus_file
    mtime = first.stat().st_mtime_ns
    second = load_dataset(f"squad:{source}", cache_dir=tmp_path / "cache").corpus_file
    assert second == first
    assert second.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"version": "v1"}', "no top-level 'data' list"),
        ('{"data": [{"title": "t"}]}', r"data\[0\] has no 'paragraphs' list"),
        ('{"data": [{"paragraphs": [{"qas": []}]}]}', r"data\[0\]\.paragraphs\[0\] needs"),
        (
            '{"data": [{"paragraphs": [{"context": "c", "qas": [{"question": "q"}]}]}]}',
            r"paragraphs\[0\]\.qas\[0\] needs an 'id'",
        ),
        ('{"data": [{"paragraphs": [{"context": " ", "qas": []}]}]}', "no question"),
    ],
)
def test_bad_squad_files_say_where_and_what_is_expected(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message) as caught:
        load_dataset(f"squad:{path}", cache_dir=tmp_path / "cache")
    assert str(path) in str(caught.value)


# --- a whole run ------------------------------------------------------------------------


def _hashing_kb(path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(path, models=Models(embedder=HashingEmbedder()))


def test_evaluation_scores_obvious_queries_perfectly_and_reuses_its_index(
    tmp_path: Path,
) -> None:
    ds = load_dataset(f"beir:{write_beir(tmp_path / 'tiny')}")
    cache = tmp_path / "cache"
    messages: list[str] = []
    scores = evaluate_retrieval(
        ds, _hashing_kb, cache, ["bm25", "hybrid"], progress=messages.append
    )

    assert [s.mode for s in scores] == ["bm25", "hybrid"]
    bm25 = scores[0]
    assert bm25.queries == 4
    assert bm25.ndcg_10 == pytest.approx(1.0)
    assert bm25.recall_1 == pytest.approx(1.0)
    assert bm25.mrr_10 == pytest.approx(1.0)
    assert bm25.recall_100 == pytest.approx(1.0)
    assert bm25.qps > 0
    # Hybrid fuses in the hashing embedder's ranking: every document is found, if not first.
    assert scores[1].recall_100 == pytest.approx(1.0)
    assert 0.0 < scores[1].ndcg_10 <= 1.0
    assert any("chunks added" in m for m in messages)
    index_dirs = list(cache.glob("tiny-*/index-*"))
    assert len(index_dirs) == 1

    # A second run finds the corpus unchanged: nothing is indexed again.
    again: list[str] = []
    rerun = evaluate_retrieval(ds, _hashing_kb, cache, ["bm25"], progress=again.append)
    assert rerun[0].ndcg_10 == pytest.approx(1.0)
    assert any("unchanged, reused (no chunks added)" in m for m in again)
    prepared = prepare_index(ds, _hashing_kb, cache)
    with prepared.kb:
        assert prepared.reused
        assert prepared.report.chunks_added == 0
        assert [f.status for f in prepared.report.files] == ["unchanged"]
        assert prepared.kb.path == index_dirs[0]


def test_documents_split_into_many_chunks_count_once(tmp_path: Path) -> None:
    ds = load_dataset(f"beir:{write_beir(tmp_path / 'tiny')}")

    def small_chunks(path: Path) -> KnowledgeBase:
        return KnowledgeBase.open(
            path,
            models=Models(embedder=HashingEmbedder()),
            index=IndexOptions(chunker=ChunkerParams(chunk_size=40, chunk_overlap=0)),
        )

    scores = evaluate_retrieval(ds, small_chunks, tmp_path / "cache", ["bm25"])
    assert scores[0].ndcg_10 == pytest.approx(1.0)
    assert scores[0].recall_1 == pytest.approx(1.0)
    # Other settings, another cached index beside the first one.
    evaluate_retrieval(ds, _hashing_kb, tmp_path / "cache", ["bm25"])
    assert len(list((tmp_path / "cache").glob("tiny-*/index-*"))) == 2


def test_bad_mode_or_depth_fails_before_indexing(tmp_path: Path) -> None:
    ds = load_dataset(f"beir:{write_beir(tmp_path / 'tiny')}")
    with pytest.raises(ConfigError, match="unknown search mode 'sparse'"):
        evaluate_retrieval(ds, _hashing_kb, tmp_path / "cache", ["bm25", "sparse"])
    with pytest.raises(ConfigError, match="depth 10"):
        evaluate_retrieval(ds, _hashing_kb, tmp_path / "cache", ["bm25"], depth=10)
    assert not (tmp_path / "cache").exists()


def test_judged_ids_absent_from_the_index_are_an_error(tmp_path: Path) -> None:
    ds = load_dataset(f"beir:{write_beir(tmp_path / 'tiny')}")
    wrong = EvalDataset(
        name=ds.name,
        kind=ds.kind,
        source=ds.source,
        corpus_file=ds.corpus_file,
        queries=ds.queries,
        qrels={qid: {f"x{d}": g for d, g in docs.items()} for qid, docs in ds.qrels.items()},
    )
    with pytest.raises(RagkitError, match="none of the 4 judged documents"):
        evaluate_retrieval(wrong, _hashing_kb, tmp_path / "cache", ["bm25"])


def test_table_and_json_show_every_metric() -> None:
    scores = [
        RetrievalScores("bm25", 0.66951, 0.5, 0.7, 0.8, 0.9, 0.63, 587.8, 300),
        RetrievalScores("hybrid", 0.7, 0.55, 0.75, 0.85, 0.95, 0.66, 73.14, 300),
    ]
    table = format_table(scores).splitlines()
    assert table[0].split() == [
        "mode",
        "nDCG@10",
        "R@1",
        "R@5",
        "R@10",
        "R@100",
        "MRR@10",
        "q/s",
        "queries",
    ]
    assert table[1].split() == [
        "bm25",
        "0.6695",
        "0.5000",
        "0.7000",
        "0.8000",
        "0.9000",
        "0.6300",
        "587.8",
        "300",
    ]
    parsed = json.loads(to_json(scores))
    assert parsed[1] == {
        "mode": "hybrid",
        "ndcg_10": 0.7,
        "recall_1": 0.55,
        "recall_5": 0.75,
        "recall_10": 0.85,
        "recall_100": 0.95,
        "mrr_10": 0.66,
        "qps": 73.14,
        "queries": 300,
    }
