"""Evidence before words, and the evidence view after them.

`select_passages` picks, before the model is asked, the retrieved sentences that best
answer the question, each with its better-scoring neighbour from the same chunk; they
become the numbered passages of a compact prompt (a few sentences instead of whole
800-character chunks: shorter prompts answer sooner and keep small models on the
facts). Each passage keeps its chunk and the sentences' offsets, so a citation can name
the sentence's own page.

`evidence_for` is the evidence view: for each sentence of an answer, the source sentence
that best supports it, or a mark (`support=None`) that none does.

Support is scored by `ragkit.answer.grounding.SentenceScorer` (shared terms weighted by rarity,
plus embedding similarity when an embedder for the language is at hand). Leaves out
entailment: a sentence that shares its words with a source but says the opposite can
still score high, so the view is an aid for a reader, not a verdict.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ragkit.answer.answerable import MIN_SENTENCE_CHARS
from ragkit.answer.attributes import asks_form, attribute_terms, unit_values
from ragkit.answer.citations import strip_citations
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer
from ragkit.answer.kinds import EN_DATE, AnswerKind, is_question
from ragkit.answer.question_terms import asking_terms
from ragkit.text.analysis import STOPWORDS, Analyzer
from ragkit.text.cjk import CJK
from ragkit.text.sentences import Sentence, split_sentences
from ragkit.types import Evidence, SearchHit

MIN_CHARS = MIN_SENTENCE_CHARS  # shorter "sentences" are headings, list markers or page furniture
MAX_PASSAGE_CHARS = 480  # a passage longer than this keeps only its best sentence
SPECIFIC_BONUS = 0.2
"""Added to a sentence's score for a whole value of the asked kind (`specific`)."""
VOTE_BONUS = 0.4
"""Times the share of the other retrieved chunks that state a value the sentence
holds (`votes`)."""
ANSWERS_BONUS = 0.4
"""Added, for ordering, to a sentence that could answer (`answering_windows`). A bonus,
not a tier: that test asks the question's numbers to stand by the sentence, which
"The seventeenth season ... premiered November 12, 2020" fails for "Season 17".
Measured on qa_bench's first 50 questions per set: 0.2, 0.3, 0.4, 0.6 and a tier tried;
0.4 put the gold sentence first most often."""
FIRST_FLOOR = 0.5
"""The first quote's score (without bonuses) may be this share of the quotes' floor."""
ALTERNATIVE_MARGIN = 0.1
"""A second quote naming another value than the first's is quoted only when the first's
rank score (`Ranking.rank_score`) is less than this ahead of its own. Measured on
qa_bench's first 50 questions per set (bench/README.md): 0, 0.05, 0.1, 0.15, 0.2 and any
tried; 0.1 the most precise that kept RGB zh and CMRC at 0.75 accuracy or more (0.05:
RGB zh 74%), at one question each against any second quote (RGB en none)."""


@dataclass(frozen=True)
class Passage:
    """Sentences of one retrieved chunk given to the model as source `[number]`:
    `sentences` in the chunk's order (offsets into `hit.chunk.text`), `best` the one
    that scored highest against the question."""

    number: int
    hit: SearchHit
    sentences: tuple[Sentence, ...]
    best: Sentence
    score: float
    picks: tuple[tuple[int, Sentence], ...] = ()
    """The sentences of this passage that extractive mode would quote and the checked
    answer may quote too (they could answer), with their rank among extractive mode's
    quotes (0 first)."""

    @property
    def text(self) -> str:
        """The sentences on one line (a passage never spans lines in the prompt)."""
        sep = "" if _cjk(self.best.text) else " "
        return sep.join(" ".join(s.text.split()) for s in self.sentences)


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text[:40])


def _useful(sentence: Sentence, text: str) -> bool:
    """Whether `sentence` of chunk `text` can be quoted as evidence: not a short piece
    (list marker, page furniture), a heading, nor a question (an FAQ's "Is there free
    shipping?" states nothing; the sentence after it answers)."""
    return (
        (len(sentence.text) >= MIN_CHARS or _cjk(sentence.text))
        and not is_heading(sentence, text)
        and not is_question(sentence.text)
    )


def section(sentence: Sentence, sentences: Sequence[Sentence], text: str) -> str:
    """The part of chunk `text` that `sentence` stands in: from the heading before it
    (or the chunk's start) to the next heading (or the chunk's end). It names what the
    sentence is about: "推荐水温为85摄氏度" under "## 雾溪白茶", not the next tea's."""
    start, end = 0, len(text)
    for other in sentences:
        if other.end <= sentence.start and is_heading(other, text):
            start = other.start
        elif other.start >= sentence.end and is_heading(other, text):
            end = other.start
            break
    return text[start:end]


_SENTENCE_END = ".!?。！？；;…"
MAX_HEADING_WIDTH = 60  # a title line is shorter (a Chinese character counts twice)


def is_heading(sentence: Sentence, text: str) -> bool:
    """Whether `sentence` of `text` is a heading: a Markdown heading, or a short line on
    its own that does not end like a sentence ("Section 3: Visiting the Lantern House",
    "雾溪茶园简介"). A heading says what the text after it is about; quoted as an answer it
    says nothing (and shows its `##`)."""
    line = sentence.text.strip()
    if line.startswith("#"):
        return True
    if not line or "\n" in line or line[-1] in _SENTENCE_END:
        return False
    if len(line) + sum(1 for ch in line if "\u3400" <= ch <= "\u9fff") > MAX_HEADING_WIDTH:
        return False
    before, after = text[: sentence.start], text[sentence.end :]
    alone_before = before.rstrip(" \t").endswith("\n") or not before.strip()
    return alone_before and (after.lstrip(" \t").startswith("\n") or not after.strip())


