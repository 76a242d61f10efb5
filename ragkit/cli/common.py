"""Shared pieces of the `ragkit` command line: the typer app, common options, consoles,
the error boundary that turns a `RagkitError` into one line and exit 1, settings loading and
the rich progress bars. Leaves out the commands themselves (one module per group).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ragkit._version import __version__
from ragkit.errors import RagkitError

if TYPE_CHECKING:
    # Only for annotations: pydantic-settings and rich.progress cost a tenth of a second
    # or more to import, which `ragkit --help`, `--version` and errors must not pay.
    from rich.progress import Progress

    from ragkit.config import Settings
    from ragkit.types import FileOutcome

app = typer.Typer(
    name="ragkit",
    help="Index your documents and ask them questions, with answers cited to file and page. "
    "Everything runs on this machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ragkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print ragkit's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    # No docstring: the app's help text is the one given to typer.Typer above.
    pass


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
    except sqlite3.Error as exc:
        # Store errors are translated where the index is known; this is the backstop.
        err.print(
            f"error: the index's SQLite store failed ({escape(str(exc))}); "
            "check it with: ragkit verify --index NAME",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def settings_from(config: Path | None, **sections: dict[str, Any]) -> Settings:
    # Models load from package folders; make sure nothing ever asks a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from ragkit.config import load_settings

    return load_settings(config, sections)


class BarProgress:
    """Draws indexing progress with rich on stderr: files done of files found, and
    chunks embedded with their rate and the time left at that rate."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._files = progress.add_task("files", total=None)
        self._chunks: Any = None

    @classmethod
    @contextmanager
    def shown(cls, err: Console) -> Iterator[BarProgress]:
        """A live bar on `err` for the duration of the block."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{speed:,.1f}/s")

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bar:
            yield cls(bar)

    def files_found(self, total: int) -> None:
        self._p.update(self._files, total=total)

    def file_done(self, outcome: FileOutcome) -> None:
        if outcome.status != "failed" or Path(outcome.path).exists():
            # "files" again after a checkpoint's "(writing …)" stages.
            self._p.update(self._files, description="files", advance=1)

    def embedding(self, total: int) -> None:
        # Called again with a larger total while files are still being read.
        if self._chunks is None:
            self._chunks = self._p.add_task("chunks embedded", total=total)
        else:
            self._p.update(self._chunks, total=total)

    def embedded(self, count: int) -> None:
        if self._chunks is not None:
            self._p.advance(self._chunks, count)

    def stage(self, name: str) -> None:
        self._p.update(self._files, description=f"files (writing {name})")

    def waiting(self, message: str) -> None:
        self._p.console.print(message)
