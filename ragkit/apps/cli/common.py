"""Shared pieces of the `ragkit` command line: the typer app (whose help shows plain
placeholders such as `PATHS...` and `-k INTEGER`), common options, consoles,
the error boundary that turns a `RagkitError` into one line and exit 1, settings loading and
the rich progress bars. Leaves out the commands themselves (one module per group).
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast, get_args, get_origin

import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from ragkit._version import __version__
from ragkit.errors import RagkitError
from ragkit.guard.terminal import strip_terminal

try:  # typer ≥ 0.2x carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - typer on the click package
    from click.exceptions import UsageError  # type: ignore[assignment]

if TYPE_CHECKING:
    # Only for annotations: pydantic-settings and rich.progress cost a tenth of a second
    # or more to import, which `ragkit --help`, `--version` and errors must not pay.
    from pydantic.fields import FieldInfo
    from rich.progress import Progress

    from ragkit.config import Settings
    from ragkit.types import FileOutcome

_F = TypeVar("_F", bound=Callable[..., Any])
_C1 = re.compile("[\x7f-\x9f]")

_TYPE_NAMES: Mapping[type, str] = MappingProxyType(
    {str: "TEXT", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}
)


def metavar(param: Any) -> str:
    """The plain placeholder for a typer parameter's value: its own `metavar`, else
    click's style: an argument's name (`PATHS...`), an option's type (`TEXT`, `INTEGER`,
    `PATH`). (typer ≥ 0.2x keeps the annotation in `type_descriptor`; older typer kept
    a click type, whose name is the same word.)"""
    if param.metavar:
        return str(param.metavar)
    if param.param_type_name == "argument":
        shown = str(param.name).upper()
        if not param.required:
            shown = f"[{shown}]"
        return shown + ("..." if param.nargs != 1 else "")
    described = getattr(param, "type_descriptor", None)
    annotation = getattr(described, "annotation", None)
    while get_origin(annotation) is list:  # a repeatable option: one value's type
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "PATH"
    if isinstance(annotation, type) and annotation in _TYPE_NAMES:
        return _TYPE_NAMES[annotation]
    return str(getattr(getattr(param, "type", None), "name", "") or "value").upper()


def usage_error_line(ctx: Any, exc: Exception) -> str:
    """click's usage error as one line: its message and where the command's help is.
    click prints the usage line, a "Try --help" line and then the message; the message
    alone is what tells a user what to change. An unknown `--k` where `-k` exists
    says so (click only suggests long options)."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    message = " ".join(str(message).split()).rstrip(".")
    option = getattr(exc, "option_name", None)
    if isinstance(option, str) and option.startswith("--") and len(option) == 3:
        short = option[1:]
        if any(short in getattr(p, "opts", ()) for p in ctx.command.params):
            message = f"{message}; did you mean {short} (one dash)?"
    return f"error: {message[:1].lower()}{message[1:]} (see: {ctx.command_path} --help)"


class _OneLineUsageErrors:
    """Usage errors (an unknown option or command, a missing argument) as one line on
    stderr and exit status 2, instead of click's usage line, hint and message."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc,no-any-return]
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `ragkit chats`: the help
                raise
            typer.echo(strip_terminal(usage_error_line(ctx, exc)), err=True)
            raise typer.Exit(2) from None


class PlainHelpCommand(_OneLineUsageErrors, TyperCommand):
    """A command whose help shows plain placeholders (`PATHS...`, `-k INTEGER`, `--index
    NAME`). typer's own help shows Python types there (`paths... <list[Path]>`, `-k <int>`)
    and braces on the usage line (`{paths}...`), which read as code to a user."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "argument" and not param.metavar:
                # An error names the argument as the usage line does ("Missing argument
                # 'PATHS...'"), not by its Python name ('paths').
                param.metavar = metavar(param)

    # `ctx` and `formatter` are typer's click objects (typer vendors click since 0.2x).
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(metavar(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((metavar(param), record[1]))
            elif isinstance(param, TyperOption):
                options.append((_option_names(param), record[1]))
            else:  # click's own --help
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _option_names(param: TyperOption) -> str:
    """`-i, --index NAME` (a flag: its names alone; `--a / --no-a` for a pair)."""

    def names(opts: list[str]) -> str:
        joined = ", ".join(sorted(opts, key=lambda o: o.startswith("--")))
        return joined if param.is_flag or param.count else f"{joined} {metavar(param)}"

    return " / ".join(names(opts) for opts in (param.opts, param.secondary_opts) if opts)


class PlainGroup(_OneLineUsageErrors, TyperGroup):
    """A command group whose usage errors ("No such command") are one line."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            typer.echo(strip_terminal(usage_error_line(ctx, exc)), err=True)
            raise typer.Exit(2) from None


class Typer(typer.Typer):
    """typer's app whose commands show plain placeholders in their help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", PlainGroup)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[_F], _F]:
        kwargs.setdefault("cls", PlainHelpCommand)
        return super().command(*args, **kwargs)


app = Typer(
    name="ragkit",
    help="Index your documents and ask them questions, with answers cited to file and page. "
    "Everything runs on this machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ragkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print ragkit's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    # No docstring: the app's help text is the one given to typer.Typer above.
    pass


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="TOML settings file (default: ./ragkit.toml or $RAGKIT_CONFIG).",
    ),
]
IndexOpt = Annotated[
    str | None,
    typer.Option(
        "--index",
        "-i",
        metavar="NAME",
        help="Index name under the index home (default: 'default').",
    ),
]
ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", "-m", help="Retrieval: hybrid (dense + BM25, fused), dense or bm25."),
]


