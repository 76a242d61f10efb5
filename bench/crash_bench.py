"""Kill real indexing processes at random moments and check the index after every kill.

Each round changes part of a corpus of small .txt files (rewrites ~20%, deletes ~4%,
adds ~4%), starts a writer process on it, SIGKILLs it after a random delay between 0
and the measured length of a whole write (stratified: one delay in each of N equal
slices, in random order, so every stage of a write gets hit), then opens the index
with its checksums verified and classifies what it shows:

- previous state: exactly the chunks, counts and generation from before the round;
- new state: exactly those the changed corpus must give, one generation later;
- CORRUPT: anything else, or an error while opening, checking or searching.

A writer then runs to completion and must roll back the killed one's leftovers and
reach the new state, which the next round starts from.

Prints one line per kill (delay, last stage the writer reported, outcome) and a
summary: kills, how many landed before and after the commit, corrupt states (must be
0), recoveries, total time. Exits with status 1 if any state was corrupt or any
recovery failed. Run from the repository root:

    python bench/crash_bench.py                      # 60 kills, hashing fake embedder
    python bench/crash_bench.py --kills 200 --files 400 --seed 7
    python bench/crash_bench.py --real-model --kills 20

By default the killed process is a small script calling `KnowledgeBase.add` with
`HashingEmbedder(dim=64)` (a write takes one to two seconds). `--real-model` kills
`python -m ragkit index CORPUS --index DIR` with the bundled all-MiniLM-L6-v2
embedder instead: each write then loads the model and takes several seconds.
Everything is written under a temporary folder, removed at the end unless `--keep`.

`--from-stage STAGE` kills at a random moment after the writer reports STAGE (`ingest`,
`embedding`, `vectors`, `commit`), spread over how long the calibration writes took from
there to their end, instead of over the whole process (whose start, the interpreter and
imports, is most of a short write).

`--milvus` puts the knowledge base in Milvus instead (milvus-lite 2.5.1, the real engine,
in a `.db` file in the index folder; the same script as the killed writer). The check
after each kill opens it in this process (milvus-lite opens a file from one process at a
time, so this process lets go of it before every writer starts): `verify` must find
nothing (every visible document has all its chunk rows, files and state agree), the
visible chunks must be exactly those before or after the round, a search must find a
visible chunk and nothing else; rows and tombstones of the killed writer's generation
are counted as its leftovers, and the recovering writer must delete them. A killed
writer's milvus-lite server process outlives it until it notices its parent's lock on
the file is gone; the bench waits for it to exit before opening the file (and reports
the longest wait).

    python bench/crash_bench.py --milvus --kills 30
    python bench/crash_bench.py --milvus --kills 30 --from-stage vectors --files 1000 --change 0.5
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ragkit import Embedder, KnowledgeBase
    from ragkit.index.milvus import MilvusBackend, MilvusReader

# (source, ordinal, text) of every visible chunk, sorted: what a generation shows.
State = tuple[tuple[str, int, str], ...]

# The killed process in the default mode. It records when each stage of the write starts
# (flushed at once, so the lines survive SIGKILL) to tell where a kill landed.
HELPER = r"""
import sys
import time

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.index.progress import NoProgress
from ragkit.options import IndexOptions, Models


class Events(NoProgress):
    def __init__(self, path):
        self.fh = open(path, "a", encoding="utf-8")

    def mark(self, phase):
        self.fh.write(f"{phase} {time.time():.6f}\n")
        self.fh.flush()

    def files_found(self, total):
        self.mark("ingest")

    def embedding(self, total):
        self.mark("embedding")

    def stage(self, name):
        self.mark(name)


events = Events(sys.argv[3])
events.mark("started")
checkpoint = int(sys.argv[4]) if len(sys.argv) > 4 else 0
index = IndexOptions(checkpoint_chunks=checkpoint) if checkpoint else None
backend = None
if len(sys.argv) > 5 and sys.argv[5] == "milvus":
    from pathlib import Path

    from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name

    target = MilvusTarget(str(Path(sys.argv[1]) / "milvus.db"), collection_name("ix"))
    backend = MilvusBackend(target)
kb = KnowledgeBase.open(
    sys.argv[1], models=Models(embedder=HashingEmbedder(dim=64)), index=index, backend=backend
)
kb.add([sys.argv[2]], progress=events)
events.mark("done")
"""


class Inconsistent(Exception):
    """The index disagrees with itself or with both expected states."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise Inconsistent(message)


def check_search(kb: KnowledgeBase, state: State, rng: random.Random) -> None:
    """A search for words of a random visible chunk finds something, and only visible
    chunks."""
    _, _, text = rng.choice(state)
    hits = kb.search(" ".join(text.split()[1:7]), k=5)
    visible = set(state)
    _check(bool(hits), "a search for words of a visible chunk found nothing")
    _check(
        all((h.chunk.source, h.chunk.ordinal, h.chunk.text) in visible for h in hits),
        "a search returned a chunk that is not visible",
    )


