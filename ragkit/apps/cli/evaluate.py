"""`ragkit eval`: measure retrieval on labelled data (BEIR and SQuAD-style sets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    pass

from ragkit.apps.cli.common import (
    BarProgress,
    ConfigOpt,
    Typer,
    app,
    command,
    write_out,
)

eval_app = Typer(help="Measure ragkit on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            "-d",
            help="beir:DIR (corpus.jsonl, queries.jsonl, qrels/test.tsv) or squad:FILE "
            "(SQuAD-style JSON; a question's own passage is the relevant one).",
        ),
    ],
    mode: Annotated[
        list[str] | None,
        typer.Option("--mode", "-m", help="hybrid, dense or bm25; repeat for several."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """nDCG@10, Recall@1/5/10/100, MRR@10 and queries/s; indexes through the normal
    pipeline into a cached index under the index home (reused when unchanged)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ragkit.evaluation import evaluate_retrieval, format_table, load_dataset, to_json
    from ragkit.wiring import knowledge_base

    with command(config) as (out, err, settings):
        cache = (settings.index.home / ".eval").resolve()
        data = load_dataset(dataset, cache_dir=cache)
        modes = mode or ["bm25", "dense", "hybrid"]
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            scores = evaluate_retrieval(
                data,
                lambda p: knowledge_base(settings, str(p)),
                cache,
                modes,
                progress=lambda msg: err.print(escape(msg)),
                index_progress=BarProgress(bar),
            )
        if as_json:
            write_out(to_json(scores) + "\n")
        else:
            out.print(escape(format_table(scores)))