class SafeConsole(Console):
    """The CLI's one output boundary: a rich console that writes no terminal escape it
    did not make itself. Every text it renders (document text, file names, model output,
    stored conversations, error messages) loses escape sequences and control characters
    (ragkit.guard.terminal) after markup is parsed, and styles lose hyperlinks, so a
    document cannot write the clipboard (OSC 52), retitle the window or clear the screen.
    Callers still `escape()` untrusted text so that it is not read as rich markup."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(_safe_segments(buffer))


def _safe_segments(buffer: Iterable[Segment]) -> Iterator[Segment]:
    for segment in buffer:
        text, style, control = segment
        if control:  # rich's own cursor and screen controls (progress bars)
            yield segment
            continue
        if style is not None and style.link:
            style = style.update_link(None)
        yield Segment(strip_terminal(text), style, control)


def consoles() -> tuple[Console, Console]:
    return SafeConsole(highlight=False, soft_wrap=True), SafeConsole(
        stderr=True, highlight=False, soft_wrap=True
    )


def write_out(text: str) -> None:
    """Raw text to stdout (a streamed answer), without terminal escapes."""
    sys.stdout.write(strip_terminal(text))
    sys.stdout.flush()


def write_json(data: object) -> None:
    """`data` as JSON on stdout. JSON escapes C0 controls (ESC too) itself; C1 controls and
    DEL are escaped here, so the text is the same data and no terminal reads a sequence."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


