"""The chat's own widgets: a transcript entry that grows as text streams in, the modal
that shows a source's whole passage, and the indexing progress bar with its bridge from
the indexing thread.

All text shown passes through `sanitize_for_terminal` and is drawn as `rich.Text`, never
as markup, so neither escape sequences nor `[markup]` in model output or documents take
effect (an answer's inline Markdown becomes styles: ragkit.apps.inline_markdown);
Chinese text wraps between characters. Leaves out layout and behaviour (app.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, ProgressBar, Static

from ragkit import FileOutcome
from ragkit.apps.inline_markdown import styled
from ragkit.apps.tui.sanitize import sanitize_for_terminal

LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "user": ("You", "bold cyan"),
        "assistant": ("ragkit", "bold green"),
        "tool": ("tool", "bold magenta"),
        "info": ("·", "dim"),
        "error": ("error", "bold red"),
    }
)


class MessageView(Static):
    """One transcript entry; `append` adds streamed text and redraws it sanitized."""

    def __init__(self, role: str, text: str = "") -> None:
        super().__init__(classes=f"turn turn-{role}")
        self.role = role
        self.raw = text
        self.note = ""
        # An answer still being written or checked: the model may go on writing sentences
        # the checks withhold, so text that looks finished can still be followed by more.
        self.working = False

    def on_mount(self) -> None:
        self._draw()

    @property
    def plain(self) -> str:
        """The text as shown (sanitized), without the role label."""
        return self._body().plain + self.note

    def _body(self) -> Text:
        text = sanitize_for_terminal(self.raw)
        if self.role == "assistant":
            # A checked answer has no Markdown marks left; a reply that was not checked
            # (an agent's) may: its bold, italics, code and headings are drawn as styles,
            # not as asterisks and hashes ("2 * 3" stays).
            return styled(text)
        return Text(text)

    def append(self, piece: str) -> None:
        self.raw += piece
        self._draw()

    def set_note(self, note: str) -> None:
        self.note = note
        self._draw()

    def set_working(self, working: bool) -> None:
        """Mark the entry as still in progress (a dim "…" after its text), or finished."""
        self.working = working
        self._draw()

    def _draw(self) -> None:
        label, style = LABELS.get(self.role, (self.role, "bold"))
        # Sanitize the whole text each time: an escape sequence split across streamed
        # pieces is only recognisable once it is complete.
        mark = (" …", "dim") if self.working else ""
        line = Text.assemble((label + "  ", style), self._body(), self.note, mark)
        # A note's lines go on under its text, not under its "·" (the command list's
        # descriptions under their column): the model's words are drawn as written.
        self.update(Wrapped(line, hanging=self.role in ("info", "error")))


# A Chinese character, or a run of CJK punctuation, may end a line; closing punctuation (，。）)
# stays with the character before it, a Chinese one or not (a citation: "88号[1]。" must
# not leave "。" to start the next line), and so does a citation mark, with the space
# before it ("七年[1]", "18 months [1]." never start a line with the mark). Elsewhere
# lines break after spaces.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_CLOSING = "，。、；：！？）」』】》〉"
_MARK = rf"(?: ?\[\d+(?:[,，、] ?\d+)*\][^\s{_CJK}]*[{_CLOSING}]*)*"
_BREAKABLE = re.compile(
    rf"[{_CJK}][\u3000-\u303f\uff00-\uffef]*{_MARK}\s*|[^\s{_CJK}]+[{_CLOSING}]*{_MARK}\s*|\s+"
)


# A line laid out in two columns: a name, two spaces or more, then what it says
# ("/add PATH…    index files or folders", "·  (left out 1 sentence…").
_COLUMNS = re.compile(r"\S(?:.*?\S)? {2,}(?=\S)")


class Wrapped:
    """`text` wrapped to the width it is drawn at, breaking between Chinese characters as
    well as at spaces. rich and Textual break only at spaces, so a Chinese sentence after
    the role label moved whole to the next line, leaving the label alone on its own.
    `hanging`: a line laid out in two columns goes on under its second column (at 80
    columns /help's descriptions ran back under the command names), unless that column
    starts past the middle of the width."""

    def __init__(self, text: Text, hanging: bool = False) -> None:
        self.text = text
        self.hanging = hanging

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width, 1)
        for paragraph in self.text.split("\n", allow_blank=True):
            column = _COLUMNS.match(paragraph.plain) if self.hanging else None
            indent = cell_len(column.group()) if column else 0
            first = _breaks(paragraph.plain, width)[:1]
            if not indent or indent > width // 2 or not first:
                # A word wider than the line is left whole: drawing the line folds it.
                yield from paragraph.divide(_breaks(paragraph.plain, width))
                continue
            yield paragraph[: first[0]]
            rest = paragraph[first[0] :]
            for line in rest.divide(_breaks(rest.plain, width - indent)):
                yield Text(" " * indent) + line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(
            1, max((cell_len(line) for line in self.text.plain.split("\n")), default=1)
        )


def _breaks(plain: str, width: int) -> list[int]:
    """Where `plain` breaks into lines of at most `width` cells (its trailing spaces aside)."""
    offsets: list[int] = []
    used = 0
    for piece in _BREAKABLE.finditer(plain):
        if used and used + cell_len(piece.group().rstrip()) > width:
            offsets.append(piece.start())
            used = 0
        used += cell_len(piece.group())
    return offsets


def wrap_indented(text: str, width: int, indent: str = "  ") -> str:
    """`text` as lines of at most `width` cells, each after `indent`, broken where `Wrapped`
    breaks a line: between Chinese characters but never before closing punctuation (a
    line starting "，" reads wrong), at spaces elsewhere. The Sources pane's previews:
    left to the list, a Chinese sentence broke anywhere and its lines lost the indent.
    A `width` with no room beside the indent (not laid out yet) leaves `text` one line."""
    room = width - cell_len(indent)
    if room < 8:
        return indent + text
    starts = [0, *_breaks(text, room)]
    ends = [*starts[1:], len(text)]
    return "\n".join(indent + text[a:b].rstrip() for a, b in zip(starts, ends, strict=True))


class ChunkScreen(ModalScreen[None]):
    """A source's whole passages with the sentences the answer cites lit (as the web page
    lights the cited sentence on its page), scrolled to the first; Escape or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, title: str, text: str, lit: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text = sanitize_for_terminal(title)
        self.body = sanitize_for_terminal(text)
        self.spans = lit_spans(self.body, [sanitize_for_terminal(s) for s in lit])

    @property
    def lit(self) -> list[str]:
        """The lit parts of the passage, as shown."""
        return [self.body[start:end] for start, end in self.spans]

    def compose(self) -> ComposeResult:
        body = Text(self.body)
        for start, end in self.spans:
            body.stylize(LIT, start, end)
        with VerticalScroll(id="chunk"):
            yield Label(Text(self.title_text, style="bold"), id="chunk-title")
            yield Static(body, id="chunk-text")
            yield Label(Text("Escape closes", style="dim"))

    def on_mount(self) -> None:
        if self.spans:
            self.call_after_refresh(self._scroll_to_lit)

    def _scroll_to_lit(self) -> None:
        # The lit sentence may stand far down a long passage: bring it into view (by its
        # share of the text: wrapped lines make a line count wrong either way).
        view = self.query_one("#chunk", VerticalScroll)
        share = self.spans[0][0] / max(1, len(self.body))
        view.scroll_to(y=max(0, int(view.virtual_size.height * share) - 2), animate=False)


