"""`WebConfig`: the typed options of the web app, derived from `ragkit.config` by the CLI.

Leaves out reading files or the environment (ragkit.config does that) and building
models (the caller passes a `KbFactory` that opens a `KnowledgeBase` for an index folder).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ragkit import KnowledgeBase

KbFactory = Callable[[Path], KnowledgeBase]

DEFAULT_TYPES = frozenset({".pdf", ".txt", ".md", ".html", ".htm", ".docx", ".jsonl"})


@dataclass(frozen=True)
class WebConfig:
    """Where the server keeps its data and what it accepts.

    `served_indexes` maps a model name to an existing index folder served read-only
    beside the collections (`ragkit serve --index NAME`)."""

    data_dir: Path
    api_key: str | None = None
    max_upload_bytes: int = 50 * 1024 * 1024
    allowed_types: frozenset[str] = DEFAULT_TYPES
    max_pending_questions: int = 64
    served_indexes: Mapping[str, Path] = field(default_factory=dict)
    max_collections: int = 100
    max_documents: int = 1000
    """Uploaded files one collection may hold."""

    def __post_init__(self) -> None:
        if self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be positive")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("api_key must not be empty; use None for no key")
        if self.max_collections < 1 or self.max_documents < 1:
            raise ValueError("max_collections and max_documents must be positive")
        if self.max_pending_questions < 1:
            raise ValueError("max_pending_questions must be positive")
