"""Typed exceptions for ragkit.

Every error a user can cause carries a message that names the thing at fault (a file,
an index, a setting) and says what to do next; the CLI prints that message on one
line and exits non-zero. Library callers catch the specific subclass. This module
holds no logic beyond formatting those messages.
"""

from __future__ import annotations

from pathlib import Path


class RagkitError(Exception):
    """Base class of every error ragkit raises on purpose."""


class ConfigError(RagkitError):
    """A setting is missing, malformed or points at something that is not there."""


class LoaderError(RagkitError):
    """One input file could not be turned into text; the rest of a batch goes on."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnsupportedFileError(LoaderError):
    """The file's type is not one ragkit reads; it is skipped, not failed."""


class IndexNotFoundError(RagkitError):
    """An index was asked for that does not exist on disk."""


class IndexCorruptError(RagkitError):
    """An index on disk is damaged, truncated or of an unknown format."""


class IndexStoreError(RagkitError):
    """The index's SQLite store refused an operation: read-only, disk full, locked."""


class IndexMismatchError(RagkitError):
    """An index was built with another embedder or format than the one configured."""


class ModelError(RagkitError):
    """A model could not be found, loaded or run."""


class EmptyQueryError(RagkitError):
    """A question or search query was empty."""


class ContentBlocked(RagkitError):
    """The content filter's policy blocks a text (a question, by default one with a
    banned term); the message names the setting that would let it through."""


class PromptTooLongError(ModelError):
    """A question (with the room kept for the answer) cannot fit the model's window."""
