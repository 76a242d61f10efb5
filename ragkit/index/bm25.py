"""`bm25/`: the lexical index of one generation, kept in segments so that a small
change writes a small file.

Each segment is an immutable postings matrix over some chunks: per term (column) the
rows of the chunks holding it and the term's frequency there, plus each row's chunk id
and length in terms, as NumPy arrays (`np.save`, no pickle) and the terms as a JSON list.
A generation has at most two segments: a large one, reused from generation to generation
as a hard link (never rewritten), and a small one that each commit rebuilds from the
previous small segment's live rows plus the new chunks. Removed chunks of the large
segment are masked by a per-generation list of its deleted rows. When the small segment
plus the masked rows pass `merge_ratio` of the large segment's live rows, or on
`ragkit repair`, everything is merged into one segment again.

Scores are Lucene's BM25 (k1 1.2, b 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)))
computed at query time from the stored frequencies, with N, df and the average length
counted over the live rows of all segments: a segmented index ranks exactly as one built
in a single piece (tests/unit/test_segments.py), ties broken by chunk id.
Leaves out phrase queries, other BM25 variants and more than two tiers of segments.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ragkit.index.manifest import BM25Layout, BM25Segment

BM25_DIR = "bm25"
K1 = 1.2
B = 0.75
_ARRAYS = ("ids", "lengths", "indptr", "rows", "tf")
TERMS = "terms.json"


def segment_name(generation: int) -> str:
    """Each generation creates at most one segment, so its number names it."""
    return f"seg-{generation:06d}"


def deleted_file(name: str) -> str:
    return f"{name}.deleted.npy"


@dataclass(frozen=True)
class Postings:
    """One segment's arrays, in memory or memory-mapped. Rows are in ascending chunk id;
    column `c` (term `terms[c]`) has its postings at `indptr[c]:indptr[c + 1]` of `rows`
    and `tf`, rows ascending."""

    ids: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int32]
    terms: list[str]
    indptr: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]
    tf: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, ids: Sequence[int], token_lists: Sequence[list[str]]) -> Postings:
        """Postings of chunks given as (id, terms); empty-string terms are ignored."""
        id_array = np.asarray(ids, dtype=np.int64)
        order = np.argsort(id_array, kind="stable")
        id_array = id_array[order]
        lists = [[t for t in token_lists[i] if t] for i in order.tolist()]
        n = len(lists)
        vocab: dict[str, int] = {}
        lengths = np.fromiter((len(t) for t in lists), dtype=np.int32, count=n)
        cols = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for tokens in lists for t in tokens),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        if n == 0 or len(cols) == 0:
            return cls(
                id_array, lengths, [], np.zeros(1, np.int64), _i32([]), np.zeros(0, np.float32)
            )
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # One key per (term, row): sorting them groups postings by term, rows ascending,
        # and their multiplicity is the term frequency.
        keys, counts = np.unique(cols * n + rows, return_counts=True)
        key_cols = keys // n
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_cols, minlength=len(vocab)), out=indptr[1:])
        return cls(
            id_array,
            lengths,
            list(vocab),
            indptr,
            (keys % n).astype(np.int32),
            counts.astype(np.float32),
        )

    @classmethod
    def merge(cls, parts: Sequence[tuple[Postings, npt.NDArray[np.bool_]]]) -> Postings:
        """One segment of the live rows (`mask` True) of `parts`, whose chunk ids must
        ascend from part to part. No sort: each posting's place follows from counts."""
        vocab: dict[str, int] = {}
        remaps = [
            np.fromiter((vocab.setdefault(t, len(vocab)) for t in p.terms), np.int64, len(p.terms))
            for p, _ in parts
        ]
        totals = np.zeros(len(vocab), dtype=np.int64)
        pieces = []
        offset = 0
        for (part, live), remap in zip(parts, remaps, strict=True):
            rows = np.asarray(part.rows)
            cols = np.repeat(np.arange(len(part.terms), dtype=np.int64), np.diff(part.indptr))
            keep = live[rows]
            rows, cols, tf = rows[keep], cols[keep], np.asarray(part.tf)[keep]
            local = np.bincount(cols, minlength=len(part.terms))
            # Rank of each posting within its column in this part, and how many
            # postings of the same term earlier parts hold.
            within = np.arange(len(cols), dtype=np.int64) - (np.cumsum(local) - local)[cols]
            before = totals[remap][cols]
            totals[remap] += local
            new_row = np.cumsum(live, dtype=np.int64) - 1 + offset
            pieces.append((remap[cols], before + within, new_row[rows], tf))
            offset += int(np.count_nonzero(live))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(totals, out=indptr[1:])
        out_rows = np.empty(int(indptr[-1]), dtype=np.int32)
        out_tf = np.empty(int(indptr[-1]), dtype=np.float32)
        for gcols, rank, new_rows, tf in pieces:
            dest = indptr[gcols] + rank
            out_rows[dest] = new_rows
            out_tf[dest] = tf
        ids = np.concatenate([np.asarray(p.ids)[m] for p, m in parts] or [_i64([])])
        lengths = np.concatenate([np.asarray(p.lengths)[m] for p, m in parts] or [_i32([])])
        # Terms no live row holds any more are dropped with their empty columns.
        used = totals > 0
        if not used.all():
            terms = [t for t, u in zip(vocab, used.tolist(), strict=True) if u]
            indptr = np.concatenate([[0], np.cumsum(totals[used])]).astype(np.int64)
        else:
            terms = list(vocab)
        return cls(ids.astype(np.int64), lengths.astype(np.int32), terms, indptr, out_rows, out_tf)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", np.asarray(getattr(self, name)), allow_pickle=False)
        (folder / TERMS).write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Postings:
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        terms = json.loads((folder / TERMS).read_text(encoding="utf-8"))
        if not isinstance(terms, list) or len(terms) + 1 != len(arrays["indptr"]):
            raise ValueError(f"{folder / TERMS} does not match its postings")
        return cls(terms=terms, **arrays)


