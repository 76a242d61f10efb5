"""`ChatSession`: multi-turn question answering over a knowledge base, with memory.

A session keeps a conversation in a `ConversationStore` and answers through the one
conversation path of ragkit, `KnowledgeBase.ask_stream(question, history=…)`: a follow-up
("and how long does it take?") is rewritten into a standalone question, retrieval runs on
that, and the answer sees the conversation's running summary and recent turns, the
knowledge base's guard filtering all of it. After each answer the turn is stored, and when
the turns not yet summarized cost more than `history_tokens`, the model folds the older ones
into the running summary, keeping the last `keep_turns` turns verbatim.

    session = ChatSession.start(kb, model, store, "Kettles")   # or ChatSession(…, cid)
    reply = session.ask("How long is the Ember kettle's warranty?")
    for piece in reply: print(piece, end="")
    reply.answer.citations; reply.standalone_question

Leaves out tools (ragkit.agent.loop) and presentation (the CLI and apps).
"""

from __future__ import annotations

from dataclasses import dataclass

from ragkit.agent.memory import ConversationStore
from ragkit.answer.pipelines import AnswerStream, standalone_question
from ragkit.errors import EmptyQueryError
from ragkit.kb import KnowledgeBase
from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.options import AnswerOptions, SearchOptions

__all__ = ["ChatOptions", "ChatReply", "ChatSession", "standalone_question"]

SUMMARY_SYSTEM = "You summarize conversations in a few short sentences, keeping facts and names."

ChatReply = AnswerStream
"""A chat answer: iterate for its pieces; `answer` and `standalone_question` after."""


@dataclass(frozen=True)
class ChatOptions:
    history_tokens: int = 400
    """Tokens of verbatim history (beyond the summary) before older turns are summarized."""
    keep_turns: int = 2
    """Question-answer pairs always kept verbatim."""
    answer: AnswerOptions | None = None
    """How to answer; None = the knowledge base's answer options."""
    search: SearchOptions | None = None
    """How to retrieve; None = the knowledge base's search options."""


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
        # Answers come from `model`, which may differ from the knowledge base's own.
        self.kb = kb if model is kb.models.chat_model else kb.with_chat_model(model)
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

    def ask(self, question: str) -> AnswerStream:
        """Answer `question` as the next turn; the turn is stored once the answer is done."""
        if not question.strip():
            raise EmptyQueryError("the question is empty; ask something about your documents")
        summary, recent = self.history()
        context = [Message("system", f"Summary of the conversation so far: {summary}")]
        history = (context if summary else []) + recent
        reply = self.kb.ask_stream(
            question, self.options.answer, search=self.options.search, history=history
        )
        reply.on_finish.append(lambda done: self._record(question, done.text))
        return reply

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
