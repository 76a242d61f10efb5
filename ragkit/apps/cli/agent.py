"""Agent and conversation commands: `ragkit agent TASK`, `ragkit chats ls|show|rm`.

`agent` prints each tool call and its result on stderr as they happen and streams the
final answer to stdout; a run that stops without an answer (step limit, time budget,
repeated invalid tool calls) says why on one line and exits 1. `--conversation` keeps
the exchange in the conversation store (`new` starts one). Leaves out the loop and the
tools themselves (ragkit.agent).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ragkit.apps.cli.common import (
    ConfigOpt,
    IndexOpt,
    Typer,
    app,
    command,
    write_json,
)
from ragkit.errors import RagkitError

if TYPE_CHECKING:
    # The agent loop is imported when a command runs, not for `ragkit --help`.
    from ragkit.agent.loop import AgentEvent, AgentResult

chats = Typer(
    help="Saved conversations: list, show, delete.", no_args_is_help=True, add_completion=False
)
app.add_typer(chats, name="chats")

PREVIEW = 300  # characters of a tool result shown as it happens


@app.command()
def agent(
    task: Annotated[str, typer.Argument(help="What the agent should do or answer.")],
    index_name: IndexOpt = None,
    # Numbers as typed: `command` parses them, refusing a typo in the flag's name.
    max_steps: Annotated[
        str | None,
        typer.Option("--max-steps", metavar="INTEGER", help="Model turns at most (default 6)."),
    ] = None,
    time_budget: Annotated[
        str | None,
        typer.Option("--time-budget", metavar="FLOAT", help="Seconds at most (default 180)."),
    ] = None,
    retries: Annotated[
        str | None,
        typer.Option("--retries", metavar="INTEGER", help="Invalid tool calls the model may fix."),
    ] = None,
    protocol: Annotated[
        str | None, typer.Option("--protocol", help="Tool calling: auto, native or json.")
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option("--conversation", "-c", help="Continue a saved conversation (id or 'new')."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result and transcript as JSON.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Run an agent with tools (document search, read page, calculator, summarize, date)."""
    from ragkit.agent.builtins import builtin_tools
    from ragkit.models.llm.base import Message
    from ragkit.wiring import agent as make_agent
    from ragkit.wiring import conversation_store, knowledge_base

    with command(
        config,
        {
            "agent.max_steps": ("--max-steps", "model turns"),
            "agent.time_budget_s": ("--time-budget", "seconds"),
            "agent.retries": ("--retries", "invalid tool calls the model may fix"),
            "agent.protocol": "--protocol",
        },
        agent={
            "max_steps": max_steps,
            "time_budget_s": time_budget,
            "retries": retries,
            "protocol": protocol,
        },
    ) as (out, err, settings):
        kb = knowledge_base(settings, index_name)
        runner = make_agent(settings, builtin_tools(), kb if kb.exists else None)
        if not kb.exists:
            err.print(f"note: index {kb.path} does not exist; the document tools are unavailable")
        history: list[Message] = []
        cid: str | None = None
        store = conversation_store(settings) if conversation else None
        if store is not None and conversation is not None:
            if conversation == "new":
                cid = store.create(task[:60])
            else:
                cid = store.resolve(conversation)
                history = [m for m in store.messages(cid) if m.role in ("user", "assistant")]
        result = _show(runner.run_stream(task, history), out, err, quiet=as_json)
        if store is not None and cid is not None:
            store.append(cid, Message("user", task))
            if result.answered:
                store.append(cid, Message("assistant", result.answer))
            err.print(f"conversation {cid}")
        if as_json:
            write_json(asdict(result))
        if not result.answered:
            err.print(f"agent stopped: {escape(result.message)}")
            raise typer.Exit(1)


def _show(events: Iterator[AgentEvent], out: Console, err: Console, quiet: bool) -> AgentResult:
    from ragkit.agent.loop import FinalEvent
    from ragkit.events import Text, ToolFinished, ToolRejected, ToolStarted

    result: AgentResult | None = None
    streamed = False
    for event in events:
        if isinstance(event, FinalEvent):
            result = event.result
        elif quiet:
            continue
        elif isinstance(event, ToolStarted):
            err.print(f"[bold]→ {escape(event.name)}[/bold]({escape(event.arguments)})")
        elif isinstance(event, ToolFinished):
            mark = "✗" if event.error else "←"
            err.print(f"[dim]{mark} {escape(event.preview(PREVIEW))}[/dim]")
        elif isinstance(event, ToolRejected):
            then = "asking again" if event.retrying else "giving up"
            err.print(f"[yellow]✗ invalid tool call ({escape(event.error)}); {then}[/yellow]")
        elif isinstance(event, Text):
            out.print(escape(event.text), end="")
            streamed = True
    if streamed:
        out.print()
    if result is None:
        raise RagkitError("the agent ended without a result")
    return result


@chats.command("ls")
def chats_ls(config: ConfigOpt = None) -> None:
    """List saved conversations, newest first."""
    from ragkit.wiring import conversation_store

    with command(config) as (out, _err, settings):
        items = conversation_store(settings).list()
        if not items:
            out.print("no conversations")
        for c in items:
            when = c.updated[:16].replace("T", " ")
            out.print(f"{c.id}  {when}  {c.messages:3d} msgs  {escape(c.title)}")


@chats.command("show")
def chats_show(
    conversation: Annotated[
        str, typer.Argument(help="Conversation id (a unique prefix is enough).")
    ],
    config: ConfigOpt = None,
) -> None:
    """Print a conversation's messages."""
    from ragkit.wiring import conversation_store

    with command(config) as (out, _err, settings):
        store = conversation_store(settings)
        cid = store.resolve(conversation)
        info = store.get(cid)
        out.print(f"[bold]{escape(info.title)}[/bold] ({cid})")
        summary, covers = store.summary(cid)
        if summary:
            out.print(f"[dim]summary of the first {covers} messages: {escape(summary)}[/dim]")
        for m in store.messages(cid):
            calls = "".join(f" → {c.name}({c.arguments})" for c in m.tool_calls)
            out.print(f"[bold]{m.role}:[/bold] {escape(m.content)}{escape(calls)}")


@chats.command("rm")
def chats_rm(
    conversations: Annotated[list[str], typer.Argument(help="Conversation ids (or prefixes).")],
    config: ConfigOpt = None,
) -> None:
    """Delete saved conversations."""
    from ragkit.wiring import conversation_store

    with command(config) as (out, _err, settings):
        store = conversation_store(settings)
        ids = [store.resolve(c) for c in conversations]  # all resolve before any is deleted
        for cid in ids:
            store.delete(cid)
            out.print(f"deleted {cid}")
