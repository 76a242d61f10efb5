"""The bundled SmolLM2 GGUF writes the same reply to an answer prompt whether its
constant start was evaluated ahead (`LlamaCppChatModel.start_loading(prefix)`), the whole
prompt was (`LlamaCppChatModel.evaluate_ahead`, the answer then evaluating only its last
token), or every token with the answer; what was evaluated ahead is in the model's cache
when the answer starts. A prompt evaluated ahead and then called off (a refused question)
stops before its end, and the next answer is the same as a fresh model's."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ragkit.answer.pipelines import prompt_head
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path
from ragkit.models.prompts import PromptTemplates

pytestmark = pytest.mark.slow(reason="the bundled GGUF in process")

SOURCES = (
    "Sources:\n[1] The Ember brewing kettle comes with a warranty of 18 months from the "
    "date of purchase.\n[2] Member farms deliver fresh leaf between 06:00 and 11:00.\n\n"
)
QUESTIONS = ("How long is the warranty on the Ember brewing kettle?", "When is leaf delivered?")
GREEDY = GenerationOptions(max_tokens=24, temperature=0.0, seed=0)


def test_a_head_start_changes_no_reply_and_is_reused() -> None:
    head = prompt_head(PromptTemplates())
    cold = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024)
    ahead = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024)
    ahead.start_loading(head)
    for question in QUESTIONS:
        prompt = [head[0], Message("user", f"{SOURCES}Question: {question}")]
        cold._load().reset()  # every token evaluated with the prompt
        expected = "".join(cold.stream(prompt, GREEDY))
        ahead._ready.wait()
        llama = ahead._load()
        cached = llama.n_tokens
        assert cached > ahead.count_tokens(head[0].content)  # the system message and more
        assert "".join(ahead.stream(prompt, GREEDY)) == expected and expected.strip()
        if question == QUESTIONS[0]:
            llama.reset()
            ahead._evaluate_ahead(llama, head)  # as before the first answer, for the next


def test_a_prompt_evaluated_ahead_changes_no_reply() -> None:
    system = prompt_head(PromptTemplates())[0]
    cold = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024)
    ahead = LlamaCppChatModel(bundled_gguf_path(), n_ctx=1024)
    for question in QUESTIONS:
        prompt = [system, Message("user", f"{SOURCES}Question: {question}")]
        cold._load().reset()  # every token evaluated with the answer
        expected = "".join(cold.stream(prompt, GREEDY))
        ahead.evaluate_ahead(prompt)
        assert ahead._ahead is not None
        ahead._ahead.join()
        # The whole prompt is in the cache when the answer starts.
        assert ahead._load().n_tokens > ahead.count_tokens(SOURCES + question)
        assert "".join(ahead.stream(prompt, GREEDY)) == expected and expected.strip()


def test_an_evaluation_called_off_stops_and_changes_no_reply() -> None:
    system = prompt_head(PromptTemplates())[0]
    # Long enough (~540 tokens) not to end before it is called off.
    facts = " ".join(f"Kettle {n} has a {n}-month warranty." for n in range(40))
    prompt = [system, Message("user", f"Sources:\n[1] {facts}\n\nQuestion: {QUESTIONS[0]}")]
    cold = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048)
    expected = "".join(cold.stream(prompt, GREEDY))
    ahead = LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048)
    llama = ahead._load()
    begun = threading.Event()
    evaluate = llama.create_chat_completion

    def begin(**kwargs: Any) -> Any:
        begun.set()
        return evaluate(**kwargs)

    llama.create_chat_completion = begin
    call_off = ahead.evaluate_ahead(prompt)
    assert begun.wait(60)
    call_off()
    assert ahead._ahead is not None
    ahead._ahead.join()
    llama.create_chat_completion = evaluate
    assert llama.n_tokens < ahead.count_tokens(facts)  # stopped before its end
    assert "".join(ahead.stream(prompt, GREEDY)) == expected and expected.strip()
