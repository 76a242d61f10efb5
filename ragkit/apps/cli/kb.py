"""Knowledge-base commands: index, search, ask, remove, repair, ls, info.

Parse flags, call `KnowledgeBase`, print. Leaves out the logic itself, which lives in the
library.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from inspect import Parameter
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast, get_type_hints

import typer
from rich.console import Console
from rich.markup import escape

from ragkit.apps.inline_markdown import plain
from ragkit.apps.left_out import left_out_note
from ragkit.apps.snippets import preview
from ragkit.errors import EmptyQueryError, RagkitError
from ragkit.types import display_path

if TYPE_CHECKING:
    from ragkit.config import Settings
    from ragkit.guard.session import GuardSession
    from ragkit.index.milvus import MilvusReader
    from ragkit.kb import KnowledgeBase
    from ragkit.options import SearchFilter, SearchOptions
    from ragkit.types import Answer, AnswerMode, IndexReport, SearchMode

from ragkit.apps.cli.common import (
    ConfigOpt,
    IndexOpt,
    ModeOpt,
    app,
    command,
    write_json,
    write_out,
)

_T = TypeVar("_T")


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (searched recursively).")],
    index_name: IndexOpt = None,
    config: ConfigOpt = None,
    text_field: Annotated[
        str | None, typer.Option(help="JSON-lines field holding the text (default 'text').")
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail at once if another process is writing.")
    ] = False,
) -> None:
    """Index .txt .md .pdf .html .docx .jsonl files; re-running skips unchanged files."""
    from ragkit.apps.cli.common import BarProgress
    from ragkit.wiring import knowledge_base

    with command(config, loader={"jsonl_text_field": text_field}) as (out, err, settings):
        if not any(os.path.lexists(p) for p in paths):
            # Nothing to index at all: one line, no bar and no report of one failed file.
            given = ", ".join(str(p) for p in paths)
            raise RagkitError(f"{given}: no such file or folder; check the path")
        kb = knowledge_base(settings, index_name)
        existed = kb.path.exists()
        try:
            with BarProgress.shown(err) as progress:
                report = kb.add(paths, progress=progress, wait=not no_wait)
        finally:
            if not existed:
                _drop_if_empty(kb.path)
        if report.files:
            _print_report(report, kb.path, out)
        if not any(f.status != "skipped" for f in report.files):
            given = ", ".join(str(p) for p in paths)
            found = "no supported files" if report.files else "no files"
            err.print(
                f"error: {found} found in {escape(given)}; ragkit reads "
                ".txt .md .pdf .html .docx .jsonl files"
            )
            raise typer.Exit(1)
        if report.chunks_added:
            from ragkit.models.embeddings.multilingual import language_hint

            reader = kb.reader()
            ids = [i for i, _ in reader.store.chunk_ids_and_hashes(reader.generation)[:2000]]
            texts = [c.text for c in reader.chunks(ids).values()]
            if hint := language_hint(texts, kb.embedder):
                err.print(f"note: {escape(hint)}")
        if report.by_status("failed"):
            raise typer.Exit(1)


def _drop_if_empty(index_dir: Path) -> None:
    """Remove a folder this run created that holds no index (only the write lock), so a
    run that indexed nothing leaves nothing behind. Skipped while another writer holds
    the lock: that writer's index is on its way."""
    from ragkit.index.lock import LOCK_FILE, IndexBusyError, WriteLock

    try:
        if not index_dir.is_dir() or [p.name for p in index_dir.iterdir()] != [LOCK_FILE]:
            return
        with WriteLock(index_dir, wait=False):
            (index_dir / LOCK_FILE).unlink()
        index_dir.rmdir()
    except (OSError, IndexBusyError):
        pass  # someone else's now; nothing of ours to remove


