"""Fake models and fixtures shared by the ChatPDF page's tests (API and browser)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ceilings import HANG_S
from conftest import fake_factory

from ragkit import (
    Message,
    ScriptedChatModel,
)
from ragkit.models.llm.base import GenerationOptions

FACT_PAGES = (
    "Introduction. This handbook covers the Ember brewing kettle and its care. "
    "Read it before the first use.",
    "Warranty terms. The Ember kettle carries a warranty of seven years from the date of "
    "purchase. Keep the receipt safe.",
    "Cleaning. Descale the kettle every month with citric acid. Rinse it twice afterwards.",
    "Power. The heating element draws 1500 watts from the mains. Use a grounded socket.",
)
CHINESE = "茶壶说明。这把茶壶由景德镇的陶工手工制作。每次使用后请用清水冲洗。\n"


def answer_from_sources(messages: Sequence[Message]) -> str:
    """The sentence of any source that shares most words with the question, cited with
    its source's number; a follow-up (one with history) also names what the previous
    answer was about. Asked to rewrite a follow-up, it appends the earlier question."""
    user = messages[-1].content
    if "Last question:" in user:  # a follow-up to rewrite: add the earlier question to it
        last = user.split("Last question:")[-1].split("\n\n")[0].strip()
        earlier = re.findall(r"^user: (.*)$", user, re.M)
        return f"{last} ({earlier[-1]})" if earlier else last
    question = user.split("Question:")[-1]
    # A rewritten follow-up carries the earlier question in brackets: the follow-up's own
    # words say what is asked, the bracket only breaks ties.
    own = question.split(" (")[0]
    stop = {"the", "is", "how", "what", "a", "and", "it", "i", "do", "should"}
    asked_own = set(re.findall(r"\w+", own.lower())) - stop
    asked = set(re.findall(r"\w+", question.lower())) - stop
    best, best_number, best_score = "", 0, (0, 0)
    listed = user.split("Sources:", 1)[-1].rsplit("Question:", 1)[0]
    for number, body in re.findall(r"^\[(\d+)\] (.*?)(?=^\[\d+\] |\Z)", listed, re.S | re.M):
        for sentence in re.split(r"(?<=[.。])\s*", " ".join(body.split())):
            words = set(re.findall(r"\w+", sentence.lower()))
            score = (len(asked_own & words), len(asked & words))
            if score > best_score:
                best, best_number, best_score = sentence, int(number), score
    if not best:
        return "The documents do not say."
    earlier = [m for m in messages if m.role == "assistant"]
    prefix = ""
    if earlier:
        before = re.sub(r"\*\*|\[\d+\]", "", earlier[-1].content).strip()
        prefix = f"Following on from “{before}”: "
    return f"{prefix}**{best.strip()}** [{best_number}]"


class Gated(ScriptedChatModel):
    """Writes a word, then waits for the test to let it write the next; records when its
    stream was closed (a stopped answer). Its answer is every sentence of the sources it
    was given, in order, so each passes the answer checks and is released as written."""

    WORDS = 200  # at least this many words are written, if nobody stops it

    def __init__(self) -> None:
        super().__init__(["unused"])
        self.step = threading.Semaphore(0)
        self.closed = threading.Event()
        self.started = threading.Event()
        self.written = 0

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        self.prompts.append(list(messages))
        listed = messages[-1].content.split("Sources:", 1)[-1].rsplit("Question:", 1)[0]
        seen: list[str] = []
        for body in re.findall(r"^\[\d+\] (.*?)(?=^\[\d+\] |\Z)", listed, re.S | re.M):
            for sentence in re.split(r"(?<=[.。])\s+", " ".join(body.split())):
                if sentence and sentence not in seen:
                    seen.append(sentence)
        words = " ".join(seen).split(" ")
        self.WORDS = len(words)
        try:
            for word in words:
                self.started.set()
                self.written += 1
                yield word + " "
                self.step.acquire(timeout=HANG_S)
        finally:
            self.closed.set()

    def release_until_closed(self, pace: float = 0.5) -> None:
        """Let the model write on, a word per `pace` seconds, until the server closes its
        stream. The server stops it at the first word after it noticed the client go, and
        how soon it notices depends on the machine's load: a test asserts that the answer
        was not written to the end, not how few words slipped through."""
        deadline = time.monotonic() + HANG_S
        while not self.closed.is_set():
            assert time.monotonic() < deadline, "the server never closed the model's stream"
            self.step.release()
            self.closed.wait(pace)


def factory(model: ScriptedChatModel, chunk_size: int = 400) -> Any:
    """Knowledge bases over the hashing embedder and `model`; passages of `chunk_size`
    characters run over page breaks of the short test PDFs."""
    return fake_factory(model, chunk_size=chunk_size)