def sentence_key(text: str) -> str:
    """What two copies of a sentence share: its letters and digits, lower case."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass(frozen=True)
class Pick:
    """One of the best sentences for a question: sentence `index` of retrieved chunk
    `hit` (indexes into the hits and `Ranking.split`), with its score (0..1) for the
    question."""

    hit: int
    index: int
    sentence: Sentence
    score: float


@dataclass(frozen=True)
class Ranking:
    """The retrieved chunks' sentences ranked for a question: `split[h]` the sentences
    of hit `h`, `score[(h, i)]` a sentence's score with its value bonuses, `answers[(h, i)]`
    whether it could answer, `order` every (h, i) best first (page furniture last;
    `rank_score[(h, i)]` orders the rest)."""

    split: tuple[tuple[Sentence, ...], ...]
    raw: dict[tuple[int, int], float]
    score: dict[tuple[int, int], float]
    answers: dict[tuple[int, int], bool]
    order: tuple[tuple[int, int], ...]
    sections: tuple[tuple[str, ...], ...] = ()
    """`sections[h][i]`: the part of its chunk sentence (h, i) stands in (`section`)."""
    furniture: dict[tuple[int, int], bool] = field(default_factory=dict)
    """Whether sentence (h, i) is page furniture (`boilerplate`)."""
    rank_score: dict[tuple[int, int], float] = field(default_factory=dict)
    """`score` plus `ANSWERS_BONUS` for a sentence that could answer: what `order` sorts by."""
    titled: dict[tuple[int, int], frozenset[str]] = field(default_factory=dict)
    """The question's terms the heading over sentence (h, i) holds."""
    agrees: Callable[[str, str], bool] | None = None
    """Whether a later quote states what the first does (`consistent`); None: any does."""
    vaguer: Callable[[str, str], bool] | None = None
    """Whether a later quote names the first's date less wholly (`vaguer`); None: never."""
    own: dict[tuple[int, int], float] = field(default_factory=dict)
    """The share of the question's terms (by rarity) sentence (h, i) holds itself."""
    sibling: dict[tuple[int, int], bool] = field(default_factory=dict)
    """Whether sentence (h, i) speaks of a sibling of the thing a Chinese question names
    (`ragkit.answer.rules_zh.sibling_named`: 海宁站 for 海宁西站): no later quote."""
    alternative: Callable[[str], bool] | None = None
    """Whether a later quote naming another value than the first's names one at all
    (`alternative`); None: any does."""
    also: Ranking | None = None
    """For a question joining two asks ("Who founded it and when?", `two_asks`), the
    same sentences ranked for its second ask; this ranking is the first's."""

    def best(self, count: int, min_score: float) -> list[Pick]:
        """Up to `count` sentences scoring at least `min_score` (without the bonuses),
        repeated sentences once: what extractive mode quotes and the checked answer may
        quote too. The first is the best (`FIRST_FLOOR`). A later one could answer
        (`answers`), is no page furniture (`boilerplate`) and stands under a heading
        naming what the first's does, and either states the first's answer (`agrees`,
        `consistent`: corroboration, right exactly when the first is) or, as the second
        quote only, names another value the ranking could not rule out: its rank score
        within `ALTERNATIVE_MARGIN` of the first's. Every other quote is one more
        citation the reader must doubt (docs/answers.md, "Which sentences are quoted
        and cited", has the measured trade)."""
        picks: list[Pick] = []
        seen: set[str] = set()
        for h, i in self._whole_first(min_score):
            if len(picks) == count:
                break
            # The first quote may score down to half the floor when the ranking puts it
            # first (its bonuses: the value asked for, sources agreeing): the retrieved
            # text answers (`can_answer` found a sentence over the floor), and
            # "白岳峰（…），朝鲜族，…" shares few of "白岳峰是哪一个少数民族的？"'s words
            # while a sentence on another athlete's "少数选手" shares more.
            if self.raw[(h, i)] < (min_score * FIRST_FLOOR if not picks else min_score):
                continue
            sentence = self.split[h][i]
            key = sentence_key(sentence.text)
            if key in seen:
                continue
            if picks and not self._may_follow(picks, (h, i)):
                continue
            seen.add(key)
            picks.append(Pick(h, i, sentence, self.raw[(h, i)]))
        if self.also is not None and picks:
            # The second ask's best sentence, where it could answer it and is not quoted
            # already, comes second: "Who founded the cooperative and when?" quotes the
            # founders, then the founding date ("says 14 March 1987" alone answered half).
            extra = [
                p
                for p in self.also.best(1, min_score)
                if self.also.answers[(p.hit, p.index)] and sentence_key(p.sentence.text) not in seen
            ]
            picks = [*picks[:1], *extra, *picks[1:]][:count]
        return picks

    def _whole_first(self, min_score: float) -> list[tuple[int, int]]:
        """`order`, where the first quote names a date less wholly than a sentence the
        ranking barely puts below it (within `ALTERNATIVE_MARGIN`) that could answer:
        that sentence first ("It was officially announced on August 17, 2021" before
        "… adding the Pixel 5a 5G to the mix in August 2021"). The day answers "when"
        more fully, and the month-only sentence is then no later quote (`vaguer`)."""
        order = list(self.order)
        if self.vaguer is None or not self.rank_score:
            return order
        floor = min_score * FIRST_FLOOR
        lead = next((k for k, pos in enumerate(order) if self.raw[pos] >= floor), None)
        if lead is None:
            return order
        first = order[lead]
        text = self.split[first[0]][first[1]].text
        for k in range(lead + 1, len(order)):
            pos = order[k]
            if self.rank_score[first] - self.rank_score[pos] >= ALTERNATIVE_MARGIN:
                break
            if (
                self.answers[pos]
                and not self.furniture.get(pos, False)
                and self.raw[pos] >= floor
                and self.vaguer(self.split[pos[0]][pos[1]].text, text)
            ):
                order.insert(lead, order.pop(k))
                break
        return order

    def _may_follow(self, picks: Sequence[Pick], pos: tuple[int, int]) -> bool:
        """Whether sentence `pos` may be quoted after `picks` (`best`)."""
        h, i = pos
        if not self.answers[pos] or self.furniture.get(pos, False):
            return False
        if self.sibling.get(pos, False):
            # "大沙地站（）是广州地铁五号线的车站" after the answer for 大沙东站: the same
            # words said of another station are no support and no other answer.
            return False
        first = picks[0]
        if self.titled and self.sections:
            # A later quote stands under a heading naming what the first's does:
            # "推荐水温为80摄氏度" under "## 晨雾绿茶" is no support for the same words
            # under "## 雾溪白茶".
            named = self.titled.get((first.hit, first.index), frozenset())
            around = self.sections[h][i].lower()
            if not all(t in around for t in named):
                return False
        if self.agrees is None or self.agrees(first.sentence.text, self.split[h][i].text):
            return True
        if self.vaguer is not None and self.vaguer(first.sentence.text, self.split[h][i].text):
            return False  # the first's date, less whole: neither support nor another answer
        # Another value than the first's: only as the second quote, and only when the
        # ranking barely prefers the first (a wrong second quote costs precision
        # wherever the first is right).
        if len(picks) > 1 or not self.rank_score:
            return False
        if self.alternative is not None and not self.alternative(self.split[h][i].text):
            return False  # "… include the President and ten Vice Presidents" names no one
        ahead = self.rank_score[(first.hit, first.index)] - self.rank_score[pos]
        return ahead < ALTERNATIVE_MARGIN


_COUNTS = re.compile(r"\d(?:[\d,.]*\d)?\s*[KkMm]?\s+[A-Z][a-z]+")
MAX_TITLE_WORDS = 8
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def boilerplate(text: str) -> bool:
    """Whether `text` is page furniture rather than a statement: mostly digits and
    signs, a row of counts ("905 Followers, 298 Following, 585 Posts"), or, in a Latin-script
    text, a title with no lower-case word ("Countries Athletes.", "2018 Winter Olympics -
    Medal Tracker."). Quoted as an answer it says nothing, whatever words it shares."""
    line = unicodedata.normalize("NFKC", text).strip()
    visible = [ch for ch in line if not ch.isspace()]
    if not visible or 2 * sum(ch.isalpha() for ch in visible) < len(visible):
        return True
    # A date's day before its month ("closed from 24 December to 2 January") is no count.
    if len(_COUNTS.findall(EN_DATE.sub(" ", line))) >= 2:
        return True
    if _cjk(line):
        return False
    # A title is short; a long run of capitalised words with figures is a table's
    # rows ("Us Open Men's Singles Winners ; 2020, Dominic Thiem (AUT), …"), which can
    # hold the answer.
    words = _WORD.findall(line)
    return 0 < len(words) <= MAX_TITLE_WORDS and not any(w[0].islower() for w in words)