@contextmanager
def user_errors(err: Console) -> Iterator[None]:
    try:
        yield
    except RagkitError as exc:
        err.print(f"error: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    except sqlite3.Error as exc:
        # Store errors are translated where the index is known; this is the backstop.
        err.print(
            f"error: the index's SQLite store failed ({escape(str(exc))}); "
            "check it with: ragkit verify --index NAME",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


@contextmanager
def command(
    config: Path | None,
    flags: Mapping[str, str | tuple[str, str]] | None = None,
    **sections: dict[str, Any],
) -> Iterator[tuple[Console, Console, Settings]]:
    """A command's start: its consoles (out, err), the error boundary (`user_errors`)
    around the rest, and its settings, read inside it so a bad settings file is one
    line too. `sections`: the command's flags, as `settings_from` takes them; `flags`:
    the name of the flag that sets each of them (`{"server.port": "--port"}`; a number's
    with what it counts, `("--port", "the TCP port")`), so that a bad value is refused
    in the flag's name. A number flag comes as the text typed (see `number_flag`)."""
    out, err = consoles()
    with user_errors(err):
        checked = check_flags(sections, flags or {})
        yield out, err, settings_from(config, **checked)


def check_flags(
    sections: Mapping[str, Mapping[str, Any]], flags: Mapping[str, str | tuple[str, str]]
) -> dict[str, dict[str, Any]]:
    """`sections` with each flag's value checked against the bounds and choices of the
    setting it sets, numbers parsed from the text typed. The settings model would name
    the setting and its environment variable (`setting server.port (env
    RAGKIT_SERVER__PORT)`), which the user did not touch. Leaves the rest (validators
    across settings, files that must exist) to the settings model."""
    from pydantic import BaseModel, ValidationError, create_model

    from ragkit.config import Settings

    checked = {name: dict(values) for name, values in sections.items()}
    for dotted, named in flags.items():
        flag, what = (named, "") if isinstance(named, str) else named
        section, key = dotted.split(".")
        value = checked.get(section, {}).get(key)
        if value is None:
            continue
        declared = cast("type[BaseModel]", Settings.model_fields[section].annotation)
        field = declared.model_fields[key]
        if _number_kind(field) is not None:
            checked[section][key] = number_flag(flag, str(value), field, what)
            continue
        try:
            create_model("Flag", value=(cast(Any, field.annotation), field))(value=value)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].replace("Input should be", "it should be", 1)
            raise RagkitError(f"{flag} {value}: {message}") from None
    return checked


def _number_kind(field: FieldInfo) -> type | None:
    """int or float when the field holds a number (`int`, `float | None`), else None."""
    kinds = set(get_args(field.annotation)) or {field.annotation}
    kinds.discard(type(None))
    if kinds == {int}:
        return int
    if kinds and kinds <= {int, float}:
        return float
    return None


def number_flag(flag: str, given: str | None, field: FieldInfo, what: str) -> Any:
    """The number typed for `flag` (None when not given), parsed as `field` declares it
    (a whole number for an `int`) and within its bounds; else a `RagkitError` whose one
    line names the flag, the text typed and what is allowed: `-k abc: give a whole
    number from 1 to 50 (passages searched)`. Number flags take text so that this line,
    not click's "Invalid value for '-k': Input should be a valid integer" under a usage
    line, is what a typo gives. NaN and infinities are no numbers here."""
    if given is None:
        return None
    import annotated_types

    whole = _number_kind(field) is int
    low = high = None
    low_open = high_open = False
    # The declared bounds are numbers (ge=1, le=1.0); annotated_types types them loosely.
    for m in field.metadata:
        if isinstance(m, annotated_types.Ge):
            low = cast(float, m.ge)
        elif isinstance(m, annotated_types.Gt):
            low, low_open = cast(float, m.gt), True
        elif isinstance(m, annotated_types.Le):
            high = cast(float, m.le)
        elif isinstance(m, annotated_types.Lt):
            high, high_open = cast(float, m.lt), True
    value: float | None
    try:
        value = int(given.strip()) if whole else float(given.strip())
    except ValueError:
        value = None
    if value is not None and math.isfinite(value):
        above = low is None or (value > low if low_open else value >= low)
        below = high is None or (value < high if high_open else value <= high)
        if above and below:
            return value
    kind = "a whole number" if whole else "a number"
    if low is not None and high is not None and not (low_open or high_open):
        allowed = f"{kind} from {low:g} to {high:g}"
    else:
        parts = []
        if low is not None:
            parts.append(f"more than {low:g}" if low_open else f"{low:g} or more")
        if high is not None:
            parts.append(f"less than {high:g}" if high_open else f"at most {high:g}")
        allowed = " ".join([kind, " and ".join(parts)]) if parts else kind
    shown = given if given.strip() and given.isprintable() and " " not in given else repr(given)
    raise RagkitError(f"{flag} {shown}: give {allowed}" + (f" ({what})" if what else ""))


def settings_from(config: Path | None, **sections: dict[str, Any]) -> Settings:
    # Models load from package folders; make sure nothing ever asks a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from ragkit.config import load_settings

    return load_settings(config, sections)


class BarProgress:
    """Draws indexing progress with rich on stderr: files done of files found, and
    chunks embedded with their rate and the time left at that rate."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._files = progress.add_task("files", total=None)
        self._chunks: Any = None
        self._live = False

    def _start(self) -> None:
        if not self._live:
            self._live = True
            self._p.start()

    @classmethod
    @contextmanager
    def shown(cls, err: Console) -> Iterator[BarProgress]:
        """A live bar on `err` for the duration of the block."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            # Over the whole step, not rich's speed over its last few updates: chunks
            # whose vectors the index has cached never reach the bar, so the last two
            # batches of a mostly cached run, a moment apart, read as 189,184.9/s.
            def render(self, task: Task) -> Text:
                if task.total == 0:  # chunks: every chunk's vector was cached
                    return Text("(all from cache)" if task.fields.get("cached") else "")
                spent = task.finished_time if task.finished_time is not None else task.elapsed
                return Text(f"{task.completed / spent:,.1f}/s" if spent else "")

        class Remaining(TimeRemainingColumn):
            def render(self, task: Task) -> Text:
                if task.total == 0:
                    return Text("")
                return Text.assemble("eta ", super().render(task))

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            Remaining(),
        )
        # Started by the first file found, not here: a run that finds none (an empty
        # folder) ends in its one error line, with no "0/0" bar drawn above it.
        shown = cls(Progress(*columns, console=err, transient=False))
        try:
            yield shown
        except BaseException:
            if shown._live:
                shown._p.stop()  # the last frame says which step it stopped in
            raise
        if shown._live:
            # The last frame of a finished run: "files 7/7", not the "(writing commit)"
            # of its last step, which reads as still under way.
            shown._p.update(shown._files, description="files")
            shown._p.stop()

    def files_found(self, total: int) -> None:
        self._p.update(self._files, total=total)
        if total:
            self._start()

    def file_done(self, outcome: FileOutcome) -> None:
        # A path given that does not exist was never counted as found; a symbolic link to
        # nothing was (lexists: the link itself), so its failure moves the bar too.
        if outcome.status != "failed" or os.path.lexists(outcome.path):
            # "files" again after a checkpoint's "(writing …)" stages.
            self._p.update(self._files, description="files", advance=1)

    def embedding(self, total: int) -> None:
        # Called again with a larger total while files are still being read.
        self._start()
        if self._chunks is None:
            self._chunks = self._p.add_task("chunks embedded", total=total, cached=True)
        else:
            self._p.update(self._chunks, total=total)

    def embedded(self, count: int) -> None:
        if self._chunks is not None:
            self._p.advance(self._chunks, count)

    def stage(self, name: str) -> None:
        self._start()
        self._p.update(self._files, description=f"files (writing {name})")

    def waiting(self, message: str) -> None:
        self._p.console.print(message)

    def ocr_page(self, source: str, done: int, total: int) -> None:
        where = f"OCR page {done}/{total} of {Path(source).name}"
        if self._p.console.is_terminal:
            self._p.update(self._files, description=f"files ({escape(where)})")
        else:
            # No live bar off a terminal (a log, a pipe): a line per page says it moves.
            self._p.console.print(escape(where))
