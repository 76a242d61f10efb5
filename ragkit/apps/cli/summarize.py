"""`ragkit summarize` and `ragkit translate`: read a file (or an index's documents), run
`ragkit.answer.summarize`, stream the result to stdout.

Model calls before the streamed one show as a bar on stderr. While text streams to a
terminal the bar is hidden (two live outputs on one screen garble each other); with
`--out FILE` or a redirected stdout the bar runs throughout. `--out` is written
atomically once the translation is complete. Leaves out the logic (ragkit.answer.summarize)
and output sanitizing (the guard's job).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.markup import escape

from ragkit.apps.cli.common import ConfigOpt, IndexOpt, app, command, write_out
from ragkit.errors import RagkitError
from ragkit.types import display_path

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ragkit.answer.summarize import Language, SummaryReport
    from ragkit.config import Settings


class StepBar:
    """`StepProgress` drawn as one rich bar per stage on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._task: TaskID | None = None

    def stage(self, name: str, total: int) -> None:
        if self._task is not None:
            self._p.update(self._task, visible=False)
        self._task = self._p.add_task(name, total=total)

    def advance(self) -> None:
        if self._task is not None:
            self._p.advance(self._task)


def _bar(err: Console, show: bool) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show,
        redirect_stdout=False,
        redirect_stderr=False,
    )


def _read(path: Path, settings: Settings) -> str:
    from ragkit.ingest.loaders import LoaderOptions, load_file_bounded

    # The file is untrusted like any other: parsed under the loader's limits.
    options = LoaderOptions(**settings.loader.model_dump())
    text = "\n\n".join(doc.text for doc in load_file_bounded(path, options)).strip()
    if not text:
        raise RagkitError(f"{path}: no text found in the file; nothing to do")
    return text


def _write(piece: str) -> None:
    write_out(piece)


@app.command()
def summarize(
    file: Annotated[
        Path | None, typer.Argument(help="A document (.txt .md .pdf .html .docx .jsonl).")
    ] = None,
    index_name: IndexOpt = None,
    doc: Annotated[
        Path | None, typer.Option("--doc", help="With --index: only this document of it.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Summarize a document, or every document of an index, in its own language."""
    from ragkit.answer.summarize import Summarizer, SummaryReport
    from ragkit.wiring import chat_model, generation_options

    with command(config) as (out, err, settings):
        if (file is None) == (index_name is None):
            raise RagkitError("give a FILE to summarize or --index NAME, not both or neither")
        if doc is not None and index_name is None:
            raise RagkitError("--doc PATH picks a document of an index; add --index NAME")
        summarizer = Summarizer(chat_model(settings), generation_options(settings))
        if file is not None:
            texts = [("", _read(file, settings))]
        else:
            texts = _indexed_texts(settings, index_name, doc)
        for number, (title, text) in enumerate(texts):
            if title:
                out.print(("\n" if number else "") + f"# {escape(title)}")
            report = SummaryReport()
            with _bar(err, show=True) as bar:
                stream = iter(summarizer.stream(text, progress=StepBar(bar), report=report))
                # The bar runs while earlier rounds compute; it goes once text flows.
                first = next(stream, "")
            _write(first.lstrip())
            for piece in stream:
                _write(piece)
            _write("\n")
            for note in _summary_notes(report):
                out.print(note)


def _summary_notes(report: SummaryReport) -> list[str]:
    """The footer saying what the checks left out of the model's summary, as
    `ragkit ask` does for an answer."""
    notes = []
    if report.extractive:
        notes.append(
            "(the model's summary did not hold up against the document: these are its "
            "opening sentences, as written)"
        )
    parts = []
    if report.unsupported:
        parts.append(f"{len(report.unsupported)} the document does not support")
    if report.repeated:
        parts.append(f"{report.repeated} repeating an earlier one")
    if parts:
        count = report.left_out
        notes.append(
            f"(left out {count} sentence{'s' if count > 1 else ''} of the model's summary: "
            + ", ".join(parts)
            + ")"
        )
    return notes


def _indexed_texts(settings: Settings, name: str | None, doc: Path | None) -> list[tuple[str, str]]:
    """(title, text) of every document of the index, or of the one `doc` names."""
    from ragkit.answer.summarize import indexed_document_text
    from ragkit.index.engine import IndexReader
    from ragkit.index.milvus import AnyReader
    from ragkit.wiring import index_path, milvus_backend

    path = index_path(settings, name)
    backend = milvus_backend(settings, path)
    reader: AnyReader = IndexReader.open(path) if backend is None else backend.reader(path)
    try:
        documents = reader.store.documents(reader.generation)
        if doc is not None:
            wanted = {str(doc), str(doc.resolve())}
            documents = [d for d in documents if d[0] in wanted or d[1] in wanted]
            if not documents:
                raise RagkitError(
                    f"{doc} is not in index {reader.index_dir}; see: ragkit ls --index {name}"
                )
        if not documents:
            raise RagkitError(f"index {reader.index_dir} has no documents; add some: ragkit index")
        texts: list[tuple[str, str]] = []
        for source, key, _count in documents:
            title = display_path(source) + (key[len(source) :] if key != source else "")
            texts.append((title, indexed_document_text(reader, key)))
        return texts
    finally:
        reader.close()
        if backend is not None:
            backend.close()


@app.command()
def translate(
    file: Annotated[Path, typer.Argument(help="A document (.txt .md .pdf .html .docx .jsonl).")],
    to: Annotated[str, typer.Option("--to", help="Target language: zh or en.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here (atomically), not to stdout.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Translate a document chunk by chunk into Chinese or English, keeping paragraphs."""
    from ragkit.answer.summarize import LANGUAGE_NAMES, Translator, detect_language
    from ragkit.index.fsutil import atomic_write_bytes
    from ragkit.wiring import chat_model, generation_options

    with command(config) as (_, err, settings):
        if to not in ("zh", "en"):
            raise RagkitError(f"--to {to!r} is not a language ragkit translates into; use zh or en")
        if out_file is not None and not out_file.parent.is_dir():
            raise RagkitError(f"--out {out_file}: folder {out_file.parent} does not exist")
        text = _read(file, settings)
        if detect_language(text) == to:
            err.print(
                f"note: {escape(str(file))} already reads as {LANGUAGE_NAMES[to]}; "
                "paragraphs in that language are copied unchanged"
            )
        translator = Translator(chat_model(settings), generation_options(settings))
        to_terminal = out_file is None and sys.stdout.isatty()
        pieces: list[str] = []
        with _bar(err, show=not to_terminal) as bar:
            target = cast("Language", to)
            for piece in translator.stream(text, target, progress=StepBar(bar)):
                if out_file is None:
                    _write(piece)
                else:
                    pieces.append(piece)
        if out_file is None:
            _write("\n")
        else:
            atomic_write_bytes(out_file, ("".join(pieces) + "\n").encode("utf-8"))
            err.print(f"wrote {escape(str(out_file))}")
