"""The OpenAI-compatible /v1 routes over real HTTP (uvicorn on 127.0.0.1, httpx), and
through the `openai` client package where it is installed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from ceilings import HANG_S
from conftest import KEY, ThreadServer, fake_factory, wait_job
from fastapi import FastAPI

from ragkit import GenerationOptions, Message, ScriptedChatModel
from ragkit.apps.web import WebConfig, create_app


def setup_collection(client: httpx.Client, handbook: Path) -> str:
    cid: str = client.post("/api/collections", json={"name": "Ember"}).json()["id"]
    r = client.post(
        f"/api/collections/{cid}/documents",
        files=[("files", ("handbook.pdf", handbook.read_bytes(), "application/pdf"))],
    )
    assert wait_job(client, r.json()["job"]["id"])["state"] == "done"
    return cid


def stream_chunks(client: httpx.Client, body: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                data = line.removeprefix("data: ")
                out.append(data if data == "[DONE]" else json.loads(data))
            else:
                # Blank separators, and comments (": waiting for the model…") that the
                # server sends while a question is queued; SSE clients ignore both.
                assert line == "" or line.startswith(":"), line
    return out


def test_models_and_streaming_chat_completions(live_server: ThreadServer, handbook: Path) -> None:
    with httpx.Client(base_url=live_server.url, timeout=HANG_S) as client:
        cid = setup_collection(client, handbook)
        models = client.get("/v1/models").json()
        assert models["object"] == "list"
        assert [(m["id"], m["object"], m["owned_by"]) for m in models["data"]] == [
            (cid, "model", "ragkit")
        ]
        assert client.get(f"/v1/models/{cid}").json()["id"] == cid

        body: dict[str, Any] = {
            "model": cid,
            "stream": True,
            "temperature": 0.2,  # applies to this request only
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "How many years is the Ember kettle warranty?"},
            ],
        }
        chunks = stream_chunks(client, body)
        assert chunks[-1] == "[DONE]"
        parts = chunks[:-1]
        assert all(p["object"] == "chat.completion.chunk" and p["model"] == cid for p in parts)
        assert len({p["id"] for p in parts}) == 1
        assert parts[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        text = "".join(p["choices"][0]["delta"].get("content", "") for p in parts)
        assert len(parts) > 5 and "[1]" in text and "seven years" in text
        last = parts[-1]
        assert last["choices"][0]["finish_reason"] == "stop"
        assert [(c["file"], c["page_start"]) for c in last["citations"]] == [("handbook.pdf", 2)]

        plain = client.post(
            "/v1/chat/completions",
            json={
                "model": cid,
                "messages": [{"role": "user", "content": body["messages"][1]["content"]}],
            },
        ).json()
        assert plain["object"] == "chat.completion"
        message = plain["choices"][0]["message"]
        assert message["role"] == "assistant" and message["content"] == text.strip()
        assert plain["choices"][0]["finish_reason"] == "stop"


def test_content_parts_and_errors(live_server: ThreadServer, handbook: Path) -> None:
    with httpx.Client(base_url=live_server.url, timeout=HANG_S) as client:
        cid = setup_collection(client, handbook)
        parts = [{"type": "text", "text": "warranty"}, {"type": "text", "text": "years?"}]
        r = client.post(
            "/v1/chat/completions",
            json={"model": cid, "messages": [{"role": "user", "content": parts}]},
        )
        assert r.status_code == 200 and "[1]" in r.json()["choices"][0]["message"]["content"]

        def error(body: Any, status: int) -> dict[str, Any]:
            r = client.post("/v1/chat/completions", json=body)
            assert r.status_code == status, r.text
            err: dict[str, Any] = r.json()["error"]
            return err

        err = error({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404)
        assert "no collection or index named 'gpt-4o'" in err["message"] and err["param"] == "model"
        err = error({"model": cid, "messages": [{"role": "assistant", "content": "hi"}]}, 400)
        assert "no user message" in err["message"]
        assert "messages" in error({"model": cid, "messages": []}, 400)["message"]
        assert "model" in error({"messages": [{"role": "user", "content": "x"}]}, 400)["message"]
        assert client.get("/v1/models/nope").status_code == 404


def test_the_openai_client_package_can_use_ragkit_as_a_model(
    make_app: Callable[..., FastAPI], handbook: Path
) -> None:
    openai = pytest.importorskip("openai")
    with ThreadServer(make_app(api_key=KEY)) as server:
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=server.url, timeout=HANG_S, headers=headers) as http:
            cid = setup_collection(http, handbook)
        client = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
        assert [m.id for m in client.models.list()] == [cid]
        question = [{"role": "user", "content": "How long is the warranty?"}]
        stream = client.chat.completions.create(model=cid, messages=question, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert "[1]" in text
        reply = client.chat.completions.create(model=cid, messages=question)
        assert reply.choices[0].message.content == text.strip()
        wrong = openai.OpenAI(base_url=server.url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="nope", messages=question)


class Recording(ScriptedChatModel):
    """The scripted reply, recording the generation options of every call."""

    def __init__(self) -> None:
        super().__init__(["Seven years [1]."])
        self.options: list[GenerationOptions] = []

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        self.options.append(options)
        yield from super().stream(messages, options)


def test_sampling_options_apply_to_their_request_only(tmp_path: Path, handbook: Path) -> None:
    model = Recording()
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(model))
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = setup_collection(client, handbook)
        question = [{"role": "user", "content": "warranty?"}]
        asked = {"max_tokens": 12, "temperature": 0.7, "seed": 3, "stop": "END"}
        r = client.post("/v1/chat/completions", json={"model": cid, "messages": question, **asked})
        assert r.status_code == 200
        r = client.post(
            "/v1/chat/completions",
            json={"model": cid, "messages": question, "max_completion_tokens": 100_000},
        )
        assert r.status_code == 200
        r = client.post("/v1/chat/completions", json={"model": cid, "messages": question})
        assert r.status_code == 200
        # The answer pipeline adds its stop strings for echoed scaffolding to the request's.
        from ragkit.answer.checking import STOP_SEQUENCES

        default = GenerationOptions(stop=STOP_SEQUENCES)
        assert model.options == [
            replace(default, max_tokens=12, temperature=0.7, seed=3, stop=("END", *STOP_SEQUENCES)),
            default,  # asking for more than the server allows gets the server's limit
            default,  # and nothing leaks into the next request
        ]
        bad = client.post(
            "/v1/chat/completions", json={"model": cid, "messages": question, "temperature": 5}
        )
        assert bad.status_code == 400 and "temperature" in bad.json()["error"]["message"]


def test_earlier_messages_reach_the_prompt_as_history(tmp_path: Path, handbook: Path) -> None:
    # A follow-up is first rewritten to stand alone (one model call), then answered.
    model = ScriptedChatModel(["How long is the Ember kettle's warranty?", "Seven years [1]."] * 2)
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(model))
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = setup_collection(client, handbook)
        messages = [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Who makes the brewing kettle?"},
            {"role": "assistant", "content": [{"type": "text", "text": "Ember does [1]."}]},
            {"role": "tool", "content": "a tool result", "tool_call_id": "x"},
            {"role": "user", "content": "How long is its warranty?"},
        ]
        plain = client.post("/v1/chat/completions", json={"model": cid, "messages": messages})
        # The quoted evidence leads; the model's "Seven years" only restates it.
        content = plain.json()["choices"][0]["message"]["content"]
        assert content == (
            "The Ember brewing kettle carries a warranty of seven years from the date of "
            "purchase [1]."
        )
        streamed = stream_chunks(client, {"model": cid, "messages": messages, "stream": True})
        assert streamed[-1] == "[DONE]"
    rewrites = [p for p in model.prompts if p[0].content.startswith("Rewrite")]
    answers = [p for p in model.prompts if not p[0].content.startswith("Rewrite")]
    assert len(rewrites) == 2
    assert all("Last question: How long is its warranty?" in p[-1].content for p in rewrites)
    for prompt in answers:
        roles = [m.role for m in prompt]
        # The client's system message joins ragkit's own system prompt; tool output is
        # left out.
        assert roles == ["system", "user", "assistant", "user"]
        assert "Answer in French." in prompt[0].content
        assert (prompt[1].content, prompt[2].content) == (
            "Who makes the brewing kettle?",
            "Ember does [1].",
        )
        assert prompt[-1].content.rstrip().endswith("How long is the Ember kettle's warranty?")
        assert not any("tool result" in m.content for m in prompt)
    assert len(answers) == 2


def test_the_sentences_the_checks_withheld_are_counted_beside_the_answer(
    tmp_path: Path, handbook: Path
) -> None:
    """The model's sentence no source backs is withheld; the reply says so in a field of
    its own (`left_out`, beside `citations`), not in the message a client shows and sends
    back as history; a reply with nothing withheld says zero."""
    warranty = "The Ember brewing kettle carries a warranty of seven years [1]."
    quote = warranty.replace(" [1].", " from the date of purchase [1].")
    invented = "The kettle was designed in Oslo in 1970 by Ingrid Berg [1]."
    model = ScriptedChatModel([f"{warranty} {invented}", f"{warranty} {invented}", warranty])
    app = create_app(WebConfig(data_dir=tmp_path / "data"), fake_factory(model))
    question = [{"role": "user", "content": "How long is the Ember kettle warranty?"}]
    note = "(left out 1 sentence of the model's answer that the sources do not support)"
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = setup_collection(client, handbook)
        reply = client.post("/v1/chat/completions", json={"model": cid, "messages": question})
        body = reply.json()
        # The quoted evidence leads; the model's sentence only restates it.
        assert body["choices"][0]["message"]["content"] == quote
        assert body["left_out"] == {"unsupported": 1, "off_topic": 0, "note": note}
        assert [c["file"] for c in body["citations"]] == ["handbook.pdf"]
        chunks = stream_chunks(client, {"model": cid, "messages": question, "stream": True})
        last = chunks[-2]
        assert last["choices"][0]["finish_reason"] == "stop"
        assert last["left_out"] == {"unsupported": 1, "off_topic": 0, "note": note}
        # Only the last chunk carries it, as only it carries the citations.
        assert all("left_out" not in c for c in chunks[:-2])
        clean = client.post("/v1/chat/completions", json={"model": cid, "messages": question})
        assert clean.json()["left_out"] == {"unsupported": 0, "off_topic": 0, "note": ""}
