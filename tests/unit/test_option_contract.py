"""Every front end honours every search and answer setting.

Settings are given the way users give them (RAGKIT_* environment variables), each front end
is driven the way a user drives it (the CLI through typer, the web page's /api and /v1
through HTTP, the terminal chat's RAG backend, the agent's search tool, a `KnowledgeBase`
built by `ragkit.wiring`), and the options that reached the retriever and the answer path are
recorded. A setting that a front end drops (as `retrieval.mmr_lambda` once was everywhere
but the CLI) fails here. Models are the package's fakes: the contract is about options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.config import load_settings
from ragkit.options import AnswerFields, AnswerOptions, SearchFields, SearchOptions
from ragkit.search.retrieval import Retriever

# A value for every search setting, none of them its default.
SEARCH: dict[str, Any] = {
    "mode": "bm25",
    "fusion": "rrf",
    "dense_weight": 0.3,
    "rrf_k": 7,
    "candidates": 11,
    "rerank": False,
    "rerank_depth": 13,
    "mmr_lambda": 0.6,
    "mmr_depth": 9,
    "multi_query": 1,
}
SEARCH_K = 6  # retrieval.k: what `search` returns
# A value for every answer setting, none of them its default.
ANSWER: dict[str, Any] = {
    "k": 2,
    "sentences": 2,
    "history_share": 0.4,
    "rewrite": False,
    "evidence": True,
}
AGENT_K = 5  # agent.search_k: what the agent's search tool returns


def test_the_contract_covers_every_setting() -> None:
    # A new search or answer field must be added above, so this test checks it too.
    assert set(SearchFields.model_fields) == set(SEARCH) | {"k"}
    assert set(AnswerFields.model_fields) == set(ANSWER) | {"mode"}
    assert all(SearchFields.model_fields[n].default != v for n, v in SEARCH.items())
    assert all(AnswerFields.model_fields[n].default != v for n, v in ANSWER.items())


class Seen:
    """The options that reached the retriever and the answer path."""

    def __init__(self) -> None:
        self.search: list[SearchOptions] = []
        self.answer: list[AnswerOptions] = []


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Seen]:
    record = Seen()
    for name, value in SEARCH.items():
        monkeypatch.setenv(f"RAGKIT_RETRIEVAL__{name.upper()}", str(value).lower())
    monkeypatch.setenv("RAGKIT_RETRIEVAL__K", str(SEARCH_K))
    for name, value in ANSWER.items():
        monkeypatch.setenv(f"RAGKIT_ANSWER__{name.upper()}", str(value).lower())
    monkeypatch.setenv("RAGKIT_AGENT__SEARCH_K", str(AGENT_K))
    monkeypatch.setenv("RAGKIT_INDEX__HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RAGKIT_GUARD__ENABLED", "false")
    # Fakes in place of the bundled models, wherever the wiring would build them.
    model = ScriptedChatModel(["The warranty lasts 18 months [1]."])
    monkeypatch.setattr("ragkit.wiring.chat_model", lambda settings: model)
    monkeypatch.setattr("ragkit.wiring.embedder", lambda settings: HashingEmbedder(dim=32))
    monkeypatch.setattr("ragkit.wiring.query_embedder", lambda settings: None)

    init = Retriever.__init__

    def spy_retriever(self: Retriever, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        record.search.append(self.options)

    ask = KnowledgeBase.ask_stream

    def spy_ask(self: KnowledgeBase, question: str, options: Any = None, **kw: Any) -> Any:
        record.answer.append(options or self.answer_options)
        return ask(self, question, options, **kw)

    monkeypatch.setattr(Retriever, "__init__", spy_retriever)
    monkeypatch.setattr(KnowledgeBase, "ask_stream", spy_ask)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text(
        "# Kettle\n\nThe Ember kettle warranty lasts 18 months from the date of purchase.\n"
    )
    (docs / "tea.md").write_text("# Tea\n\nOolong is partly oxidised and brewed at 90 degrees.\n")
    from ragkit.wiring import knowledge_base

    knowledge_base(load_settings()).add([docs])
    yield record


def _expect_search(seen: Seen, k: int) -> None:
    assert seen.search, "no search ran"
    for options in seen.search:
        for name, value in SEARCH.items():
            assert getattr(options, name) == value, name
        assert options.k == k


def _expect_answer(seen: Seen) -> None:
    assert seen.answer, "no answer ran"
    for options in seen.answer:
        for name, value in ANSWER.items():
            assert getattr(options, name) == value, name
    _expect_search(seen, ANSWER["k"])


def cli_search(seen: Seen) -> None:
    from ragkit.apps.cli import app

    result = CliRunner().invoke(app, ["search", "kettle warranty"])
    assert result.exit_code == 0, result.output
    _expect_search(seen, SEARCH_K)


def cli_ask(seen: Seen) -> None:
    from ragkit.apps.cli import app

    result = CliRunner().invoke(app, ["ask", "How long is the kettle warranty?"])
    assert result.exit_code == 0, result.output
    _expect_answer(seen)


def library(seen: Seen) -> None:
    from ragkit.wiring import knowledge_base

    kb = knowledge_base(load_settings(), with_llm=True)
    kb.search("kettle warranty")
    _expect_search(seen, SEARCH_K)
    seen.search.clear()
    kb.ask("How long is the kettle warranty?")
    _expect_answer(seen)


def _web_client(seen: Seen) -> TestClient:
    from ragkit.apps.cli.serve import _build

    app = _build(load_settings(), ["default"], None)
    return TestClient(app, base_url="http://127.0.0.1")


def web_api(seen: Seen) -> None:
    with _web_client(seen) as client:
        r = client.post(
            "/api/collections/default/ask", json={"question": "How long is the kettle warranty?"}
        )
        assert r.status_code == 200, r.text
    _expect_answer(seen)


def openai_v1(seen: Seen) -> None:
    with _web_client(seen) as client:
        r = client.post(
            "/v1/chat/completions",
            json={
                "model": "default",
                "messages": [{"role": "user", "content": "How long is the kettle warranty?"}],
            },
        )
        assert r.status_code == 200, r.text
    _expect_answer(seen)


def terminal_chat(seen: Seen) -> None:
    from ragkit.apps.cli.chat import build_app

    backend = build_app(load_settings()).session.backend()
    events = list(backend.run("How long is the kettle warranty?", []))
    assert events
    _expect_answer(seen)


def agent_search_tool(seen: Seen) -> None:
    from ragkit.agent.builtins import builtin_tools, search_documents
    from ragkit.wiring import agent, knowledge_base

    settings = load_settings()
    runner = agent(settings, builtin_tools(), knowledge_base(settings))
    assert search_documents(runner.context, "kettle warranty").text != "no passages found"
    _expect_search(seen, AGENT_K)


FRONT_ENDS: list[Callable[[Seen], None]] = [
    cli_search,
    cli_ask,
    library,
    web_api,
    openai_v1,
    terminal_chat,
    agent_search_tool,
]


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=[f.__name__ for f in FRONT_ENDS])
def test_every_setting_takes_effect(front_end: Callable[[Seen], None], seen: Seen) -> None:
    front_end(seen)
