"""The command line starts without importing the heavy libraries it does not need.

`ragkit --help`, `--version`, `ls`, `info` and the common error messages must come back
at once; what makes them slow is importing numpy, FAISS, bm25s, jieba, onnxruntime, torch
and friends. Each case runs in a fresh interpreter and lists which of those it loaded.
Timings themselves are in bench/README.md (hyperfine), never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from processes import run_ragkit

from ragkit import HashingEmbedder, KnowledgeBase, Models, __version__

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "numpy",
    "faiss",
    "bm25s",
    "jieba",
    "onnxruntime",
    "tokenizers",
    "torch",
    "sentence_transformers",
    "transformers",
    "llama_cpp",
    "httpx",
    "fastapi",
    "langchain_text_splitters",
    "rich.progress",
    "ragkit.kb",
    "ragkit.models.embeddings",
    "ragkit.index.engine",
    "ragkit.wiring",
    # The scanners; the package itself loads them lazily, and every command prints
    # through its terminal sanitiser (ragkit.guard.terminal), which is light.
    "ragkit.guard.guard",
    "ragkit.guard.classifier",
    "ragkit.answer.pipelines",
)

# The end of every script below: run the command line with this process's arguments,
# then report its exit code with what the script gathered on a line of its own.
CLI_THEN_REPORT = """
from ragkit.apps.cli import app
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("@@" + json.dumps({"code": code, **REPORT}))
"""

RUN = f"import json, sys\nheavy = {list(HEAVY)!r}\n" + CLI_THEN_REPORT
# Read once the command has run: what it imported.
HEAVY_LOADED = '"heavy": sorted(name for name in heavy if name in sys.modules)'


def _launched(args: list[str], cwd: Path, script: str, report: str) -> tuple[dict[str, Any], str]:
    """What `script` (ending in `CLI_THEN_REPORT`, which adds `report`: a dict's text)
    reported after running the command line with `args`, and all the run printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAGKIT_CONFIG": ""}
    code = script.replace("**REPORT", report)
    done = run_ragkit(args, cwd=cwd, env=env, launcher=("-c", code))
    output = done.stdout + done.stderr
    last = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert last, output
    return json.loads(last[-1][2:]), output


def _run(args: list[str], cwd: Path) -> tuple[int, list[str], str]:
    result, output = _launched(args, cwd, RUN, HEAVY_LOADED)
    return int(result["code"] or 0), result["heavy"], output


def test_import_of_the_cli_is_light() -> None:
    code = (
        f"import json, sys, ragkit.apps.cli\nheavy = {list(HEAVY)!r}\n"
        "print(json.dumps([n for n in heavy if n in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert json.loads(done.stdout) == []


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup")
    (folder / "a.md").write_text("# A\n\nApples are red and sweet.\n", encoding="utf-8")
    kb = KnowledgeBase.open(folder / "ix", models=Models(embedder=HashingEmbedder(dim=16)))
    kb.add([folder / "a.md"])
    kb.close()
    return folder / "ix"


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--help"], 0, "Index your documents"),
        (["--version"], 0, f"ragkit {__version__}"),
        (["ls", "--index", "{ix}"], 0, "a.md"),
        (["info", "--index", "{ix}"], 0, "chunks        1"),
        (["ls", "--index", "{missing}"], 1, "does not exist"),
        (["info", "--index", "{missing}"], 1, "does not exist"),
        (["search", "apples", "--index", "{missing}"], 1, "does not exist"),
        (["ask", "why?", "--index", "{missing}"], 1, "does not exist"),
        (["search", "x", "--mode", "fuzzy", "--index", "{ix}"], 1, "unknown --mode"),
    ],
)
def test_commands_answer_without_heavy_imports(
    index: Path, args: list[str], code: int, expected: str
) -> None:
    filled = [a.format(ix=index, missing=index.parent / "missing") for a in args]
    got, heavy, output = _run(filled, index.parent)
    assert got == code, output
    assert expected in output
    assert heavy == [], f"{args} imported {heavy}"


# `ragkit ask` with stand-ins that record, when asked to start loading, whether the
# answer path is imported yet.
ASK_AHEAD = (
    """
import json, sys
import ragkit.wiring
from ragkit.models.embeddings.fake import HashingEmbedder
from ragkit.models.llm.fake import ScriptedChatModel
seen = []
class Model(ScriptedChatModel):
    def start_loading(self, prefix=()):
        seen.append(["model", len(prefix), "ragkit.answer.pipelines" in sys.modules])
class Questions(HashingEmbedder):
    def start_loading(self):
        seen.append(["embedder", 0, "ragkit.answer.pipelines" in sys.modules])
ragkit.wiring.chat_model = lambda settings: Model(["Apples are red [1]."])
ragkit.wiring.embedder = lambda settings: HashingEmbedder(dim=16)
ragkit.wiring.query_embedder = lambda settings: Questions(dim=16)
"""
    + CLI_THEN_REPORT
)


def test_ask_starts_loading_its_models_before_it_imports_the_answer_path(index: Path) -> None:
    # The model file and the question embedder's session load while the answer path is
    # imported (a second on 2 cores); the prompt's head follows once it can be written.
    result, output = _launched(
        ["ask", "What colour are apples?", "--index", str(index)],
        index.parent,
        ASK_AHEAD,
        '"seen": seen',
    )
    assert result["code"] in (0, None), output
    assert result["seen"] == [["model", 0, False], ["embedder", 0, False], ["model", 2, True]]
