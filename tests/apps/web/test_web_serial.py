"""`SerialEmbedder`: the shared embedder is used by one thread at a time and indexes
record the wrapped model."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ceilings import HANG_S

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.apps.web.serial import SerialEmbedder
from ragkit.index.engine import IndexReader
from ragkit.models.embeddings.base import Vectors
from ragkit.options import Models


class Overlap(HashingEmbedder):
    """Records the most calls it ever saw running at once. With `meet`, a call waits (up
    to the hang ceiling) for a second one to be running too: calls that can overlap then
    do, however the threads happen to be scheduled."""

    def __init__(self, meet: bool = False) -> None:
        super().__init__()
        self.running = 0
        self.most = 0
        self.met = threading.Event()
        self.meet = meet
        self._count = threading.Lock()

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        with self._count:
            self.running += 1
            self.most = max(self.most, self.running)
            if self.running > 1:
                self.met.set()
        if self.meet:
            self.met.wait(HANG_S)
        time.sleep(0.01)  # leaves room for overlap: serialised calls must still not meet
        try:
            return super().embed_batch(texts)
        finally:
            with self._count:
                self.running -= 1


def test_calls_never_overlap() -> None:
    bare = Overlap(meet=True)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: bare.embed_batch([f"t{i}"]), range(12)))
    assert bare.most > 1  # the probe does see overlap when nothing serialises

    inner = Overlap()
    serial = SerialEmbedder(inner)
    with ThreadPoolExecutor(4) as pool:
        out = list(pool.map(lambda i: serial.embed_batch([f"t{i}"]), range(12)))
    assert inner.most == 1
    assert (out[3] == inner.embed_batch(["t3"])).all()


def test_indexes_record_the_wrapped_model(tmp_path: Path) -> None:
    inner = HashingEmbedder(dim=32)
    serial = SerialEmbedder(inner)
    assert (serial.id, serial.family, serial.dim, serial.languages) == (
        inner.id,
        inner.family,
        32,
        None,
    )
    doc = tmp_path / "a.txt"
    doc.write_text("kettles boil water")
    KnowledgeBase.open(tmp_path / "idx", models=Models(embedder=serial)).add([doc])
    reader = IndexReader.open(tmp_path / "idx")
    try:
        assert (reader.manifest.embedder.id, reader.manifest.embedder.dim) == (inner.id, 32)
    finally:
        reader.close()
    hits = KnowledgeBase.open(tmp_path / "idx", models=Models(embedder=inner)).search("kettles")
    assert hits[0].chunk.text == "kettles boil water"
