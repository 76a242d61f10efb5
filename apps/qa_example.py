"""Question answering over a folder of your documents, as a program of your own would
embed ragkit: open an index, add the folder (unchanged files are skipped on later runs),
then stream each answer and list its sources as file and page.

    python -m apps.qa_example samples/corpus "How long is the kettle warranty?"

With no question on the command line it reads one per line from stdin. Leaves out
settings files and everything else the `ragkit` CLI adds; models are the bundled ones.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ragkit import KnowledgeBase, RagkitError


def answer_questions(kb: KnowledgeBase, questions: Iterable[str], out: TextIO) -> None:
    for question in (q.strip() for q in questions):
        if not question:
            continue
        stream = kb.ask_stream(question, k=3)
        for piece in stream:  # the answer arrives piece by piece
            out.write(piece)
            out.flush()
        out.write("\n")
        cited = {c.number for c in stream.answer.citations}
        for source in stream.answer.sources:
            mark = "*" if source.number in cited else " "
            out.write(f" {mark}[{source.number}] {source.location}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ask questions about a folder of documents.")
    parser.add_argument("folder", type=Path, help="documents to answer from")
    parser.add_argument("questions", nargs="*", help="questions (default: one per stdin line)")
    parser.add_argument("--index", type=Path, default=Path(".qa-index"), help="index folder")
    args = parser.parse_args(argv)
    try:
        with KnowledgeBase.open(args.index) as kb:
            report = kb.add([args.folder])
            for bad in report.by_status("failed"):
                print(f"skipped {bad.path}: {bad.reason}", file=sys.stderr)
            ready = [f for f in report.files if f.status in ("indexed", "unchanged")]
            if not ready:
                print(f"error: no readable documents in {args.folder}", file=sys.stderr)
                return 1
            answer_questions(kb, args.questions or sys.stdin, sys.stdout)
    except RagkitError as exc:  # every ragkit error names the file or setting at fault
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
