"""`ragkit scan`: run the content filter over a text and print what it found, as JSON.

The text comes from the argument or, when it is absent or `-`, from stdin. The policy
is the configured one (`[guard]` settings), applied in the chosen direction, so people
can try their settings from a shell. Leaves out the scanning itself (ragkit.guard).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ragkit.apps.cli.common import ConfigOpt, app, command, write_json
from ragkit.errors import RagkitError


@app.command()
def scan(
    text: Annotated[
        str | None, typer.Argument(help="Text to scan; omit it or give - to read stdin.")
    ] = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction", "-d", help="input (a question), chunk (a retrieved passage) or output."
        ),
    ] = "input",
    config: ConfigOpt = None,
) -> None:
    """Scan a text with the content filter; print findings and the filtered text as JSON."""
    from ragkit.wiring import guard

    with command(config) as (*_, settings):
        if direction not in ("input", "chunk", "output"):
            raise RagkitError(f"unknown --direction {direction!r}; use input, chunk or output")
        if text is None or text == "-":
            try:
                text = sys.stdin.buffer.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RagkitError(f"stdin is not UTF-8 text ({exc.reason})") from None
        result = guard(settings).scan(text, direction)  # type: ignore[arg-type]
        report = {"direction": direction, **result.to_json(text)}
        write_json(report)
