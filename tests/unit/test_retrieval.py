from __future__ import annotations

from ragkit.retrieval import rrf_fuse


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
