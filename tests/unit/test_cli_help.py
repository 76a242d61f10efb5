"""Every command's `--help` shows plain placeholders (`PATHS...`, `-k INTEGER`, `--index
NAME`), never Python types (`<list[Path]>`, `<int>`) or braces (`{paths}...`)."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from ragkit.apps.cli import app


def _commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = []
    for name, command in getattr(root, "commands", {}).items():
        found.append([name])
        found.extend([name, sub] for sub in getattr(command, "commands", {}))
    return found


def _help(*words: str) -> str:
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_checked() -> None:
    names = {" ".join(c) for c in _commands()}
    assert {"index", "search", "ask", "ls", "serve", "chats show", "eval retrieval"} <= names


@pytest.mark.parametrize("words", _commands(), ids=" ".join)
def test_help_shows_no_python_types(words: list[str]) -> None:
    text = _help(*words)
    assert not re.search(r"<[a-z][\w\[\], |]*>", text), text  # <int>, <list[Path]>
    assert "{" not in text and "}" not in text, text


def test_help_names_the_placeholders_plainly() -> None:
    index = _help("index")
    assert " index [OPTIONS] PATHS...\n" in index, index
    assert re.search(r"^\s+PATHS\.\.\.\s+Files and folders", index, re.MULTILINE), index
    assert re.search(r"^\s+-i, --index NAME\s", index, re.MULTILINE), index
    assert re.search(r"^\s+--config FILE\s", index, re.MULTILINE), index
    assert re.search(r"^\s+--no-wait\s+Fail", index, re.MULTILINE), index  # a flag: no value
    search = _help("search")
    for option in ("-k INTEGER", "--mmr FLOAT", "--type TEXT", "--multi-query INTEGER"):
        assert re.search(rf"^\s+{re.escape(option)}\s", search, re.MULTILINE), search
    assert re.search(r"^\s+--data-dir PATH\s", _help("serve"), re.MULTILINE)
    assert " summarize [OPTIONS] [FILE]" in _help("summarize")  # an optional argument


@pytest.mark.parametrize(
    ("words", "named"),
    [(["index"], "'PATHS...'"), (["search"], "'QUERY'"), (["chats", "show"], "'CONVERSATION'")],
)
def test_a_missing_argument_is_named_as_the_usage_line_names_it(
    words: list[str], named: str
) -> None:
    result = CliRunner().invoke(app, words)
    assert result.exit_code == 2
    assert f"missing argument {named} (see: ragkit {' '.join(words)} --help)" in result.output
