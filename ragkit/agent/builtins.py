"""The built-in tools: search_documents, read_page, calculator, summarize_document,
current_datetime; `builtin_tools()` returns a fresh `ToolRegistry` holding them.

Document tools work on the knowledge base in the `ToolContext` and only read files that
index holds, so a model cannot make the agent read arbitrary paths. Results are short
plain text with file and page, because small models read little and must cite where a
fact came from; search_documents hands the agent its hits with that text (`ToolResult`),
so an answer composed from them needs no second search. Leaves out writing or deleting
anything and network access.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Literal

from ragkit.agent.calculator import CalculatorError, evaluate, format_number
from ragkit.agent.context import ToolContext
from ragkit.agent.tools import Tool, ToolError, ToolRegistry, ToolResult
from ragkit.errors import RagkitError
from ragkit.ingest.loaders import load_file_bounded
from ragkit.kb import KnowledgeBase
from ragkit.models.llm.base import GenerationOptions, Message
from ragkit.search.retrieval import SearchFilter
from ragkit.types import Document, SearchHit, display_path


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. (17 + 5) / 4 or sqrt(2) * 3.

    Args:
        expression: Numbers with + - * / // % ** ( ) and sqrt, abs, round, min, max, log, exp.
    """
    try:
        return format_number(evaluate(expression))
    except CalculatorError as exc:
        raise ToolError(f"calculator: {exc}") from None


def search_documents(
    context: ToolContext,
    query: str,
    file_glob: str | None = None,
    file_type: str | None = None,
    page_from: int | None = None,
    page_to: int | None = None,
) -> ToolResult:
    """Search the documents for passages about a question; returns file, page and text.

    Args:
        query: What to look for, in a few words.
        file_glob: Only files whose name matches, e.g. *.pdf or handbook*.
        file_type: Only this file type: pdf, md, txt, html, docx or jsonl.
        page_from: Only passages on or after this page.
        page_to: Only passages on or before this page.
    """
    # As many passages as `ask` answers from (the answer composed from them sees what
    # `ask` would: "214 member farms" was the 4th for "How many member farms …?"); the
    # model reads the first `search_k`.
    kb = _knowledge_base(context)
    k = max(context.search_k, kb.answer_options.k)
    hits = search_hits(context, query, file_glob, file_type, page_from, page_to, k=k)
    if not hits:
        return ToolResult("no passages found")
    blocks = []
    for hit in hits[: context.search_k]:
        text = " ".join(hit.chunk.text.split())
        if len(text) > context.snippet_chars:
            text = text[: context.snippet_chars].rsplit(" ", 1)[0] + " …"
        # The bare file name: fewer tokens than a path, and read_page accepts it.
        where = hit.chunk.location.replace(hit.chunk.source, PurePath(hit.chunk.source).name)
        blocks.append(f"[{hit.rank}] {where}: {text}")
    # The hits go with the text: the agent answers from them without searching again.
    return ToolResult("\n".join(blocks), tuple(hits))


def search_hits(
    context: ToolContext,
    query: str,
    file_glob: str | None = None,
    file_type: str | None = None,
    page_from: int | None = None,
    page_to: int | None = None,
    k: int | None = None,
) -> list[SearchHit]:
    """The passages search_documents shows for these arguments, as search hits (`k` of
    them; default: `search_k`)."""
    kb = _knowledge_base(context)
    filters = SearchFilter(
        path_glob=file_glob,
        file_types=frozenset([file_type]) if file_type else None,
        page_min=page_from,
        page_max=page_to,
    )
    return kb.search(query, k=k or context.search_k, filters=filters if filters.active else None)