class _Live:
    """A loaded segment with its deleted rows masked and the per-row length norms of
    the generation's average length (deleted rows: infinite, so they score 0)."""

    def __init__(self, postings: Postings, deleted: npt.NDArray[np.int64]) -> None:
        self.postings = postings
        self.live = np.ones(len(postings), dtype=bool)
        self.live[deleted] = False
        self.has_deleted = len(deleted) > 0
        self.vocab = {t: i for i, t in enumerate(postings.terms)}
        self.norm = np.zeros(0, dtype=np.float32)

    def set_norm(self, avgdl: float) -> None:
        lengths = np.asarray(self.postings.lengths)
        self.norm = (K1 * ((1 - B) + B * lengths / avgdl)).astype(np.float32)
        self.norm[~self.live] = np.inf

    def df(self, col: int) -> int:
        p = self.postings
        start, end = int(p.indptr[col]), int(p.indptr[col + 1])
        if not self.has_deleted:
            return end - start
        return int(np.count_nonzero(self.live[p.rows[start:end]]))


class BM25Index:
    """The segments of one generation, searched as one index."""

    def __init__(self, segments: Sequence[tuple[Postings, npt.NDArray[np.int64]]]) -> None:
        self._segs = [_Live(p, d) for p, d in segments if len(p)]
        self._n = sum(int(np.count_nonzero(s.live)) for s in self._segs)
        total = sum(
            int(np.asarray(s.postings.lengths, dtype=np.int64)[s.live].sum()) for s in self._segs
        )
        avgdl = total / self._n if self._n and total else 1.0
        for seg in self._segs:
            seg.set_norm(avgdl)

    @classmethod
    def empty(cls) -> BM25Index:
        return cls([])

    @classmethod
    def load(cls, folder: Path, layout: BM25Layout) -> BM25Index:
        segments = []
        for seg in layout.segments:
            postings = Postings.load(folder / seg.name)
            deleted = (
                np.load(folder / deleted_file(seg.name), allow_pickle=False)
                if seg.deleted
                else np.zeros(0, dtype=np.int64)
            )
            if len(postings) != seg.chunks or len(deleted) != seg.deleted:
                raise ValueError(f"BM25 segment {seg.name} does not match the manifest")
            segments.append((postings, deleted))
        return cls(segments)

    def __len__(self) -> int:
        return self._n

    def chunk_ids(self) -> npt.NDArray[np.int64]:
        """The chunk ids of every live row, ascending."""
        parts = [np.asarray(s.postings.ids)[s.live] for s in self._segs]
        return np.sort(np.concatenate(parts)) if parts else _i64([])

    def search(
        self, tokens: Sequence[str], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-k (scores, chunk ids), ties by ascending chunk id; chunks sharing no term
        with the query are left out. A repeated query term counts each time."""
        if k <= 0 or not self._segs:
            return np.zeros(0, dtype=np.float32), _i64([])
        idf: dict[str, float] = {}
        for t in tokens:
            if t and t not in idf:
                df = sum(s.df(s.vocab[t]) for s in self._segs if t in s.vocab)
                if df:
                    idf[t] = math.log(1 + (self._n - df + 0.5) / (df + 0.5))
        terms = [t for t in tokens if t in idf]
        if not terms:
            return np.zeros(0, dtype=np.float32), _i64([])
        all_scores, all_ids = [], []
        for seg in self._segs:
            p = seg.postings
            scores = np.zeros(len(p), dtype=np.float32)
            for t in terms:
                col = seg.vocab.get(t)
                if col is None:
                    continue
                start, end = int(p.indptr[col]), int(p.indptr[col + 1])
                rows = p.rows[start:end]
                tf = p.tf[start:end]
                # Rows within one column are distinct, so += adds each exactly once.
                scores[rows] += np.float32(idf[t]) * tf / (seg.norm[rows] + tf)
            hit = np.flatnonzero(scores > 0)
            all_scores.append(scores[hit])
            all_ids.append(np.asarray(p.ids)[hit])
        scores = np.concatenate(all_scores)
        ids = np.concatenate(all_ids)
        if len(scores) > k:
            # Keep every score tied with the k-th so the id tie-break below sees them all.
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            scores, ids = scores[keep], ids[keep]
        order = np.lexsort((ids, -scores))[:k]
        return scores[order], ids[order]


def write_rebuilt(
    folder: Path, generation: int, ids: Sequence[int], token_lists: Sequence[list[str]]
) -> BM25Layout:
    """One segment of every chunk, in `folder` (created); for repair and fall-backs."""
    folder.mkdir(parents=True)
    postings = Postings.build(ids, token_lists)
    if not len(postings):
        return BM25Layout()
    name = segment_name(generation)
    postings.save(folder / name)
    return BM25Layout(segments=(BM25Segment(name=name, chunks=len(postings)),))


def write_next(
    prev_folder: Path,
    prev: BM25Layout,
    folder: Path,
    generation: int,
    removed: Sequence[int],
    added_ids: Sequence[int],
    added_tokens: Sequence[list[str]],
    merge_ratio: float,
) -> tuple[BM25Layout, list[str]]:
    """The next generation's segments in `folder` (created) from the previous ones in
    `prev_folder`: `removed` chunk ids masked, the added chunks in the small segment, or
    all merged into one when the small segment and masked rows pass `merge_ratio` of the
    large one. Returns the layout and the files (relative to `folder`) hard-linked
    unchanged from `prev_folder`, whose checksums stay those of the previous manifest."""
    folder.mkdir(parents=True)
    gone = _i64(sorted(set(removed)))
    loaded = []
    for seg in prev.segments:
        postings = Postings.load(prev_folder / seg.name)
        live = np.ones(len(postings), dtype=bool)
        if seg.deleted:
            live[np.load(prev_folder / deleted_file(seg.name), allow_pickle=False)] = False
        live &= ~np.isin(np.asarray(postings.ids), gone)
        loaded.append((seg.name, postings, live))
    fresh = Postings.build(added_ids, added_tokens)
    fresh_part = (fresh, np.ones(len(fresh), dtype=bool))
    new_name = segment_name(generation)
    big = loaded[0] if loaded else None
    small_live = fresh.ids.size + sum(int(np.count_nonzero(m)) for _, _, m in loaded[1:])
    if big is not None:
        big_live = int(np.count_nonzero(big[2]))
        big_dead = len(big[1]) - big_live
        if small_live + big_dead <= merge_ratio * big_live:
            name, postings, live = big
            reused = _link_segment(prev_folder / name, folder / name)
            segments = [BM25Segment(name=name, chunks=len(postings), deleted=big_dead)]
            if big_dead:
                deleted = np.flatnonzero(~live).astype(np.int64)
                np.save(folder / deleted_file(name), deleted, allow_pickle=False)
            if small_live:
                small = Postings.merge([(p, m) for _, p, m in loaded[1:]] + [fresh_part])
                small.save(folder / new_name)
                segments.append(BM25Segment(name=new_name, chunks=len(small)))
            return BM25Layout(segments=tuple(segments)), reused
    merged = Postings.merge([(p, m) for _, p, m in loaded] + [fresh_part])
    if not len(merged):
        return BM25Layout(), []
    merged.save(folder / new_name)
    return BM25Layout(segments=(BM25Segment(name=new_name, chunks=len(merged)),)), []


def _link_segment(src: Path, dest: Path) -> list[str]:
    """Hard-link a segment's files into the new generation; where the file system has
    no hard links, copy them (and report nothing reused, so they are synced and summed)."""
    dest.mkdir()
    names = sorted(p.name for p in src.iterdir())
    try:
        for name in names:
            os.link(src / name, dest / name)
    except OSError:
        shutil.rmtree(dest)
        shutil.copytree(src, dest)
        return []
    return [f"{dest.name}/{name}" for name in names]


def _i64(values: Sequence[int]) -> npt.NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64)


def _i32(values: Sequence[int]) -> npt.NDArray[np.int32]:
    return np.asarray(values, dtype=np.int32)
