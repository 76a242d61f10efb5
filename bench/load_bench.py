"""Load test of `ragkit serve`: N concurrent questions from this (second) process over
loopback, with uploads and deletions racing them, then a check of the index on disk.

By default it starts `ragkit serve` itself on a free port in a temporary folder (real
bundled models), uploads `samples/corpus` into a new collection, and sends the questions
as streaming OpenAI-style requests (`/v1/chat/completions`, `stream: true`) with at most
`--concurrency` in flight. With `--writes N` (default 4) it also re-uploads a changed
file and deletes/re-adds another N times while the questions run. It prints throughput,
p50/p99 latency (to the last byte) and time to first token, and every error; then it
stops the server and opens the collection's index (checksums verified) and runs
`ragkit.index.verify` on it. Against a running server, pass `--url` (and `--api-key`,
and `--data-dir` to verify its index afterwards). Figures only; it asserts nothing and
exits 1 when any request failed or the index did not verify.

    python bench/load_bench.py                      # 32 questions, 8 at a time
    python bench/load_bench.py -n 64 -c 16 --max-tokens 32
    python bench/load_bench.py --url http://127.0.0.1:8321 --data-dir ragkit-data
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "How long is the warranty on the Ember brewing kettle?",
    "When was the Lumen Tea Cooperative founded?",
    "How large must a member's tea garden be?",
    "When do member farms deliver fresh leaf?",
    "Who runs the cooperative today?",
    "What do members pay to join?",
    "How is green tea processed at the drying house?",
    "What is the Wuxi garden known for?",
)


@dataclass
class Result:
    latency: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    writes: int = 0
    write_errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(folder: Path, max_tokens: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env.update(HF_HUB_OFFLINE="1", RAGKIT_LLM__MAX_TOKENS=str(max_tokens))
    log = (folder / "serve.log").open("wb")
    cmd = [sys.executable, "-m", "ragkit", "serve", "--port", str(port), "--data-dir", "data"]
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("ragkit serve exited:\n" + (folder / "serve.log").read_text())
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("ragkit serve did not start in 120 s")


def wait_job(client: httpx.Client, job_id: str) -> dict[str, object]:
    while True:
        job: dict[str, object] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)


def upload(client: httpx.Client, cid: str, files: list[tuple[str, bytes]]) -> dict[str, object]:
    r = client.post(
        f"/api/collections/{cid}/documents", files=[("files", f) for f in files], timeout=120
    )
    r.raise_for_status()
    return wait_job(client, r.json()["job"]["id"])


async def one_question(
    client: httpx.AsyncClient, model: str, question: str, result: Result
) -> None:
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": question}]}
    started = time.perf_counter()
    first: float | None = None
    finished = False
    try:
        async with client.stream("POST", "/v1/chat/completions", json=body) as r:
            if r.status_code != 200:
                result.errors.append(f"HTTP {r.status_code}: {(await r.aread())[:200]!r}")
                return
            async for line in r.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line.removeprefix("data: ")
                if data == "[DONE]":
                    finished = True
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    result.errors.append(f"error event: {chunk['error']['message']}")
                    return
                delta = chunk["choices"][0]["delta"].get("content")
                if delta and first is None:
                    first = time.perf_counter() - started
    except httpx.HTTPError as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
        return
    if not finished:
        result.errors.append("stream ended without [DONE]")
        return
    result.latency.append(time.perf_counter() - started)
    if first is not None:
        result.first_token.append(first)


async def questions(url: str, headers: dict[str, str], model: str, n: int, c: int) -> Result:
    result = Result()
    gate = asyncio.Semaphore(c)
    limits = httpx.Limits(max_connections=c + 4)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=600, limits=limits
    ) as client:

        async def run(i: int) -> None:
            async with gate:
                await one_question(client, model, QUESTIONS[i % len(QUESTIONS)], result)

        await asyncio.gather(*(run(i) for i in range(n)))
    return result


def writes(client: httpx.Client, cid: str, rounds: int, result: Result) -> None:
    """Re-upload a changed note and delete/re-add another while the questions run."""
    for i in range(rounds):
        try:
            note = f"Load note, round {i}: the kettle took {i + 3} minutes to boil.".encode()
            job = upload(client, cid, [("load-note.txt", note)])
            if job["state"] != "done":
                result.write_errors.append(f"upload round {i}: {job.get('message')}")
            extra = upload(client, cid, [("extra.md", f"# Extra {i}\n\nTemporary text.".encode())])
            if extra["state"] != "done":
                result.write_errors.append(f"extra round {i}: {extra.get('message')}")
            d = client.delete(f"/api/collections/{cid}/documents/extra.md", timeout=120)
            if d.status_code != 200:
                result.write_errors.append(f"delete round {i}: HTTP {d.status_code} {d.text}")
            result.writes += 3
        except httpx.HTTPError as exc:
            result.write_errors.append(f"round {i}: {type(exc).__name__}: {exc}")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def verify(index_dir: Path) -> list[str]:
    from ragkit.index.engine import IndexReader
    from ragkit.index.verify import problems, uncommitted

    reader = IndexReader.open(index_dir, verify=True)
    try:
        found = problems(reader)
        rows, folders = uncommitted(index_dir, reader.generation)
        m = reader.manifest
        print(
            f"index {index_dir}: generation {m.generation}, {m.counts.documents} documents, "
            f"{m.counts.chunks} chunks, checksums ok, uncommitted rows {rows}, "
            f"folders {folders}, problems: {'; '.join(found) or 'none'}"
        )
        return found
    finally:
        reader.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--questions", type=int, default=32)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("--writes", type=int, default=4, help="rounds of writes during the load")
    parser.add_argument("--max-tokens", type=int, default=32, help="answer length (own server)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "samples" / "corpus")
    parser.add_argument("--url", help="use this running server instead of starting one")
    parser.add_argument("--api-key", default=os.environ.get("RAGKIT_SERVER__API_KEY"))
    parser.add_argument("--data-dir", type=Path, help="the running server's data folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ragkit-load-"))
    proc = None
    try:
        if args.url:
            url, data_dir = args.url.rstrip("/"), args.data_dir
        else:
            started = time.perf_counter()
            proc, url = start_server(folder, args.max_tokens)
            data_dir = folder / "data"
            print(f"ragkit serve up at {url} in {time.perf_counter() - started:.1f} s")
        headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            cid = client.post("/api/collections", json={"name": "load bench"}).json()["id"]
            files = [(p.name, p.read_bytes()) for p in sorted(args.corpus.iterdir()) if p.is_file()]
            started = time.perf_counter()
            job = upload(client, cid, files)
            print(
                f"indexed {len(files)} files into {cid} in {time.perf_counter() - started:.1f} s "
                f"({job['chunks_total']} chunks embedded; state {job['state']})"
            )
            # One question first, so loading the models is not counted as load.
            asyncio.run(questions(url, headers, cid, 1, 1))
            result = Result()

            async def load() -> float:
                began = time.perf_counter()
                asked, _ = await asyncio.gather(
                    questions(url, headers, cid, args.questions, args.concurrency),
                    asyncio.to_thread(writes, client, cid, args.writes, result),
                )
                result.latency, result.first_token, result.errors = (
                    asked.latency,
                    asked.first_token,
                    asked.errors,
                )
                return time.perf_counter() - began

            wall = asyncio.run(load())
        ok = len(result.latency)
        print(
            f"questions: {args.questions} sent, {args.concurrency} at a time, {ok} answered, "
            f"{len(result.errors)} errors, in {wall:.1f} s -> {ok / wall:.2f} answers/s"
        )
        print(
            f"latency (to last byte): p50 {pct(result.latency, 0.5):.2f} s, "
            f"p99 {pct(result.latency, 0.99):.2f} s, max {max(result.latency, default=0):.2f} s; "
            f"time to first token: p50 {pct(result.first_token, 0.5):.2f} s, "
            f"p99 {pct(result.first_token, 0.99):.2f} s"
        )
        if result.latency:
            print(f"mean latency {statistics.mean(result.latency):.2f} s")
        print(f"writes during the load: {result.writes} done, {len(result.write_errors)} errors")
        for err in result.errors + result.write_errors:
            print("  error:", err)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
    found: list[str] = []
    if data_dir is not None:
        found = verify(Path(data_dir) / "collections" / cid / "index")
    else:
        print("index not verified: pass --data-dir for a running server")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if result.errors or result.write_errors or found else 0


if __name__ == "__main__":
    sys.exit(main())
