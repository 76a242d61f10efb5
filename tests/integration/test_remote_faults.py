"""The OpenAI-compatible backend against a real local HTTP server that misbehaves:
retries with backoff and Retry-After, immediate failures on 401/403/404, timeouts, a
stream cut mid-way, an unreachable server, and cancellation that closes the socket."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from ceilings import wait_until
from fault_server import Act, fault_server

from ragkit.errors import ConfigError, ModelError
from ragkit.models.llm.base import GenerationOptions, Message, ToolSpec
from ragkit.models.llm.openai_compat import OpenAICompatChatModel
from ragkit.models.llm.retry import RetryPolicy, parse_retry_after

HELLO = [Message("user", "Say hello.")]
OPTS = GenerationOptions(max_tokens=16, temperature=0.0, seed=3, stop=("\n\n",))


def _model(
    base: str, waits: list[float] | None = None, retry: RetryPolicy | None = None, **kw: object
) -> OpenAICompatChatModel:
    sleeps = waits if waits is not None else []
    return OpenAICompatChatModel(
        base,
        "tiny",
        api_key="sk-test",
        retry=replace(retry or RetryPolicy(), sleep=sleeps.append, clock=lambda: 1_000_000.0),
        **kw,  # type: ignore[arg-type]
    )


def test_streams_pieces_and_sends_options_and_key() -> None:
    with fault_server([Act(pieces=("Hel", "lo", " there"))]) as (base, server):
        model = _model(base)
        assert list(model.stream(HELLO, OPTS)) == ["Hel", "lo", " there"]
    body = server.record.requests[0]
    assert body["model"] == "tiny" and body["stream"] is True
    assert (body["max_tokens"], body["temperature"], body["seed"]) == (16, 0.0, 3)
    assert body["stop"] == ["\n\n"]
    assert body["messages"] == [{"role": "user", "content": "Say hello."}]
    assert server.record.headers[0]["authorization"] == "Bearer sk-test"


def test_429_honours_retry_after_then_succeeds() -> None:
    busy = Act(status=429, headers={"Retry-After": "3"}, body={"error": {"message": "slow down"}})
    with fault_server([busy, busy, Act(pieces=("ok",))]) as (base, server):
        waits: list[float] = []
        assert "".join(_model(base, waits).stream(HELLO, OPTS)) == "ok"
    assert waits == [3.0, 3.0]
    assert len(server.record.requests) == 3


def test_500_backs_off_exponentially_and_gives_up_with_a_clear_error() -> None:
    with fault_server([Act(status=500, body={"error": "boom"})]) as (base, server):
        waits: list[float] = []
        model = _model(base, waits, retry=RetryPolicy(max_retries=3, backoff=0.5))
        with pytest.raises(ModelError, match=r"HTTP 500: boom\) after 4 attempts"):
            list(model.stream(HELLO, OPTS))
    assert waits == [0.5, 1.0, 2.0]
    assert len(server.record.requests) == 4


def test_503_then_success_without_streaming() -> None:
    with fault_server([Act(status=503), Act(pieces=("fine",))]) as (base, _):
        turn = _model(base).chat_with_tools(HELLO, [], OPTS)
    assert turn.content == "fine" and turn.tool_calls == ()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, r"refused the API key \(HTTP 401.*RAGKIT_LLM__API_KEY"),
        (403, r"refused the API key \(HTTP 403"),
        (404, r"no model 'tiny'.*RAGKIT_LLM__MODEL"),
    ],
)
def test_auth_and_model_errors_fail_at_once(status: int, expected: str) -> None:
    with fault_server([Act(status=status, body={"error": {"message": "nope"}})]) as (base, srv):
        waits: list[float] = []
        with pytest.raises(ModelError, match=expected):
            list(_model(base, waits).stream(HELLO, OPTS))
    assert len(srv.record.requests) == 1 and waits == []


def test_slow_server_hits_the_read_timeout() -> None:
    # The server would answer after a minute: the client must give up long before, with
    # no clock in the test (a timed assertion would measure the machine).
    with fault_server([Act(delay=60.0, pieces=("late",))]) as (base, _):
        model = _model(base, read_timeout=0.3)
        with pytest.raises(ModelError, match=r"sent nothing for 0.3 s.*RAGKIT_LLM__READ_TIMEOUT"):
            list(model.stream(HELLO, OPTS))


def test_stream_cut_midway_is_an_error_after_the_pieces_that_came() -> None:
    with fault_server([Act(pieces=("a", "b", "c", "d"), cut_after=2)]) as (base, _):
        got: list[str] = []
        with pytest.raises(ModelError, match=r"broke off mid-answer|ended before the answer"):
            for piece in _model(base).stream(HELLO, OPTS):
                got.append(piece)
    assert got == ["a", "b"]


def test_unreachable_server_is_named_after_retries() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    model = _model(f"http://127.0.0.1:{port}/v1", waits, retry=RetryPolicy(max_retries=2))
    with pytest.raises(ModelError, match=rf"cannot reach .*127.0.0.1:{port}/v1.*is it running"):
        list(model.stream(HELLO, OPTS))
    assert waits == [0.5, 1.0]


def test_closing_the_stream_closes_the_connection_at_once() -> None:
    pieces = tuple(f"w{i} " for i in range(6000))  # 6000 x 0.1 s: 10 min if read to the end
    with fault_server([Act(pieces=pieces, delay=0.1)]) as (base, server):
        stream = _model(base).stream(HELLO, OPTS)
        assert [next(stream), next(stream)] == ["w0 ", "w1 "]
        stream.close()
        wait_until(lambda: server.record.hung_up, "the server to see the client go")
    assert server.record.completed == 0
    sent, _ = server.record.hung_up[0]
    assert sent < len(pieces)  # closed, not read to the end


def test_keyboard_interrupt_in_the_consumer_closes_the_connection() -> None:
    pieces = tuple(f"w{i} " for i in range(6000))
    with fault_server([Act(pieces=pieces, delay=0.1)]) as (base, server):
        model = _model(base)

        def consume() -> None:
            for i, _ in enumerate(model.stream(HELLO, OPTS)):
                if i == 1:
                    raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            consume()
        wait_until(lambda: server.record.hung_up, "the server to see the client go")
    assert server.record.hung_up[0][0] < len(pieces)


def test_tool_calls_are_parsed() -> None:
    reply = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "search_docs", "arguments": '{"q": "kettle"}'},
                        }
                    ],
                }
            }
        ]
    }
    tool = ToolSpec("search_docs", "Search.", {"type": "object", "properties": {}})
    with fault_server([Act(body=reply)]) as (base, server):
        turn = _model(base).chat_with_tools(HELLO, [tool], OPTS)
    assert turn.content == "" and turn.tool_calls[0].name == "search_docs"
    assert turn.tool_calls[0].arguments == '{"q": "kettle"}'
    sent = server.record.requests[0]
    assert sent["stream"] is False and sent["tools"][0]["function"]["name"] == "search_docs"


def test_bad_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="RAGKIT_LLM__BASE_URL"):
        OpenAICompatChatModel("localhost:8000", "m")
    assert OpenAICompatChatModel("http://h:1/v1/chat/completions/", "m").base_url == "http://h:1/v1"


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7", 0.0) == 7.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 4.0) == 6.0
    assert parse_retry_after("soon", 0.0) is None
    assert RetryPolicy(max_delay=5).delay(0, retry_after=100) == 5
