"""`ChatApp`: the Textual terminal chat over a `ChatState`.

The transcript is on the left, the latest answer's sources on the right, one line per
document with the sentence each cited passage supports (Enter on one opens its whole
passages with the cited sentences lit; Tab reaches it with its first line highlighted;
the numbers the answer cites get a bold `[n]`, as they are cited, and documents it does
not cite are dimmed), the prompt at the bottom. Answers are produced on a worker
thread, so the screen stays live while the model runs; each event is handed to the UI
thread with `call_from_thread`. Ctrl-C stops the answer (the worker closes the event
stream, which closes the model's generator) and leaves the app running; it takes effect
at the next event, so a model still reading a long prompt stops once it yields. Ctrl-Q, or
Ctrl-D on an empty prompt, quits; an answer still being written or checked then is kept
as far as it was shown, marked `[interrupted]`. A question sent while an answer (or
/add) runs is shown at once, marked queued, and asked when that is done; the prompt's
border and placeholder say it is busy meanwhile, and Ctrl-C drops the queued questions
with the answer it stops. Tool calls and notes from the backend are
drawn above the answer they lead to; the count of the model's sentences the checks
withheld (ragkit.apps.left_out) below it. Finished turns go to the `HistoryStore` and come back
on the next start. Leaves out the backends' work (backends.py) and settings (the CLI).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text as RichText
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, OptionList
from textual.widgets.option_list import Option

from ragkit import Citation, RagkitError
from ragkit.answer.citations import cited_numbers
from ragkit.apps.left_out import left_out_note
from ragkit.apps.snippets import preview
from ragkit.apps.tui.backends import Backend
from ragkit.apps.tui.history import (
    HistoryStore,
    Turn,
    by_document,
    document_location,
    transcript_markdown,
    write_atomically,
)
from ragkit.apps.tui.sanitize import sanitize_for_terminal
from ragkit.apps.tui.session import HELP, ChatState, Command, SessionError, parse_command
from ragkit.apps.tui.widgets import (
    ChunkScreen,
    IndexingBar,
    MessageView,
    ProgressBridge,
    SourceList,
    wrap_indented,
)
from ragkit.errors import IndexNotFoundError
from ragkit.events import Done, Event, Sources, Status, Text, ToolFinished, ToolStarted
from ragkit.models.llm.base import model_label

CSS = """
#main { height: 1fr; }
#transcript { width: 2fr; padding: 0 1; }
#side { width: 1fr; min-width: 24; border-left: solid $primary; }
#sources { height: 1fr; }
.turn { margin-bottom: 1; }
IndexingBar { height: 1; display: none; }
IndexingBar.active { display: block; }
#progress-label { width: 24; }
#prompt.busy { border: tall $warning; }
ChunkScreen { align: center middle; }
#chunk { width: 90%; height: 80%; border: thick $primary; background: $surface; padding: 1; }
"""


INTERRUPTED = "[interrupted]"
"""Ends an answer the chat quit during, as history keeps it."""
QUEUED = "  (queued: asked when the answer above is done)"
NOT_ASKED = "  (not asked)"
PLACEHOLDER = "Ask about your documents, or /help"


class ChatApp(App[None]):
    TITLE = "ragkit chat"
    CSS = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "stop", "Stop answer", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+d", "quit_if_empty", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session: ChatState,
        history: HistoryStore | None = None,
        restore: int = 200,
        save_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.history = history
        self.restore = restore
        self.save_dir = save_dir
        self.turns: list[Turn] = []
        self.sources: tuple[Citation, ...] = ()
        self.rows: list[tuple[Citation, ...]] = []  # the sources by document, as drawn
        self.cited: frozenset[int] = frozenset()  # the numbers the latest answer cites
        self.busy = False  # an answer or an /add is running
        self.answering = False
        self._answer: MessageView | None = None  # the answer being written or checked
        self._stop = threading.Event()
        self._running_tools: list[tuple[str, MessageView]] = []
        # Questions sent while an answer or /add runs, shown at once and asked in turn.
        self.queued: list[tuple[str, MessageView]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield VerticalScroll(id="transcript")
            with Vertical(id="side"):
                yield Label("Sources", id="sources-label")
                yield SourceList(self._draw_sources, id="sources")
        yield IndexingBar()
        yield Input(placeholder=PLACEHOLDER, id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        if self.history is not None:
            for turn in self.history.load(self.restore):
                self._show(turn)
            # The latest answer from the documents: one "not in the documents" lists none.
            restored = [t for t in self.turns if t.role == "assistant" and t.mode == "rag"]
            if restored and restored[-1].sources:
                self._show_sources(restored[-1].sources)
                self._mark_cited(restored[-1].content)
        self._refresh_title()
        self._warm_up()
        self._note("/help lists the commands · Ctrl-C stops an answer · Ctrl-Q quits")
        self.query_one(Input).focus()

    # --- transcript -----------------------------------------------------------------
    def _show(self, turn: Turn, persist: bool = False) -> MessageView:
        self.turns.append(turn)
        if persist and self.history is not None:
            self.history.append(turn)
        return self._mount_view(MessageView(turn.role, turn.content))

    def _mount_view(self, view: MessageView, before: MessageView | None = None) -> MessageView:
        transcript = self.query_one("#transcript", VerticalScroll)
        transcript.mount(view, before=before)
        transcript.scroll_end(animate=False)
        return view

    def _note(self, text: str, role: str = "info") -> None:
        # Notes and errors are shown, not kept: history holds the conversation itself.
        self._mount_view(MessageView(role, text))

    def _refresh_title(self) -> None:
        try:
            self.sub_title = sanitize_for_terminal(self.session.describe())
        except RagkitError as exc:
            self.sub_title = f"index {self.session.index} · mode {self.session.mode}"
            self._note(str(exc), "error")

    def _warm_up(self) -> None:
        """The chat model loads while the user types (`ChatState.warm_up`); a model that
        cannot be opened is reported by the first answer, as without this."""
        try:
            self.session.warm_up()
        except RagkitError:
            pass

    def _show_sources(self, sources: Sequence[Citation]) -> None:
        self.sources = tuple(sources)
        self.cited = frozenset()
        self._draw_sources()

    def _mark_cited(self, answer: str) -> None:
        """Mark the sources `answer` cites (called as it streams: a source is marked the
        moment its `[n]` appears)."""
        numbers = {c.number for c in self.sources}
        cited = frozenset(n for n in cited_numbers(answer) if n in numbers)
        if cited != self.cited:
            self.cited = cited
            self._draw_sources()

    def _cite(self, citations: Sequence[Citation]) -> None:
        """Take the finished answer's citations in place of the sources they cite: they
        carry the sentence each one supports, its page and offsets (kept in history)."""
        final = {c.number: c for c in citations}
        self.sources = tuple(final.get(c.number, c) for c in self.sources)
        self._draw_sources()

    def _draw_sources(self) -> None:
        options = self.query_one("#sources", SourceList)
        highlighted = options.highlighted
        self.rows = by_document(self.sources)
        options.clear_options()
        width = options.line_width
        options.add_options([Option(self._source_line(row, width)) for row in self.rows])
        if highlighted is not None and highlighted < len(self.rows):
            options.highlighted = highlighted
        label = "Sources" if not self.cited else f"Sources ({len(self.cited)} cited)"
        self.query_one("#sources-label", Label).update(label)

    def _source_line(self, row: Sequence[Citation], width: int = 0) -> RichText:
        # One line per document, however many of its passages were given: its numbers,
        # then the file's name and page (the full path when opened), then the sentence
        # each cited passage supports the answer with (before any is cited: the
        # passage's best sentence). Rich text, not markup: a file "[b]x.md" shows as named.
        cited = [c for c in row if c.number in self.cited]
        chips: list[tuple[str, str] | str] = []
        for c in row:
            chips += [(f"[{c.number}]", "bold reverse" if c.number in self.cited else ""), " "]
        # Each preview wrapped to the pane's `width`, its lines indented under the name.
        previews = [
            "\n" + wrap_indented(preview(c.sentence or c.snippet, 80), width)
            for c in cited or row[:1]
        ]
        line = RichText.assemble(
            *chips[:-1], sanitize_for_terminal(f" {_name(row)}{''.join(previews)}")
        )
        if self.cited and not cited:
            line.stylize("dim")  # given to the model, not cited by its answer
        return line

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id != "sources" or event.option_index >= len(self.rows):
            return
        row = self.rows[event.option_index]
        passages = []
        for source in row:
            try:
                chunk = self.session.kb.chunk(source.chunk_id)
            except RagkitError as exc:
                self._note(str(exc), "error")
                return
            if chunk is None:
                self._note(f"[{source.number}] is no longer in the index (it was re-indexed)")
                return
            passages.append(chunk.text if len(row) == 1 else f"[{source.number}]\n{chunk.text}")
        numbers = " ".join(f"[{c.number}]" for c in row)
        # The sentences the answer cites are lit; before it cites any, each passage's best.
        cited = [c for c in row if c.number in self.cited] or list(row)
        lit = [c.sentence for c in cited if c.sentence]
        title = f"{numbers} {_location(row)}"
        self.push_screen(ChunkScreen(title, "\n\n".join(passages), lit))

    # --- input ----------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        event.input.value = ""
        try:
            command = parse_command(text)
            if command is None and self.busy:
                self._queue(text)
            elif command is None:
                self._ask(text)
            elif self.busy and command.name not in ("help", "save"):
                # Switching index, model or mode under a running answer would answer it
                # from one and file it under the other; /clear would lose it.
                work = "the answer" if self.answering else "indexing"
                stop = " (Ctrl-C stops it)" if self.answering else ""
                raise SessionError(
                    f"/{command.name} waits until {work} is done{stop}; send it again then"
                )
            else:
                self._command(command)
        except (SessionError, RagkitError) as exc:
            self._note(str(exc), "error")

    def _queue(self, text: str) -> None:
        """Show a question sent while the chat is busy, marked queued; it is asked (and
        kept in history) once the work before it is done."""
        view = self._mount_view(MessageView("user", text))
        view.set_note(QUEUED)
        self.queued.append((text, view))

    def _ask_next(self) -> None:
        """Ask the first queued question, now that nothing runs."""
        while self.queued and not self.busy:
            text, view = self.queued.pop(0)
            try:
                self._ask(text, view)
            except (SessionError, RagkitError) as exc:
                self._note(str(exc), "error")

    def _set_busy(self, busy: bool, answering: bool = False) -> None:
        """Mark the prompt busy: Enter queues a question rather than asking it now."""
        self.busy, self.answering = busy, answering
        prompt = self.query_one("#prompt", Input)
        prompt.set_class(busy, "busy")
        if not busy:
            prompt.placeholder = PLACEHOLDER
        elif answering:
            prompt.placeholder = "answering… Enter queues your next question · Ctrl-C stops"
        else:
            prompt.placeholder = "indexing… Enter queues a question until it is done"

    def _command(self, command: Command) -> None:
        name, arg = command.name, command.argument
        if name == "help":
            self._note(HELP)
        elif name == "mode":
            self.session.set_mode(arg)
            self._refresh_title()
            self._warm_up()
            self._note(f"mode {arg}")
        elif name == "index":
            self.session.switch_index(arg)
            self._refresh_title()
            self._warm_up()
            state = "ready" if self.session.kb.exists else "empty: /add PATH to index files"
            self._note(f"index {arg} ({state})")
        elif name == "model":
            self.session.switch_model(arg)
            self._refresh_title()
            self._warm_up()
            self._note(f"model {model_label(self.session.kb.chat_model)}")
        elif name == "clear":
            self.query_one("#transcript", VerticalScroll).remove_children()
            self.turns.clear()
            self._show_sources(())
            if self.history is not None:
                self.history.clear()
            self._note("conversation cleared")
        elif name == "save":
            self._save(arg)
        elif name == "add":
            if not arg:
                raise SessionError("/add needs a file or folder, e.g. /add ~/papers")
            self._start_add([Path(p).expanduser() for p in arg.split()])

    def _save(self, arg: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path(arg).expanduser() if arg else (self.save_dir or Path()) / f"chat-{stamp}.md"
        if not path.parent.is_dir():
            raise SessionError(f"/save {path}: folder {path.parent} does not exist")
        kept = [t for t in self.turns if t.role in ("user", "assistant", "tool")]
        try:
            write_atomically(path, transcript_markdown(kept))
        except OSError as exc:
            raise SessionError(f"/save {path}: {exc.strerror or exc}") from None
        self._note(f"saved {len(kept)} turns to {path}")

    # --- answering ------------------------------------------------------------------
    def _ask(self, message: str, asked: MessageView | None = None) -> None:
        """Answer `message`; `asked` is its view when it was queued (shown already)."""
        try:
            backend = self.session.backend()
        except RagkitError:
            if asked is not None:
                asked.set_note(NOT_ASKED)
            raise
        history = list(self.turns)
        turn = Turn("user", message, self.session.mode, self.session.index)
        if asked is None:
            asked = self._show(turn, persist=True)
        else:
            self.turns.append(turn)
            if self.history is not None:
                self.history.append(turn)
            asked.set_note("")
        view = MessageView("assistant")
        view.working = True
        # Right under its question: later queued questions stand below it.
        self.query_one("#transcript", VerticalScroll).mount(view, after=asked)
        self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)
        self._answer = view
        self._set_busy(True, answering=True)
        self._stop.clear()
        self._generate(backend, message, history, view)

    @work(thread=True, exclusive=True, group="answer")
    def _generate(
        self, backend: Backend, message: str, history: list[Turn], view: MessageView
    ) -> None:
        events = backend.run(message, history)
        error = ""
        try:
            for event in events:
                if self._stop.is_set():
                    break
                self.call_from_thread(self._on_event, view, event)
        except IndexNotFoundError:
            # The command line's advice (`ragkit index PATH --index …`) would send the user
            # out of the chat: here the index is filled with /add.
            error = (
                f"index {self.session.index} holds no documents yet; "
                "add files or folders with /add PATH"
            )
        except RagkitError as exc:
            error = str(exc)
        except Exception as exc:  # a backend bug must not take the chat down with it
            error = f"unexpected {type(exc).__name__}: {exc}"
        finally:
            # Closing the stream stops the model; done here, on the thread that runs it.
            events.close()
        stopped = self._stop.is_set()
        self.call_from_thread(self._finish, view, error, stopped)

    def _on_event(self, view: MessageView, event: Event) -> None:
        if isinstance(event, Text):
            view.append(event.text)
            self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)
            if self.sources:
                self._mark_cited(view.raw)
        elif isinstance(event, Sources):
            self._show_sources(event.items)
        elif isinstance(event, Done):
            if event.answer.not_found:
                # "Not in the documents" lists no sources: the passages shown while it was
                # being answered were not used (nor kept in history with it).
                self._show_sources(())
            else:
                self._cite(event.answer.citations)
            note = left_out_note(event.answer)
            if note:
                # Under its answer (above any question queued meanwhile), as `ragkit ask`
                # prints it; shown, not kept: history holds the answer itself.
                transcript = self.query_one("#transcript", VerticalScroll)
                transcript.mount(MessageView("info", note), after=view)
                transcript.scroll_end(animate=False)
        elif isinstance(event, ToolStarted):
            # Above the answer being written: the work comes before the reply it leads to.
            text = f"{event.name}({event.arguments}) …"
            line = self._mount_view(MessageView("tool", text), before=view)
            self._running_tools.append((event.name, line))
        elif isinstance(event, ToolFinished):
            self._tool_finished(event, view)
        elif isinstance(event, Status):
            self._mount_view(MessageView("info", event.text), before=view)

    def _tool_finished(self, event: ToolFinished, answer: MessageView) -> None:
        """Complete the tool's running line in place (the latest call of that name)."""
        for i in range(len(self._running_tools) - 1, -1, -1):
            name, line = self._running_tools[i]
            if name == event.name:
                del self._running_tools[i]
                break
        else:
            line = self._mount_view(MessageView("tool", event.name), before=answer)
        call = line.raw.removesuffix(" …")
        line.raw = ""
        line.append(f"{call} → {event.result}")
        turn = Turn("tool", line.raw, self.session.mode, self.session.index)
        self.turns.append(turn)
        if self.history is not None:
            self.history.append(turn)

    def _finish(self, view: MessageView, error: str, stopped: bool) -> None:
        if view is not self._answer:
            return  # kept already, as interrupted, by quitting
        self._answer = None
        self._set_busy(False)
        view.set_working(False)
        self._running_tools.clear()
        if stopped:
            view.set_note(" [stopped]" if view.raw.strip() else "[stopped before any text]")
        if view.raw.strip():
            self._keep_answer(view.raw.strip())
        elif not error and not stopped:
            view.set_note("(no answer)")
        elif error and not stopped:
            view.remove()  # an empty "ragkit" label above the error line says nothing
        if error:
            self._note(error, "error")
        # The header names the file the model answers from, known for sure once loaded.
        self._refresh_title()
        self._ask_next()

    def _keep_answer(self, text: str) -> None:
        turn = Turn(
            "assistant",
            text,
            self.session.mode,
            self.session.index,
            self.sources if self.session.mode == "rag" else (),
        )
        self.turns.append(turn)
        if self.history is not None:
            self.history.append(turn)

    def _keep_interrupted(self) -> None:
        """Keep the answer on the screen when the chat quits before it is finished (still
        being written or checked): what was shown, marked, so history has the turn."""
        view, self._answer = self._answer, None
        if view is not None and view.raw.strip():
            self._keep_answer(f"{view.raw.strip()} {INTERRUPTED}")

    def action_stop(self) -> None:
        if self.answering:
            self._stop.set()
            # Stop means stop: the questions queued behind the answer are not asked.
            dropped = len(self.queued)
            for _, view in self.queued:
                view.set_note(NOT_ASKED)
            self.queued.clear()
            also = f"; {_count(dropped, 'queued question')} not asked" if dropped else ""
            self.notify(f"stopping the answer{also}")
        elif self.busy:
            # The index writer has no stop point; it commits whole or not at all.
            self.notify("indexing runs to the end; the index stays consistent either way")
        else:
            self.notify("nothing to stop; Ctrl-Q quits")

    def action_quit_if_empty(self) -> None:
        prompt = self.query_one(Input)
        if prompt.value:
            prompt.action_delete_right()
        else:
            self.exit()

    # --- indexing -------------------------------------------------------------------
    def _start_add(self, paths: list[Path]) -> None:
        bar = self.query_one(IndexingBar)
        bar.add_class("active")
        bar.start("files", None)
        self._set_busy(True)
        self._index(paths, bar)

    @work(thread=True, exclusive=True, group="index")
    def _index(self, paths: list[Path], bar: IndexingBar) -> None:
        try:
            report = self.session.kb.add(paths, progress=ProgressBridge(bar, self.call_from_thread))
        except RagkitError as exc:
            self.call_from_thread(self._indexed, str(exc), "error")
            return
        counts = {s: len(report.by_status(s)) for s in ("indexed", "unchanged", "failed")}
        lines = [
            f"indexed {_count(counts['indexed'], 'file')} "
            f"({_count(report.chunks_added, 'chunk')}), "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed "
            f"in {report.seconds:.1f} s"
        ]
        lines += [f"  {f.status}: {f.path}: {f.reason}" for f in report.files if f.reason]
        if not report.files:
            lines = ["no files found; ragkit reads .txt .md .pdf .html .docx .jsonl"]
        self.call_from_thread(self._indexed, "\n".join(lines), "info")

    def _indexed(self, message: str, role: str) -> None:
        self._set_busy(False)
        self.query_one(IndexingBar).remove_class("active")
        self._note(message, role)
        self._refresh_title()
        self._warm_up()  # the index may have been empty until now
        self._ask_next()

    def on_unmount(self) -> None:
        # However the app ends (Ctrl-Q, Ctrl-D, a signal): the answer is kept, then stopped.
        self._keep_interrupted()
        self._stop.set()
        self.session.close()
        if self.history is not None:
            self.history.close()


def _count(n: int, noun: str) -> str:
    """`1 file`, `2 files`: the English nouns the chat counts take a plain -s."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _name(row: Sequence[Citation]) -> str:
    return document_location(row, Path(row[0].source).name)


def _location(row: Sequence[Citation]) -> str:
    """File and page, with the path relative to the working folder when inside it."""
    source = row[0].source
    try:
        shown = str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        shown = source
    return document_location(row, shown)
