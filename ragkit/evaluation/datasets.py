"""Read retrieval test collections into one shape: a corpus file, queries and qrels.

What it does: `load_dataset("beir:DIR")` reads a BEIR folder (`corpus.jsonl`,
`queries.jsonl`, `qrels/<split>.tsv`) and points the corpus at `DIR/corpus.jsonl` as it
stands, since ragkit's JSON-lines loader reads BEIR's `_id`/`title`/`text` directly.
`load_dataset("squad:FILE")` reads a SQuAD v1-style JSON file (CMRC 2018 uses it) at
passage level: every distinct context becomes one document, and a question's own
context is its only relevant document. Those passages are written as a derived JSON-lines
file under a cache folder, named by a digest of its content so that an unchanged source
gives the same file (and the same cached index) on every run.

What it leaves out: the corpus itself is not parsed here (the index pipeline reads it,
and it can be large); answer spans, SQuAD v2's "impossible" flag and BEIR's
query-equals-document filtering (needed only for ArguAna and Quora) are ignored.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ragkit.errors import ConfigError
from ragkit.index.fsutil import atomic_write_bytes, file_checksum

DatasetKind = Literal["beir", "squad"]

BEIR_LAYOUT = (
    "a BEIR folder holds corpus.jsonl ({_id, title, text} per line), queries.jsonl "
    "({_id, text} per line) and qrels/test.tsv (query-id, corpus-id, score; tab-separated)"
)
SQUAD_LAYOUT = (
    "a SQuAD-style file is JSON: {data: [{title, paragraphs: [{context, qas: "
    "[{id, question, answers}]}]}]}"
)
SPEC_FORMS = "give beir:DIR (a BEIR folder) or squad:FILE (a SQuAD-style JSON file)"

# Digest characters kept in folder names: 48 bits tell corpora apart in one cache.
DIGEST_CHARS = 12


class DatasetError(ConfigError):
    """An evaluation data set is missing, malformed or named with an unknown form."""


@dataclass(frozen=True)
class EvalDataset:
    """A retrieval test collection ready to index and score.

    `corpus_file` is a JSON-lines file with `_id`, `title` and `text` fields that the
    normal index pipeline reads; a document's id is its `_id`. `queries` keeps the
    source order and holds only queries that have at least one relevant document;
    `qrels[qid][doc_id]` is the relevance grade (always > 0). `dropped_queries` counts
    the queries left out for having none.
    """

    name: str
    kind: DatasetKind
    source: Path
    corpus_file: Path
    queries: list[tuple[str, str]]
    qrels: dict[str, dict[str, int]]
    dropped_queries: int = 0
    notes: list[str] = field(default_factory=list)


def default_cache_dir() -> Path:
    """Where derived files and indexes go when the caller names no folder."""
    return Path(tempfile.gettempdir()) / "ragkit-eval"


def load_dataset(spec: str, cache_dir: Path | None = None, split: str = "test") -> EvalDataset:
    """Read `beir:DIR` or `squad:FILE`. `cache_dir` receives the derived passages file of
    a SQuAD-style set (default: `default_cache_dir()`); `split` picks BEIR's qrels file."""
    kind, sep, rest = spec.partition(":")
    if not sep or not rest.strip():
        raise DatasetError(f"data set {spec!r} has no form prefix; {SPEC_FORMS}")
    path = Path(rest.strip()).expanduser()
    if kind == "beir":
        return load_beir(path, split)
    if kind == "squad":
        return load_squad(path, cache_dir or default_cache_dir())
    raise DatasetError(f"data set {spec!r}: unknown form {kind!r}; {SPEC_FORMS}")


def slug(name: str) -> str:
    """A file-name-safe form of a data set's name (letters of any script are kept)."""
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "dataset"


def corpus_digest(path: Path) -> str:
    """Hex digest of a corpus file's content (xxh3-128, as the index checksums use)."""
    return file_checksum(path).partition(":")[2]


# --- BEIR --------------------------------------------------------------------------------


def load_beir(folder: Path, split: str = "test") -> EvalDataset:
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise DatasetError(f"BEIR data set {folder} {what}; {BEIR_LAYOUT}")
    corpus = folder / "corpus.jsonl"
    queries_file = folder / "queries.jsonl"
    qrels_file = folder / "qrels" / f"{split}.tsv"
    missing = [p for p in (corpus, queries_file, qrels_file) if not p.is_file()]
    if missing:
        shown = ", ".join(str(p.relative_to(folder)) for p in missing)
        present = sorted(p.name for p in (folder / "qrels").glob("*.tsv"))
        hint = f" (qrels files present: {', '.join(present)})" if present else ""
        raise DatasetError(f"BEIR data set {folder} lacks {shown}{hint}; {BEIR_LAYOUT}")

    qrels = _read_qrels(qrels_file)
    queries: list[tuple[str, str]] = []
    seen: set[str] = set()
    dropped = 0
    for qid, text in _read_queries(queries_file):
        if qid in seen:
            continue  # a repeated id keeps its first text, as BEIR's own loader does
        seen.add(qid)
        if qid in qrels and text:
            queries.append((qid, text))
        else:
            dropped += 1  # no relevant document to find, or nothing to search for
    if not queries:
        raise DatasetError(
            f"BEIR data set {folder}: no query in queries.jsonl has a relevant document in "
            f"{qrels_file.relative_to(folder)}; check that the query ids match"
        )
    kept = {qid for qid, _ in queries}
    unknown = len(set(qrels) - seen)
    notes = [f"{unknown} judged query ids are not in queries.jsonl"] if unknown else []
    return EvalDataset(
        name=folder.resolve().name,
        kind="beir",
        source=folder,
        corpus_file=corpus.resolve(),
        queries=queries,
        qrels={qid: docs for qid, docs in qrels.items() if qid in kept},
        dropped_queries=dropped,
        notes=notes,
    )


