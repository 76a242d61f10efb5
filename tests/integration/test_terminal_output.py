"""One output boundary: no terminal escape from a document, a file name, a model's reply
or a stored conversation reaches the terminal through any command.

A corpus whose texts and file names carry OSC 52 (clipboard write), OSC 0 (window
title), CSI (clear screen, colour) and 8-bit C1 sequences is indexed and run through
every command that prints: index, search (table and JSON), ask (extractive, generated,
JSON), ls, info, summarize, translate, agent, chats ls/show, scan and an error line. The
model is a real OpenAI-compatible HTTP server on 127.0.0.1 whose every reply carries the
same sequences. The content guard is off, so the CLI's own boundary
(`ragkit.apps.cli.common.SafeConsole`, `write_out`, `write_json`) is what is tested. Asserts
that no ESC, CSI/OSC introducer or other C1 byte reaches stdout or stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from fault_server import Act, fault_server
from processes import run_ragkit

pytestmark = pytest.mark.slow(
    reason="a dozen ragkit commands in subprocesses over the real bundled embedder"
)

ROOT = Path(__file__).resolve().parents[2]
OSC52 = "\x1b]52;c;aGFja2Vk\x07"
OSC0 = "\x1b]0;pwned\x1b\\"
CSI = "\x1b[2J\x1b[31m"
C1 = "\x9b2J\x9d0;title\x9c\x85"
HOSTILE = OSC52 + OSC0 + CSI + C1
FORBIDDEN = re.compile("[\x1b\x80-\x9f\x07]")
TEXT = (
    "The Ember kettle carries a warranty of seven years from purchase. "
    + HOSTILE
    + " Descale it monthly with citric acid [link=http://evil.example]here[/link]. "
)


def test_no_escape_reaches_the_terminal(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    evil = docs / f"kettle{OSC0}{CSI}\x9b1m.txt"
    evil.write_text(TEXT * 3, encoding="utf-8")
    (docs / f"notes{OSC52}.xyz").write_text("unsupported", encoding="utf-8")
    reply = "Seven years [1]. " + HOSTILE + " Done."
    with fault_server([Act(pieces=(reply[:20], reply[20:]))]) as (base, _):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")},
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            "RAGKIT_INDEX__HOME": str(tmp_path / "indexes"),
            "RAGKIT_AGENT__CONVERSATIONS_DB": str(tmp_path / "chats.sqlite"),
            "RAGKIT_GUARD__ENABLED": "false",
            "RAGKIT_LLM__BACKEND": "openai",
            "RAGKIT_LLM__BASE_URL": base,
            "RAGKIT_LLM__MODEL": "hostile",
            "RAGKIT_LLM__MAX_RETRIES": "0",
        }

        def ragkit(*args: str) -> subprocess.CompletedProcess[str]:
            done = run_ragkit(args, env=env, cwd=tmp_path, errors="surrogateescape")
            for name, stream in (("stdout", done.stdout), ("stderr", done.stderr)):
                bad = FORBIDDEN.search(stream)
                assert bad is None, f"ragkit {args[0]} {name}: {stream!r}"
            return done

        assert ragkit("index", str(docs)).returncode == 0
        assert "kettle" in ragkit("search", "kettle warranty").stdout
        assert "kettle" in ragkit("search", "kettle warranty", "--json").stdout
        assert "seven years" in ragkit("ask", "kettle warranty", "--mode", "extractive").stdout
        asked = ragkit("ask", "How long is the kettle warranty?")
        # The quoted evidence leads (the model's "Seven years" restates it), then the sources.
        assert "seven years" in asked.stdout and "kettle.txt" in asked.stdout
        ragkit("ask", "How long is the kettle warranty?", "--json")
        assert "kettle" in ragkit("ls").stdout
        ragkit("info")
        assert "Done." in ragkit("summarize", str(evil)).stdout
        ragkit("translate", str(evil), "--to", "zh")
        agent = ragkit("agent", "How long is the kettle warranty?", "--conversation", "new")
        cid = agent.stderr.strip().rsplit("conversation ", 1)[-1].split()[0]
        assert "kettle warranty" in ragkit("chats", "ls").stdout
        # The agent's answer after a search is ask's checked answer: the hostile words,
        # which no source supports, are not in it; what was shown is stored and shown.
        assert "seven years from purchase [1]." in ragkit("chats", "show", cid).stdout
        ragkit("scan", TEXT)
        gone = ragkit("remove", str(docs / f"gone{OSC0}.txt"))
        assert gone.returncode == 1 and "gone" in gone.stderr