_FULL_DATE = re.compile(
    r"\d{1,4}\s*[年/.-]\s*\d{1,2}\s*[月/.-]\s*\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
)
_FULL_NAME = re.compile(r"(?<![\w'’])[A-Z][a-zà-ÿ'’-]+(?:\s+[A-Z][a-zà-ÿ'’-]+)+")


def specific(kind: AnswerKind | None, text: str, question: str) -> bool:
    """Whether `text` holds a whole value of `kind` that `question` does not: a date with
    its day ("July 21, 2017", "2月4日"), a name of two or more words ("Ashleigh Barty").
    "Splatoon 2 release date slated for July" names a month; "It was released on July
    21, 2017" answers."""
    from ragkit.answer.kinds import EN_DATE

    line = unicodedata.normalize("NFKC", text)
    if kind == "date":
        return any(
            m.group() not in question for m in (*EN_DATE.finditer(line), *_FULL_DATE.finditer(line))
        )
    if kind == "name":
        asked = question.lower()
        return any(
            not all(w.lower() in asked for w in m.group().split())
            for m in _FULL_NAME.finditer(line)
        )
    return False


_UNITS = "十百千万亿"


def consistent(
    kind: AnswerKind | None, question: str, analyzer: Analyzer
) -> Callable[[str, str], bool]:
    """Whether a later quote states the first one's answer (corroboration: right exactly
    when the first is). A name or date: it holds every value of the asked kind that the
    first holds (`kind_values`), for an English date its day too ("April 29" does not
    state "April 29, 2015", nor "September 10, 2019" "September 20, 2019"; "released in
    2020" does not state "in June 2020"). A number: every number it holds is one of the
    first's ("412 members" states "412 members and 9 staff"; "10人死亡" does not state
    "12人死亡"). A question asking for no one kind: half the terms beyond the question's
    of the shorter. A quote sharing only part of the first's values may be right where
    the first is wrong and wrong where it is right: another answer, not support."""
    from ragkit.answer.answerable import carries, kind_values

    def values(text: str) -> set[str]:
        # "万" in "131万辆" is the number's unit, not a value of its own.
        return {v for v in kind_values(kind, text, question, analyzer) if v.strip(_UNITS)}

    def agrees(first: str, later: str) -> bool:
        a, b = values(first), values(later)
        if kind is None:
            return bool(a and b) and 2 * len(a & b) >= min(len(a), len(b))
        if not a:
            return False
        if kind == "number":
            return bool(b) and b <= a
        if not carries(kind, first, later, question, analyzer):
            return False
        return kind != "date" or _days(first) <= _days(later)

    return agrees


def vaguer(
    kind: AnswerKind | None, question: str, analyzer: Analyzer
) -> Callable[[str, str], bool] | None:
    """For a question asking for a date: whether a later quote names no day where the
    first does, and no year or month the first does not ("Splatoon 2 release date
    slated for July" after "It was released on July 21, 2017"). It is no corroboration
    (it does not state the first's answer) and no other answer; quoted, it is one more
    citation that does not hold the answer. A later quote with a day is not vaguer:
    "5月17日，《速度与激情10》在中国内地抢先上映" states "2023年5月17日" but for the year,
    and "August 17, 2021" after "in August 2021" says more. None for other kinds (a name
    is not vaguer for naming fewer: "Daniil Medvedev won his first major at the US Open
    in 2021" after a table of winners picks the answer out of it)."""
    from ragkit.answer.answerable import carries, kind_values

    if kind != "date":
        return None

    def less(first: str, later: str) -> bool:
        if _has_day(later) or not _has_day(first):
            return False
        if not kind_values(kind, later, question, analyzer):
            return False
        # "in August 2021" names the month of "August 17, 2021", whatever other months
        # it names beside it ("the Pixel 5 in October 2020, … the Pixel 5a in August 2021").
        return carries(kind, later, first, question, analyzer) or _month_of(first, later)

    return less


def alternative(kind: AnswerKind | None, question: str) -> Callable[[str], bool] | None:
    """For an English question asking who or which (a name): whether a later quote
    that names another value than the first's names someone (`rules_en.names_someone`).
    One that does not ("'The Shape of Water' won Oscars …", "The executive officers
    include the President …") is no other answer a reader could weigh. None for other
    kinds and for Chinese, whose names jieba tags (`kind_values`)."""
    from ragkit.answer.rules_en import names_someone

    if kind != "name" or _cjk(question):
        return None
    return lambda text: names_someone(question, text)


_ZH_DAY = re.compile(r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]")
_ISO_DAY = re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")


def _has_day(text: str) -> bool:
    """Whether `text` names a day of a month: "July 21", "21st of July", "17日"."""
    line = unicodedata.normalize("NFKC", text)
    return bool(_days(line) or _ZH_DAY.search(line) or _ISO_DAY.search(line))


_MONTH_NAMES = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY_NUMBER = r"(\d{1,2})(?:st|nd|rd|th)?(?!\d)"
_MONTH_DAY = re.compile(
    rf"\b{_MONTH_NAMES}\s+{_DAY_NUMBER}|(?<!\d){_DAY_NUMBER}\s+(?:of\s+)?{_MONTH_NAMES}\b"
)


_MONTH_YEAR = re.compile(
    rf"\b{_MONTH_NAMES}(?![a-z])(?:\s+(?:of\s+)?(\d{{4}}))?(?!\s*\d)", re.IGNORECASE
)


def _month_of(first: str, later: str) -> bool:
    """Whether English `later` names, without its day, the month of a day `first`
    names, in that day's year or in none: "in August 2021" of "August 17, 2021"."""
    days = {month for month, _ in _days(first)}
    if not days:
        return False
    years = set(re.findall(r"\b\d{4}\b", first))
    for m in _MONTH_YEAR.finditer(unicodedata.normalize("NFKC", later)):
        # A month is capitalised: "the entry share may be paid" names no May.
        if not m.group(1)[0].isupper():
            continue
        if m.group(1)[:3].lower() in days and (m.group(2) is None or m.group(2) in years):
            return True
    return False


def _days(text: str) -> set[tuple[str, str]]:
    """The (month, day) pairs of the English dates in `text`: ("sep", "20") for
    "September 20, 2019", "Sept. 20th" and "20th of September"."""
    out = set()
    for m in _MONTH_DAY.finditer(unicodedata.normalize("NFKC", text).lower()):
        name, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        out.add((name[:3], number.lstrip("0")))
    return out


