"""A thin, test-only OpenAI-compatible chat client (httpx), standing in for ragkit's real
remote backend (ragkit.llm.openai_compat, written separately) in the agent's remote-path
tests and benchmark. Swap it for that backend when both are on one branch.

Implements ragkit's `ChatModel` (streaming over server-sent events) and
`ToolCallingChatModel` (`tools` / `tool_calls`). Leaves out retries, auth headers beyond
a bearer key, and every option the tests do not use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from ragkit.llm.base import ChatTurn, GenerationOptions, Message, ToolCall, ToolSpec


class TestOnlyOpenAIClient:
    __test__ = False  # not a pytest test class

    def __init__(self, base_url: str, model: str = "local", context_window: int = 2048) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._window = context_window
        self._http = httpx.Client(timeout=120)

    @property
    def id(self) -> str:
        return f"{self.model}@{self.base_url}"

    @property
    def context_window(self) -> int:
        return self._window

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def _body(self, messages: Sequence[Message], options: GenerationOptions) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [_wire(m) for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        }
        if options.seed is not None:
            body["seed"] = options.seed
        # llama.cpp's server reads this extension field; OpenAI itself would not accept it.
        body["repeat_penalty"] = options.repeat_penalty
        if options.stop:
            body["stop"] = list(options.stop)
        return body

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        body = self._body(messages, options) | {"stream": True}
        with self._http.stream("POST", f"{self.base_url}/chat/completions", json=body) as resp:
            resp.raise_for_status()
            for line in resp.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                delta = json.loads(line[6:])["choices"][0].get("delta", {})
                if delta.get("content"):
                    yield delta["content"]

    def chat_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], options: GenerationOptions
    ) -> ChatTurn:
        body = self._body(messages, options)
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in tools
        ]
        resp = self._http.post(f"{self.base_url}/chat/completions", json=body)
        resp.raise_for_status()
        message = resp.json()["choices"][0]["message"]
        calls = tuple(
            ToolCall(c.get("id") or f"call_{i}", c["function"]["name"], c["function"]["arguments"])
            for i, c in enumerate(message.get("tool_calls") or [])
        )
        return ChatTurn(message.get("content") or "", calls)


def _wire(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    return out
