"""Command-line faults found by hand, each one line and a non-zero exit, with nothing
left on disk: indexing only unsupported files, a number flag out of its range (`-k 0`,
`--mmr 2`, `serve --port 99999`) named as typed, an index that does not exist
(named, with the indexes that do), `ragkit chat --index` on a missing index, a blank
API key on an exposed address, a manifest whose file list was emptied, and an empty
question (found before any index opens or model loads)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runs import isolated_home, run


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def make_index(tmp_path: Path, name: str = "docs") -> None:
    (tmp_path / "k.txt").write_text("The Ember kettle warranty is seven years.\n")
    assert run("index", "k.txt", "--index", name)[0] == 0


def test_indexing_only_unsupported_files_fails_and_leaves_nothing(home: Path) -> None:
    Path("only").mkdir()
    Path("only/notes.xyz").write_text("not a document")
    code, out, err = run("index", "only", "--index", "fresh")
    assert code == 1 and "skipped" in out
    assert "no supported files" in one_error_line(err)
    assert not (home / "fresh").exists()  # no folder holding only write.lock
    code, _, _ = run("ls", "--index", "fresh")
    assert code == 1


def test_indexing_an_empty_folder_is_one_error_line_and_nothing_else(home: Path) -> None:
    Path("empty").mkdir()
    code, out, err = run("index", "empty", "--index", "fresh")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [one_error_line(err)], err  # no progress bar above it
    assert "no files found in empty" in err
    assert not (home / "fresh").exists()


@pytest.mark.parametrize(
    ("command", "flag", "value", "bounds"),
    [
        (["search", "kettle"], "-k", "0", "from 1 to 1000"),
        (["search", "kettle"], "-k", "1001", "from 1 to 1000"),
        (["ask", "kettle?", "--mode", "extractive"], "-k", "0", "from 1 to 50"),
        (["ask", "kettle?", "--mode", "extractive"], "-k", "51", "from 1 to 50"),
        (["search", "kettle"], "--mmr", "2", "from 0 to 1"),
        (["ask", "kettle?", "--mode", "extractive"], "--mmr", "-0.5", "from 0 to 1"),
        (["search", "kettle"], "--multi-query", "11", "from 0 to 10"),
    ],
)
def test_a_number_out_of_range_is_refused_in_the_flags_own_name(
    tmp_path: Path, command: list[str], flag: str, value: str, bounds: str
) -> None:
    # The options model would say "invalid option mmr_lambda: Input should be ...".
    make_index(tmp_path)
    code, _, err = run(*command, "--index", "docs", flag, value)
    assert code == 1
    kind = "a whole number" if flag != "--mmr" else "a number"
    assert one_error_line(err).startswith(f"error: {flag} {value}: give {kind} {bounds} ("), err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["serve", "--port", "99999"], "--port 99999: give a whole number from 1 to 65535 (a TCP"),
        (["serve", "--port", "0"], "--port 0: give a whole number from 1 to 65535 (a TCP port)"),
        (["chat", "--mode", "bogus"], "--mode bogus: it should be 'rag', 'chat' or 'agent'"),
        (["agent", "hi", "--max-steps", "0"], "--max-steps 0: give a whole number from 1 to 100"),
        (
            ["agent", "hi", "--time-budget", "-1"],
            "--time-budget -1: give a number more than 0 and at most 86400 (seconds)",
        ),
        (["agent", "hi", "--protocol", "x"], "--protocol x: it should be 'auto', 'native' or"),
    ],
)
def test_a_flag_that_sets_a_setting_is_refused_in_its_own_name(args: list[str], line: str) -> None:
    # The settings model would name the setting and its environment variable instead
    # ("setting server.port (env RAGKIT_SERVER__PORT)"), which the user never set.
    code, _, err = run(*args)
    assert code == 1 and one_error_line(err).startswith(f"error: {line}"), err
    assert "RAGKIT_" not in err


def test_the_k_defaults_in_the_help_are_the_options_defaults() -> None:
    from ragkit.options import AnswerFields, SearchFields

    for command, fields in (("search", SearchFields), ("ask", AnswerFields)):
        code, out, _ = run(command, "--help")
        assert code == 0
        assert f"(default {fields.model_fields['k'].default})" in " ".join(out.split()), out


def test_unknown_index_names_the_ones_that_exist(tmp_path: Path) -> None:
    make_index(tmp_path)
    code, _, err = run("ls", "--index", "nope")
    line = one_error_line(err)
    assert code == 1 and "nope does not exist" in line and "are: docs" in line


@pytest.mark.parametrize("given", ["./nosuch", "nosuch", "sub/dir/../nosuch", None])
def test_missing_index_advice_repeats_the_users_path_and_its_command_makes_it(
    tmp_path: Path, home: Path, given: str | None
) -> None:
    flag = ["--index", given] if given is not None else []
    for command in (["ask", "q?", "--mode", "extractive"], ["search", "q"], ["ls"], ["info"]):
        code, _, err = run(*command, *flag)
        assert code == 1 and len(err.strip().splitlines()) == 1, err
        line = one_error_line(err)
        shown = given if given is not None else str(home / "default")
        assert line.startswith(f"error: index {shown} "), line
        advice = line.split("build it first with: ", 1)[1].split(" (", 1)[0]
        assert advice == "ragkit index DOCS" + (f" --index {given}" if given else ""), line
    # The advice, run as written (DOCS: the documents), makes the very index asked for.
    (tmp_path / "k.txt").write_text("The Ember kettle warranty is seven years.\n")
    assert run(*["k.txt" if a == "DOCS" else a for a in advice.split()[1:]])[0] == 0
    code, out, _ = run("ls", *flag)
    assert code == 0 and "k.txt" in out


def test_chat_on_a_missing_index_stops_before_the_screen(tmp_path: Path) -> None:
    make_index(tmp_path)
    code, _, err = run("chat", "--index", "nope")
    assert code == 1 and "are: docs" in one_error_line(err)


def test_a_blank_api_key_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGKIT_SERVER__API_KEY", "   ")
    code, _, err = run("serve", "--host", "0.0.0.0", "--port", "1")
    assert code == 1 and "without an API key" in one_error_line(err)


def test_an_emptied_manifest_file_list_is_one_line(tmp_path: Path, home: Path) -> None:
    make_index(tmp_path)
    path = home / "docs" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"] = {}
    path.write_text(json.dumps(manifest))
    code, _, err = run("search", "kettle", "--index", "docs")
    assert code == 1 and "manifest is damaged" in one_error_line(err)


def test_an_empty_question_is_refused_before_any_index_opens() -> None:
    # No index is there: the question's error comes first, as nothing is opened for it.
    code, out, err = run("ask", "   ", "--index", "nowhere")
    assert code == 1 and out == ""
    assert one_error_line(err) == "error: the question is empty; ask something about your documents"