def heading_of(sentence: Sentence, sentences: Sequence[Sentence], text: str) -> str:
    """The heading that `sentence` of chunk `text` stands under ("" when none does)."""
    for other in reversed(sentences):
        if other.end <= sentence.start and is_heading(other, text):
            return other.text
    return ""


def lead_in(sentence: Sentence, sentences: Sequence[Sentence]) -> str:
    """The sentence ending in a colon that list item `sentence` completes, "" for
    another sentence (`ragkit.answer.answerable.lead_in`)."""
    from ragkit.answer.answerable import lead_in as lead

    for i, other in enumerate(sentences):
        if other.start == sentence.start:
            return lead(sentences, [s.text for s in sentences], i)
    return ""


def relation_terms(question: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms of `question` besides its asking words, the attribute it asks for
    (`attribute_terms`) and its names: what it says of them ("fire" of "At what
    temperature is Kestrel Gold fired?")."""
    from ragkit.answer.question_terms import asking_terms, question_names

    asking = asking_terms(question, analyzer) | attribute_terms(question, analyzer)
    named = question_names(question, analyzer)
    return frozenset(
        t
        for t in analyzer.tokenize(question)
        if t not in asking and not any(n in t or t in n for n in named)
    )


_COUNTED = re.compile(r"\d+(?=\s*[\u3400-\u9fff])(?!\s*年)")


def measured_answers(
    question: str, texts: Sequence[str], answers: Sequence[bool], analyzer: Analyzer
) -> list[bool]:
    """Which of `texts` earn `ANSWERS_BONUS` when `question` asks for an attribute with
    units (`unit_values`): a text holding a value in one of them that could answer
    (`answers`) or holds a relation term of the question (`relation_terms`); for other
    questions `answers` as given. "Oxidation is stopped by firing the leaf … at 110
    degrees Celsius" answers "At what temperature is Kestrel Gold fired?" though its
    paragraph never says "temperature"; "Leaf for Kestrel Gold black tea is spread on
    wire-mesh withering troughs" holds no temperature at all."""

    if unit_values(question, "", analyzer) is None:
        return list(answers)
    from ragkit.answer.rules_en import other_year

    relation = relation_terms(question, analyzer)
    out = []
    for text, could in zip(texts, answers, strict=True):
        held = set(analyzer.tokenize(text))
        # Not a sentence about another year: "2020年人口出生率为8.52‰" for 2021.
        # (A count with its measure word, 1062万人, is no year.)
        dated = _COUNTED.sub(" ", text)
        said = could or (bool(relation & held) and not other_year(question, dated))
        out.append(bool(unit_values(question, text, analyzer)) and said)
    return out


def _scores(
    question: str,
    texts: Sequence[str],
    scorer: SentenceScorer,
    contexts: Sequence[str],
    headings: Sequence[str],
) -> tuple[list[float], list[float]]:
    """`question_scores` of `texts` (each in its chunk's section `contexts[i]`), where a
    text also holds the question's terms its heading holds, when it holds another of
    them itself: "冲泡时建议使用90摄氏度的水" under "## 红隼金毫（红茶）" answers
    "冲泡红隼金毫的推荐水温是多少？"; "推荐水温为80摄氏度" under "## 晨雾绿茶" does not.
    Also, for each text, the lexical share of the question's terms it holds itself
    (another form of a word counted, its section's names and heading not): what breaks
    a tie in the ranking."""
    from ragkit.answer.answerable import context_names, question_scores, value_bonus
    from ragkit.answer.kinds import answer_kind
    from ragkit.answer.question_terms import asking_terms, held_terms

    if not texts:
        return [], []
    analyzer = scorer.analyzer
    # An attribute noun asks, like "how long": "temperature" is no answer to "At what
    # temperature is Kestrel Gold fired?", "fired" is (`attribute_terms`).
    asking = asking_terms(question, analyzer) | attribute_terms(question, analyzer)
    asked = set(analyzer.tokenize(question)) - asking
    if not asked:
        scores = question_scores(question, texts, scorer, contexts=contexts)
        return scores, [1.0] * len(texts)
    extra = context_names(question, texts, contexts, analyzer)
    relation = relation_terms(question, analyzer)
    kind = answer_kind(question)
    stated = _stated_sections(question, texts, contexts, headings, asked, kind, analyzer)
    more: list[frozenset[str]] = []
    own: list[frozenset[str]] = []
    for text, heading, names, context in zip(texts, headings, extra, contexts, strict=True):
        titled = asked & set(analyzer.tokenize(heading)) if heading else set()
        held = set(analyzer.tokenize(text))
        # A value of the kind asked for stands in for the question's other words: "…
        # spread in a cool, humid room for 2.5 hours" under "4. Oxidation" answers "How
        # long does oxidation last?" without saying "last". Not where a sentence of the
        # same section says the heading's terms itself with such a value: "New members
        # buy a one-time entry share of 1,200 dollars" under "## Entry share and fees"
        # answers "How much is the entry share?", the fee of the next paragraph does not.
        valued = (
            bool(titled)
            and context not in stated
            and value_bonus(kind, text, question, analyzer) > 0
        )
        if names and relation and not relation & held:
            # Holding the attribute alone ("an ambient temperature of about 24 degrees
            # Celsius") is no reason to count the names its section holds.
            names = frozenset()
        # Another form of a question's word counts as the word ("founders" for
        # "founded": the stemmer leaves found and founder apart).
        forms = frozenset(held_terms(asked - held, held))
        own.append(forms)
        more.append(
            names | forms | frozenset(titled)
            if titled and ((asked - titled) & held or valued)
            else names | forms
        )
    held_own = scorer.lexical([question], texts, asking, own)[0]
    scores = scorer.matrix([question], texts, asking, more)[0]
    return [float(x) for x in scores], [float(x) for x in held_own]


def _stated_sections(
    question: str,
    texts: Sequence[str],
    contexts: Sequence[str],
    headings: Sequence[str],
    asked: set[str],
    kind: AnswerKind | None,
    analyzer: Analyzer,
) -> set[str]:
    """The sections (`contexts`) holding a text that itself says every term of the
    question its heading holds, with a value of the kind asked for (`value_bonus`): in
    them the heading's terms are that sentence's, not every value's under it."""
    from ragkit.answer.answerable import value_bonus
    from ragkit.answer.question_terms import held_terms

    out = set()
    for text, heading, context in zip(texts, headings, contexts, strict=True):
        titled = asked & set(analyzer.tokenize(heading)) if heading else set()
        if not titled or context in out:
            continue
        held = set(analyzer.tokenize(text))
        if held_terms(titled, held) == titled and value_bonus(kind, text, question, analyzer) > 0:
            out.add(context)
    return out


def _hay(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def votes(
    kind: AnswerKind | None, text: str, question: str, hays: Sequence[str], analyzer: Analyzer
) -> float:
    """The share of the other retrieved chunks (`hays`, normalised by `_hay`) that hold
    a value of `kind` that `text` holds, the best of its values: an answer several
    sources state ("Facebook", "131万") is likelier the answer than a value one source
    mentions. 0 for a question asking for no one kind."""
    from ragkit.answer.answerable import kind_values

    if kind is None or len(hays) < 2:
        return 0.0
    if kind == "name" and CJK.search(text):
        # A Chinese proper noun is as often the place or body every source names
        # (山东省) as the answer: jieba's tags do not tell them apart.
        return 0.0
    values = kind_values(kind, text, question, analyzer)
    best = 0
    for value in values:
        if kind != "name" and len(value) < 2:
            continue
        best = max(best, sum(value in hay for hay in hays) - 1)
    return best / (len(hays) - 1)


TENSE_PENALTY = 0.2
"""Taken from a sentence about the start (最初, originally) or a forecast (预计, 规划)
when the question asks about neither (`tense`)."""
_START = re.compile(
    r"最初|起初|当初|初期|原本|原先|\b(?:originally|initially|at first|in the beginning)\b",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"目前|现在|如今|现今|至今|\b(?:currently|now|today|at present|presently)\b", re.IGNORECASE
)
_FORECAST = re.compile(r"预计|预期|预测|预估|规划|有望")
# A question on when something was founded or began asks about the start: "茶园始建于
# 2003年，最初只有17户茶农参与" answers "雾溪茶园是哪一年建立的？".
_BEGUN = re.compile(
    r"\b(?:founded|established|started|began|begun|launched|opened)\b|开始|始于|起源"
    r"|建立|成立|创立|创建|创办|始建|建于|建成|设立|开设|开办|开业",
    re.IGNORECASE,
)
_YEARISH = re.compile(r"(?<!\d)(?:1[0-9]|20)\d\d(?!\d)|\d年")


def tense(text: str, question: str) -> int:
    """How many of two time marks set `text` apart from what `question` asks: a forecast
    ("按照马斯克的规划，特斯拉2022年的交付量需要超过140万辆", "预期营收为650-680亿美元") when
    the question asks for none (a figure that was expected is not the figure), and the
    start ("最初只有17户茶农参与") when the question names no year and asks neither about
    the start (nor a founding: `_BEGUN`) nor the present ("雾溪茶园有多少户茶农？" asks how
    many now: "目前共有42户茶农加入" answers). A sentence marking both the start and the
    present ("originally 17, now 42") is no start."""
    out = 0
    if _FORECAST.search(text) and not _FORECAST.search(question):
        out += 1
    if _START.search(text) and not _NOW.search(text):
        asked = (_START, _NOW, _YEARISH, _BEGUN)
        if not any(p.search(question) for p in asked):
            out += 1
    return out


OTHER_SEX_PENALTY = 0.4
"""Taken from a sentence about the other sex's event than the question's (`other_sex`)."""
_MEN = re.compile(r"\b(?:men|men's|mens|gentlemen|gentlemen's|male|boys|boys')(?![\w'’])", re.I)
_WOMEN = re.compile(
    r"\b(?:women|women's|womens|ladies|ladies'|female|girls|girls')(?![\w'’])", re.I
)
_ZH_SEX = re.compile(r"([男女])([\u3400-\u9fff])")


def other_sex(text: str, question: str) -> bool:
    """Whether `text` speaks of the other sex's event than `question` and not of the
    question's: "Emma Raducanu won the 2021 US Open women's singles title" for "Who won
    the men's singles U.S. Open 2021?", "女单冠军" for "男单冠军" (the same character after
    男 or 女: 男子 and 女子, 男篮 and 女篮). A sentence naming both ("Djokovic won the
    gentlemen's singles title and Kerber won the ladies'") speaks of the question's too."""
    line = unicodedata.normalize("NFKC", text).replace("’", "'")
    asked = unicodedata.normalize("NFKC", question).replace("’", "'")
    for mine, other in ((_MEN, _WOMEN), (_WOMEN, _MEN)):
        if mine.search(asked) and not other.search(asked):
            if other.search(line) and not mine.search(line):
                return True
    for sex, after in _ZH_SEX.findall(asked):
        flip = "女" if sex == "男" else "男"
        if flip + after in line and sex + after not in line and flip + after not in asked:
            return True
    return False


LEAD_BONUS = 0.2
"""Added, for a question asking for no one kind, to an encyclopedia's lead sentence about
the question's subject (`lead`)."""


def lead(text: str, names: Sequence[str]) -> bool:
    """Whether `text` is an encyclopedia's lead sentence about one of `names` (normalised
    question names): the name, then a parenthesis ("邹游（），中国足球运动员，司职中场。").
    It says what the subject is, which "邹游的职业是什么？" asks, while "邹游在2004年…开始
    职业足球生涯" only shares the question's word."""
    from ragkit.text.normalize import fold

    line = fold(text.strip())
    return any(line.startswith(n) and line[len(n) : len(n) + 1] in "（(" for n in names if n)


NAMING_BONUS = 0.2
"""Added, for a question asking what something is called (`asks_name`), to a sentence
that names something (`names_something`)."""
_ASKS_NAME = re.compile(
    r"叫什么|叫做什么|名字|名称|称为什么|称作什么|[又也亦别原本全简俗]称|[又别原本]名|"
    r"\b(?:called|named|nicknamed|known\s+as)\b|\bname\s+(?:of|for)\b|\bwhat\s+name\b",
    re.IGNORECASE,
)
_NAMING = re.compile(
    r"(?:名为|名叫|叫做|称为|称作|命名为|[又也亦别原本全简俗]称|[又别原本]名|取名|定名)[：:为是叫]?"
    r"(?=[“「《\"'‘A-Za-z0-9\u3400-\u9fff])"
    r"|\b(?:called|named|nicknamed|known\s+as|dubbed)\s+(?=[*_\"'“‘]*[A-Z])"
)
# Title marks (《环球时报》) name a work, in news most often the source quoted.
_QUOTED = re.compile(r"[“「\"]([^”」\"]{1,20})[”」\"]")


def asks_name(question: str) -> bool:
    """Whether `question` asks what something is called: "沼鹿又叫什么？", "中国第三艘航母名字",
    "What is the mascot called?"."""
    return bool(_ASKS_NAME.search(unicodedata.normalize("NFKC", question)))


def names_something(text: str, question: str) -> bool:
    """Whether `text` gives something a name that `question` does not hold: a naming
    word before it ("又名泽鹿", "命名为“福建舰”", "known as Rafa") or a short term in
    quotation or title marks (吉祥物“冰墩墩”). "中国第三艘航母或命名." names nothing."""
    line = unicodedata.normalize("NFKC", text)
    asked = unicodedata.normalize("NFKC", question)
    if _NAMING.search(line):
        return True
    return any(m.group(1).strip() not in asked for m in _QUOTED.finditer(line))


BOUND_BONUS = 0.2
"""Added, for a question asking for a quantity, to a sentence that gives it as the value
of one of the question's own words (`bound`)."""
# The word a quantity is the value of, then "of" or a colon: "entry share of 1,200
# dollars", "population: 5,000". Not a verb between them: "the Lumen railway … is 421
# kilometres long" and "… and is 365 kilometres long" both give the railway's length,
# though only the first has the word before the verb.
_BOUND = re.compile(r"([A-Za-z][\w'’-]*)(?:\s+of|\s*:)$")
_QUANTITY = re.compile(r"[$€£¥]?\d+(?:[.,]\d+)*")


def bound(kind: AnswerKind | None, text: str, question: str, analyzer: Analyzer) -> bool:
    """Whether `text` gives a number as the value of one of `question`'s own terms (its
    asking words aside), for a question asking for a quantity: "New members buy a
    one-time entry share of 1,200 dollars" states what "How much is the entry share?"
    asks; "The entry share may be paid … in three yearly instalments of 400 dollars"
    holds the words and a number that is another thing's (the instalments'). A
    question asking for no one kind ("What is the entry share?") may ask for that
    value too. English only: a Chinese sentence binds a value without such links
    (入会费为1200元)."""

    if _cjk(text) or _cjk(question):
        return False
    if kind not in ("number", None) and unit_values(question, "", analyzer) is None:
        return False
    asked = set(analyzer.tokenize(question)) - asking_terms(question, analyzer)
    line = " ".join(unicodedata.normalize("NFKC", text).split())
    for m in _QUANTITY.finditer(line):
        if m.group().lstrip("$€£¥") in question:
            continue
        word = _BOUND.search(line[: m.start()].rstrip("$€£¥ *_"))
        if word and set(analyzer.tokenize(word.group(1))) & asked:
            return True
    return False


LABEL_BONUS = 0.4
"""Added to a sentence that labels its value with the question (`labelled`)."""
_LABEL = re.compile(r"[：:](?!//)")
_CLAUSE = re.compile(r"[,，;；、。.!?！？]")
MAX_LABEL_CHARS = 40


def labelled(text: str, question: str, analyzer: Analyzer) -> bool:
    """Whether `text` is a label holding every term of `question` (its asking words and
    attribute aside), a colon, then something the question does not say: a field and
    its value ("2021赛季中超冠军：山东泰山." for "2021赛季中超冠军"), which states the
    answer where sentences that mention the same terms ("卫冕冠军就遭遇“猝死”") do not."""
    parts = _LABEL.split(unicodedata.normalize("NFKC", text), maxsplit=1)
    # A label is a phrase: "The Russo Brothers, who directed Avengers: Infinity War"
    # is a clause before a title's colon.
    if len(parts) < 2 or len(parts[0]) > MAX_LABEL_CHARS or _CLAUSE.search(parts[0]):
        return False
    asking = asking_terms(question, analyzer) | attribute_terms(question, analyzer)
    asked = set(analyzer.tokenize(question)) - asking
    label, value = set(analyzer.tokenize(parts[0])), set(analyzer.tokenize(parts[1]))
    return bool(asked) and asked <= label and bool(value - asked)


_IDENTIFIES = re.compile(
    r"((?:[A-Z][\w'’-]*\s+)*[A-Z][\w'’-]*)\s+(?:is|was|are|were)\s+(?:a|an|the)\s+"
    r"((?:[\w-]+\s+){0,3}[\w-]+)"
)


def referent(kind: AnswerKind | None, text: str, question: str, analyzer: Analyzer) -> bool:
    """Whether every name `text` holds belongs to what it says is the thing the question
    names by a common noun: "The Lumen Tea Cooperative is a fictional company" for "Who
    founded the company?" names the company, not who founded it."""
    from ragkit.answer.answerable import kind_values

    if kind != "name" or _cjk(text):
        return False
    line = " ".join(unicodedata.normalize("NFKC", text).split())
    asked = set(analyzer.tokenize(question))
    values = set(kind_values(kind, line, question, analyzer))
    for m in _IDENTIFIES.finditer(line):
        # The noun is among the next few words, before a function word: "a fictional
        # company", not "a founder of the company".
        words = []
        for word in m.group(2).split():
            if word.lower() in STOPWORDS:
                break
            words.append(word)
        if not set(analyzer.tokenize(" ".join(words))) & asked:
            continue
        named = {w.lower() for w in m.group(1).split()}
        if values and values <= named:
            return True
    return False


def rank_sentences(question: str, hits: Sequence[SearchHit], scorer: SentenceScorer) -> Ranking:
    """The sentences of `hits` ranked for `question`, each by its score for the question
    (`question_scores`, a heading's terms counted for the sentences under it) plus
    bonuses: `value_bonus` for the values of the asked kind it holds, `SPECIFIC_BONUS`
    for a whole one (`specific`), `VOTE_BONUS` for a value other chunks state too
    (`votes`), less `TENSE_PENALTY` for each time mark the question does not share
    (`tense`), and `ANSWERS_BONUS` when it could answer
    (`ragkit.answer.answerable.answering_windows`); page furniture (`boilerplate`) last.
    Extractive mode quotes the first few; `select_passages` gives the model the same
    ones, so the checked answer can quote what extractive mode would."""
    from ragkit.answer.answerable import answering_windows, document_contexts, value_bonus
    from ragkit.answer.kinds import answer_kind, statement, two_asks
    from ragkit.answer.question_terms import question_names
    from ragkit.answer.rules_en import relation_groups, states_relation
    from ragkit.answer.rules_zh import sibling_named, subject_unsaid

    asks = two_asks(question)
    if asks is not None:
        # Each ask ranked on its own, for its own kind of answer; an ask no sentence
        # could answer is left to the other.
        first, second = (rank_sentences(ask, hits, scorer) for ask in asks)
        if not any(second.answers.values()):
            return first
        if not any(first.answers.values()):
            return second
        return replace(first, also=second)

    split = []
    sections: list[list[str]] = []
    headings: list[list[str]] = []
    leads: list[list[str]] = []
    for hit in hits:
        text = hit.chunk.text
        sentences = split_sentences(text)
        # Headings and list markers only when the chunk holds nothing else.
        kept = tuple(s for s in sentences if _useful(s, text)) or tuple(sentences)
        split.append(kept)
        sections.append([section(s, sentences, text) for s in kept])
        headings.append([heading_of(s, sentences, text) for s in kept])
        leads.append([lead_in(s, sentences) for s in kept])
    flat = [(h, i) for h, sents in enumerate(split) for i in range(len(sents))]
    kind = answer_kind(question)
    raw, own = _scores(
        question,
        [split[h][i].text for h, i in flat],
        scorer,
        [sections[h][i] for h, i in flat],
        # A list item's lead-in names what it is about, as a heading does.
        [f"{headings[h][i]}\n{leads[h][i]}".strip() for h, i in flat],
    )
    hays = [_hay(hit.chunk.text) for hit in hits]
    names = question_names(question, scorer.analyzer) if kind is None else []
    naming = asks_name(question)

    relations = relation_groups(question, scorer.analyzer)

    def bonus(text: str, about: bool = True) -> float:
        # A sentence whose only names are the thing the question asks about is no
        # value of the asked kind (`referent`), nor one that does not state the
        # relation asked about: "The Lumen Tea Cooperative is … based in the Kestrel
        # Valley" names no founder (`states_relation`), nor one whose section names no
        # thing the question asks an attribute of (`about`: the 品鉴中心's hours for
        # 茶园的开放时间).
        valued = (
            about
            and not referent(kind, text, question, scorer.analyzer)
            and (not relations or states_relation(question, text, scorer.analyzer, relations))
        )
        whole = SPECIFIC_BONUS if valued and specific(kind, text, question) else 0.0
        return (
            (value_bonus(kind, text, question, scorer.analyzer) if valued else 0.0)
            + whole
            + (VOTE_BONUS * votes(kind, text, question, hays, scorer.analyzer) if valued else 0.0)
            - TENSE_PENALTY * tense(text, question)
            - (OTHER_SEX_PENALTY if other_sex(text, question) else 0.0)
            + (LEAD_BONUS if kind is None and lead(text, names) else 0.0)
            + (NAMING_BONUS if naming and names_something(text, question) else 0.0)
            + (LABEL_BONUS if labelled(text, question, scorer.analyzer) else 0.0)
            + (BOUND_BONUS if bound(kind, text, question, scorer.analyzer) else 0.0)
        )

    about = {(h, i): not subject_unsaid(question, sections[h][i], scorer.analyzer) for h, i in flat}
    scores = [
        float(raw[j]) + bonus(split[h][i].text, about[(h, i)]) for j, (h, i) in enumerate(flat)
    ]
    furniture = {(h, i): boilerplate(split[h][i].text) for h, i in flat}
    # An e-mail address or a telephone number asked for: a sentence without one comes
    # after every sentence with one, as page furniture after statements ("The customer
    # desk answers email on weekdays from 09:00" shares more words than "Email
    # hello@lumentea.example.").
    shapeless = {pos: False for pos in flat}
    if asks_form(question, scorer.analyzer):
        shapeless = {
            (h, i): not unit_values(question, split[h][i].text, scorer.analyzer) for h, i in flat
        }
    question_terms = set(scorer.analyzer.tokenize(question))
    titled = {
        (h, i): frozenset(question_terms & set(scorer.analyzer.tokenize(headings[h][i])))
        for h, i in flat
        if headings[h][i]
    }
    windows = (
        answering_windows(
            question, [hit.chunk.text for hit in hits], scorer, contexts=document_contexts(hits)
        )
        if flat
        else []
    )
    answering = {(w.text, w.sentence) for w in windows}
    answers = {(h, i): (h, statement(split[h][i].text)) in answering for h, i in flat}
    ordered = dict(
        zip(
            flat,
            measured_answers(
                question,
                [split[h][i].text for h, i in flat],
                [answers[pos] for pos in flat],
                scorer.analyzer,
            ),
            strict=True,
        )
    )
    for pos in off_section(question, flat, headings, ordered, scorer.analyzer):
        ordered[pos] = False
    judged_first: set[int] = set()
    if scorer.judge is not None:
        # The judge reorders the best few sentences that could answer, which stay ahead
        # of the rest (the others are not asked: each costs a model call).
        from ragkit.answer.judge import JUDGED, judged

        asked = sorted((j for j, pos in enumerate(flat) if answers[pos]), key=lambda j: -scores[j])
        asked = asked[:JUDGED]
        if asked:
            texts = [split[flat[j][0]][flat[j][1]].text for j in asked]
            blended = judged(question, texts, [float(raw[j]) for j in asked], scorer.judge)
            for j, text, b in zip(asked, texts, blended, strict=True):
                scores[j] = b + bonus(text, about[flat[j]])
            judged_first = set(asked)
    order = sorted(
        range(len(flat)),
        key=lambda j: (
            furniture[flat[j]],
            shapeless[flat[j]],
            j not in judged_first,
            round(-scores[j] - (ANSWERS_BONUS if ordered[flat[j]] else 0.0), 6),
            # On a tie, the sentence holding more of the question's terms itself, not
            # from its section: "海宁西站，是…车站，位于浙江省嘉兴市…" before a sentence
            # on 海宁站's trains whose chunk names 海宁西站 elsewhere.
            -own[j],
        ),
    )
    return Ranking(
        tuple(split),
        {pos: float(raw[j]) for j, pos in enumerate(flat)},
        {pos: scores[j] for j, pos in enumerate(flat)},
        answers,
        tuple(flat[j] for j in order),
        tuple(tuple(s) for s in sections),
        furniture,
        {pos: scores[j] + (ANSWERS_BONUS if ordered[pos] else 0.0) for j, pos in enumerate(flat)},
        titled,
        consistent(kind, question, scorer.analyzer),
        vaguer(kind, question, scorer.analyzer),
        {pos: own[j] for j, pos in enumerate(flat)},
        {(h, i): sibling_named(question, split[h][i].text, scorer.analyzer) for h, i in flat},
        alternative=alternative(kind, question),
    )


def select_passages(
    question: str,
    hits: Sequence[SearchHit],
    scorer: SentenceScorer,
    passages: int = 3,
    min_score: float = MIN_RELEVANCE,
    keep_ratio: float = 0.5,
    subject: str = "",
) -> list[Passage]:
    """Up to `passages` passages for `question`, best first: the sentences extractive
    mode would quote (`rank_sentences`, `Ranking.best`; when fewer than `passages` score
    `min_score`, the next best scoring at least `keep_ratio` times the best), each with
    its better-scoring neighbour in the same chunk; sentences next to each other in one
    chunk join one passage, repeated sentences are given once. Each passage names the
    quoted sentences it holds, with their rank (`Passage.picks`). `subject` (what a
    follow-up completed by rule is about, asked without it) keeps the sentences under
    another heading out (`under_subject`)."""
    ranking = rank_sentences(question, hits, scorer)
    if subject:
        ranking = under_subject(ranking, hits, subject, scorer.analyzer)
    split, score_of = ranking.split, ranking.score
    picks = [(p.hit, p.index) for p in ranking.best(passages, min_score)]
    n_quoted = len(picks)  # extractive mode's quotes; any after them only fill the prompt
    if len(picks) < passages and ranking.order:
        top = max(score_of[pos] for pos in ranking.order)
        for pos in ranking.order:
            if len(picks) == passages:
                break
            if score_of[pos] >= keep_ratio * top and pos not in picks:
                picks.append(pos)
    chosen: dict[int, set[int]] = {}  # hit -> sentence indexes
    ranks: dict[tuple[int, int], int] = {}
    seen: set[str] = set()
    for rank, (h, i) in enumerate(picks):
        if rank < n_quoted:
            ranks[(h, i)] = rank
        key = sentence_key(split[h][i].text)
        if i in chosen.get(h, set()) or key in seen:
            continue  # already given as another quote's neighbour
        seen.add(key)
        picked = chosen.setdefault(h, set())
        picked.add(i)
        near = [n for n in (i - 1, i + 1) if 0 <= n < len(split[h])]
        if near:
            best_near = max(near, key=lambda n: (score_of[(h, n)], n))
            if len(split[h][i].text) + len(split[h][best_near].text) <= MAX_PASSAGE_CHARS:
                picked.add(best_near)
                seen.add(sentence_key(split[h][best_near].text))

    # What the checked answer may quote: extractive mode's quotes, the same ones in the
    # same order (`Ranking.best`), so the two modes make one choice question by question.
    # The first when any retrieved sentence could answer (extractive mode's first line,
    # which the ranking may put first without passing `answering_windows` itself: "Joe
    # Biden wins election to be the 46th US President." lacks the question's 2020); the
    # later ones could answer by construction. A later quote that the checked answer
    # left out where extractive mode shows it would cost the answer extractive mode
    # gives (a filter on the later quotes' own coverage of the question's terms changed
    # no answer of qa_bench's questions 1-50 and lost 3 of RGB en's 51-100).
    answerable = any(ranking.answers.values())
    quotable = {
        pos for pos, rank in ranks.items() if rank > 0 or ranking.answers[pos] or answerable
    }
    # Group each hit's chosen sentences into runs of neighbours; a run is one passage.
    runs: list[tuple[float, int, list[int]]] = []
    for h, picked in chosen.items():
        run: list[int] = []
        for i in sorted(picked):
            if run and i != run[-1] + 1:
                runs.append((max(score_of[(h, n)] for n in run), h, run))
                run = []
            run.append(i)
        if run:
            runs.append((max(score_of[(h, n)] for n in run), h, run))
    runs.sort(key=lambda r: -r[0])
    out = []
    for number, (score, h, run) in enumerate(runs, start=1):
        best = max(run, key=lambda n: score_of[(h, n)])
        chosen_run = tuple(split[h][n] for n in run)
        quoted = tuple((ranks[(h, n)], split[h][n]) for n in run if (h, n) in quotable)
        out.append(Passage(number, hits[h], chosen_run, split[h][best], round(score, 4), quoted))
    return out


_NUMBERED_HEADING = re.compile(
    r"^(?:\d+(?:\.\d+)*[.)]?\s|(?:section|chapter|part)\s+\d+|第[\d一二三四五六七八九十百]+[章节部])",
    re.IGNORECASE,
)


def off_section(
    question: str,
    flat: Sequence[tuple[int, int]],
    headings: Sequence[Sequence[str]],
    answering: dict[tuple[int, int], bool],
    analyzer: Analyzer,
) -> set[tuple[int, int]]:
    """The sentences of `flat` (heading `headings[h][i]` over each) that could answer
    (`answering`) but stand in a section beside the one the question names: where a
    heading holds one of the question's terms (not its asking words) and a sentence under
    it could answer, a sentence under another heading of the same rank
    (`heading_level`) holding none of them is about that other section's subject.
    "Oxidation is stopped by firing the leaf … for 22 minutes" under "5. Firing" and
    "Withering lasts between 14 and 18 hours" under "2. Withering" answer "How long does
    oxidation last?" less than "… spread in a cool, humid room for 2.5 hours" under "4.
    Oxidation". Where no section the question names could answer, none is left out (the
    certification year under "## Kestrel Gold and growth" though "## The cooperative
    today" holds "cooperative")."""
    from ragkit.answer.question_terms import asking_terms

    asked = set(analyzer.tokenize(question)) - asking_terms(question, analyzer)
    asked -= attribute_terms(question, analyzer)
    over = {pos: headings[pos[0]][pos[1]] for pos in flat}
    named = {pos: bool(asked & set(analyzer.tokenize(over[pos]))) for pos in flat if over[pos]}
    ranks = {heading_level(over[pos]) for pos, n in named.items() if n and answering[pos]}
    if not ranks:
        return set()
    return {
        pos
        for pos, n in named.items()
        if not n and answering[pos] and heading_level(over[pos]) in ranks
    }


def heading_level(heading: str) -> str:
    """What rank of heading `heading` is, to tell sections side by side from a title
    over them: a Markdown heading's `#` count, a numbered one ("5. Firing", "Section 3:
    Visiting the Lantern House", "第二章"), or another line on its own (a title)."""
    marks = len(heading) - len(heading.lstrip("#"))
    if marks:
        return "#" * marks
    return "numbered" if _NUMBERED_HEADING.match(heading) else "line"


def under_subject(
    ranking: Ranking, hits: Sequence[SearchHit], subject: str, analyzer: Analyzer
) -> Ranking:
    """`ranking` without the sentences that stand under a heading naming something else
    than `subject` beside one naming it (a heading of the same rank, `heading_level`):
    "每次浸泡多久？" after a question on 红隼金毫 is about the sentences under "## 红隼金毫
    （红茶）", not the same words under "## 晨雾绿茶" or "## 雾溪白茶". A sentence that names
    the subject itself stays, so does one under no heading of its chunk (a section going on
    from the chunk before) and one under a heading of another rank (the sections under a
    title naming the subject are about it). Where no heading names the subject (a guide
    whose steps are about every tea, "5. Firing" after a question on Kestrel Gold),
    nothing is left out."""
    from ragkit.answer.followup import names_subject

    heading = {}
    for h, kept in enumerate(ranking.split):
        text = hits[h].chunk.text
        sentences = split_sentences(text)
        for i, sentence in enumerate(kept):
            heading[(h, i)] = heading_of(sentence, sentences, text)
    named = {t for t in set(heading.values()) if t and names_subject(t, subject, analyzer)}
    ranks = {heading_level(t) for t in named}

    def elsewhere(pos: tuple[int, int]) -> bool:
        over = heading[pos]
        return (
            bool(over)
            and over not in named
            and heading_level(over) in ranks
            and not names_subject(ranking.split[pos[0]][pos[1]].text, subject, analyzer)
        )

    if not named:
        return ranking
    also = None if ranking.also is None else under_subject(ranking.also, hits, subject, analyzer)
    return replace(
        ranking, order=tuple(pos for pos in ranking.order if not elsewhere(pos)), also=also
    )


MIN_SUPPORT = 0.5
"""Below this score a sentence counts as unsupported (scores lie in 0..1)."""


def source_sentences(sources: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """(source number, sentence) for every sentence of every numbered source text."""
    return [(number, s.text) for number, text in sources for s in split_sentences(text)]


def evidence_for(
    answer_text: str,
    sources: Sequence[tuple[int, str]],
    scorer: SentenceScorer,
    min_support: float = MIN_SUPPORT,
) -> tuple[Evidence, ...]:
    """Pair each sentence of `answer_text` with its best support among `sources`
    (source number and text, as given to the model)."""
    sentences = [t for t in (strip_citations(s.text) for s in split_sentences(answer_text)) if t]
    if not sentences:
        return ()
    candidates = source_sentences(sources)
    if not candidates:
        return tuple(Evidence(s, None, None, 0.0) for s in sentences)
    scores = scorer.matrix(sentences, [text for _, text in candidates])
    out = []
    for i, sentence in enumerate(sentences):
        j = int(scores[i].argmax())
        score = float(scores[i, j])
        if score >= min_support:
            number, support = candidates[j]
            out.append(Evidence(sentence, support, number, round(score, 4)))
        else:
            out.append(Evidence(sentence, None, None, round(score, 4)))
    return tuple(out)
