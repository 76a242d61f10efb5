"""Where `ragkit ask`'s time goes, from process start to the first answer byte.

Runs the real CLI command in this process (`ragkit ask QUESTION`, against an existing
index) with timers around its stages and prints one timeline, seconds since the process
started (as the kernel counts it, so Python's own start-up is included): imports, the
index opened, the search, the evidence picked (`select_passages`), the answerability
test, the model file loaded (on its own thread), the prompt evaluated (llama.cpp's
`eval` of the prompt's new tokens) and the model's first piece, the first checked byte
on stdout, the end. Stages overlap (the model loads while the search runs), so they do
not add up. One run is one reading: on a shared machine run it several times and read
the load average it prints. Timers wrap the library's functions from outside; nothing
in ragkit changes. Leaves out comparisons (bench/ask_latency.py does those).

    ragkit index samples/corpus
    python bench/ask_stages.py "How long is the warranty on the Ember brewing kettle?"
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any


def _process_start() -> float:
    """`time.time()` when this process started (Linux /proc), else now."""
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


STARTED = _process_start()
EVENTS: list[tuple[float, str]] = []
LOCK = threading.Lock()


def mark(label: str) -> None:
    with LOCK:
        EVENTS.append((time.time() - STARTED, label))


def timed(owner: Any, name: str, label: str) -> None:
    """Wrap `owner.name` so its start and end are marked."""
    inner: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark(f"{label} start")
        try:
            return inner(*args, **kwargs)
        finally:
            mark(f"{label} end")

    setattr(owner, name, wrapper)


def main() -> None:
    mark("python running")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ragkit.apps.cli as cli  # the CLI's own imports, as `ragkit ask` does them

    mark("cli imported")
    import ragkit.answer.pipelines as pipelines
    import ragkit.kb as kb
    from ragkit.models.llm import llama_cpp as local

    mark("answer path imported")
    timed(kb.KnowledgeBase, "search", "search")
    timed(pipelines, "select_passages", "evidence")
    timed(pipelines, "can_answer", "answerable")
    prompt_tokens: list[int] = []
    load_once = local.LlamaCppChatModel._load_once

    def load_and_watch(self: Any) -> Any:
        fresh = self._llama is None
        if fresh:
            mark("model load start")
        llama = load_once(self)
        if fresh:
            mark("model load end")
            evaluate = llama.eval

            def timed_eval(tokens: Any) -> Any:
                # The first eval of an answer is its prompt (less any reused prefix).
                if len(tokens) > 1:
                    prompt_tokens.append(len(tokens))
                    mark(f"prompt eval start ({len(tokens)} tokens)")
                result = evaluate(tokens)
                if len(tokens) > 1:
                    mark("prompt eval end")
                return result

            llama.eval = timed_eval
        return llama

    local.LlamaCppChatModel._load_once = load_and_watch  # type: ignore[method-assign]
    stream = local.LlamaCppChatModel.stream

    def watched_stream(self: Any, *args: Any, **kwargs: Any) -> Iterator[str]:
        mark("model stream start")
        first = True
        for piece in stream(self, *args, **kwargs):
            if first:
                mark("model first piece")
                first = False
            yield piece

    local.LlamaCppChatModel.stream = watched_stream  # type: ignore[assignment]
    write = sys.stdout.write
    written = [False]

    def first_write(text: str) -> int:
        if text and not written[0]:
            written[0] = True
            mark("first answer byte")
        return write(text)

    sys.stdout.write = first_write  # type: ignore[method-assign]
    sys.argv = ["ragkit", "ask", *sys.argv[1:]]
    try:
        cli.main()
    except SystemExit as exit_:
        if exit_.code:
            raise
    finally:
        sys.stdout.write = write  # type: ignore[method-assign]
    mark("end")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    cpu = time.process_time()
    print(f"\n--- stages (s since process start; CPU {cpu:.2f} s; load {load}) ---")
    for at, label in sorted(EVENTS):
        print(f"{at:7.3f}  {label}")


if __name__ == "__main__":
    main()
