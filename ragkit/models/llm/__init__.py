"""Chat models: the `ChatModel` protocol, the llama.cpp backend and a scripted fake.

The OpenAI-compatible HTTP backend lives in `ragkit.models.llm.openai_compat` and is not
re-exported here, so importing ragkit does not import httpx."""

from __future__ import annotations

from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.models.llm.fake import ScriptedChatModel
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path

__all__ = [
    "ChatModel",
    "GenerationOptions",
    "LlamaCppChatModel",
    "Message",
    "ScriptedChatModel",
    "bundled_gguf_path",
]
