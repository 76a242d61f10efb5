"""A user's questions over the sample corpus: each question of
`bench/data/sample_questions.tsv` asked of an index of `samples/corpus`, with its answer,
its citations and whether it holds the expected fact.

    python bench/sample_bench.py --mode extractive
    python bench/sample_bench.py --mode default --index /tmp/u --answers answers.jsonl
    python bench/sample_bench.py --mode extractive --only 2,11,12

The questions file has one `question<TAB>expected` row per line, where expected is one or
more substrings separated by `|` (case-insensitive), or `NOTFOUND`. A row passes when its
answer holds one expected substring and is no refusal; a NOTFOUND row passes when the
answer says the documents do not hold it. `--mode extractive` answers with the best
source sentences and no model; `--mode default` with the knowledge base's own answer path
(the bundled model, every sentence checked). Prints every question's outcome, answer and
citations, then the totals and how many answers show prompt markup, template tokens,
file paths or Markdown. `--answers` saves every row as JSON lines.

`--index DIR` keeps the index between runs: the corpus is indexed only when DIR holds no
index yet, so two checkouts can answer over the same index (`--rebuild` indexes it again).
Without it the index lives in a temporary folder removed at the end.

Leaves out timing comparisons (the seconds printed are one question's wall time on
whatever machine ran it) and any judgement beyond the expected substrings.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from qa_bench import MARKUP

from ragkit import KnowledgeBase
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path
from ragkit.types import Answer

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "data" / "sample_questions.tsv"
CORPUS = ROOT / "samples" / "corpus"
NOT_FOUND = "NOTFOUND"
# What a user should never see beyond qa_bench's markup: Markdown emphasis, headings and
# code, and instruction tokens of chat templates.
MARKDOWN = re.compile(r"\*\*|^#|`|\[/?INST\]", re.MULTILINE)


class BadInput(Exception):
    """A questions file or option the bench cannot use; the message names it."""


@dataclass(frozen=True)
class Row:
    number: int
    question: str
    expected: tuple[str, ...]  # empty: the documents do not answer it

    @property
    def expects_refusal(self) -> bool:
        return not self.expected


@dataclass(frozen=True)
class Outcome:
    number: int
    question: str
    expected: str
    passed: bool
    not_found: bool
    markup: bool
    seconds: float
    text: str
    citations: list[dict[str, object]]


def read_rows(path: Path) -> list[Row]:
    """The questions of `path`, numbered from 1; a malformed line is named."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInput(f"cannot read the questions file {path}: {exc.strerror}") from None
    rows = []
    for number, line in enumerate((line for line in lines if line.strip()), 1):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise BadInput(f"{path}: question {number} is not 'question<TAB>expected': {line!r}")
        question, expected = parts[0].strip(), parts[1].strip()
        wanted = () if expected == NOT_FOUND else tuple(e for e in expected.split("|") if e)
        rows.append(Row(number, question, wanted))
    return rows


def select(rows: list[Row], only: str) -> list[Row]:
    """The rows numbered in `only` ("2,11,12"), or all of them when it is empty."""
    if not only:
        return rows
    try:
        wanted = {int(n) for n in only.split(",") if n.strip()}
    except ValueError:
        raise BadInput(f"--only takes question numbers separated by commas, not {only!r}") from None
    unknown = sorted(wanted - {row.number for row in rows})
    if unknown:
        raise BadInput(f"--only names questions the file does not have: {unknown}")
    return [row for row in rows if row.number in wanted]


def shows_markup(text: str) -> bool:
    return bool(MARKUP.search(text) or MARKDOWN.search(text))


def judge(row: Row, answer: Answer, seconds: float) -> Outcome:
    if row.expects_refusal:
        passed = answer.not_found
    else:
        lowered = answer.text.lower()
        passed = not answer.not_found and any(e.lower() in lowered for e in row.expected)
    citations: list[dict[str, object]] = [
        {"number": c.number, "file": Path(c.source).name, "page": c.page, "sentence": c.sentence}
        for c in answer.citations
    ]
    return Outcome(
        number=row.number,
        question=row.question,
        expected="|".join(row.expected) or NOT_FOUND,
        passed=passed,
        not_found=answer.not_found,
        markup=shows_markup(answer.text),
        seconds=round(seconds, 2),
        text=answer.text,
        citations=citations,
    )


def show(outcome: Outcome) -> None:
    flags = "PASS" if outcome.passed else "FAIL"
    if outcome.markup:
        flags += " MARKUP"
    print(f"[{outcome.number}] {flags} ({outcome.seconds:.1f}s) {outcome.question}")
    print(f"   expect: {outcome.expected}")
    print("   A: " + outcome.text.replace("\n", "\n      "))
    for c in outcome.citations:
        page = "" if c["page"] is None else f" p. {c['page']}"
        print(f"   [{c['number']}] {c['file']}{page}: {str(c['sentence'])[:160]!r}")
    sys.stdout.flush()


def run(args: argparse.Namespace, index: Path) -> list[Outcome]:
    rows = select(read_rows(Path(args.questions)), args.only)
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise BadInput(f"the corpus folder {corpus} does not exist")
    if args.rebuild and index.exists():
        shutil.rmtree(index)
    with KnowledgeBase.open(index) as opened:
        kb = opened
        if args.model:
            gguf = bundled_gguf_path() if args.model == "shipped" else Path(args.model)
            kb = opened.with_chat_model(LlamaCppChatModel(gguf))
        if not kb.exists:
            started = time.perf_counter()
            report = kb.add([corpus])
            took = time.perf_counter() - started
            print(f"indexed {corpus} into {index}: {report.chunks_added} chunks in {took:.1f}s")
        options = kb.answer_options
        if args.mode == "extractive":
            options = options.with_(mode="extractive")
        outcomes = []
        for row in rows:
            started = time.perf_counter()
            answer = kb.ask(row.question, options)
            outcome = judge(row, answer, time.perf_counter() - started)
            show(outcome)
            outcomes.append(outcome)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["extractive", "default"], default="extractive")
    parser.add_argument("--index", help="keep the index in this folder (default: a temporary one)")
    parser.add_argument("--rebuild", action="store_true", help="index the corpus again")
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--only", default="", help="question numbers, e.g. 2,11,12")
    parser.add_argument("--answers", help="save every row as JSON lines to this file")
    parser.add_argument(
        "--model",
        default="",
        help="default mode: a GGUF file loaded as it is, or 'shipped' for the bundled Q4_1 "
        "file (default: the knowledge base's own, the bundled model's Q8_0 copy)",
    )
    args = parser.parse_args(argv)
    try:
        if args.index:
            outcomes = run(args, Path(args.index))
        else:
            with tempfile.TemporaryDirectory(prefix="sample_bench_") as tmp:
                outcomes = run(args, Path(tmp) / "index")
    except BadInput as exc:
        print(f"sample_bench: {exc}", file=sys.stderr)
        return 2
    passed = sum(o.passed for o in outcomes)
    failed = [o.number for o in outcomes if not o.passed]
    markup = sum(o.markup for o in outcomes)
    print(f"TOTAL {args.mode}: {passed}/{len(outcomes)} passed; markup {markup}; failed {failed}")
    if args.answers:
        with open(args.answers, "w", encoding="utf-8") as f:
            for o in outcomes:
                f.write(json.dumps(asdict(o) | {"mode": args.mode}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
