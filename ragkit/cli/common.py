"""Shared pieces of the `ragkit` command line: the typer app, common options, consoles,
the error boundary that turns a `RagkitError` into one line and exit 1, settings loading and
the rich progress bars. Leaves out the commands themselves (one module per group).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from ragkit.config import Settings, load_settings
from ragkit.errors import RagkitError
from ragkit.types import FileOutcome

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="ragkit",
    help="Index your documents and ask them questions, with answers cited to file and page. "
    "Everything runs on this machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (default: ./ragkit.toml or $RAGKIT_CONFIG)."),
]
IndexOpt = Annotated[
    str | None,
    typer.Option("--index", "-i", help="Index name under the index home (default: 'default')."),
]
ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", "-m", help="Retrieval: hybrid (dense + BM25, fused), dense or bm25."),
]


def consoles() -> tuple[Console, Console]:
    return Console(highlight=False, soft_wrap=True), Console(
        stderr=True, highlight=False, soft_wrap=True
    )


@contextmanager
def user_errors(err: Console) -> Iterator[None]:
    try:
        yield
    except RagkitError as exc:
        err.print(f"error: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def settings_from(config: Path | None, **sections: dict[str, Any]) -> Settings:
    # Models load from package folders; make sure nothing ever asks a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return load_settings(config, sections)


class BarProgress:
    """Draws indexing progress with rich on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._files = progress.add_task("files", total=None)
        self._chunks: Any = None

    def files_found(self, total: int) -> None:
        self._p.update(self._files, total=total)

    def file_done(self, outcome: FileOutcome) -> None:
        if outcome.status != "failed" or Path(outcome.path).exists():
            self._p.advance(self._files)

    def embedding(self, total: int) -> None:
        self._chunks = self._p.add_task("chunks embedded", total=total)

    def embedded(self, count: int) -> None:
        if self._chunks is not None:
            self._p.advance(self._chunks, count)

    def stage(self, name: str) -> None:
        self._p.update(self._files, description=f"files (writing {name})")

    def waiting(self, message: str) -> None:
        self._p.console.print(message)