def _print_report(report: IndexReport, index_dir: Path, out: Console) -> None:
    indexed = report.by_status("indexed")
    unchanged = report.by_status("unchanged")
    skipped = report.by_status("skipped")
    failed = report.by_status("failed")
    out.print(
        f"index {index_dir}: {len(indexed)} indexed ({report.chunks_added} chunks), "
        f"{len(unchanged)} unchanged, {len(skipped)} skipped, {len(failed)} failed "
        f"in {report.seconds:.1f} s"
    )
    for label, items in (("skipped", skipped), ("failed", failed)):
        for item in items:
            out.print(f"  {label}: {escape(display_path(item.path))}: {escape(item.reason)}")
    for item in indexed:
        if item.reason:
            out.print(f"  note: {escape(display_path(item.path))}: {escape(item.reason)}")
    if unchanged and not indexed and not failed:
        out.print("  nothing changed since the last run")


GlobOpt = Annotated[
    str | None, typer.Option("--glob", help="Only files whose path or name matches.")
]
TypeOpt = Annotated[
    list[str] | None, typer.Option("--type", help="Only these file types (pdf, md…); repeat.")
]
PagesOpt = Annotated[
    str | None, typer.Option("--pages", help="Only chunks on these pages: A-B, A- or -B.")
]
MetaOpt = Annotated[
    list[str] | None, typer.Option("--meta", help="Only documents with KEY=VALUE; repeat.")
]
# Number flags take the text typed (`common.number_flag` parses it): a typo is refused
# in one line naming the flag, not by click under a usage line.
MmrOpt = Annotated[
    str | None,
    typer.Option("--mmr", metavar="FLOAT", help="Diversify results with MMR (0..1, 1 = off)."),
]
RerankOpt = Annotated[bool, typer.Option("--no-rerank", help="Skip the configured reranker.")]
MultiOpt = Annotated[
    str | None,
    typer.Option(
        "--multi-query",
        metavar="INTEGER",
        help="Search N model-written variants too, fused (RRF).",
    ),
]


# The file types the loaders record (`Document.file_type`; .htm is html, .markdown md).
_FILE_TYPES = ("pdf", "docx", "html", "md", "txt", "jsonl")
_TYPES_SHOWN = ", ".join(_FILE_TYPES[:-1]) + " or " + _FILE_TYPES[-1]


def _filters(
    glob: str | None, types: list[str] | None, pages: str | None, meta: list[str] | None
) -> SearchFilter | None:
    if not (glob or types or pages or meta):
        return None
    from ragkit.options import SearchFilter

    page_min = page_max = None
    if pages:
        low, sep, high = pages.partition("-")
        try:
            page_min = int(low) if low.strip() else None
            page_max = int(high) if high.strip() else (None if sep else page_min)
        except ValueError:
            raise RagkitError(f"--pages {pages!r} is not a page range like 3-7, 3- or -7") from None
    pairs: dict[str, str] = {}
    for item in meta or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise RagkitError(f"--meta {item!r} is not KEY=VALUE")
        pairs[key] = value
    for kind in types or []:
        if kind.strip().lower().lstrip(".") not in _FILE_TYPES:
            raise RagkitError(f"--type {kind!r} is no file type ragkit reads; use {_TYPES_SHOWN}")
    return SearchFilter(
        path_glob=glob,
        file_types=frozenset(types) if types else None,
        page_min=page_min,
        page_max=page_max,
        metadata=pairs or None,
    )


@dataclass(frozen=True)
class _SearchFlags:
    """The search flags `search` and `ask` share, declared once: `_with_search_flags`
    adds them to a command's options."""

    glob: GlobOpt = None
    file_type: TypeOpt = None
    pages: PagesOpt = None
    meta: MetaOpt = None
    mmr: MmrOpt = None
    no_rerank: RerankOpt = False
    multi_query: MultiOpt = None

    def numbers(self) -> tuple[float | None, int | None]:
        """`--mmr` and `--multi-query` parsed, or the line refusing one. Called before
        the index is opened too, so a typo is named before a missing index is."""
        return (
            _in_bounds("--mmr", self.mmr, "SearchFields", "mmr_lambda", "1 = off"),
            _in_bounds(
                "--multi-query", self.multi_query, "SearchFields", "multi_query", "query variants"
            ),
        )

    def options(self, base: SearchOptions) -> SearchOptions:
        """`base` changed by these flags (an unset flag keeps the setting)."""
        mmr, multi_query = self.numbers()
        return base.with_(
            filters=_filters(self.glob, self.file_type, self.pages, self.meta),
            mmr_lambda=mmr,
            rerank=False if self.no_rerank else None,
            multi_query=multi_query,
        )


