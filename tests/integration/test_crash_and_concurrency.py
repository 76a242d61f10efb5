"""Crash safety and concurrency of index writes, with real processes and real files.

- A writer process SIGKILLed at a random moment leaves the index readable (checksums
  verified) in exactly its previous state or exactly the next one, never a mix, and the
  next writer rolls back the leftovers and reaches the next state.
- One writer at a time: a second writer fails at once with `wait=False` and waits its
  turn with `wait=True`.
- A reader never fails and never sees a mix of generations while a writer process
  commits one generation after another.

Writers run as subprocesses of a helper script written to tmp_path, with the hashing
fake embedder so that a write takes a second or two. The expected state of a corpus is
computed from its files with ragkit's loader and chunker, independently of the index.
bench/crash_bench.py runs the crash test at a larger scale.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from ceilings import HANG_S

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.index.engine import IndexReader
from ragkit.index.manifest import read_manifest
from ragkit.index.milvus import AnyReader
from ragkit.index.verify import State, problems, uncommitted, visible_state
from ragkit.options import Models
from ragkit.testing import ChangingCorpus, ExpectedState
from ragkit.types import SearchMode

pytestmark = pytest.mark.slow(
    reason="dozens of writer subprocesses, killed at random moments and raced"
)

DIM = 64
# Kills at random moments of a write, from the moment the writer holds the lock to its
# last step ("done"). Before the lock an interpreter starts and the index is only read,
# after "done" the process exits: the kills paused at "locked" and at "done" cover those
# (counted from the process start to the exit, 9 and 13 of 20 kills landed before the
# lock in two runs at load 10-14, one or none during the embedding or the commit).
KILLS = 12
Procs = list[subprocess.Popen[str]]


HELPER = r'''
"""Test helper: index paths (or a series of corpus snapshots) into an index in this
process, appending "phase wall-time" lines to an events file as the write goes on."""

import json
import sys
import time
from pathlib import Path

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.index.lock import IndexBusyError
from ragkit.index.progress import NoProgress
from ragkit.options import IndexOptions, Models


def seen(path, phase):
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    return any(line.split()[:1] == [phase] for line in lines)


class Events(NoProgress):
    """An IndexProgress that records when each stage starts. Lines are flushed at once
    so that they survive a SIGKILL.

    `hold_until` ([events file, phase] pairs) keeps the lock, once taken, until other
    writers have logged those phases: the test then knows they met the held lock, however
    slowly they started. `pause_at` stops the write for good when it reaches that phase,
    for the test to kill it exactly there."""

    def __init__(self, path, hold_until, pause_at, hang):
        self.fh = open(path, "a", encoding="utf-8")
        self.hold_until = hold_until
        self.pause_at = pause_at
        self.hang = hang

    def mark(self, phase):
        self.fh.write(f"{phase} {time.time():.6f}\n")
        self.fh.flush()
        if phase == self.pause_at:
            self.mark("paused")
            time.sleep(self.hang)
            sys.exit(f"paused at {phase!r} for {self.hang} s and nobody killed the writer")

    def files_found(self, total):
        self.mark("locked")  # called inside the write session, so the lock is held
        deadline = time.monotonic() + self.hang
        for path, phase in self.hold_until:
            while not seen(path, phase):
                if time.monotonic() > deadline:
                    sys.exit(f"held the lock {self.hang} s and {path} never logged {phase!r}")
                time.sleep(0.02)

    def embedding(self, total):
        self.mark("embedding")

    def stage(self, name):
        self.mark(name)

    def waiting(self, message):
        self.mark("waiting")


def sync(src, dst):
    """Make dst hold exactly src's files, leaving identical files untouched so that the
    writer sees them unchanged."""
    wanted = {p.name for p in src.iterdir()}
    for path in dst.iterdir():
        if path.name not in wanted:
            path.unlink()
    for name in sorted(wanted):
        data = (src / name).read_bytes()
        target = dst / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)


def main():
    cfg = json.loads(sys.argv[1])
    events = Events(cfg["events"], cfg.get("hold_until", []), cfg.get("pause_at"), cfg["hang"])
    events.mark("start")
    checkpoint = cfg.get("checkpoint_chunks")
    kb = KnowledgeBase.open(
        cfg["index"],
        models=Models(embedder=HashingEmbedder(dim=cfg["dim"])),
        index=IndexOptions(checkpoint_chunks=checkpoint) if checkpoint else None,
    )
    try:
        if "snapshots" in cfg:
            corpus = Path(cfg["corpus"])
            for snapshot in cfg["snapshots"]:
                sync(Path(snapshot), corpus)
                kb.add([corpus], progress=events, wait=cfg.get("wait", True))
                events.mark("added")
        else:
            kb.add(cfg["paths"], progress=events, wait=cfg.get("wait", True))
    except IndexBusyError as exc:
        events.mark("busy")
        print(f"{type(exc).__name__}: {exc}", flush=True)
        sys.exit(3)
    events.mark("done")


main()
'''


# --- corpus and expected states ------------------------------------------------------
@contextmanager
def opened(index: Path) -> Iterator[IndexReader]:
    """A freshly opened reader, its checksums verified."""
    reader = IndexReader.open(index, verify=True)
    try:
        yield reader
    finally:
        reader.close()


def check_generation(index: Path, reader: AnyReader, files: bool) -> State:
    """Assert that one opened generation agrees with itself and return its visible
    state. `files` also compares the ids inside the generation's files, which only works
    while no writer may delete them."""
    assert isinstance(reader, IndexReader), type(reader)  # the on-disk engine, never Milvus
    assert problems(reader, files=files) == []
    state = visible_state(reader)
    assert len({source for source, _, _ in state}) == reader.manifest.counts.documents
    return state


def check_search(kb: KnowledgeBase, state: State, rng: random.Random, mode: SearchMode) -> None:
    """A search for words of a visible chunk finds hits, all of them visible chunks."""
    _, _, text = rng.choice(state)
    words = text.split()
    start = rng.randrange(max(1, len(words) - 6))
    hits = kb.search(" ".join(words[start : start + 6]), k=5, mode=mode)
    assert hits
    visible = set(state)
    assert all((h.chunk.source, h.chunk.ordinal, h.chunk.text) in visible for h in hits)


def describe_mix(state: State, before: State, after: State) -> str:
    seen, b, a = set(state), set(before), set(after)
    return (
        f"visible state is neither the previous nor the next one: {len(seen)} chunks, "
        f"{len(seen - b)} not in the previous state, {len(b - seen)} of it missing, "
        f"{len(seen - a)} not in the next state, {len(a - seen)} of it missing"
    )


def hashing_kb(index: Path) -> KnowledgeBase:
    """The index opened in this process with the hashing fake the writers use."""
    return KnowledgeBase.open(index, models=Models(embedder=HashingEmbedder(dim=DIM)))


def crash_corpus(tmp_path: Path, seed: int) -> tuple[Path, ChangingCorpus]:
    """Where the crash tests' index goes (`ix`, not made yet) and the 200 small files
    they index, changed between writes by `mutate`."""
    return tmp_path / "ix", ChangingCorpus(tmp_path / "docs", seed=seed, files=200)


@pytest.fixture
def expected_state() -> ExpectedState:
    return ExpectedState()


def stratified_delays(full: float, kills: int, rng: random.Random) -> list[float]:
    """One random delay in each of `kills` equal slices of [0, full], shuffled, so that
    every stage of a write of length `full`, the exit included, gets killed in some
    iteration."""
    delays = [full * (i + rng.random()) / kills for i in range(kills)]
    rng.shuffle(delays)
    return delays


# --- processes -----------------------------------------------------------------------
def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env["HF_HUB_OFFLINE"] = "1"
    return env


@pytest.fixture
def helper(tmp_path: Path) -> Path:
    path = tmp_path / "writer_helper.py"
    path.write_text(HELPER, encoding="utf-8")
    return path


def spawn(helper: Path, **cfg: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(helper), json.dumps({"dim": DIM, "hang": HANG_S, **cfg})],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )


def finish(proc: subprocess.Popen[str], timeout: float = HANG_S) -> str:
    """Wait for a helper that must succeed; return its stdout."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"writer failed ({proc.returncode}):\n{err[-3000:]}"
    return out


