"""`ChatSession`: multi-turn question answering over a knowledge base, with memory.

Each `ask(question)`:

1. rewrites a follow-up ("and how long does it take?") into a standalone question from
   the conversation so far, with the chat model (the first question is used as is;
   an empty or runaway rewrite falls back to the question itself);
2. retrieves sources for the standalone question from the knowledge base;
3. answers with the usual numbered-source prompt (ragkit.pipelines), with the
   conversation's summary and recent turns placed before it, streaming the reply;
4. stores the question and the answer in the `ConversationStore`, and when the
   turns not yet summarized cost more than `history_tokens`, has the model fold the
   older ones into the running summary, keeping the last `keep_turns` turns verbatim.

    session = ChatSession.start(kb, model, store, "Kettles")   # or ChatSession(…, cid)
    reply = session.ask("How long is the Ember kettle's warranty?")
    for piece in reply: print(piece, end="")
    reply.answer.citations; reply.standalone_question

The rewrite step alone is `standalone_question(model, question, summary, recent)`, for
callers that keep their own history (the terminal chat).

Leaves out tools (ragkit.agent.loop) and presentation (the CLI and apps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.agent.memory import ConversationStore
from ragkit.errors import EmptyQueryError
from ragkit.guard.session import GuardSession
from ragkit.kb import KnowledgeBase
from ragkit.llm.base import ChatModel, GenerationOptions, Message
from ragkit.pipelines import AnswerStream, Prompt, build_prompt, finish_answer
from ragkit.types import Answer, SearchMode

REWRITE_SYSTEM = (
    "Rewrite the user's last question so it can be understood without the conversation. "
    "Replace words like it, they, that and there with what they refer to. "
    "Reply with the rewritten question only."
)
SUMMARY_SYSTEM = "You summarize conversations in a few short sentences, keeping facts and names."


@dataclass(frozen=True)
class ChatOptions:
    k: int = 4
    mode: SearchMode = "hybrid"
    history_tokens: int = 400
    """Tokens of verbatim history (beyond the summary) before older turns are summarized."""
    keep_turns: int = 2
    """Question-answer pairs always kept verbatim."""
    rewrite: bool = True


class ChatReply(AnswerStream):
    """Iterate for the answer's pieces (or `close()` to stop); afterwards `answer` is set
    and the turn is stored. The answer stream of ragkit.pipelines, plus the question the
    search used."""

    def __init__(
        self,
        session: ChatSession,
        question: str,
        standalone: str,
        prompt: Prompt,
        guard: GuardSession | None = None,
    ) -> None:
        def finish(text: str) -> Answer:
            done = finish_answer(question, text, prompt.sources)
            session._record(question, done.text)
            return done

        super().__init__(
            question,
            prompt,
            lambda: session.model.stream(prompt.messages, session.generation),
            finish,
            guard,
        )
        self.standalone_question = standalone


def standalone_question(
    model: ChatModel,
    question: str,
    summary: str,
    recent: Sequence[Message],
    seed: int | None = None,
) -> str:
    """`question` rewritten by `model` to stand without the conversation before it (the
    `summary` and the `recent` user/assistant messages, of which the last four are shown).
    With no conversation yet, the question is returned as it is, without a model call."""
    if not recent and not summary:
        return question.strip()
    lines = [f"Summary: {summary}"] if summary else []
    lines += [f"{m.role}: {m.content}" for m in recent[-4:]]
    prompt = [
        Message("system", REWRITE_SYSTEM),
        Message(
            "user",
            "Conversation:\n" + "\n".join(lines) + f"\n\nLast question: {question}\n\n"
            "Rewritten question:",
        ),
    ]
    options = GenerationOptions(max_tokens=64, temperature=0.0, seed=seed, stop=("\n",))
    text = "".join(model.stream(prompt, options)).strip().strip('"')
    # A small model sometimes answers instead of rewriting, or rambles: keep the
    # question when the rewrite is empty or far longer than any paraphrase would be.
    if not text or len(text) > 3 * len(question) + 120:
        return question.strip()
    return text


class ChatSession:
    def __init__(
        self,
        kb: KnowledgeBase,
        model: ChatModel,
        store: ConversationStore,
        conversation_id: str,
        options: ChatOptions | None = None,
        generation: GenerationOptions | None = None,
    ) -> None:
        store.get(conversation_id)  # fail now, not at the first question
        self.kb = kb
        self.model = model
        self.store = store
        self.conversation_id = conversation_id
        self.options = options or ChatOptions()
        self.generation = generation or GenerationOptions()

    @classmethod
    def start(
        cls,
        kb: KnowledgeBase,
        model: ChatModel,
        store: ConversationStore,
        title: str,
        options: ChatOptions | None = None,
        generation: GenerationOptions | None = None,
    ) -> ChatSession:
        return cls(kb, model, store, store.create(title), options, generation)

    def history(self) -> tuple[str, list[Message]]:
        """The summary and the user/assistant messages it does not cover."""
        summary, covers = self.store.summary(self.conversation_id)
        pending = self.store.messages(self.conversation_id)[covers:]
        return summary, [m for m in pending if m.role in ("user", "assistant")]

    def ask(self, question: str) -> ChatReply:
        if not question.strip():
            raise EmptyQueryError("the question is empty; ask something about your documents")
        summary, recent = self.history()
        # The knowledge base's guard applies here as in `KnowledgeBase.ask`: the question
        # and history are filtered before the model sees them (rewrite included), and
        # retrieved chunks before they enter the prompt.
        guard = GuardSession(self.kb.guard) if self.kb.guard is not None else None
        asked = question
        if guard is not None:
            asked = guard.check_input(question)
            recent = guard.check_history(recent)
        standalone = self.rewrite(asked, summary, recent)
        hits = self.kb.search(standalone, k=self.options.k, mode=self.options.mode)
        if guard is not None:
            hits = guard.check_hits(hits)
        context = self._context_messages(summary, recent)
        cost = sum(self.model.count_tokens(m.content) + 4 for m in context)
        prompt = build_prompt(
            standalone, hits, self.model, self.kb.templates, self.generation.max_tokens + cost
        )
        system, user = prompt.messages
        messages = (system, *context, user)
        return ChatReply(self, question, standalone, Prompt(messages, prompt.sources), guard)

    def rewrite(self, question: str, summary: str, recent: Sequence[Message]) -> str:
        """A standalone version of `question`, given the conversation before it."""
        if not self.options.rewrite:
            return question.strip()
        return standalone_question(self.model, question, summary, recent, self.generation.seed)

    def _context_messages(self, summary: str, recent: Sequence[Message]) -> list[Message]:
        context: list[Message] = []
        if summary:
            context.append(Message("system", f"Summary of the conversation so far: {summary}"))
        context += list(recent)
        return context

    def _record(self, question: str, answer: str) -> None:
        self.store.append(self.conversation_id, Message("user", question))
        self.store.append(self.conversation_id, Message("assistant", answer))
        self._maybe_summarize()

    def _maybe_summarize(self) -> None:
        summary, covers = self.store.summary(self.conversation_id)
        messages = self.store.messages(self.conversation_id)
        pending = messages[covers:]
        cost = sum(self.model.count_tokens(m.content) for m in pending)
        keep = 2 * self.options.keep_turns
        if cost <= self.options.history_tokens or len(pending) <= keep:
            return
        fold = pending[: len(pending) - keep]
        lines = [f"Earlier summary: {summary}"] if summary else []
        lines += [f"{m.role}: {m.content}" for m in fold if m.role in ("user", "assistant")]
        prompt = [
            Message("system", SUMMARY_SYSTEM),
            Message("user", "Summarize this conversation:\n" + "\n".join(lines)),
        ]
        options = GenerationOptions(max_tokens=128, temperature=0.0, seed=self.generation.seed)
        text = "".join(self.model.stream(prompt, options)).strip()
        if text:
            self.store.set_summary(self.conversation_id, text, covers + len(fold))