def _read_queries(path: Path) -> Iterator[tuple[str, str]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError as exc:
                raise DatasetError(f"{path} line {number}: not valid JSON ({exc})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{path} line {number}: not a JSON object; {BEIR_LAYOUT}")
            qid = _id_text(record.get("_id"))
            text = record.get("text")
            if qid is None or not isinstance(text, str):
                raise DatasetError(
                    f"{path} line {number}: a query needs a string or number _id and a "
                    f"string text; {BEIR_LAYOUT}"
                )
            yield qid, text.strip()


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 3:
                fields = line.split()
            grade = _grade(fields[2]) if len(fields) >= 3 else None
            if grade is None:
                if number == 1:
                    continue  # the header line: query-id, corpus-id, score
                raise DatasetError(
                    f"{path} line {number}: expected query-id, corpus-id and an integer "
                    f"score separated by tabs; {BEIR_LAYOUT}"
                )
            # Grade 0 marks a judged but non-relevant document: it earns no gain in nDCG
            # and does not count towards recall, so it is not kept at all.
            if grade > 0:
                qid, doc_id = fields[0].strip(), fields[1].strip()
                qrels.setdefault(qid, {})[doc_id] = grade
    return qrels


def _grade(text: str) -> int | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _id_text(raw: object) -> str | None:
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return None


# --- SQuAD-style -------------------------------------------------------------------------


def load_squad(path: Path, cache_dir: Path) -> EvalDataset:
    if not path.is_file():
        what = "is a folder, not a file" if path.exists() else "does not exist"
        raise DatasetError(f"SQuAD-style data set {path} {what}; {SQUAD_LAYOUT}")
    try:
        root = json.loads(path.read_bytes())
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc}); {SQUAD_LAYOUT}") from None
    if not isinstance(root, dict) or not isinstance(root.get("data"), list):
        raise DatasetError(f"{path}: no top-level 'data' list; {SQUAD_LAYOUT}")

    passage_ids: dict[str, str] = {}  # context text -> passage id, in document order
    passages: list[dict[str, str]] = []
    queries: list[tuple[str, str]] = []
    qrels: dict[str, dict[str, int]] = {}
    seen: set[str] = set()
    dropped = 0
    for where, title, context, qas in _paragraphs(path, root["data"]):
        text = context.strip()
        pid: str | None = None
        if text:
            pid = passage_ids.get(text)
            if pid is None:
                # Ids in document order keep the derived file (and its digest) stable.
                pid = f"p{len(passages) + 1:04d}"
                passage_ids[text] = pid
                passages.append({"_id": pid, "title": title, "text": text})
        for n, qa in enumerate(qas):
            qid, question = _question(path, f"{where}.qas[{n}]", qa)
            if qid in seen:
                continue  # a repeated question id keeps its first occurrence
            seen.add(qid)
            if pid is None or not question:
                # An empty passage cannot be retrieved, an empty question not searched.
                dropped += 1
                continue
            queries.append((qid, question))
            qrels[qid] = {pid: 1}
    if not queries:
        raise DatasetError(f"{path}: no question with a non-empty passage; {SQUAD_LAYOUT}")

    body = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in passages).encode()
    corpus = _write_derived(cache_dir, slug(path.stem), body)
    return EvalDataset(
        name=path.stem,
        kind="squad",
        source=path,
        corpus_file=corpus,
        queries=queries,
        qrels=qrels,
        dropped_queries=dropped,
        notes=[f"{len(passages)} distinct passages written to {corpus}"],
    )


def _paragraphs(path: Path, data: list[Any]) -> Iterator[tuple[str, str, str, list[Any]]]:
    """Yield (location, article title, context, qas) for every paragraph."""
    for a, article in enumerate(data):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise DatasetError(f"{path}: data[{a}] has no 'paragraphs' list; {SQUAD_LAYOUT}")
        title = article.get("title")
        title = " ".join(title.split()) if isinstance(title, str) else ""
        for p, paragraph in enumerate(article["paragraphs"]):
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(paragraph, dict):
                raise DatasetError(f"{path}: {where} is not an object; {SQUAD_LAYOUT}")
            context, qas = paragraph.get("context"), paragraph.get("qas", [])
            if not isinstance(context, str) or not isinstance(qas, list):
                raise DatasetError(
                    f"{path}: {where} needs a string 'context' and a 'qas' list; {SQUAD_LAYOUT}"
                )
            yield where, title, context, qas


def _question(path: Path, where: str, qa: object) -> tuple[str, str]:
    qid = _id_text(qa.get("id")) if isinstance(qa, dict) else None
    question = qa.get("question") if isinstance(qa, dict) else None
    if qid is None or not isinstance(question, str):
        raise DatasetError(f"{path}: {where} needs an 'id' and a string 'question'; {SQUAD_LAYOUT}")
    return qid, question.strip()


def _write_derived(cache_dir: Path, name: str, body: bytes) -> Path:
    """Write the passages under a folder named by their digest, unless already there:
    leaving an identical file untouched keeps its mtime, so the index skips it at once."""
    import xxhash

    digest = str(xxhash.xxh3_128(body).hexdigest())
    target = cache_dir / f"{name}-{digest[:DIGEST_CHARS]}" / "passages.jsonl"
    try:
        if target.is_file() and target.read_bytes() == body:
            return target.resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, body)
    except OSError as exc:
        raise DatasetError(
            f"cannot write the derived passages file {target} ({exc.strerror or exc}); "
            "choose a writable cache folder"
        ) from None
    return target.resolve()
