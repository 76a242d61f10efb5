"""What a user sees for a bad flag value or a mistyped command line: every number option
of every command, found by walking the app (a new one is checked without being listed
here), refuses text, a value out of its bounds and NaN in one line naming the flag, the
text typed and what is allowed, with a non-zero exit and no usage block, click wording
("Invalid value for", "Input should be") or traceback; unknown options and commands are
one line too. And an answer's sources are named by file name, not by the folder the
file lies in."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from cli_runs import isolated_home, run

from ragkit.apps.cli import app
from ragkit.apps.cli.common import metavar
from ragkit.apps.cli.kb import source_names


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def _number_options() -> list[tuple[list[str], str, str]]:
    """(command words with its required arguments filled, the option's name, its kind)
    for every option whose help shows INTEGER or FLOAT."""
    found = []

    def walk(command: Any, words: list[str]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*words, name])
        if getattr(command, "commands", None):
            return
        filled = list(words)
        for param in command.params:
            if param.param_type_name == "argument" and param.required:
                filled.append("x")
        for param in command.params:
            shown = metavar(param)  # what the help shows after the option's name
            if param.param_type_name == "option" and shown in ("INTEGER", "FLOAT"):
                found.append((filled, max(param.opts, key=len), shown))

    walk(typer.main.get_command(app), [])
    return found


NUMBER_OPTIONS = _number_options()


def test_the_number_options_are_all_found() -> None:
    named = {(words[0], flag) for words, flag, _ in NUMBER_OPTIONS}
    assert {
        ("ask", "-k"),
        ("search", "-k"),
        ("ask", "--mmr"),
        ("search", "--multi-query"),
        ("serve", "--port"),
        ("agent", "--max-steps"),
        ("agent", "--time-budget"),
        ("agent", "--retries"),
    } <= named, named


@pytest.mark.parametrize("given", ["abc", "-99999", "nan", "1e999", ""])
@pytest.mark.parametrize(("words", "flag", "kind"), NUMBER_OPTIONS, ids=lambda v: str(v))
def test_a_bad_number_is_one_line_naming_the_flag_and_what_is_allowed(
    words: list[str], flag: str, kind: str, given: str
) -> None:
    code, out, err = run(*words, flag, given)
    assert code != 0 and out == "", out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    shown = given or "''"
    whole = "a whole number" if kind == "INTEGER" else "a number"
    assert re.fullmatch(
        rf"error: {re.escape(flag)} {re.escape(shown)}: give {whole} "
        r"(from \S+ to \S+|more than \S+ and at most \S+) \([^()]+\)",
        lines[0],
    ), lines[0]
    for wording in ("Usage:", "Invalid value", "Input should be", "Traceback", "RAGKIT_"):
        assert wording not in err, err


def test_a_good_number_still_works(tmp_path: Path) -> None:
    (tmp_path / "k.txt").write_text("The Ember kettle warranty is seven years.\n")
    assert run("index", "k.txt")[0] == 0
    code, out, err = run("search", "kettle", "-k", "2", "--mmr", "0.5", "--multi-query", "0")
    assert code == 0 and "k.txt" in out, err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["ask", "q?", "--k", "3"],
            "error: no such option: --k; did you mean -k (one dash)? (see: ragkit ask --help)",
        ),
        (["ask", "q?", "--max-tokens", "5"], "error: no such option: --max-tokens (see: "),
        (["bogus"], "error: no such command 'bogus' (see: ragkit --help)"),
        (["chats", "bogus"], "error: no such command 'bogus' (see: ragkit chats --help)"),
        (["search"], "error: missing argument 'QUERY' (see: ragkit search --help)"),
    ],
)
def test_a_mistyped_command_line_is_one_line(args: list[str], line: str) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(line), err


def test_a_command_group_without_a_command_still_shows_its_help() -> None:
    code, out, err = run("chats")  # click shows it on stderr, exit status 2
    shown = out + err
    assert code in (0, 2) and "Commands:" in shown and " rm " in shown, shown
    assert "error" not in shown


def test_an_answers_sources_name_the_file_not_its_folder(tmp_path: Path) -> None:
    # Indexed by absolute path from outside the working folder: the Sources line and
    # the evidence name the file as the web page does, no folder of this machine.
    docs = tmp_path / "private" / "docs"
    docs.mkdir(parents=True)
    (docs / "kettle.txt").write_text("The Ember kettle has a warranty of 18 months.\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    assert run("index", str(docs), "--index", str(tmp_path / "idx"))[0] == 0
    code, out, err = run(
        "ask",
        "How long is the warranty on the Ember kettle?",
        "--mode",
        "extractive",
        "--evidence",
        "--index",
        str(tmp_path / "idx"),
    )
    assert code == 0, err
    sources = out.split("Sources:\n", 1)[1].split("Evidence:", 1)[0]
    assert sources.strip() == "[1] kettle.txt", out
    assert "[1] kettle.txt (" in out.split("Evidence:", 1)[1], out
    assert str(tmp_path) not in out and "private" not in out, out


def test_sources_of_the_same_name_get_the_folders_that_tell_them_apart() -> None:
    names = source_names(
        ["/home/u/a/notes.md", "/home/u/b/notes.md", "/srv/x/handbook.pdf", "/home/u/a/notes.md"]
    )
    assert names == {
        "/home/u/a/notes.md": "a/notes.md",
        "/home/u/b/notes.md": "b/notes.md",
        "/srv/x/handbook.pdf": "handbook.pdf",
    }
    assert source_names(["notes.md", "/home/u/notes.md"]) == {
        "notes.md": "notes.md",
        "/home/u/notes.md": "u/notes.md",
    }


def test_indexing_only_paths_that_do_not_exist_is_one_line(home: Path) -> None:
    code, out, err = run("index", "nosuch", "other.pdf", "--index", "fresh")
    assert code == 1 and out == ""
    assert err.strip() == "error: nosuch, other.pdf: no such file or folder; check the path"
    assert not (home / "fresh").exists()


def test_an_unknown_file_type_is_named_not_searched_for(tmp_path: Path) -> None:
    (tmp_path / "k.txt").write_text("The Ember kettle warranty is seven years.\n")
    assert run("index", "k.txt")[0] == 0
    code, out, err = run("search", "kettle", "--type", "xyz")
    assert code == 1 and out == ""
    assert err.strip() == (
        "error: --type 'xyz' is no file type ragkit reads; use pdf, docx, html, md, txt or jsonl"
    )
    code, out, _ = run("search", "kettle", "--type", ".TXT")
    assert code == 0 and "k.txt" in out
