"""Chat with any OpenAI-compatible HTTP endpoint: vLLM, llama.cpp's server, OpenAI,
DeepSeek, Qwen and the like, through `POST {base_url}/chat/completions`.

Answers stream as server-sent events. Connection errors, HTTP 429 and 5xx are retried
with backoff (honouring `Retry-After`); 401/403 (the key) and 404 (the model or the URL)
fail at once with a message saying which setting to fix. Closing the stream (or Ctrl-C
in its consumer) closes the HTTP response at once instead of reading it to the end.
Tokens are estimated conservatively (`ragkit.models.llm.tokens`), since the server's tokenizer
is not here. `chat_with_tools` uses native `tools`/`tool_calls`, without streaming.
Leaves out the legacy completions endpoint, embeddings, and any provider-specific
parameters beyond the common chat-completion ones.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from ragkit.errors import ConfigError, ModelError
from ragkit.models.llm.base import ChatTurn, GenerationOptions, Message, ToolCall, ToolSpec
from ragkit.models.llm.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from ragkit.models.llm.tokens import estimate_tokens

KEY_HINT = "set RAGKIT_LLM__API_KEY (or OPENAI_API_KEY)"
URL_HINT = "check llm.base_url (RAGKIT_LLM__BASE_URL)"


def normalise_base_url(url: str) -> str:
    """The base URL without a trailing slash or a pasted `/chat/completions`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"llm.base_url {url!r} is not an http(s) URL; set RAGKIT_LLM__BASE_URL to the "
            "server's OpenAI-compatible base, e.g. http://127.0.0.1:8000/v1"
        )
    base = url.strip().rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


def wire_message(message: Message) -> dict[str, Any]:
    """A `Message` as the chat-completions API takes it."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _server_message(response: httpx.Response) -> str:
    """The error text a server put in its reply body, shortened."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    return str(body)[:300]