def examine(index: Path, kb: KnowledgeBase, rng: random.Random) -> tuple[int, State]:
    """Open the index (checksums verified), check that manifest counts, SQLite rows, FAISS
    ids and BM25 rows agree, run a search, and return (generation, visible state)."""
    from ragkit.index.engine import IndexReader
    from ragkit.index.verify import problems, visible_state

    reader = IndexReader.open(index, verify=True)
    try:
        found = problems(reader, files=True)
        _check(not found, "; ".join(found))
        state = visible_state(reader)
        generation = reader.generation
    finally:
        reader.close()
    check_search(kb, state, rng)
    return generation, state


def checkpoint_state(seen: State, before: State, after: State) -> bool:
    """Whether `seen` is what a checkpoint may show: every file exactly as it was before
    the round or exactly as it is after (never a mix within a file), no chunk twice."""

    def by_file(state: State) -> dict[str, tuple[tuple[int, str], ...]]:
        out: dict[str, list[tuple[int, str]]] = {}
        for source, ordinal, text in state:
            out.setdefault(source, []).append((ordinal, text))
        return {k: tuple(sorted(v)) for k, v in out.items()}

    if len({(s, o) for s, o, _ in seen}) != len(seen):
        return False  # a chunk twice
    s, b, a = by_file(seen), by_file(before), by_file(after)
    return all(s.get(f) in (b.get(f), a.get(f)) for f in set(s) | set(b) | set(a))


def milvus_reader(kb: KnowledgeBase) -> MilvusReader:
    """The reader of a knowledge base in Milvus: its collections, rows and `verify`."""
    from ragkit.index.milvus import MilvusReader

    reader = kb.reader()
    assert isinstance(reader, MilvusReader)
    return reader


def milvus_backend(index: Path) -> MilvusBackend:
    from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name

    return MilvusBackend(MilvusTarget(str(index / "milvus.db"), collection_name("ix")))


def examine_milvus(kb: KnowledgeBase, rng: random.Random) -> tuple[int, State]:
    """`examine` for a knowledge base in Milvus: `verify` finds nothing (each visible
    document has every chunk row its chunk count says, files and state agree), and a
    search finds only visible chunks."""
    reader = milvus_reader(kb)
    found = reader.verify_store()
    _check(not found, "; ".join(found))
    ids = [i for i, _ in reader.store.chunk_ids_and_hashes(reader.generation)]
    state = tuple(sorted((c.source, c.ordinal, c.text) for c in reader.chunks(ids).values()))
    _check(len(state) == reader.manifest.counts.chunks, "state row counts other chunks")
    check_search(kb, state, rng)
    return reader.generation, state