def read_page(context: ToolContext, file: str, page: int = 1) -> str:
    """Read one page of a document in the knowledge base (page 1 for files without pages).

    Args:
        file: The file name or path as search_documents shows it, e.g. handbook.pdf.
        page: The 1-based page number.
    """
    document = _document(context, file)
    pages = document.pages
    if pages and pages[0].number is None:
        if page != 1:
            raise ToolError(f"{PurePath(document.source).name} has no pages; read page 1")
        text = document.text
    else:
        numbers = [p.number for p in pages if p.number is not None]
        match = [p for p in pages if p.number == page]
        if not match:
            last = max(numbers) if numbers else 0
            raise ToolError(
                f"{PurePath(document.source).name} has pages 1-{last}; page {page} does not exist"
            )
        text = match[0].text
    text = text.strip()
    if len(text) > context.page_chars:
        text = text[: context.page_chars] + " …(page continues)"
    return text or "(the page has no text)"


SummaryLength = Literal["short", "medium"]


def summarize_document(context: ToolContext, file: str, length: SummaryLength = "short") -> str:
    """Summarize a whole document of the knowledge base.

    Args:
        file: The file name or path as search_documents shows it, e.g. faq.html.
        length: short (two sentences) or medium (a paragraph).
    """
    if context.chat_model is None:
        raise ToolError("summarize_document needs a chat model, and none was given")
    model = context.chat_model
    document = _document(context, file)
    max_tokens = 96 if length == "short" else 200
    instruction = (
        "Summarize this document in two sentences."
        if length == "short"
        else "Summarize this document in one paragraph."
    )
    # Keep the document within the window: what is left after the reply and instructions.
    budget = model.context_window - max_tokens - model.count_tokens(instruction) - 64
    text = document.text
    if budget <= 0:
        raise ToolError("the chat model's window is too small to summarize anything")
    if model.count_tokens(text) > budget:
        keep = max(200, int(len(text) * budget / model.count_tokens(text)))
        text = text[:keep]
    messages = [
        Message("system", "You write faithful, short summaries."),
        Message("user", f"{instruction}\n\n{text}"),
    ]
    options = GenerationOptions(
        max_tokens=max_tokens,
        temperature=context.generation.temperature,
        seed=context.generation.seed,
        repeat_penalty=context.generation.repeat_penalty,
    )
    summary = "".join(model.stream(messages, options)).strip()
    return summary or "(the model wrote no summary)"


def current_datetime(context: ToolContext) -> str:
    """The current date and time (UTC), with the weekday."""
    now = context.clock()
    return now.strftime("%A %Y-%m-%d %H:%M:%S %Z").strip()


def builtin_tools() -> ToolRegistry:
    """A new registry with every built-in tool; add your own with `@registry.tool`."""
    return ToolRegistry(
        [
            Tool.from_function(search_documents),
            Tool.from_function(read_page),
            Tool.from_function(calculator),
            Tool.from_function(summarize_document),
            Tool.from_function(current_datetime),
        ]
    )


def _knowledge_base(context: ToolContext) -> KnowledgeBase:
    if context.knowledge_base is None:
        raise ToolError("there is no knowledge base to search; index documents first")
    return context.knowledge_base


def _document(context: ToolContext, file: str) -> Document:
    """The first document of the indexed file `file` names (full path, or a path suffix
    such as a bare file name), read from disk."""
    kb = _knowledge_base(context)
    reader = kb.reader()
    sources = sorted({source for source, _, _ in reader.store.documents(reader.generation)})
    wanted = file.strip().replace("\\", "/")
    if not wanted:
        raise ToolError("give a file name, e.g. handbook.pdf")
    exact = [s for s in sources if s == wanted or display_path(s) == wanted]
    suffix = [s for s in sources if s.replace("\\", "/").endswith("/" + wanted.lstrip("/"))]
    found = exact or suffix
    if not found:
        names = ", ".join(PurePath(s).name for s in sources[:20])
        raise ToolError(f"no indexed file is named {file!r}; indexed files: {names}")
    if len(found) > 1:
        raise ToolError(
            f"{file!r} names {len(found)} files: "
            + ", ".join(display_path(s) for s in found[:5])
            + "; give more of the path"
        )
    try:
        documents = load_file_bounded(Path(found[0]), kb.loader_options)
    except RagkitError as exc:
        raise ToolError(f"{display_path(found[0])} could not be read: {exc}") from None
    if not documents:
        raise ToolError(f"{display_path(found[0])} holds no text")
    return documents[0]
