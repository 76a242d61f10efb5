"""Agent success rate over a fixed task set, per backend, with and without validation-and-retry.

Tasks: bench/data/agent_tasks.jsonl (calculator and document-search tasks over the sample
corpus; each names the tool it needs, the result or file that tool must return and a
phrase the answer must contain; the last four, after the 16 calculator and 16 search
tasks, are mixed: a number searched for, then computed with, and need both).
Backends: `local` (the bundled SmolLM2-135M GGUF
in-process, JSON tool calls) and `remote` (the same GGUF behind `python -m
llama_cpp.server` on 127.0.0.1, JSON tool calls over the OpenAI-compatible API; `native`
adds the server's native function calling with `--chat_format chatml-function-calling`).
"constrained" (local only; as agent.constrained, off unless `--constrained yes`) decodes
JSON tool calls under a JSON schema, so the model can only name a real tool with
arguments of its shape or answer with `{"answer": ...}`; `--constrained yes,no` runs
both (remote backends ignore the schema, so their rows show "-").
"with retry" lets the model correct up to 2 invalid tool calls with the error shown;
"no retry" ends a run at its first invalid call. Decoding is greedy (temperature 0,
seed 0), so a run without retries is the run with retries cut at its first invalid
call: by default the "no retry" row is derived that way (a task fails if its run made
any invalid call) instead of being run again, which halves the time on a small machine;
`--retries 2,0` runs both for real.

Prints, per configuration: tasks, success (right tool with the right result and the
expected phrase in the answer), right tool, answer right, invalid calls, runs stopped
without an answer, seconds per task. Figures, never assertions.

    python bench/agent_bench.py                       # local + remote, both retry modes
    python bench/agent_bench.py --backends local --limit 8
    python bench/agent_bench.py --backends local --constrained yes,no
    python bench/agent_bench.py --backends remote,native --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TASKS = ROOT / "bench" / "data" / "agent_tasks.jsonl"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(ROOT / "tests" / "integration"))  # the llama.cpp server fixture

from llama_server import llama_server  # noqa: E402

from ragkit import KnowledgeBase  # noqa: E402
from ragkit.agent import Agent, AgentOptions, AgentResult, ToolContext, builtin_tools  # noqa: E402
from ragkit.models.embeddings import make_embedder  # noqa: E402
from ragkit.models.llm import GenerationOptions, LlamaCppChatModel, bundled_gguf_path  # noqa: E402
from ragkit.models.llm.base import ChatModel  # noqa: E402
from ragkit.options import Models  # noqa: E402

GEN = GenerationOptions(max_tokens=48, temperature=0.0, seed=0)


def remote_client(base_url: str) -> ChatModel:
    """ragkit's OpenAI-compatible backend; llama.cpp's server reads repeat_penalty (and
    would apply its own 1.1 otherwise, which breaks this model's JSON)."""
    from ragkit.models.llm.openai_compat import OpenAICompatChatModel

    return OpenAICompatChatModel(base_url, "local", context_window=2048, send_repeat_penalty=True)


def check(task: dict[str, Any], result: AgentResult) -> tuple[bool, bool]:
    """(right tool with the right output, expected phrase in the answer)."""
    good = [r for r in result.tool_calls if r.name == task["tool"] and not r.error]
    if "expect_result" in task:
        tool_ok = any(r.result.strip() == task["expect_result"] for r in good)
        if "expect_file" in task:  # a mixed task: the value searched for, then computed
            found = [r for r in result.tool_calls if r.name == "search_documents" and not r.error]
            tool_ok = tool_ok and any(task["expect_file"] in r.result for r in found)
    else:
        tool_ok = any(task["expect_file"] in r.result for r in good)
    answer_ok = result.answered and task["expect_answer"].lower() in result.answer.lower()
    return tool_ok, answer_ok


def run_config(
    name: str,
    model: ChatModel,
    kb: KnowledgeBase,
    tasks: list[dict[str, Any]],
    retries: int,
    constrained: bool = True,
    time_budget_s: float = 120,
) -> dict[str, Any]:
    protocol = "native" if name == "native" else "json"
    context = ToolContext(knowledge_base=kb, chat_model=model, generation=GEN)
    options = AgentOptions(
        max_steps=3,
        time_budget_s=time_budget_s,
        retries=retries,
        protocol=protocol,
        constrained=constrained,
    )
    agent = Agent(model, builtin_tools(), context, options, GEN)
    rows = []
    for task in tasks:
        start = time.perf_counter()
        result = agent.run(task["task"])
        seconds = time.perf_counter() - start
        tool_ok, answer_ok = check(task, result)
        rows.append(
            {
                "task": task["task"],
                "tool_ok": tool_ok,
                "answer_ok": answer_ok,
                "invalid": result.invalid_calls,
                "stopped": result.stopped_reason,
                "seconds": seconds,
                "calls": [r.name for r in result.tool_calls],
                "answer": result.answer[:120],
            }
        )
        print(
            f"  {name} constrained={agent.constrained} retries={retries} "
            f"{'ok ' if tool_ok and answer_ok else 'NO '} "
            f"{task['task'][:50]!r} calls={[r.name for r in result.tool_calls]} "
            f"stop={result.stopped_reason} {seconds:.1f}s",
            file=sys.stderr,
        )
    n = len(rows)
    return {
        "backend": name,
        "constrained": agent.constrained,
        "retries": retries,
        "tasks": n,
        "success": sum(r["tool_ok"] and r["answer_ok"] for r in rows) / n,
        "tool_ok": sum(r["tool_ok"] for r in rows) / n,
        "answer_ok": sum(r["answer_ok"] for r in rows) / n,
        "invalid_calls": sum(r["invalid"] for r in rows),
        "no_answer": sum(r["stopped"] != "answered" for r in rows),
        "s_per_task": sum(r["seconds"] for r in rows) / n,
        "rows": rows,
    }


def without_retries(measured: dict[str, Any]) -> dict[str, Any]:
    """The no-retry figures implied by a greedy run with retries: identical until the first
    invalid call, where a run without retries stops unanswered."""
    rows = [
        r if r["invalid"] == 0 else r | {"tool_ok": False, "answer_ok": False, "stopped": "x"}
        for r in measured["rows"]
    ]
    n = len(rows)
    return measured | {
        "retries": 0,
        "derived": True,
        "success": sum(r["tool_ok"] and r["answer_ok"] for r in rows) / n,
        "tool_ok": sum(r["tool_ok"] for r in rows) / n,
        "answer_ok": sum(r["answer_ok"] for r in rows) / n,
        "invalid_calls": sum(min(r["invalid"], 1) for r in rows),
        "no_answer": sum(r["stopped"] != "answered" for r in rows),
        "rows": rows,
    }


@contextmanager
def backend(name: str, stack: ExitStack) -> Iterator[ChatModel]:
    if name == "local":
        yield LlamaCppChatModel(bundled_gguf_path(), n_ctx=2048, n_threads=2)
    elif name == "remote":
        yield remote_client(stack.enter_context(llama_server()))
    elif name == "native":
        yield remote_client(
            stack.enter_context(llama_server(chat_format="chatml-function-calling"))
        )
    else:
        raise SystemExit(f"unknown backend {name!r}; use local, remote or native")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="local,remote")
    parser.add_argument(
        "--retries", default="2", help="retry settings to run, e.g. 2,0 (default: 2, and 0 derived)"
    )
    parser.add_argument(
        "--constrained",
        default="no",
        help="no, yes or yes,no: JSON tool calls under a JSON schema (local backend only)",
    )
    parser.add_argument("--limit", type=int, default=0, help="first N tasks of each kind")
    parser.add_argument(
        "--offset", type=int, default=0, help="skip the first N tasks of each kind (8: half B)"
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=120,
        help="agent.time_budget_s per task; raise it on a loaded machine so that load does "
        "not cut runs short (the figures are greedy, so only the budget depends on speed)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tasks = [json.loads(line) for line in TASKS.read_text().splitlines() if line.strip()]
    if args.limit or args.offset:
        end = args.offset + args.limit if args.limit else None
        calc = [t for t in tasks if t["tool"] == "calculator"][args.offset : end]
        docs = [t for t in tasks if t["tool"] != "calculator"][args.offset : end]
        tasks = calc + docs
    results = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        kb = KnowledgeBase.open(
            Path(tmp) / "kb", models=Models(embedder=make_embedder("bundled-int8"))
        )
        kb.add([ROOT / "samples" / "corpus"])
        for name in args.backends.split(","):
            with backend(name.strip(), stack) as model:
                settings = [int(r) for r in args.retries.split(",")]
                modes = [m.strip() == "yes" for m in args.constrained.split(",")]
                if name.strip() != "local":
                    modes = modes[:1]  # the schema is ignored there: one run is enough
                for constrained in modes:
                    for retries in settings:
                        results.append(
                            run_config(
                                name.strip(),
                                model,
                                kb,
                                tasks,
                                retries,
                                constrained,
                                args.time_budget,
                            )
                        )
                    if settings == [2]:
                        results.append(without_retries(results[-1]))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'backend':8} {'constr':>6} {'retry':>5} {'tasks':>5} {'success':>8} {'tool ok':>8} "
        f"{'answer ok':>9} {'invalid':>7} {'no answer':>9} {'s/task':>7}"
    )
    for r in results:
        retry = "yes" if r["retries"] else "no*" if r.get("derived") else "no"
        print(
            f"{r['backend']:8} {'yes' if r['constrained'] else '-':>6} {retry:>5} {r['tasks']:5d} "
            f"{r['success']:8.0%} {r['tool_ok']:8.0%} {r['answer_ok']:9.0%} "
            f"{r['invalid_calls']:7d} {r['no_answer']:9d} {r['s_per_task']:7.1f}"
        )
    if any(r.get("derived") for r in results):
        print("no*: derived from the greedy run with retries, cut at its first invalid call")


if __name__ == "__main__":
    main()
