"""What the checks left out of a model's answer, as every front end says it: the count of
the model's sentences not shown, in the question's language, those the sources back but
that do not answer the question (`Answer.off_topic`) counted apart from those the
sources do not support ("the sources do not support" would tell a reader the documents
say otherwise of a true sentence). `ragkit ask`, the web page, the terminal chat and the
`/v1` reply's `left_out` field all show this one text. Leaves out the sentences
themselves (`Answer.unsupported` holds them for `--json` and `--evidence`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragkit.types import Answer


def left_out_counts(answer: Answer) -> tuple[int, int]:
    """(sentences the sources do not support, sentences that do not answer the
    question) of those the checks left out of `answer`."""
    off_topic = len(answer.off_topic)
    return len(answer.unsupported) - off_topic, off_topic


def left_out_note(answer: Answer) -> str:
    """The footer saying how many of the model's sentences the checks left out, in the
    question's language, "" for none."""
    from ragkit.text.analysis import query_language

    unsupported, off_topic = left_out_counts(answer)
    total = unsupported + off_topic
    if not total:
        return ""
    if query_language(answer.question) == "zh":
        if not off_topic:
            return f"（略去了模型回答中来源不支持的 {total} 句）"
        if not unsupported:
            return f"（略去了模型回答中没有回答问题的 {total} 句）"
        return (
            f"（略去了模型回答中的 {total} 句：来源不支持的 {unsupported} 句，"
            f"没有回答问题的 {off_topic} 句）"
        )

    def sentences(count: int) -> str:
        return f"{count} sentence{'s' if count > 1 else ''}"

    def do(count: int) -> str:
        return "does" if count == 1 else "do"

    head = f"(left out {sentences(total)} of the model's answer"
    if not off_topic:
        return f"{head} that the sources do not support)"
    if not unsupported:
        return f"{head} that {do(total)} not answer the question)"
    return (
        f"{head}: {unsupported} the sources do not support, {off_topic} that "
        f"{do(off_topic)} not answer the question)"
    )


def left_out_json(answer: Answer) -> dict[str, Any]:
    """The counts and the note as a reply's JSON field (`/v1`, the web page's `done`)."""
    unsupported, off_topic = left_out_counts(answer)
    return {"unsupported": unsupported, "off_topic": off_topic, "note": left_out_note(answer)}
