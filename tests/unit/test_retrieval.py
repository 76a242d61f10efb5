from __future__ import annotations

from ragkit.options import Models
from ragkit.search.retrieval import rrf_fuse


def test_rrf_rewards_items_both_rankings_agree_on() -> None:
    fused = rrf_fuse([[1, 2, 3], [3, 1, 4]], rrf_k=60)
    ids = [i for i, _ in fused]
    assert ids[0] == 1  # ranks 1 and 2
    assert ids[1] == 3  # ranks 3 and 1
    assert set(ids) == {1, 2, 3, 4}
    score = dict(fused)
    assert abs(score[1] - (1 / 61 + 1 / 62)) < 1e-12
    assert abs(score[4] - 1 / 63) < 1e-12


def test_rrf_of_one_ranking_keeps_its_order() -> None:
    assert [i for i, _ in rrf_fuse([[5, 9, 7]])] == [5, 9, 7]


def test_query_language() -> None:
    from ragkit.text.analysis import query_language

    assert query_language("雾溪茶园的平均海拔是多少？") == "zh"
    assert query_language("What is 茶?") == "en"
    assert query_language("SmolLM2 模型在哪里运行") == "zh"
    assert query_language("???") == "en"
    # Digits count for neither language (counted, this Chinese question read as English).
    assert query_language("CBA2021-2022赛季总冠军") == "zh"
    assert query_language("EMNLP2022的举办地") == "zh"
    assert query_language("Route 66 opened in 1926") == "en"
    assert query_language("2021-2022") == "en"


def test_hybrid_leaves_out_a_dense_model_that_does_not_know_the_language(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ragkit import HashingEmbedder, KnowledgeBase

    class EnglishOnly(HashingEmbedder):
        @property
        def languages(self) -> frozenset[str] | None:
            return frozenset({"en"})

    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(
        ["茶园位于云南省。", "海拔一千六百米的茶园。", "Tea gardens in Yunnan.", "其他内容。"]
    ):
        (docs / f"{i}.txt").write_text(text, encoding="utf-8")
    kb = KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=EnglishOnly()))
    kb.add([docs])
    zh = "茶园的海拔"
    hybrid = [h.chunk.id for h in kb.search(zh, k=4, mode="hybrid")]
    assert hybrid == [h.chunk.id for h in kb.search(zh, k=4, mode="bm25")]
    # An English query still fuses both rankings (dense adds what BM25 cannot match).
    en = [h.chunk.id for h in kb.search("tea garden yunnan", k=4, mode="hybrid")]
    assert len(en) > len(kb.search("tea garden yunnan", k=4, mode="bm25"))
