"""Multi-query retrieval (RAG-Fusion): the chat model rewrites a question into variants.

`generate_variants` asks the configured `ChatModel` (the local GGUF or a remote API, any
backend of the protocol) for `n` rephrasings, one per line, with the `multiquery` prompt
template, and parses the reply defensively: small models number their lines, add a
preamble, repeat the question or ramble. The original question always comes first, so
fusing the variants' rankings (`Retriever.search_multi`) can only add candidates to
what the question alone finds. It is off by default: each search then costs a model
call, and whether it pays depends on the documents. Leaves out HyDE (hypothetical
answers) and query decomposition.
"""

from __future__ import annotations

import re

from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.models.prompts import PromptTemplates

# Leading list markers: "1. ", "2) ", "(3) ", "4、", "-", "*", "•", "Query 2:", "Q1 -". A digit
# needs a space after its dot, so "3.5 ounces" keeps its number.
_MARKER = re.compile(
    r"^\s*(?:(?:[-*•·–]+|\(?\d{1,2}(?:[.)\]:](?=\s)|、)|(?:query|question|variant|q)\s*\d{0,2}\s*[:.)\-])\s*)+",
    re.IGNORECASE,
)
_QUOTES = "\"'`“”‘’「」"
_MAX_CHARS = 400  # a search query longer than this is the model explaining, not rephrasing


def variant_options(n: int) -> GenerationOptions:
    """Generation settings for writing `n` variants: room for n short lines, and a little
    temperature so the variants differ from each other and from the question."""
    return GenerationOptions(max_tokens=min(512, 48 * n + 16), temperature=0.3)


def parse_variants(question: str, reply: str, n: int) -> list[str]:
    """The question followed by up to `n` distinct variants found in the model's reply."""
    limit = max(_MAX_CHARS, 3 * len(question))
    seen = {_key(question)}
    out = [question.strip()]
    for line in reply.splitlines():
        text = _MARKER.sub("", line).strip().strip(_QUOTES).strip()
        # "Here are three queries:" introduces the list; it is not one of them.
        if not text or text.endswith(":") or len(text) > limit:
            continue
        key = _key(text)
        if key in seen:
            continue
        seen.add(key)
        out.append(text)
        if len(out) > n:
            break
    return out


def generate_variants(
    question: str,
    model: ChatModel,
    n: int = 3,
    options: GenerationOptions | None = None,
    templates: PromptTemplates | None = None,
) -> list[str]:
    """`question` first, then up to `n` rephrasings written by `model` (fewer when the
    reply holds fewer usable lines; none when `n` is 0)."""
    if n <= 0:
        return [question.strip()]
    prompt = (templates or PromptTemplates()).render(
        "multiquery", n=str(n), question=question.strip()
    )
    reply = "".join(model.stream([Message("user", prompt)], options or variant_options(n)))
    return parse_variants(question, reply, n)


def _key(text: str) -> str:
    # Variants differing only in case, spacing or final punctuation search the same.
    return " ".join(text.casefold().split()).rstrip("?.!。？！ ")
