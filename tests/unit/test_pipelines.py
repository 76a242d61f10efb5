from __future__ import annotations

from pathlib import Path

import pytest

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.errors import ConfigError, EmptyQueryError, ModelError
from ragkit.llm.base import GenerationOptions
from ragkit.pipelines import build_prompt, cited_numbers
from ragkit.prompts import PromptTemplates
from ragkit.types import SearchHit, StoredChunk


def _hit(rank: int, text: str, page: int | None = None) -> SearchHit:
    chunk = StoredChunk(rank, text, f"/d/f{rank}.pdf", f"/d/f{rank}.pdf", "", 0, page, page)
    return SearchHit(rank=rank, score=1.0 / rank, chunk=chunk)


def test_cited_numbers_in_order_of_first_use() -> None:
    assert cited_numbers("A [2] and B [1, 3]. Again [2].") == [2, 1, 3]
    assert cited_numbers("no citations") == []


def test_prompt_numbers_sources_with_file_and_page() -> None:
    model = ScriptedChatModel(["x"])
    prompt = build_prompt(
        "Q?", [_hit(1, "alpha", 3), _hit(2, "beta")], model, PromptTemplates(), max_tokens=100
    )
    user = prompt.messages[-1].content
    assert "[1] /d/f1.pdf p. 3\nalpha" in user
    assert "[2] /d/f2.pdf\nbeta" in user
    assert user.count("Q?") >= 1
    assert [c.number for c in prompt.sources] == [1, 2]


def test_prompt_drops_or_shortens_sources_that_do_not_fit() -> None:
    model = ScriptedChatModel(["x"], context_window=400)
    hits = [_hit(i, "word " * 300) for i in range(1, 5)]
    prompt = build_prompt("Q?", hits, model, PromptTemplates(), max_tokens=100)
    total = sum(model.count_tokens(m.content) for m in prompt.messages)
    assert total + 100 <= 400
    assert 1 <= len(prompt.sources) < 4


def test_question_that_cannot_fit_is_a_clear_error() -> None:
    model = ScriptedChatModel(["x"], context_window=300)
    with pytest.raises(ModelError, match="too long"):
        build_prompt("why? " * 400, [_hit(1, "a")], model, PromptTemplates(), max_tokens=100)


def test_missing_template_variable_names_it(tmp_path: Path) -> None:
    (tmp_path / "answer_user.txt").write_text("Q: $question $context")
    with pytest.raises(ConfigError, match=r"\$context"):
        PromptTemplates(tmp_path).render("answer_user", question="q", sources="s")


def test_ask_streams_and_resolves_citations(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.txt").write_text("The Ember kettle has an 18 month warranty.")
    (docs / "tea.txt").write_text("Oolong is partly oxidised.")
    model = ScriptedChatModel(["It is 18 months [1]. See also [7]."])
    kb = KnowledgeBase.open(
        tmp_path / "ix",
        embedder=HashingEmbedder(),
        chat_model=model,
        generation=GenerationOptions(max_tokens=50),
    )
    kb.add([docs])
    stream = kb.ask_stream("How long is the kettle warranty?", k=2)
    pieces = list(stream)
    assert len(pieces) > 3 and "".join(pieces).startswith("It is 18")
    answer = stream.answer
    assert [c.number for c in answer.citations] == [1]  # [7] was never given
    assert answer.citations[0].source.endswith("kettle.txt")
    assert len(answer.sources) == 2
    assert "Ember kettle" in model.prompts[0][-1].content


def test_empty_question_is_refused(tmp_path: Path) -> None:
    kb = KnowledgeBase.open(
        tmp_path / "ix", embedder=HashingEmbedder(), chat_model=ScriptedChatModel(["x"])
    )
    with pytest.raises(EmptyQueryError):
        kb.ask("   ")