def milvus_uncommitted(kb: KnowledgeBase, gen: int) -> tuple[int, int]:
    """(chunk and file rows, tombstones) of generations after `gen`: a killed writer's."""
    reader = milvus_reader(kb)
    cols = reader.cols
    rows = cols.count(cols.chunks, f"gen > {gen}") + cols.count(cols.files, f"gen > {gen}")
    return rows, sum(1 for _, g in cols.tombstones() if g > gen)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (a writer's milvus-lite server)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def wait_gone(pids: list[int], limit_s: float = 120.0) -> float:
    """Wait until none of `pids` runs any more; how long that took."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        alive = []
        for pid in pids:
            try:
                state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.append(pid)
        if not alive:
            break
        time.sleep(0.05)
    return time.monotonic() - began


@dataclass
class Writer:
    """How to start one write of `corpus` into `index` as a separate process."""

    index: Path
    corpus: Path
    work: Path
    real_model: bool
    checkpoint_chunks: int = 0
    milvus: bool = False

    def command(self, events: Path) -> list[str]:
        if self.real_model:
            # An absolute path with a separator is taken as the index folder itself.
            return [
                *(sys.executable, "-m", "ragkit", "index"),
                *(str(self.corpus), "--index", str(self.index)),
            ]
        helper = self.work / "writer.py"
        if not helper.exists():
            helper.write_text(HELPER, encoding="utf-8")
        return [
            *(sys.executable, str(helper), str(self.index), str(self.corpus), str(events)),
            str(self.checkpoint_chunks),
            *(["milvus"] if self.milvus else []),
        ]

    def start(self, events: Path) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
        env["HF_HUB_OFFLINE"] = "1"
        env["TRANSFORMERS_OFFLINE"] = "1"
        if self.checkpoint_chunks:
            env["RAGKIT_INDEX__CHECKPOINT_CHUNKS"] = str(self.checkpoint_chunks)
        # cwd is the scratch folder so that no ./ragkit.toml changes the CLI's settings.
        return subprocess.Popen(
            self.command(events),
            cwd=self.work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )


def last_stage(events: Path, real_model: bool) -> str:
    if real_model:
        return "-"  # the CLI reports no stages to a file
    if not events.exists():
        return "spawn"
    lines = events.read_text(encoding="utf-8").split()
    return lines[-2] if lines else "spawn"


def stage_time(events: Path, stage: str) -> float:
    """When (wall clock) the write logged in `events` first reported `stage`."""
    lines = events.read_text(encoding="utf-8").splitlines()
    times = [float(t) for name, t in (line.split() for line in lines) if name == stage]
    if not times:
        sys.exit(f"a calibration write never reported stage {stage!r}")
    return times[0]


def wait_stage(events: Path, stage: str, proc: subprocess.Popen[bytes]) -> None:
    """Return once the writer logging to `events` reports `stage`, or has exited."""
    while proc.poll() is None:
        if events.exists() and f"{stage} " in events.read_text(encoding="utf-8"):
            return
        time.sleep(0.005)


def make_embedder(real_model: bool) -> Embedder:
    if real_model:
        from ragkit.models.embeddings import make_embedder as bundled

        return bundled("bundled")
    from ragkit import HashingEmbedder

    return HashingEmbedder(dim=64)


def main() -> int:
    from ragkit.index.verify import uncommitted
    from ragkit.testing import ChangingCorpus, ExpectedState

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=60, help="processes to kill (default 60)")
    parser.add_argument("--files", type=int, default=300, help="corpus files (default 300)")
    parser.add_argument(
        "--change", type=float, default=0.2, help="share of files rewritten per round"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--real-model",
        action="store_true",
        help="kill `python -m ragkit index` with the bundled embedder (slower)",
    )
    parser.add_argument(
        "--checkpoint-chunks",
        type=int,
        default=0,
        help="writers commit a checkpoint generation every N chunks (0: the default, "
        "which a round of this size never reaches); kills then also land between "
        "checkpoints, whose states must be whole files of before or after",
    )
    parser.add_argument(
        "--milvus",
        action="store_true",
        help="the knowledge base in Milvus (milvus-lite .db file) instead of a folder",
    )
    parser.add_argument(
        "--from-stage",
        default="",
        help="kill only from when a write reaches this stage on (e.g. vectors: the writer "
        "inserting its rows), measured on the calibration writes; not with --real-model",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    if args.from_stage and args.real_model:
        parser.error("--from-stage needs the stages the script reports, not --real-model")
    if args.milvus and (args.real_model or args.checkpoint_chunks):
        parser.error(
            "--milvus kills the hashing-embedder script; Milvus writes have no checkpoints"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ragkit import KnowledgeBase, Models
    from ragkit.options import IndexOptions

    began = time.monotonic()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="ragkit-crash-"))
    index = work / "ix"
    corpus = ChangingCorpus(work / "docs", args.seed, args.files)
    expected_state = ExpectedState()
    writer = Writer(
        index, corpus.root, work, args.real_model, args.checkpoint_chunks, milvus=args.milvus
    )
    options = IndexOptions(checkpoint_chunks=args.checkpoint_chunks or 20_000)

    def open_kb() -> KnowledgeBase:
        return KnowledgeBase.open(
            index,
            models=Models(embedder=make_embedder(args.real_model)),
            index=options,
            backend=milvus_backend(index) if args.milvus else None,
        )

    # The local index stays open throughout; a milvus-lite file is opened for each look
    # and closed again, so that the writer process can open it.
    kb = None if args.milvus else open_kb()

    @contextmanager
    def opened() -> Iterator[KnowledgeBase]:
        """For one look or write: the local index held open, or the milvus-lite file
        opened for this alone."""
        if kb is not None:
            yield kb
            return
        with open_kb() as fresh:
            yield fresh

    def look() -> tuple[int, State]:
        with opened() as now:
            return examine_milvus(now, rng) if args.milvus else examine(index, now, rng)

    def write_all() -> None:
        with opened() as now:
            now.add([corpus.root])

    def leftovers(gen: int) -> tuple[int, int]:
        with opened() as now:
            return milvus_uncommitted(now, gen) if args.milvus else uncommitted(index, gen)

    what = "in Milvus (milvus-lite)" if args.milvus else "in a folder"
    print(f"scratch folder {work}; corpus {args.files} files, indexed {what}; killed process:")
    print("  " + " ".join(writer.command(work / "events")))
    write_all()
    state = expected_state(corpus.root)

    # Writes run to completion measure how long a whole write process takes; the median
    # of three, because the first start of an interpreter reads its files cold.
    durations: list[float] = []
    spans: list[float] = []  # from a write's `--from-stage` report to its end
    for n in range(3):
        corpus.mutate(args.change)
        started = time.monotonic()
        proc = writer.start(work / f"calibrate-{n}")
        _, err = proc.communicate()
        durations.append(time.monotonic() - started)
        if args.from_stage:
            log = work / f"calibrate-{n}"
            spans.append(stage_time(log, "done") - stage_time(log, args.from_stage))
        if proc.returncode != 0:
            print(err.decode(errors="replace")[-3000:], file=sys.stderr)
            return 1
        state = expected_state(corpus.root)
        generation, seen = look()
        if seen != state:
            print("a write run to completion did not reach the expected state", file=sys.stderr)
            return 1
    full = sorted(durations)[1]
    if spans:
        # Kills are timed from the moment the writer reports the stage: under a varying
        # load a write's start (the interpreter, imports, milvus-lite) varies more than
        # the whole of what follows the stage.
        full = sorted(spans)[1]
        print(
            f"a write takes {full:.2f} s from stage {args.from_stage} to its end; killing ", end=""
        )
        print(f"at random moments within that after the writer reports {args.from_stage}\n")
    else:
        print(f"a whole write takes {full:.2f} s; killing at random moments within that\n")

    delays = [full * (i + rng.random()) / args.kills for i in range(args.kills)]
    rng.shuffle(delays)
    outcomes: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    debris = recovered = 0
    orphan_wait = 0.0  # the longest a killed writer's milvus-lite server outlived it
    for n, delay in enumerate(delays, 1):
        before, base = state, generation
        corpus.mutate(args.change)
        after = expected_state(corpus.root)
        log = work / f"events-{n}"
        proc = writer.start(log)
        if args.from_stage:
            wait_stage(log, args.from_stage, proc)
        time.sleep(delay)
        exited = proc.poll() is not None
        servers = [] if exited else descendants(proc.pid)
        if not exited:
            proc.kill()  # SIGKILL: nothing in the writer gets to clean up
        _, err = proc.communicate()
        orphan_wait = max(orphan_wait, wait_gone(servers))
        stage = last_stage(log, args.real_model)
        stages[stage] += 1
        detail = ""
        try:
            if exited and proc.returncode != 0:
                raise Inconsistent(f"writer failed: {err.decode(errors='replace')[-300:]}")
            generation, seen = look()
            if seen == before and generation == base:
                rows, folders = leftovers(base)
                debris += rows + folders > 0
                outcome = "previous state"
                left = "tombstones" if args.milvus else "folders"
                detail = f" (left {rows} rows, {folders} {left} to roll back)"
            elif seen == after and generation >= base + 1:
                outcome = "new state (writer had exited)" if exited else "new state"
            elif generation > base and checkpoint_state(seen, before, after):
                outcome = "checkpoint state"
            else:
                outcome = "CORRUPT"
                detail = f" (generation {generation}, {len(seen)} chunks: a mix)"
        except Exception as exc:
            outcome = "CORRUPT"
            detail = f" ({type(exc).__name__}: {exc})"
        outcomes[outcome] += 1
        print(
            f"kill {n:3d}/{args.kills}  delay {delay:5.2f} s  stage {stage:<10} {outcome}{detail}",
            flush=True,
        )

        # A write run to completion must roll back the leftovers and reach the new state.
        try:
            write_all()
            generation, seen = look()
            if seen == after and generation >= base + 1 and leftovers(generation) == (0, 0):
                recovered += 1
            else:
                print(f"    recovery reached generation {generation}, not the new state")
        except Exception as exc:
            print(f"    recovery failed: {type(exc).__name__}: {exc}")
            break
        state = after

    kills = sum(outcomes.values())
    corrupt = outcomes["CORRUPT"]
    after_commit = outcomes["new state"]
    gone = outcomes["new state (writer had exited)"]
    left = "rows/tombstones" if args.milvus else "rows/folders"
    print()
    print(f"kills                   {kills}")
    print(f"landed before commit    {outcomes['previous state']}  ({debris} left {left})")
    print(f"landed between commits  {outcomes['checkpoint state']}  (a checkpoint: whole files)")
    print(f"landed after commit     {after_commit + gone}  ({gone} after the writer exited)")
    print(f"corrupt states          {corrupt}")
    print(f"recovered to new state  {recovered}/{kills}")
    print(f"last stage reached      {', '.join(f'{k} {v}' for k, v in stages.most_common())}")
    if args.from_stage:
        print(f"{args.from_stage + ' to end':<24}{full:.2f} s")
    else:
        print(f"whole write             {full:.2f} s")
    if args.milvus:
        print(f"killed server outlived  {orphan_wait:.2f} s at most (milvus-lite)")
    print(f"total time              {time.monotonic() - began:.1f} s")
    if kb is not None:
        kb.close()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if corrupt or recovered != kills or kills != args.kills else 0


if __name__ == "__main__":
    sys.exit(main())
