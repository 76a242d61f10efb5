"""The chat's state apart from the screen: which index, model and mode, and the slash
commands that change them.

`ChatState` opens a `KnowledgeBase` through a function it is given (the CLI builds one
from settings; tests pass one over fakes) and hands out the `Backend` of the current
mode. Agent mode needs an agent factory (the CLI passes one that builds an
`AgentBackend` over the current knowledge base and model); without one, `/mode agent`
says so. Leaves out drawing (app.py) and persistence (history.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from ragkit import KnowledgeBase, RagkitError
from ragkit.apps.tui.backends import Backend, ChatBackend, RagBackend
from ragkit.models.llm.base import model_label

Mode = Literal["rag", "chat", "agent"]
MODES: tuple[Mode, ...] = ("rag", "chat", "agent")

OpenKnowledgeBase = Callable[[str, str], KnowledgeBase]
"""(index name, model: 'bundled' or a GGUF path) → an opened knowledge base."""
AgentFactory = Callable[[KnowledgeBase], Backend]


class SessionError(RagkitError):
    """A command could not be carried out; the message says why and what to do."""


def check_model(spec: str, given_as: str) -> None:
    """Refuses a model that is neither 'bundled' nor a file, naming how it was given
    (`--model`, `/model`): the model loader would advise setting RAGKIT_LLM__MODEL_PATH,
    which the user did not touch."""
    if spec != "bundled" and not Path(spec).expanduser().is_file():
        raise SessionError(f"{given_as} {spec}: no such file; give a .gguf file or 'bundled'")


COMMANDS: Mapping[str, str] = MappingProxyType(
    {
        "add": "/add PATH…              index files or folders into the current index",
        "mode": "/mode rag|chat|agent    answer from documents, chat freely, or use tools",
        "index": "/index NAME             switch to another index",
        "model": "/model PATH             switch the chat model (a .gguf file, or 'bundled')",
        "clear": "/clear                  clear the conversation and its saved history",
        "save": "/save [FILE]            write the conversation to a Markdown file",
        "help": "/help                   show this list",
    }
)

HELP = "\n".join(
    [
        "Commands:",
        *COMMANDS.values(),
        "",
        "Enter sends · Ctrl-C stops the answer · Ctrl-Q (or Ctrl-D on an empty line) quits",
        "Pick a source on the right and press Enter to read its whole passage.",
    ]
)


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


def parse_command(text: str) -> Command | None:
    """A slash command, or None for an ordinary message. Unknown commands raise."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    name, _, argument = stripped[1:].partition(" ")
    name = name.lower()
    if name not in COMMANDS:
        raise SessionError(f"unknown command /{name}; /help lists the commands")
    return Command(name, argument.strip())


class ChatState:
    """The current index, model and mode of one chat, and the knowledge base they open."""

    def __init__(
        self,
        open_kb: OpenKnowledgeBase,
        index: str,
        model: str = "bundled",
        mode: Mode = "rag",
        agent: AgentFactory | None = None,
    ) -> None:
        """`open_kb` opens an index with a model (nothing is opened before the first
        question); `agent` builds agent mode's backend, None: no agent mode."""
        self._open = open_kb
        self.index = index
        self.model = model
        self._agent = agent
        self._kb: KnowledgeBase | None = None
        self.mode: Mode = "rag"
        self.set_mode(mode)

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            self._kb = self._open(self.index, self.model)
        return self._kb

    def backend(self) -> Backend:
        if self.mode == "rag":
            return RagBackend(self.kb)
        if self.mode == "chat":
            return ChatBackend(self.kb.chat_model, self.kb.generation)
        assert self._agent is not None  # set_mode refuses agent mode without a factory
        return self._agent(self.kb)

    def warm_up(self) -> None:
        """Start loading the chat model on a thread of its own while the user types, so
        the first answer does not wait for it (a local model that can:
        `LlamaCppChatModel.start_loading`). In rag mode that thread also evaluates the
        answer prompt's constant start (`prompt_head`), and nothing is loaded for an index
        not built yet or extractive answers: no model writes those."""
        kb = self.kb
        model = kb.chat_model
        loading = getattr(model, "start_loading", None)
        if loading is None or getattr(model, "loaded", True):
            return
        if self.mode != "rag":
            loading()
        elif kb.exists and kb.answer_options.mode == "generate":
            from ragkit.answer.pipelines import prompt_head

            loading(prompt_head(kb.templates))

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise SessionError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
        if mode == "agent" and self._agent is None:
            raise SessionError("agent mode is not available in this installation; use rag or chat")
        self.mode = mode

    def switch_index(self, name: str) -> None:
        if not name:
            raise SessionError("/index needs a name, e.g. /index docs")
        self._reopen(name, self.model)

    def switch_model(self, spec: str) -> None:
        if not spec:
            raise SessionError("/model needs a .gguf path or 'bundled'")
        check_model(spec, "/model")
        self._reopen(self.index, spec)

    def _reopen(self, index: str, model: str) -> None:
        # Open first: a bad name or path leaves the current index and model in place.
        kb = self._open(index, model)
        if self._kb is not None:
            self._kb.close()
        self._kb, self.index, self.model = kb, index, model

    def describe(self) -> str:
        return f"index {self.index} · model {model_label(self.kb.chat_model)} · mode {self.mode}"

    def close(self) -> None:
        if self._kb is not None:
            self._kb.close()