def timed_write(helper: Path, events_file: Path, **cfg: Any) -> float:
    """Seconds one unkilled writer process takes from taking the lock to its last step."""
    finish(spawn(helper, events=str(events_file), **cfg))
    logged = events(events_file)
    return first(logged, "done") - first(logged, "locked")


def events(path: Path) -> list[tuple[str, float]]:
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return [(phase, float(t)) for phase, t in rows]


def first(evs: list[tuple[str, float]], phase: str) -> float:
    times = [t for p, t in evs if p == phase]
    assert times, f"no {phase!r} event in {evs}"
    return times[0]


def wait_for_event(path: Path, phase: str, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(p == phase for p, _ in events(path)):
        assert proc.poll() is None, f"writer exited before {phase!r}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no {phase!r} event within {timeout} s"
        time.sleep(0.02)


@pytest.fixture
def reaper() -> Iterator[Procs]:
    """Processes a test started; any still running when it ends (a failed test) are killed."""
    procs: Procs = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


# --- a. crash safety -----------------------------------------------------------------
def test_killed_writer_leaves_previous_or_next_state(
    tmp_path: Path, helper: Path, reaper: Procs, expected_state: ExpectedState
) -> None:
    rng = random.Random(20240611)
    index, corpus = crash_corpus(tmp_path, seed=1)
    writer, searcher = hashing_kb(index), hashing_kb(index)
    writer.add([corpus.root])

    # One unkilled run measures how long a write takes, from the lock to its last step.
    corpus.mutate()
    full = timed_write(helper, tmp_path / "e", index=str(index), paths=[str(corpus.root)])
    before = expected_state(corpus.root)
    with opened(index) as reader:
        assert check_generation(index, reader, files=True) == before

    delays = stratified_delays(full, KILLS, rng)
    # How far a delay gets depends on the machine's load at that moment, so three more
    # writers stop at a stage and are killed there: before anything was written, at the
    # commit (a new generation written beside the current one), and after the commit.
    kills: list[float | str] = [*delays, "locked", "commit", "done"]
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    debris = 0
    for n, when in enumerate(kills):
        base = read_manifest(index).generation
        corpus.mutate()
        after = expected_state(corpus.root)
        log = tmp_path / f"events-{n}"
        paused = {"pause_at": when} if isinstance(when, str) else {}
        proc = spawn(helper, index=str(index), paths=[str(corpus.root)], events=str(log), **paused)
        reaper.append(proc)
        if isinstance(when, str):
            wait_for_event(log, "paused", proc, timeout=HANG_S)
        else:
            wait_for_event(log, "locked", proc, timeout=HANG_S)
            time.sleep(when)
        finished = proc.poll() is not None
        if not finished:
            proc.kill()  # SIGKILL: no cleanup handler runs
        _, err = proc.communicate()
        if finished:
            assert proc.returncode == 0, err[-3000:]
        evs = events(log)
        phases[evs[-1][0] if evs else "spawn"] += 1

        with opened(index) as reader:
            state = check_generation(index, reader, files=True)
            if state == before:
                assert reader.generation == base
                outcome = "before commit"
                rows, folders = uncommitted(index, base)
                debris += rows + folders > 0
                assert when != "done", "the writer paused after its commit left the old state"
            elif state == after:
                assert when not in ("locked", "commit"), f"the writer paused at {when!r} committed"
                assert reader.generation == base + 1
                outcome = "finished" if finished else "after commit"
            else:
                pytest.fail(f"kill {n} at {when}: {describe_mix(state, before, after)}")
            check_search(searcher, state, rng, ("hybrid", "dense", "bm25")[n % 3])
            assert searcher.reader().generation == reader.generation
        outcomes[outcome] += 1

        # The next writer rolls back what the killed one left and reaches the next state.
        writer.add([corpus.root])
        with opened(index) as reader:
            assert check_generation(index, reader, files=True) == after
            assert reader.generation == base + 1
        assert uncommitted(index, base + 1) == (0, 0)
        before = after

    print(
        f"\nfull write {full:.2f} s; outcomes {dict(outcomes)}; last stage reached {dict(phases)}"
    )
    print(f"kills that left uncommitted rows or folders behind: {debris}")
    assert sum(outcomes.values()) == len(kills)
    assert outcomes["before commit"] > 0 and debris > 0
    assert outcomes["after commit"] > 0


# --- b. one writer at a time ---------------------------------------------------------
def whole_files_of(state: State, before: State, after: State) -> bool:
    """A checkpoint's state: each file exactly as before or exactly as after the round
    (never a mix within a file), and no chunk twice."""

    def by_file(st: State) -> dict[str, list[tuple[int, str]]]:
        out: dict[str, list[tuple[int, str]]] = {}
        for source, ordinal, text in st:
            out.setdefault(source, []).append((ordinal, text))
        return {k: sorted(v) for k, v in out.items()}

    if len({(s, o) for s, o, _ in state}) != len(state):
        return False
    s, b, a = by_file(state), by_file(before), by_file(after)
    return all(s.get(f) in (b.get(f), a.get(f)) for f in set(s) | set(b) | set(a))


def test_kills_during_a_multi_checkpoint_build_leave_whole_checkpoints(
    tmp_path: Path, helper: Path, reaper: Procs, expected_state: ExpectedState
) -> None:
    rng = random.Random(15)
    index, corpus = crash_corpus(tmp_path, seed=3)
    writer = hashing_kb(index)
    writer.add([corpus.root])
    cfg = {"index": str(index), "paths": [str(corpus.root)], "checkpoint_chunks": 12}

    corpus.mutate(0.4)
    full = timed_write(helper, tmp_path / "e", **cfg)
    assert read_manifest(index).generation > 3  # that write committed checkpoints
    before = expected_state(corpus.root)

    # Counted from the lock, as in the test above: none is spent on a starting interpreter.
    kills = 7
    delays = stratified_delays(full, kills, rng)
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    for n, delay in enumerate(delays):
        base = read_manifest(index).generation
        corpus.mutate(0.4)
        after = expected_state(corpus.root)
        log = tmp_path / f"events-{n}"
        proc = spawn(helper, events=str(log), **cfg)
        reaper.append(proc)
        wait_for_event(log, "locked", proc, timeout=HANG_S)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.kill()
        _, err = proc.communicate()
        if finished:
            assert proc.returncode == 0, err[-3000:]
        phases[events(log)[-1][0]] += 1
        with opened(index) as reader:
            state = check_generation(index, reader, files=True)
            if state == before and reader.generation == base:
                outcomes["before the first checkpoint"] += 1
            elif state == after:
                outcomes["after the last commit"] += 1
            else:
                # A checkpoint: no mixed file, no chunk twice, nothing committed lost.
                assert reader.generation > base
                assert whole_files_of(state, before, after), describe_mix(state, before, after)
                outcomes["at a checkpoint"] += 1
            check_search(writer, state, rng, ("hybrid", "dense", "bm25")[n % 3])
            committed = set(state) & set(after)
        # The next run carries on from the checkpoint: committed chunks stay, none twice.
        report = writer.add([corpus.root])
        assert report.chunks_added <= len(set(after) - committed)
        with opened(index) as reader:
            assert check_generation(index, reader, files=True) == after
        assert uncommitted(index, read_manifest(index).generation) == (0, 0)
        before = after
    print(f"\nfull write {full:.2f} s; outcomes {dict(outcomes)}; last stage {dict(phases)}")
    assert sum(outcomes.values()) == kills


def test_second_writer_fails_without_wait_and_queues_with_wait(
    tmp_path: Path, helper: Path, reaper: Procs, expected_state: ExpectedState
) -> None:
    index = tmp_path / "ix"
    first_docs = ChangingCorpus(tmp_path / "first", seed=2, files=100)
    second_docs = ChangingCorpus(tmp_path / "second", seed=3, files=10)
    log_a, log_b, log_c = (tmp_path / f"events-{x}" for x in "abc")
    # The first writer keeps the lock until the second has given up and the third waits:
    # both are known to have met the held lock, however slowly their interpreters start.
    proc_a = spawn(
        helper,
        index=str(index),
        paths=[str(first_docs.root)],
        events=str(log_a),
        hold_until=[[str(log_b), "busy"], [str(log_c), "waiting"]],
    )
    reaper.append(proc_a)
    wait_for_event(log_a, "locked", proc_a, timeout=HANG_S)
    proc_b = spawn(
        helper, index=str(index), paths=[str(second_docs.root)], events=str(log_b), wait=False
    )
    proc_c = spawn(helper, index=str(index), paths=[str(second_docs.root)], events=str(log_c))
    reaper.extend([proc_b, proc_c])

    out_b, err_b = proc_b.communicate(timeout=HANG_S)
    assert proc_b.returncode == 3, f"no IndexBusyError from a writer with wait=False:\n{err_b}"
    assert out_b.startswith("IndexBusyError: ")
    assert str(index) in out_b and "another process" in out_b
    finish(proc_a)
    finish(proc_c)

    a, b, c = events(log_a), events(log_b), events(log_c)
    committed_a = first(a, "commit")
    # The busy writer gave up while the first one was still writing, without waiting.
    assert first(a, "locked") < first(b, "busy") < committed_a
    assert not any(p in {"waiting", "locked"} for p, _ in b)
    # The waiting writer started waiting during the first write and got the lock after it.
    assert first(c, "waiting") < committed_a < first(c, "locked")
    with opened(index) as reader:
        assert reader.generation == 2
        state = check_generation(index, reader, files=True)
    assert state == tuple(
        sorted(expected_state(first_docs.root) + expected_state(second_docs.root))
    )


def test_writer_that_indexed_nothing_leaves_a_waiting_writer_alone(
    tmp_path: Path, helper: Path, reaper: Procs, expected_state: ExpectedState
) -> None:
    index = tmp_path / "ix"  # does not exist yet: the first writer creates it
    empty = tmp_path / "empty"
    empty.mkdir()
    docs = ChangingCorpus(tmp_path / "docs", seed=5, files=20)
    log_a, log_b = tmp_path / "events-a", tmp_path / "events-b"
    # The first writer finds nothing to index, and keeps the lock until the second one
    # waits for it (as during a long scan of a folder of unsupported files).
    proc_a = spawn(
        helper,
        index=str(index),
        paths=[str(empty)],
        events=str(log_a),
        hold_until=[[str(log_b), "waiting"]],
    )
    reaper.append(proc_a)
    wait_for_event(log_a, "locked", proc_a, timeout=HANG_S)
    proc_b = spawn(helper, index=str(index), paths=[str(docs.root)], events=str(log_b))
    reaper.append(proc_b)
    finish(proc_a)
    _, err_b = proc_b.communicate(timeout=HANG_S)
    assert first(events(log_b), "waiting") < first(events(log_a), "done")
    # The second writer must not notice that the first one gave up.
    assert proc_b.returncode == 0, err_b[-1500:]
    with opened(index) as reader:
        assert check_generation(index, reader, files=True) == expected_state(docs.root)


# --- c. readers during writes --------------------------------------------------------
def test_reader_never_fails_or_sees_a_mix_while_generations_are_committed(
    tmp_path: Path, helper: Path, reaper: Procs, expected_state: ExpectedState
) -> None:
    rng = random.Random(7)
    rounds = 4
    index = tmp_path / "ix"
    source = ChangingCorpus(tmp_path / "source", seed=4, files=160)
    live = tmp_path / "docs"
    snapshots = [source.snapshot(tmp_path / "snap-0")]
    for n in range(1, rounds + 1):
        source.mutate(change=0.3)
        snapshots.append(source.snapshot(tmp_path / f"snap-{n}"))
    shutil.copytree(snapshots[0], live)
    hashing_kb(index).add([live])
    base = read_manifest(index).generation
    # Generation base + n must show exactly snapshot n, wherever the files of its
    # snapshot were copied from.
    expected = {base + n: expected_state(snap, as_folder=live) for n, snap in enumerate(snapshots)}
    visible = {gen: set(state) for gen, state in expected.items()}

    kb = hashing_kb(index)
    first_reader = kb.retriever().reader  # read before the writer starts
    assert check_generation(index, first_reader, files=False) == expected[base]
    checked: set[int] = {base}
    proc = spawn(
        helper,
        index=str(index),
        corpus=str(live),
        snapshots=[str(s) for s in snapshots[1:]],
        events=str(tmp_path / "events"),
    )
    reaper.append(proc)
    modes: tuple[SearchMode, ...] = ("hybrid", "dense", "bm25")
    searches = opens = 0
    started = time.monotonic()
    # Read until the writer is done, and for at least a few seconds; the last round
    # starts after the writer exited, so both the first and the last generation are read.
    writing = True
    while writing:
        writing = proc.poll() is None or time.monotonic() - started < 3
        # A new retriever reopens the reader when a commit happened.
        retriever = kb.retriever(kb.search_options.with_(k=5, mode=modes[searches % 3]))
        gen = retriever.reader.generation
        assert gen in expected, f"generation {gen} was never committed"
        if gen not in checked:
            assert check_generation(index, retriever.reader, files=False) == expected[gen]
            checked.add(gen)
        _, _, text = rng.choice(expected[gen])
        words = text.split()
        start = rng.randrange(max(1, len(words) - 6))
        hits = retriever.search(" ".join(words[start : start + 6]))
        searches += 1
        for hit in hits:
            key = (hit.chunk.source, hit.chunk.ordinal, hit.chunk.text)
            assert key in visible[gen], f"generation {gen} returned a chunk it never held: {key}"
        if searches % 5 == 0:
            # A fresh open at any moment sees one whole generation too.
            with opened(index) as reader:
                state = check_generation(index, reader, files=False)
                assert state == expected[reader.generation]
            opens += 1
    finish(proc)
    print(f"\n{searches} searches, {opens} fresh opens, generations seen: {sorted(checked)}")
    assert len(checked) > 1
    assert read_manifest(index).generation == base + rounds
    with hashing_kb(index) as fresh:
        assert fresh.reader().generation == base + rounds
        check_search(fresh, expected[base + rounds], rng, "hybrid")


def test_reader_opened_during_a_commit_notices_that_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.txt").write_text("The kettle warranty lasts eighteen months.")
    index = tmp_path / "ix"
    writer = hashing_kb(index)
    writer.add([docs])
    real_read = read_manifest  # the function IndexReader.open calls
    committed: list[bool] = []

    def read_then_commit(index_dir: Path, upgrade: bool = False) -> Any:
        manifest = real_read(index_dir, upgrade)
        if not committed:
            # Another writer commits right after the reader has read the manifest: in a
            # real deployment this is a writer process finishing during an open.
            committed.append(True)
            (docs / "teapot.txt").write_text("A porcelain teapot keeps green tea warm.")
            writer.add([docs])
        return manifest

    monkeypatch.setattr("ragkit.index.engine.read_manifest", read_then_commit)
    kb = hashing_kb(index)
    assert kb.reader().generation == 1  # what it read: fine, it was current a moment ago
    assert read_manifest(index).generation == 2
    # Any later call must notice the commit; this one keeps serving generation 1.
    assert kb.reader().generation == 2
    assert any(h.chunk.source.endswith("teapot.txt") for h in kb.search("porcelain teapot"))
