"""The /v1 routes as OpenAI documents them, over real HTTP (uvicorn on 127.0.0.1): errors
a client must not retry are 400 in OpenAI's shape, `finish_reason` says when max_tokens
cut the answer, `usage` is counted, unsupported parameters are refused by name, a ragkit
client's packed prompt is answered as it is, and /v1/embeddings embeds (its model, listed
in /v1/models, is refused for chat by name)."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from ceilings import HANG_S
from conftest import ThreadServer, fake_factory
from test_web_openai import setup_collection, stream_chunks

from ragkit import HashingEmbedder, Message, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app
from ragkit.models.prompts import PromptTemplates
from ragkit.options import Models

LONG_REPLY = "The Ember kettle carries a warranty of seven years from purchase [1]. " * 8

# The handbook's warranty sentence, quoted: the evidence that leads an answer on it.
WARRANTY_QUOTE = (
    "The Ember brewing kettle carries a warranty of seven years from the date of purchase [1]."
)


def serve(tmp_path: Path, model: ScriptedChatModel, **options: Any) -> ThreadServer:
    config = WebConfig(data_dir=tmp_path / "data", **options)
    return ThreadServer(create_app(config, fake_factory(model), HashingEmbedder()))


def ask(client: httpx.Client, cid: str, **extra: Any) -> httpx.Response:
    body = {"model": cid, "messages": [{"role": "user", "content": "warranty years?"}], **extra}
    return client.post("/v1/chat/completions", json=body)


def test_finish_reason_and_usage(tmp_path: Path, handbook: Path) -> None:
    model = ScriptedChatModel([LONG_REPLY])
    with serve(tmp_path, model) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as c:
        cid = setup_collection(c, handbook)
        before = int(time.time())
        whole = ask(c, cid).json()
        assert whole["choices"][0]["finish_reason"] == "stop"
        assert before <= whole["created"] <= int(time.time())
        usage = whole["usage"]
        # The reply as shown (ragkit's checker may end a repetitive one early).
        assert 0 < usage["completion_tokens"] <= model.count_tokens(LONG_REPLY)
        prompt = model.prompts[-1]
        assert usage["prompt_tokens"] >= sum(model.count_tokens(m.content) for m in prompt)
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

        cut = ask(c, cid, max_tokens=10).json()
        assert cut["choices"][0]["finish_reason"] == "length"
        # Counted on the reply as shown, which ragkit's checker may respace by a token.
        assert cut["usage"]["completion_tokens"] <= 12

        chunks = stream_chunks(
            c,
            {
                "model": cid,
                "stream": True,
                "max_tokens": 10,
                "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": "warranty years?"}],
            },
        )
        assert chunks[-1] == "[DONE]"
        *parts, final = chunks[:-1]
        assert [p["choices"][0]["finish_reason"] for p in parts][-1] == "length"
        assert all(p["usage"] is None for p in parts)
        assert final["choices"] == [] and final["usage"]["completion_tokens"] <= 12
        assert final["usage"]["total_tokens"] > final["usage"]["completion_tokens"] > 0
        # Without include_usage, no usage chunk (as OpenAI).
        question = [{"role": "user", "content": "warranty years?"}]
        plain = stream_chunks(c, {"model": cid, "stream": True, "messages": question})
        assert all("usage" not in p for p in plain[:-1]) and plain[-2]["choices"]


def test_input_that_cannot_fit_is_a_400_in_openai_shape(tmp_path: Path, handbook: Path) -> None:
    model = ScriptedChatModel(["Seven years [1]."], context_window=2048)
    with serve(tmp_path, model) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as c:
        cid = setup_collection(c, handbook)

        def refused(status: int = 400, **body: Any) -> dict[str, Any]:
            r = c.post("/v1/chat/completions", json={"model": cid, **body})
            assert r.status_code == status, r.text
            error: dict[str, Any] = r.json()["error"]
            assert set(error) == {"message", "type", "param", "code"}
            return error

        megabyte = [{"role": "user", "content": "why " * 250_000}]
        err = refused(messages=megabyte)
        assert err["code"] == "context_length_exceeded" and err["param"] == "messages[0].content"
        # Fits the message cap, not the model's window: still the client's 400.
        err = refused(messages=[{"role": "user", "content": "warranty " * 3000}])
        assert err["code"] == "context_length_exceeded" and "window" in err["message"]
        assert err["type"] == "invalid_request_error"
        one = [{"role": "user", "content": "warranty?"}]
        for param, value in (
            ("n", 2),
            ("tools", [{"type": "function", "function": {"name": "f", "parameters": {}}}]),
            ("tool_choice", "required"),
            ("response_format", {"type": "json_object"}),
            ("logprobs", True),
        ):
            err = refused(messages=one, **{param: value})
            assert err["param"] == param and err["code"] == "unsupported_parameter", err
        err = refused(messages=one, stop=["a", "b", "c", "d", "e"])
        assert err["param"] == "stop"
        assert ask(c, cid, n=1, response_format={"type": "text"}).status_code == 200
        err = refused(messages=[{"role": "wizard", "content": "hi"}])
        assert err["param"].startswith("messages")
        err = refused(messages=[{"role": "user", "content": "x"}] * 201)
        assert err["param"] == "messages"


def test_empty_stop_strings_stop_nothing(tmp_path: Path, handbook: Path) -> None:
    # A reply that is not a bare piece of its source sentence ("Seven years [1]." for
    # "warranty years?" is shown as that whole sentence), so it is shown as written.
    model = ScriptedChatModel(["It is seven years [1]."])
    question = [{"role": "user", "content": "warranty?"}]
    with serve(tmp_path, model) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as c:
        cid = setup_collection(c, handbook)
        reply = ask(c, cid, stop=[""], messages=question).json()
    # The model's whole reply comes through (after the quoted evidence that leads); an
    # empty stop string cut nothing.
    content = reply["choices"][0]["message"]["content"]
    assert content.endswith("It is seven years [1]."), content
    assert reply["choices"][0]["finish_reason"] == "stop"


def test_a_clients_system_message_and_turns_are_the_conversation(
    tmp_path: Path, handbook: Path
) -> None:
    # The follow-up is rewritten to stand alone first (one model call), then answered.
    model = ScriptedChatModel(["How long is the Ember kettle's warranty?", "Sept ans [1]."])
    with serve(tmp_path, model) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as c:
        cid = setup_collection(c, handbook)
        messages = [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Who makes the kettle?"},
            {"role": "assistant", "content": "Ember [1]."},
            {"role": "user", "content": "How long is the warranty?"},
        ]
        c.post("/v1/chat/completions", json={"model": cid, "messages": messages})
    prompt = model.prompts[-1]
    own = PromptTemplates().render("answer_system")
    assert prompt[0].role == "system" and prompt[0].content.startswith(own)
    assert prompt[0].content.endswith("Answer in French.")  # after ragkit's own instructions
    assert [m.content for m in prompt[1:3]] == ["Who makes the kettle?", "Ember [1]."]


def test_ragkit_as_a_client_of_ragkit_answers_like_a_local_ragkit(
    tmp_path: Path, handbook: Path
) -> None:
    """A local ragkit whose model is this server: its packed prompt (its own sources)
    reaches the server's model as it is, and the answer cites the client's sources."""
    from ragkit import KnowledgeBase
    from ragkit.models.llm.openai_compat import OpenAICompatChatModel

    def reply(messages: Sequence[Message]) -> str:
        return "Seven years [1]." if "[1]" in messages[-1].content else "?"

    served = ScriptedChatModel([reply])
    with serve(tmp_path, served) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as c:
        cid = setup_collection(c, handbook)
        remote = OpenAICompatChatModel(server.url + "/v1", model=cid, context_window=4096)
        local = KnowledgeBase.open(
            tmp_path / "client-index", models=Models(embedder=HashingEmbedder(), chat_model=remote)
        )
        local.add([handbook])
        question = "How many years is the Ember kettle warranty?"
        answer = local.ask(question)
    # The client's quoted evidence leads; the served model's "Seven years" restates it.
    assert answer.text == WARRANTY_QUOTE and not answer.not_found
    alone = KnowledgeBase.open(
        tmp_path / "client-index",
        models=Models(embedder=HashingEmbedder(), chat_model=ScriptedChatModel([reply])),
    ).ask(question)
    assert (answer.text, answer.citations) == (alone.text, alone.citations)
    given = served.prompts[-1]
    assert [m.role for m in given] == ["system", "user"]
    assert given[0].content == PromptTemplates().render("answer_system")
    # The client's own prompt, its sources and question as it packed them.
    assert "How many years is the Ember kettle warranty?" in given[1].content
    assert "[1] " in given[1].content and "seven years" in given[1].content


def test_embeddings_with_the_servers_embedder(tmp_path: Path, handbook: Path) -> None:
    model = ScriptedChatModel(["x"])
    embedder = HashingEmbedder()
    with serve(tmp_path, model) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as c:
        ids = [m["id"] for m in c.get("/v1/models").json()["data"]]
        assert embedder.id in ids
        r = c.post("/v1/embeddings", json={"model": embedder.id, "input": ["kettle", "tea"]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [d["index"] for d in body["data"]] == [0, 1]
        want = embedder.embed(["kettle", "tea"])
        assert np.allclose(np.array([d["embedding"] for d in body["data"]]), want, atol=1e-6)
        assert body["usage"]["prompt_tokens"] == 2
        b64 = c.post(
            "/v1/embeddings",
            json={"model": embedder.id, "input": "kettle", "encoding_format": "base64"},
        ).json()["data"][0]["embedding"]
        assert np.allclose(np.frombuffer(base64.b64decode(b64), "<f4"), want[0], atol=1e-6)
        half = embedder.dim // 2
        short = c.post(
            "/v1/embeddings", json={"model": embedder.id, "input": "kettle", "dimensions": half}
        ).json()["data"][0]["embedding"]
        prefix = want[0][:half]
        assert np.allclose(short, prefix / np.linalg.norm(prefix), atol=1e-6)
        big = {"model": embedder.id, "input": "kettle", "dimensions": embedder.dim + 1}
        assert c.post("/v1/embeddings", json=big).json()["error"]["param"] == "dimensions"
        bad = c.post("/v1/embeddings", json={"model": embedder.id, "input": ""})
        assert bad.status_code == 400 and bad.json()["error"]["param"].startswith("input")
        wrong = c.post("/v1/embeddings", json={"model": "nope", "input": "x"})
        assert wrong.status_code == 404
        # Listed among the models, but it does not chat: said so, with the ids that do.
        cid = setup_collection(c, handbook)
        chat = ask(c, embedder.id)
        err = chat.json()["error"]
        assert chat.status_code == 400 and err["param"] == "model", chat.text
        assert "is the embedding model, for POST /v1/embeddings" in err["message"]
        assert err["message"].endswith(f"(model ids: {cid})")


def test_served_indexes_have_a_real_created_time(tmp_path: Path, handbook: Path) -> None:
    from ragkit import KnowledgeBase

    index = tmp_path / "served"
    KnowledgeBase.open(index, models=Models(embedder=HashingEmbedder())).add([handbook])
    model = ScriptedChatModel(["x"])
    with serve(tmp_path, model, served_indexes={"docs": index}) as server:
        card = httpx.get(server.url + "/v1/models/docs").json()
    assert abs(card["created"] - (index / "manifest.json").stat().st_mtime) < 2


def test_the_openai_client_gets_usage_and_a_400_it_does_not_retry(
    tmp_path: Path, handbook: Path
) -> None:
    openai = pytest.importorskip("openai")
    model = ScriptedChatModel(["Seven years [1]."], context_window=2048)
    with serve(tmp_path, model) as server:
        with httpx.Client(base_url=server.url, timeout=HANG_S) as http:
            cid = setup_collection(http, handbook)
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=3)
        question = [{"role": "user", "content": "How long is the warranty?"}]
        reply = client.chat.completions.create(model=cid, messages=question)
        assert reply.usage is not None and reply.usage.completion_tokens > 0
        stream = client.chat.completions.create(
            model=cid, messages=question, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
        asked = len(model.prompts)
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model=cid, messages=[{"role": "user", "content": "warranty " * 3000}]
            )
        assert caught.value.code == "context_length_exceeded"
        vectors = client.embeddings.create(model=HashingEmbedder().id, input=["a b"])
        assert len(vectors.data[0].embedding) == HashingEmbedder().dim
    assert len(model.prompts) == asked  # refused before the model, and not retried