class OpenAICompatChatModel:
    """A `ChatModel` (and `ToolCallingChatModel`) served over HTTP."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        context_window: int = 4096,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        send_repeat_penalty: bool = False,
    ) -> None:
        """`send_repeat_penalty` adds `repeat_penalty` to every request: llama.cpp's and
        vLLM's servers read that extension (and otherwise apply their own default, 1.1 for
        llama.cpp); OpenAI's API rejects fields it does not know, so it is off by default."""
        if not model.strip():
            raise ConfigError("llm.model is empty; set RAGKIT_LLM__MODEL to the served model name")
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ConfigError("llm.connect_timeout and llm.read_timeout must be positive seconds")
        self.base_url = normalise_base_url(base_url)
        self.model = model
        self._api_key = api_key
        self._window = context_window
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self.send_repeat_penalty = send_repeat_penalty
        self._http: httpx.Client | None = None
        self._honours_tools: bool | None = None

    @property
    def id(self) -> str:
        return f"{self.model} @ {self.base_url}"

    @property
    def context_window(self) -> int:
        return self._window

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def _client(self) -> httpx.Client:
        if self._http is None:
            headers = {"Accept": "application/json"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            timeout = httpx.Timeout(
                self.read_timeout, connect=self.connect_timeout, pool=self.connect_timeout
            )
            self._http = httpx.Client(headers=headers, timeout=timeout, transport=self._transport)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _payload(
        self, messages: Sequence[Message], options: GenerationOptions, stream: bool
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [wire_message(m) for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stream": stream,
        }
        if options.stop:
            payload["stop"] = list(options.stop)
        if options.seed is not None:
            payload["seed"] = options.seed
        if self.send_repeat_penalty:
            payload["repeat_penalty"] = options.repeat_penalty
        return payload

    def _post(self, payload: dict[str, Any], stream: bool) -> httpx.Response:
        """Send the request, retrying what is worth retrying; a 200 response or an error.
        A streamed response is returned unread: the caller must close it."""
        url = f"{self.base_url}/chat/completions"
        client = self._client()
        for attempt in range(self.retry.max_retries + 1):
            last = attempt == self.retry.max_retries
            try:
                response = client.send(
                    client.build_request("POST", url, json=payload), stream=stream
                )
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) and not last:
                    self.retry.sleep(self.retry.delay(attempt))
                    continue
                raise self._timeout_error(exc) from None
            except httpx.TransportError as exc:
                if not last:
                    self.retry.sleep(self.retry.delay(attempt))
                    continue
                raise ModelError(
                    f"cannot reach the model server at {self.base_url} "
                    f"({type(exc).__name__}: {exc}) after {attempt + 1} attempts; is it running? "
                    f"{URL_HINT}"
                ) from None
            if response.status_code == 200:
                return response
            try:
                response.read()
            finally:
                response.close()
            status = response.status_code
            if status in RETRYABLE_STATUS and not last:
                wait = parse_retry_after(response.headers.get("Retry-After"), self.retry.clock())
                self.retry.sleep(self.retry.delay(attempt, wait))
                continue
            raise self._status_error(response, attempt + 1)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _timeout_error(self, exc: httpx.TimeoutException) -> ModelError:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return ModelError(
                f"cannot reach the model server at {self.base_url}: no connection within "
                f"{self.connect_timeout:g} s; is it running? {URL_HINT}"
            )
        return ModelError(
            f"the model server at {self.base_url} sent nothing for {self.read_timeout:g} s "
            "(read timeout); raise llm.read_timeout (RAGKIT_LLM__READ_TIMEOUT) for a slow server"
        )

    def _status_error(self, response: httpx.Response, attempts: int) -> ModelError:
        status = response.status_code
        detail = _server_message(response)
        where = f"the model server at {self.base_url}"
        if status in (401, 403):
            return ModelError(f"{where} refused the API key (HTTP {status}: {detail}); {KEY_HINT}")
        if status == 404:
            return ModelError(
                f"{where} has no model {self.model!r} or no /chat/completions endpoint "
                f"(HTTP 404: {detail}); check llm.model (RAGKIT_LLM__MODEL) and that "
                "llm.base_url ends in /v1"
            )
        if status in RETRYABLE_STATUS:
            return ModelError(
                f"{where} kept failing (HTTP {status}: {detail}) after {attempts} attempts; "
                "try again later or raise llm.max_retries"
            )
        return ModelError(f"{where} rejected the request (HTTP {status}: {detail})")

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> Generator[str, None, str]:
        response = self._post(self._payload(messages, options, stream=True), stream=True)
        finished = False
        reason = "stop"
        try:
            for data in _sse_data(response.iter_lines()):
                if data == "[DONE]":
                    finished = True
                    break
                event = self._event(data)
                choices = event.get("choices") or []
                if not choices:
                    continue
                delta = choices[0].get("delta") or {}
                piece = delta.get("content")
                if piece:
                    yield piece
                if choices[0].get("finish_reason"):
                    finished = True
                    reason = str(choices[0]["finish_reason"])
        except httpx.TimeoutException as exc:
            raise self._timeout_error(exc) from None
        except httpx.TransportError as exc:
            raise ModelError(
                f"the stream from {self.base_url} broke off mid-answer "
                f"({type(exc).__name__}: {exc}); try again"
            ) from None
        finally:
            # Closing an unfinished streamed response drops the connection rather than
            # draining it, so an abandoned answer stops costing the server at once.
            response.close()
        if not finished:
            raise ModelError(
                f"the stream from {self.base_url} ended before the answer was complete "
                "(the connection was cut); try again"
            )
        # The generator's return value: "length" tells the caller max_tokens cut the reply.
        return reason

    def _event(self, data: str) -> dict[str, Any]:
        try:
            event = json.loads(data)
        except ValueError:
            raise ModelError(
                f"the model server at {self.base_url} sent a malformed event: {data[:120]!r}"
            ) from None
        if not isinstance(event, dict):
            raise ModelError(f"the model server at {self.base_url} sent an unexpected event")
        if "error" in event:
            err = event["error"]
            text = err.get("message", err) if isinstance(err, dict) else err
            raise ModelError(f"the model server at {self.base_url} failed mid-answer: {text}")
        return event

    def honours_tools(self) -> bool:
        """Whether the server answers `tools` with tool calls, asked once per model: a
        request that needs the one tool it offers, with `tool_choice` "auto" as the agent
        sends it. Servers that ignore `tools` (llama.cpp's without a function-calling chat
        format) write text instead; one that refuses the request does not honour them
        either. A call forced by naming the function is no test: llama.cpp's server
        grammar-forces that one even where it drops `tools` otherwise."""
        if self._honours_tools is None:
            probe = GenerationOptions(max_tokens=64, temperature=0.0, seed=0)
            payload = self._payload([Message("user", "Call the ping tool.")], probe, stream=False)
            payload["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": "ping",
                        "description": "Answers pong.",
                        "parameters": {"type": "object", "properties": {}},
                    },
                }
            ]
            payload["tool_choice"] = "auto"
            try:
                message = self._post(payload, stream=False).json()["choices"][0]["message"]
                self._honours_tools = bool(message.get("tool_calls"))
            except (ModelError, ValueError, KeyError, IndexError, TypeError, AttributeError):
                self._honours_tools = False
        return self._honours_tools

    def chat_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: GenerationOptions
    ) -> ChatTurn:
        payload = self._payload(messages, options, stream=False)
        if tools:
            payload["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters or {"type": "object", "properties": {}},
                    },
                }
                for t in tools
            ]
        response = self._post(payload, stream=False)
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelError(
                f"the model server at {self.base_url} sent a reply without a message"
            ) from None
        try:
            calls = tuple(
                ToolCall(
                    id=str(c.get("id") or f"call_{i}"),
                    name=str(c["function"]["name"]),
                    arguments=_arguments_text(c["function"].get("arguments")),
                )
                for i, c in enumerate(message.get("tool_calls") or [])
            )
        except (KeyError, TypeError, AttributeError):
            raise ModelError(
                f"the model server at {self.base_url} sent a malformed tool call"
            ) from None
        return ChatTurn(content=message.get("content") or "", tool_calls=calls)


def _arguments_text(arguments: Any) -> str:
    # The API sends arguments as JSON text; a few servers send an object instead.
    if arguments is None:
        return "{}"
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The `data` of each server-sent event; multi-line data joined with newlines."""
    buffer: list[str] = []
    for line in lines:
        if not line:
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith(":"):
            continue  # a comment, used as a keep-alive
        field, _, value = line.partition(":")
        if field == "data":
            buffer.append(value[1:] if value.startswith(" ") else value)
    if buffer:
        yield "\n".join(buffer)