class SourceList(OptionList):
    """The Sources pane. Reached with Tab, it highlights its first source if none is, so
    Enter opens one at once (a list with nothing highlighted ignores Enter). `redraw`
    (the app's) runs when its width changes: its previews are wrapped to that width."""

    def __init__(self, redraw: Callable[[], object], id: str | None = None) -> None:
        super().__init__(id=id)
        self._redraw = redraw
        self._width = 0

    @property
    def line_width(self) -> int:
        """The cells a source line has (0 before the pane is laid out)."""
        return self.scrollable_content_region.width

    def on_focus(self, event: events.Focus) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def on_resize(self, event: events.Resize) -> None:
        if self.line_width != self._width:
            self._width = self.line_width
            self._redraw()


LIT = "bold black on yellow"
"""How a cited sentence is lit in its passage."""


def lit_spans(text: str, sentences: Sequence[str]) -> list[tuple[int, int]]:
    """Where each of `sentences` stands in `text`, in order, overlapping ones merged. A
    sentence is found with its whitespace taken loosely (a passage breaks lines where the
    sentence, as cited, has spaces); one not found is left out."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        found = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if found:
            spans.append(found.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class IndexingBar(Horizontal):
    """Progress of `/add`: files read, then chunks embedded."""

    def compose(self) -> ComposeResult:
        yield Label("indexing", id="progress-label")
        yield ProgressBar(total=None, show_eta=False, id="progress-bar")

    def start(self, label: str, total: int | None) -> None:
        self.query_one("#progress-label", Label).update(label)
        self.query_one(ProgressBar).update(total=total, progress=0)

    def advance(self, amount: int = 1) -> None:
        self.query_one(ProgressBar).advance(amount)

    def set_total(self, total: int | None) -> None:
        self.query_one(ProgressBar).update(total=total)

    def relabel(self, label: str) -> None:
        self.query_one("#progress-label", Label).update(label)


class ProgressBridge:
    """`ragkit`'s indexing progress interface, called on the indexing thread; forwards
    each report to the bar on the UI thread through `call` (`App.call_from_thread`)."""

    def __init__(self, bar: IndexingBar, call: Callable[..., object]) -> None:
        self._bar = bar
        self._call = call
        self._embedding = False
        self._reading_scan = False

    def files_found(self, total: int) -> None:
        self._call(self._bar.start, "files", total)

    def file_done(self, outcome: FileOutcome) -> None:
        if self._reading_scan:  # the scan's "OCR page" label ends with it
            self._reading_scan = False
            self._call(self._bar.relabel, "files")
        self._call(self._bar.advance, 1)

    def embedding(self, total: int) -> None:
        # Called again with a larger total while files are still being read.
        if self._embedding:
            self._call(self._bar.set_total, total)
        else:
            self._embedding = True
            self._call(self._bar.start, "chunks embedded", total)

    def embedded(self, count: int) -> None:
        self._call(self._bar.advance, count)

    def stage(self, name: str) -> None:
        self._call(self._bar.start, f"writing {name}", None)

    def waiting(self, message: str) -> None:
        self._call(self._bar.start, message, None)

    def ocr_page(self, source: str, done: int, total: int) -> None:
        self._reading_scan = True
        self._call(self._bar.relabel, f"files (OCR page {done}/{total})")
