"""One question's pass through the guard: the glue `KnowledgeBase.ask_stream` calls.

`GuardSession.check_input` scans the question (raising `ContentBlocked` when the policy
blocks it) and returns the text the model may see; `check_hits` scans every retrieved
chunk, drops blocked ones, redacts the rest and defuses `<source>` tags (a prompt
template of the user's own may still fence chunks with them; the default prompt is a
numbered list whose lines ragkit.answer.pipelines keeps a document from forging);
`check_history` filters the earlier messages of a conversation as the question is
filtered (they come from the same caller, and a client can write "assistant" turns too,
so they are no safer than the question; one the policy blocks is left out rather than
failing every later question); `filter_output` filters the streamed answer
and shows the user's own redacted values back to them. `notes` lists what happened for
a person to read. One `Vault` spans the three, so a value keeps its placeholder.
Leaves out retrieval and generation themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ragkit.errors import ContentBlocked
from ragkit.guard.guard import Guard
from ragkit.guard.stream import StreamFilter
from ragkit.guard.types import Finding, GuardResult, Vault
from ragkit.models.llm.base import Message
from ragkit.types import SearchHit, StoredChunk, display_path

_FENCE = re.compile(r"<(\s*/?\s*source\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Withheld:
    """A retrieved chunk the policy kept out of the prompt, and why."""

    hit: SearchHit
    result: GuardResult


class GuardSession:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.vault = Vault()
        self.question = ""
        self.input: GuardResult | None = None
        self.chunks: list[tuple[SearchHit, GuardResult]] = []
        self.withheld: list[Withheld] = []
        self.output: StreamFilter | None = None

    def check_input(self, question: str) -> str:
        result = self.guard.scan(question, "input", self.vault)
        self.question, self.input = question, result
        if result.blocked:
            kinds = sorted({f.kind for f in result.findings if f.action == "block"})
            raise ContentBlocked(
                f"the question was blocked by the content filter ({', '.join(kinds)}); "
                f"rephrase it, or set guard.input.{kinds[0]} (env RAGKIT_GUARD__INPUT__"
                f"{kinds[0].upper()}) to flag or allow"
            )
        return result.text

    def without_placeholders(self, text: str) -> str:
        """`text` with the question's redaction placeholders blanked: they stand for
        values that are not content, so nothing should judge relevance by them."""
        names = self.input.placeholders if self.input is not None else {}
        for name in names:
            text = text.replace(name, " ")
        return text

    def placeholders(self) -> tuple[str, ...]:
        """The question's redaction placeholders (each stands for a value of the user's)."""
        return tuple(self.input.placeholders) if self.input is not None else ()

    def check_history(self, history: Sequence[Message]) -> list[Message]:
        """`history` as the model may see it: filtered as input, blocked messages left out."""
        kept: list[Message] = []
        for message in history:
            result = self.guard.scan(message.content, "input", self.vault)
            if not result.blocked:
                kept.append(replace(message, content=result.text))
        return kept

    def check_hits(self, hits: list[SearchHit]) -> list[SearchHit]:
        kept: list[SearchHit] = []
        for hit in hits:
            result = self.guard.scan(hit.chunk.text, "chunk", self.vault)
            self.chunks.append((hit, result))
            if result.blocked:
                self.withheld.append(Withheld(hit, result))
                continue
            text = _FENCE.sub(r"‹\1", result.text)
            kept.append(
                hit if text == hit.chunk.text else replace(hit, chunk=replace(hit.chunk, text=text))
            )
        return kept

    def filter_output(self, pieces: Iterator[str]) -> Iterator[str]:
        own = dict(self.input.placeholders) if self.input is not None else {}
        self.output = StreamFilter(self.guard, "output", self.vault, restorable=own)
        yield from self.output.filter(pieces)

    @property
    def output_findings(self) -> list[Finding]:
        return self.output.findings if self.output is not None else []

    def notes(self) -> list[str]:
        """One line per thing a person should know, in the order it happened."""
        lines: list[str] = []
        if self.input is not None:
            for f in self.input.flagged:
                lines.append(f"question: {f.kind} ({f.label}) {_verb(f)}")
        for w in self.withheld:
            kinds = ", ".join(sorted({f.label for f in w.result.findings if f.action == "block"}))
            lines.append(f"source withheld from the model: {_where(w.hit.chunk)} ({kinds})")
        for hit, result in self.chunks:
            if not result.blocked:
                for f in result.flagged:
                    lines.append(f"source {_where(hit.chunk)}: {f.kind} ({f.label}) {_verb(f)}")
        for f in self.output_findings:
            lines.append(f"answer: {f.kind} ({f.label}) {_verb(f)}")
        return lines

    def to_json(self) -> dict[str, object]:
        return {
            "input": self.input.to_json(self.question) if self.input is not None else None,
            "withheld": [
                {
                    "chunk_id": w.hit.chunk.id,
                    "location": w.hit.chunk.location,
                    "findings": [f.label for f in w.result.findings],
                }
                for w in self.withheld
            ],
            "output_findings": [
                {"kind": f.kind, "label": f.label, "action": f.action} for f in self.output_findings
            ],
        }


def _where(chunk: StoredChunk) -> str:
    return chunk.location.replace(chunk.source, display_path(chunk.source))


def _verb(f: Finding) -> str:
    return {"redact": "redacted", "block": "blocked", "flag": "flagged", "allow": "allowed"}[
        f.action
    ]
