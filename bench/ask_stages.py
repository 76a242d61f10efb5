"""Where `ragkit ask`'s time goes, from process start to the first answer byte.

Runs the real CLI command in this process (`ragkit ask QUESTION`, against an existing
index) with timers around its stages and prints one timeline, seconds since the process
started (as the kernel counts it, so Python's own start-up is included): the big imports
(the CLI, the settings, the answer path, llama-cpp-python, onnxruntime), the question
embedder's session, the index opened, the search, the evidence picked
(`select_passages`), the answerability test, the model file loaded (on its own thread),
the prompt evaluated (llama.cpp's `eval` of the prompt's new tokens) and the model's
first piece, the first checked byte on stdout, the end. A stage on another thread than
the main one is marked with that thread's name. Stages overlap (the model loads while
the search runs), so they do not add up. One run is one reading: on a shared machine
run it several times and read the load average it prints.

Timers wrap the library's functions from outside, each once its module is imported (an
import hook), so the run imports what it imports in its own order; nothing in ragkit
changes, and an older checkout can be timed the same way (PYTHONPATH=that checkout).
Leaves out comparisons (bench/ask_latency.py does those).

    ragkit index samples/corpus
    python bench/ask_stages.py "How long is the warranty on the Ember brewing kettle?"
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
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
    thread = threading.current_thread()
    where = "" if thread is threading.main_thread() else f"  [{thread.name}]"
    with LOCK:
        EVENTS.append((time.time() - STARTED, label + where))


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


class _AfterImport(importlib.abc.MetaPathFinder):
    """Marks the import of each module in `hooks` and, once it is executed, calls its
    hook (which wraps the module's functions). Finds nothing itself: the spec is the
    one the other finders give, its loader wrapped."""

    def __init__(self, hooks: dict[str, Callable[[ModuleType], None]]) -> None:
        self.hooks = hooks

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        hook = self.hooks.pop(name, None)
        if hook is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        execute = spec.loader.exec_module
        mark(f"import {name} start")

        def exec_module(module: ModuleType) -> None:
            execute(module)
            hook(module)
            mark(f"import {name} end")

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _kb(module: ModuleType) -> None:
    timed(module.KnowledgeBase, "search", "search")


def _pipelines(module: ModuleType) -> None:
    timed(module, "select_passages", "evidence")
    timed(module, "can_answer", "answerable")


def _engine(module: ModuleType) -> None:
    timed(module.IndexReader, "open", "index open")


def _onnx(module: ModuleType) -> None:
    load = module.OnnxEmbedder._load

    def load_and_mark(self: Any) -> Any:
        if self._session is not None:
            return load(self)
        mark("embedder session start")
        try:
            return load(self)
        finally:
            mark("embedder session end")

    module.OnnxEmbedder._load = load_and_mark


def _llama(module: ModuleType) -> None:
    load_once = module.LlamaCppChatModel._load_once

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
                    mark(f"prompt eval start ({len(tokens)} tokens)")
                result = evaluate(tokens)
                if len(tokens) > 1:
                    mark("prompt eval end")
                return result

            llama.eval = timed_eval
        return llama

    module.LlamaCppChatModel._load_once = load_and_watch
    stream = module.LlamaCppChatModel.stream

    def watched_stream(self: Any, *args: Any, **kwargs: Any) -> Iterator[str]:
        mark("model stream start")
        first = True
        for piece in stream(self, *args, **kwargs):
            if first:
                mark("model first piece")
                first = False
            yield piece

    module.LlamaCppChatModel.stream = watched_stream


def _nothing(module: ModuleType) -> None:
    pass


def main() -> None:
    mark("python running")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hooks: dict[str, Callable[[ModuleType], None]] = {
        "ragkit.config": _nothing,
        "ragkit.wiring": _nothing,
        "ragkit.kb": _kb,
        "ragkit.answer.pipelines": _pipelines,
        "ragkit.index.engine": _engine,
        "ragkit.models.embeddings.onnx": _onnx,
        "ragkit.models.llm.llama_cpp": _llama,
        "llama_cpp": _nothing,
        "onnxruntime": _nothing,
    }
    sys.meta_path.insert(0, _AfterImport(hooks))
    import ragkit.apps.cli as cli  # the CLI's own imports, as `ragkit ask` does them

    mark("cli imported")
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
