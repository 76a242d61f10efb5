"""The `ragkit` command line: parse flags, build `Settings`, call the library, print.

Every command turns a `RagkitError` into one line on stderr and a non-zero exit, never a
traceback. Long work shows progress bars on stderr; results go to stdout (`--json` for
scripts). Each command group lives in its own module and registers itself on the shared
app when imported here; the logic itself lives in the library.
"""

from __future__ import annotations

# Importing registers the commands, in this order in `ragkit --help`: kb's first.
import ragkit.apps.cli.kb  # noqa: F401
from ragkit.apps.cli import agent, chat, evaluate, scan, serve, summarize  # noqa: F401
from ragkit.apps.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    app()