def _with_search_flags(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with the `_SearchFlags` options shown before its `--config`; it gets
    them as one argument, `flags`. (typer reads the options from the signature.)"""
    hints = get_type_hints(_SearchFlags, include_extras=True)
    shared = [
        inspect.Parameter(
            f.name, Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
        )
        for f in fields(_SearchFlags)
    ]
    own = [
        p.replace(kind=Parameter.KEYWORD_ONLY)
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.name != "flags"
    ]
    params = own[:-1] + shared + own[-1:]  # `config` stays last

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        flags = _SearchFlags(**{p.name: kwargs.pop(p.name) for p in shared})
        command(**kwargs, flags=flags)

    run.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return run


def _open(
    settings: Settings, index_name: str | None, with_llm: bool = False, ahead: bool = False
) -> KnowledgeBase:
    """The knowledge base of an existing index. A missing index is reported before the
    library (numpy, FAISS, the models' code) is imported, so the error comes at once.
    `ahead`: the models that a question needs first (the question embedder, and the chat
    model when `with_llm`) start loading on threads of their own before the rest of the
    library (the answer path, the index code: a second on 2 cores) is imported."""
    from ragkit.index.peek import require_index

    if settings.index.backend == "local":
        require_index(settings.index.folder(index_name), index_name or "")
    from ragkit.wiring import chat_model, knowledge_base, knowledge_base_models

    if not ahead:
        return knowledge_base(settings, index_name, with_llm=with_llm)
    # The chat model first: it takes the longest, and building the embedders imports numpy.
    llm = _start_loading(chat_model(settings)) if with_llm else None
    models = knowledge_base_models(settings, with_llm, llm)
    _start_loading(models.query_embedder or models.embedder)
    return knowledge_base(settings, index_name, with_llm=with_llm, models=models)


_Model = TypeVar("_Model")


def _start_loading(model: _Model) -> _Model:
    """`model`, its loading started on a thread of its own where it can do that
    (`start_loading`; otherwise it loads on first use)."""
    loading = getattr(model, "start_loading", None)
    if loading is not None:
        loading()
    return model


_RETRIEVAL = ("hybrid", "dense", "bm25")


def _choice(given: str | None, default: str, allowed: tuple[str, ...], flag: str) -> str:
    """`given` (else `default`) if it is one of `allowed`; else the line saying so."""
    chosen = given or default
    if chosen not in allowed:
        hint = ""
        if flag == "--mode" and chosen in _RETRIEVAL:
            hint = "; for the retrieval mode use --retrieval"
        use = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise RagkitError(f"unknown {flag} {chosen!r}; use {use}{hint}")
    return chosen


def _mode(settings: Settings, mode: str | None, flag: str = "--mode") -> SearchMode:
    return cast("SearchMode", _choice(mode, settings.retrieval.mode, _RETRIEVAL, flag))


@app.command()
@_with_search_flags
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[
        str | None, typer.Option("-k", metavar="INTEGER", help="Number of results (default 5).")
    ] = None,
    mode: ModeOpt = None,
    index_name: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
    config: ConfigOpt = None,
    flags: _SearchFlags = _SearchFlags(),
) -> None:
    """Search an index: rank, score, file, page and a snippet of each result."""
    with command(config) as (out, _err, settings):
        chosen = _mode(settings, mode)
        count = _in_bounds("-k", k, "SearchFields", "k", "the number of results")
        flags.numbers()
        kb = _open(settings, index_name, ahead=True)
        hits = kb.search(query, flags.options(kb.search_options).with_(k=count, mode=chosen))
        if as_json:
            rows = [
                {
                    "rank": h.rank,
                    "score": h.score,
                    "file": h.chunk.source,
                    "page_start": h.chunk.page_start,
                    "page_end": h.chunk.page_end,
                    "chunk_id": h.chunk.id,
                    "text": h.chunk.text,
                }
                for h in hits
            ]
            write_json(rows)
            return
        if not hits:
            out.print("no results")
            return
        from rich.table import Table

        table = Table(show_lines=False)
        for col in ("#", "score", "file", "page", "snippet"):
            table.add_column(col, overflow="fold")
        for h in hits:
            c = h.chunk
            page = (
                ""
                if c.page_start is None
                else (
                    str(c.page_start)
                    if c.page_end == c.page_start
                    else f"{c.page_start}-{c.page_end}"
                )
            )
            snippet = preview(c.text, 160, query)
            table.add_row(
                str(h.rank), f"{h.score:.3f}", escape(display_path(c.source)), page, escape(snippet)
            )
        out.print(table)


AnswerModeOpt = Annotated[
    str | None,
    typer.Option(
        "--mode",
        "-m",
        help="Answer: generate (the chat model writes it) or extractive (the best source "
        "sentences, no model).",
    ),
]
RetrievalOpt = Annotated[
    str | None,
    typer.Option(
        "--retrieval", "-r", help="Retrieval: hybrid (dense + BM25, fused), dense or bm25."
    ),
]


def _answer_mode(settings: Settings, mode: str | None) -> AnswerMode:
    modes = ("generate", "extractive")
    return cast("AnswerMode", _choice(mode, settings.answer.mode, modes, "--mode"))


@app.command()
@_with_search_flags
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in English or Chinese.")],
    k: Annotated[
        str | None,
        typer.Option("-k", metavar="INTEGER", help="Passages searched for the answer (default 6)."),
    ] = None,
    mode: AnswerModeOpt = None,
    retrieval: RetrievalOpt = None,
    index_name: IndexOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the finished answer as JSON.")
    ] = False,
    evidence: Annotated[
        bool,
        typer.Option("--evidence", help="Show the source sentence supporting each sentence."),
    ] = False,
    config: ConfigOpt = None,
    flags: _SearchFlags = _SearchFlags(),
) -> None:
    """Answer a question from an index, streaming the answer, then list its sources."""
    with command(config) as (out, err, settings):
        answer_mode = _answer_mode(settings, mode)
        chosen = _mode(settings, retrieval, "--retrieval")
        count = _in_bounds("-k", k, "AnswerFields", "k", "passages searched")
        flags.numbers()
        if not question.strip():
            # Before the index opens and the model starts loading, which the process
            # would wait for before exiting with this error.
            raise EmptyQueryError("the question is empty; ask something about your documents")
        kb = _open(settings, index_name, with_llm=answer_mode == "generate", ahead=True)
        search = flags.options(kb.search_options)
        if answer_mode == "generate":
            # The model file loads (started by `_open`) while the answer path is imported,
            # the documents searched and the evidence picked (the first thing to need it
            # measures the prompt with its tokenizer), then evaluates the prompt's
            # constant start (a third of a three-source one), handed over here.
            loading = getattr(kb.chat_model, "start_loading", None)
            if loading is not None:
                from ragkit.answer.pipelines import prompt_head

                loading(prompt_head(kb.templates))
        try:
            with _Waiting(err) as waiting:
                waiting.say("Searching the documents…")
                stream = kb.ask_stream(
                    question,
                    kb.answer_options.with_(mode=answer_mode, k=count, evidence=evidence or None),
                    search=search.with_(mode=chosen),
                )
                waiting.say("Writing the answer…")
                if as_json:
                    answer = stream.answer
            if as_json:
                data = asdict(answer) | ({"guard": stream.guard.to_json()} if stream.guard else {})
                write_json(data)
                return
            shown = _guard_notes(stream.guard, err, 0)
            try:
                pieces = iter(stream)
                with waiting:  # until the first checked sentence, which may take a while
                    first = next(pieces, None)
                for piece in [first] if first is not None else []:
                    write_out(plain(piece))
                for piece in pieces:
                    # A checked answer has no Markdown marks left (ragkit.text.marks); this
                    # drops any a remote answer path left, as a terminal or a pipe would show
                    # them as they are. A piece holds whole checked sentences, so a span is
                    # never split between two pieces.
                    write_out(plain(piece))
            finally:
                stream.close()  # Ctrl-C: stop the model (or close the HTTP stream) at once
            answer = stream.answer
            write_out("\n\n")
            _guard_notes(stream.guard, err, shown)
            _print_sources(answer, out)
            if evidence:
                _print_evidence(answer, out)
        finally:
            if answer_mode == "generate":
                # A one-shot ask asks nothing more of its model: what it still evaluates
                # ahead (a refused question's prompt, the prompt's constant start) is
                # called off, and the process exits without waiting for it.
                stop = getattr(kb.chat_model, "stop_ahead", None)
                if stop is not None:
                    stop()


class _Waiting:
    """What `ask` is doing while nothing is shown yet (searching, loading the model,
    writing: half a minute on a slow machine), as a spinner line on stderr that is gone
    once the answer starts; only at a terminal, so a pipe or log gets the answer alone.
    Re-entered around the wait for the first sentence, the last message kept."""

    def __init__(self, err: Console) -> None:
        self._err = err
        self._message = ""
        self._status: Any = None

    def __enter__(self) -> _Waiting:
        if self._err.is_terminal and self._status is None:
            self._status = self._err.status(escape(self._message or "Working…"))
            self._status.start()
        return self

    def say(self, message: str) -> None:
        self._message = message
        if self._status is not None:
            self._status.update(escape(message))

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _in_bounds(
    flag: str,
    given: str | None,
    options: Literal["SearchFields", "AnswerFields"],
    field: str,
    what: str,
) -> Any:
    """The number typed for `flag` (None when not given), or a `ConfigError` naming
    `flag` as the user typed it when it is no number or outside the bounds that
    `options`' `field` declares; the options model itself would name its field
    (`invalid option mmr_lambda: ...`). (Named, not passed: ragkit.options loads
    pydantic, which `--help` must not wait for.)"""
    if given is None:
        return None
    from ragkit import options as declared
    from ragkit.apps.cli.common import number_flag
    from ragkit.errors import ConfigError

    try:
        return number_flag(flag, given, getattr(declared, options).model_fields[field], what)
    except RagkitError as exc:
        raise ConfigError(str(exc)) from None


def _print_sources(answer: Answer, out: Console) -> None:
    """The sources the answer cites, each at its supporting sentence's page (none for an
    answer the documents do not hold). Sources shown at the same place (two passages of
    one text file) share a line, so the list does not look repeated."""
    notes = []
    # Citations the model made up are dropped from the text; which ones is for
    # --evidence (a reader of the answer gains nothing from the numbers).
    note = left_out_note(answer)
    if note:
        notes.append(note)
    for note in notes:
        out.print(note)
    if answer.not_found or not answer.citations:
        return
    places: dict[str, list[int]] = {}
    names = source_names(c.source for c in answer.citations)
    for src in answer.citations:
        location = src.location.replace(src.source, names[src.source])
        places.setdefault(location, []).append(src.number)
    if notes:
        out.print()  # the answer is followed by a blank line; so are the notes
    out.print("Sources:")
    for location, cited in places.items():
        marks = " ".join(f"[{n}]" for n in cited)
        out.print(f" {marks} {escape(location)}")


def source_names(sources: Iterable[str]) -> dict[str, str]:
    """The name an answer shows for each source: its file name, as the web page and the
    chat show it (an answer shows no folder of the machine it ran on), with as many of
    its parent folders as tell it apart from another source of the same name
    (`a/notes.md`, `b/notes.md`). Listings of the user's own files (`search`, `ls`)
    show the path instead."""
    unique = list(dict.fromkeys(sources))
    parts = {s: [p for p in PurePath(s).parts if p != PurePath(s).anchor] or [s] for s in unique}
    depth = dict.fromkeys(unique, 1)

    def shown(source: str) -> str:
        return "/".join(parts[source][-depth[source] :])

    while True:
        groups: dict[str, list[str]] = {}
        for source in unique:
            groups.setdefault(shown(source), []).append(source)
        longer = [
            source
            for group in groups.values()
            if len(group) > 1
            for source in group
            if depth[source] < len(parts[source])
        ]
        if not longer:
            return {source: shown(source) for source in unique}
        for source in longer:
            depth[source] += 1


def _print_evidence(answer: Answer, out: Console) -> None:
    if answer.invalid_citations:
        numbers = ", ".join(f"[{n}]" for n in answer.invalid_citations)
        out.print(f"Removed citations to sources that were not given: {numbers}")
    if not answer.evidence:
        out.print("Evidence: none (the answer says the documents do not hold it)")
        return
    by_number = {c.number: c for c in answer.sources}
    names = source_names(c.source for c in answer.sources)
    out.print("Evidence:")
    for item in answer.evidence:
        out.print(f" - {escape(item.sentence)}")
        if item.support is None or item.source is None:
            out.print(f"     no supporting sentence in the sources (best {item.score:.2f})")
            continue
        src = by_number[item.source]
        location = src.location.replace(src.source, names[src.source])
        out.print(
            f"     [{item.source}] {escape(location)} ({item.score:.2f}): {escape(item.support)}"
        )


@app.command()
def remove(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders whose files go.")],
    index_name: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove files from an index (the files themselves are not touched)."""
    with command(config) as (out, err, settings):
        kb = _open(settings, index_name)
        kb.reader()  # a clear error when the index is damaged
        gone = kb.remove(paths)
        if not gone:
            given = ", ".join(str(p) for p in paths)
            err.print(f"error: {escape(given)} is not in index {kb.path}; see: ragkit ls")
            raise typer.Exit(1)
        for source in gone:
            out.print(f"removed {escape(display_path(source))}")


@app.command()
def repair(index_name: IndexOpt = None, config: ConfigOpt = None) -> None:
    """Rebuild an index's vectors and BM25 from its SQLite store (after damage)."""
    from ragkit.wiring import knowledge_base

    with command(config) as (out, _err, settings):
        kb = knowledge_base(settings, index_name)
        chunks = kb.repair()
        out.print(f"repaired index {kb.path}: {chunks} chunks; it opens and verifies again")


@app.command("ls")
def list_documents(
    index_name: IndexOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the documents as JSON (for scripts).")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """List the documents in an index with their chunk counts."""
    # The manifest and the store only: no model, no FAISS, no numpy.
    from ragkit.index.peek import open_catalog

    with command(config) as (out, err, settings):
        if settings.index.backend != "local":
            rows = _remote_catalog(settings, index_name, lambda r: r.store.documents(r.generation))
        else:
            catalog = open_catalog(settings.index.folder(index_name), index_name or "")
            try:
                rows = catalog.store.documents(catalog.generation)
            finally:
                catalog.close()
        listed = [
            (display_path(source) + (key[len(source) :] if key != source else ""), count)
            for source, key, count in rows
        ]
        if as_json:
            write_json([{"document": name, "chunks": count} for name, count in listed])
            return
        if not listed:
            err.print("no documents in this index")
            return
        if sys.stdout.isatty():
            # At a terminal only: piped, the lines stay one document each (`wc -l`, awk).
            out.print(f"{'CHUNKS':>6}  DOCUMENT")
        for name, count in listed:
            out.print(f"{count:6d}  {escape(name)}")


@app.command()
def info(index_name: IndexOpt = None, config: ConfigOpt = None) -> None:
    """Show an index's embedder, format version, counts and size on disk."""
    from ragkit.index.peek import open_catalog

    with command(config) as (out, _err, settings):
        path = settings.index.folder(index_name)
        if settings.index.backend != "local":
            m = _remote_catalog(settings, index_name, lambda r: r.manifest)
        else:
            catalog = open_catalog(path, index_name or "")
            catalog.close()
            m = catalog.manifest
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        out.print(f"index         {path}")
        out.print(f"format        {m.format} v{m.format_version} (ragkit {m.ragkit_version})")
        out.print(f"generation    {m.generation} (updated {m.updated})")
        out.print(f"embedder      {m.embedder.id} (dim {m.embedder.dim})")
        out.print(f"chunker       size {m.chunker.chunk_size}, overlap {m.chunker.chunk_overlap}")
        v = m.vectors
        layout = (
            "exact (flat)"
            if v.kind == "flat"
            else (
                f"IVF, {v.nlist} lists, nprobe {v.nprobe}, "
                f"calibrated recall@10 {v.recall_at_10:.3f}"
            )
        )
        out.print(f"vectors       {layout}")
        out.print(f"documents     {m.counts.documents}")
        out.print(f"chunks        {m.counts.chunks}")
        out.print(f"size on disk  {size / 1e6:.1f} MB")


@app.command()
def verify(index_name: IndexOpt = None, config: ConfigOpt = None) -> None:
    """Check an index for damage: file checksums, SQLite's integrity_check, chunk texts."""
    from ragkit.index.engine import IndexReader
    from ragkit.index.peek import require_index
    from ragkit.wiring import index_path

    with command(config) as (out, err, settings):
        path = index_path(settings, index_name)
        if settings.index.backend != "local":
            _verify_remote(settings, index_name, out, err)
            return
        require_index(path, index_name or "")
        reader = IndexReader.open(path)  # verifies the manifest's checksums
        try:
            problems = reader.verify_store()
            docs, chunks = reader.store.counts(reader.generation)
        finally:
            reader.close()
        if problems:
            for problem in problems:
                err.print(f"damaged: {escape(problem)}")
            err.print(
                f"error: index {escape(str(path))} is damaged; its store holds the documents, "
                "so rebuild it: delete the folder and run ragkit index again"
            )
            raise typer.Exit(1)
        out.print(
            f"index {escape(str(path))}: ok ({docs} documents, {chunks} chunks; file "
            "checksums, SQLite integrity_check and chunk text checksums all pass)"
        )


@app.command()
def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Milvus to copy into: milvus://host:19530, http(s)://host:19530, or a "
            "local .db file (milvus-lite). Token/user/password from the index.milvus_* "
            "settings.",
        ),
    ],
    index_name: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Copy a local index into Milvus: vectors from its cache (nothing re-embedded), chunk
    ids kept, counts checked; then use it with index.backend = "milvus"."""
    from ragkit.index.milvus import migrate as copy_index
    from ragkit.wiring import milvus_backend

    with command(config) as (out, _err, settings):
        path = settings.index.folder(index_name)
        uri = "http://" + to.removeprefix("milvus://") if to.startswith("milvus://") else to
        backend = milvus_backend(settings, path, uri)
        assert backend is not None
        try:
            report = copy_index(path, backend)
        finally:
            backend.close()
        out.print(
            f"copied index {escape(str(path))} into {escape(backend.target.label)}: "
            f"{report.files} files, {report.documents} documents, {report.chunks} chunks "
            "(counts checked); use it with RAGKIT_INDEX__BACKEND=milvus "
            f"RAGKIT_INDEX__MILVUS_URI={escape(backend.target.display_uri)}"
        )


def _verify_remote(settings: Settings, index_name: str | None, out: Console, err: Console) -> None:
    """`verify` for an index kept in Milvus: its collections agree with each other."""
    name = index_name or settings.index.name
    audit, (docs, chunks) = _remote_catalog(
        settings, index_name, lambda r: (r.audit(), r.store.counts(r.generation))
    )
    problems = audit.problems()
    if problems:
        for problem in problems:
            err.print(f"damaged: {escape(problem)}")
        err.print(
            f"error: index {escape(name)} in Milvus is damaged; run: ragkit repair --index "
            f"{escape(name)} (files with damaged chunks are indexed again from disk; wrong "
            "BM25 terms are made again from the stored text)"
        )
        raise typer.Exit(1)
    n = audit.terms_checked
    terms = (
        f"; the BM25 terms of {'all ' if n == chunks else ''}{n} chunks"
        f"{'' if n == chunks else ' (a random sample)'} are the analyzer's"
        if n
        else ""
    )
    out.print(
        f"index {escape(name)} in Milvus: ok ({docs} documents, {chunks} chunks; chunk ids, "
        f"chunk text checksums and counts agree between its collections{terms})"
    )


def _remote_catalog(
    settings: Settings, index_name: str | None, read: Callable[[MilvusReader], _T]
) -> _T:
    """What `read` takes from an index kept in Milvus (index.backend), no model loaded."""
    from ragkit.wiring import milvus_backend

    path = settings.index.folder(index_name)
    backend = milvus_backend(settings, path)
    assert backend is not None
    try:
        return read(backend.reader(path))
    finally:
        backend.close()


def _guard_notes(session: GuardSession | None, err: Console, skip: int) -> int:
    """Print the content filter's notes after the first `skip`; returns how many exist."""
    notes = session.notes() if session is not None else []
    for note in notes[skip:]:
        err.print(f"guard: {escape(note)}")
    return len(notes)
