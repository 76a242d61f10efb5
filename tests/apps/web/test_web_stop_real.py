"""Stop with the real model: the bundled SmolLM2 GGUF answering in process behind the
web app on 127.0.0.1. The client goes away while the model is writing (the page's Stop
closes its stream); the model's token stream must then be closed and the turn kept as
stopped. How long after the client left the last token came is printed (docs/web.md
quotes it); it is not asserted, since it depends on the machine's load: the ceilings
only catch a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Sequence
from pathlib import Path

import httpx
import pytest
from ceilings import HANG_S, wait_until
from conftest import ThreadServer
from test_web_pages import first_stored_turn, upload

from ragkit import ChunkerParams, HashingEmbedder, IndexOptions, KnowledgeBase, Models
from ragkit.apps.web import WebConfig, create_app
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path

pytestmark = pytest.mark.slow(reason="the bundled GGUF answering in process")

NOTES = (
    "The Ember kettle boils a litre of water in four minutes. Its warranty lasts seven "
    "years from the date of purchase. Descale it every month with citric acid and rinse "
    "it twice. Store it upside down in a dry cupboard. The travel pouch weighs ninety "
    "grams. It is sold in copper, slate and a pale sea green."
)


class Timed(LlamaCppChatModel):
    """The real model, noting when each token came and when its stream was closed."""

    def __init__(self) -> None:
        super().__init__(bundled_gguf_path(), n_ctx=2048)
        self.tokens: list[float] = []
        self.closed_at = 0.0
        self.closed = threading.Event()
        self.ran_out = False  # the model ended its reply itself (or hit max_tokens)

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> Generator[str, None, str]:
        self.tokens.clear()
        self.closed.clear()
        try:
            for piece in super().stream(messages, options):
                self.tokens.append(time.monotonic())
                yield piece
            self.ran_out = True
        finally:
            self.closed_at = time.monotonic()
            self.closed.set()
        return "stop"


def test_stop_ends_real_generation_and_keeps_the_turn(tmp_path: Path) -> None:
    model = Timed()
    chunker = ChunkerParams(chunk_size=1000, chunk_overlap=0)

    def open_kb(path: Path) -> KnowledgeBase:
        return KnowledgeBase.open(
            path,
            models=Models(embedder=HashingEmbedder(), chat_model=model),
            index=IndexOptions(chunker=chunker),
        )

    app = create_app(WebConfig(data_dir=tmp_path / "data"), open_kb)
    notes = tmp_path / "kettle.txt"
    notes.write_text(NOTES, encoding="utf-8")
    with ThreadServer(app) as server, httpx.Client(base_url=server.url, timeout=HANG_S) as client:
        cid = client.post("/api/collections", json={"name": "kettle"}).json()["id"]
        upload(client, cid, notes)
        lines: list[str] = []
        with client.stream(
            "POST",
            f"/api/collections/{cid}/ask",
            # Answerable from the notes: a question the answer checks find no support
            # for gets a canned reply, and the model never writes.
            json={
                "question": "How long does the warranty of the Ember kettle last, and how "
                "should I descale and store the kettle?"
            },
        ) as r:
            # Held, not dropped after the loop: a line iterator that is garbage collected
            # closes the connection, which is the Stop this test wants to time.
            reading = r.iter_lines()
            for line in reading:
                lines.append(line)
                if '"stage": "writing"' in line:
                    break
            # A few tokens written, then Stop: the page closes its stream.
            # Half the usual ceiling: a canned reply (no tokens ever) must fail here, with
            # this message, before pytest's own per-test limit.
            wait_until(
                lambda: len(model.tokens) >= 3 or model.closed.is_set(),
                "the model's first tokens",
                HANG_S / 2,
            )
            assert not model.closed.is_set(), "the answer ended before it could be stopped"
            stopped_at = time.monotonic()
            r.close()
        assert model.closed.wait(HANG_S), "the model was never stopped"
        # Closed by the server, not written to its end: the answer checks hold tokens
        # back, so a stop seen only between the pieces they release let it write on.
        assert not model.ran_out, f"the model wrote all {len(model.tokens)} tokens"
        after = [t for t in model.tokens if t > stopped_at]
        print(
            f"\nstop: the last token came {model.closed_at - stopped_at:.3f} s after the "
            f"client left; {len(after)} tokens after it, {len(model.tokens)} in all"
        )
        turn = first_stored_turn(client, cid, lines)
        assert turn["state"] == "stopped"
