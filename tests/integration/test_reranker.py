"""The cross-encoder reranker on a real (tiny, randomly initialised) BERT cross-encoder
built in the test with transformers, over a real index made with the hashing embedder.
No reranker model ships through pip here, so this checks the wiring, not the quality."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.errors import ConfigError, ModelError
from ragkit.options import Models, SearchOptions
from ragkit.search.rerank import CrossEncoderReranker

pytestmark = pytest.mark.slow(reason="builds and runs a BERT cross-encoder with transformers")


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    from ragkit.models.embeddings import bundled_model_dir

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = BertTokenizerFast(vocab_file=str(bundled_model_dir() / "vocab.txt"))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=1,
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_cross_encoder_reorders_real_hits_by_its_scores(
    tmp_path: Path, tiny_cross_encoder: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    texts = [
        "Green tea is steamed soon after picking.",
        "The Ember kettle has a warranty of eighteen months.",
        "Oolong tea is partly oxidised and rolled.",
        "Black tea is fully oxidised before drying.",
        "Kettles boil water for tea in two minutes.",
    ]
    for i, text in enumerate(texts):
        (docs / f"{i}.txt").write_text(text, encoding="utf-8")
    reranker = CrossEncoderReranker(tiny_cross_encoder, batch_size=2, max_length=64)
    kb = KnowledgeBase.open(
        tmp_path / "ix",
        models=Models(embedder=HashingEmbedder(), reranker=reranker),
        search=SearchOptions(rerank_depth=5),
    )
    kb.add([docs])
    query = "tea kettle"
    first = kb.search(query, kb.search_options.with_(k=5, mode="hybrid", rerank=False))
    assert len(first) == 5
    own = reranker.scores(query, [h.chunk.text for h in first])
    expected = sorted(range(5), key=lambda i: -own[i])
    hits = kb.search(query, k=5, mode="hybrid")
    assert [h.chunk.id for h in hits] == [first[i].chunk.id for i in expected]
    assert [h.score for h in hits] == pytest.approx([own[i] for i in expected], abs=1e-5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    # Rerank 5 candidates, return the best 2 of them.
    top = kb.search(query, k=2, mode="hybrid")
    assert [h.chunk.id for h in top] == [h.chunk.id for h in hits[:2]]


def test_a_folder_that_is_not_a_cross_encoder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        CrossEncoderReranker(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=f"{empty}.*no config.json"):
        CrossEncoderReranker(empty)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    reranker = CrossEncoderReranker(broken)  # lazy: nothing is read until first use
    with pytest.raises(ModelError, match=r"could not load reranker model .*broken"):
        reranker.scores("q", ["text"])
