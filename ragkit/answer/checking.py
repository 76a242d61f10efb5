"""Checks on a model's answer before a person reads it as fact.

`AnswerChecker` sits between the model's stream and the reader. It releases the answer
a sentence at a time, each one only after it was checked:

- echoed scaffolding ends the answer there (`Question:`, `Sources:`, `<source`, template
  tokens such as `<|im_start|>`); markup tags and server paths are removed;
- a repetition loop ends it (a sentence said before, or a phrase repeated three times
  over);
- every fact-bearing token of the sentence must appear in the sources given to the model
  or in the question: numbers and dates, capitalised names, and in Chinese every
  character outside a short list of function words (a small model mangles 茶园 into
  茶囲); its numbers and names must stand together in one source sentence with its
  neighbours, and those it repeats from the question (a Chinese question's proper
  nouns too) in that sentence's document, so a name from a passage about another year
  does not answer with the question's year; each of its numbers (with a Chinese unit)
  must stand in one source sentence with the words the sentence says it of ("firing"
  with 110 °C, not the withering step's 24 °C; 降雨量 with 毫米, not 320亩), each of the
  names it adds likewise ("founded by" with the founder's name, not the first aid
  officer's), its units compared in one spelling (110 °C, 110 degrees Celsius and
  110摄氏度 are one value); a negation it adds to its source makes it unsupported, and
  so does a copy of a source sentence with a word or two changed (open for closed, a
  negation dropped, a word from its neighbours in the place of the source's own);
  and the sentence must share at least half of its terms, weighted by rarity, with one
  source sentence. A sentence that fails is not shown as an answer: it is replaced by
  the source sentence it was drawn from (quoted as written, with its number), or left
  out when none is close; the model's wording is kept in `Answer.unsupported` for the
  record;
- a sentence that only restates the question, or an opening sentence without a value
  of the kind the question asks for (`ragkit.answer.answerable`), answers nothing and is
  treated as unsupported; only source sentences that could answer the question stand in
  for the model's words;
- each released sentence is cited: the model's own `[n]` when that source supports it,
  else the source holding the best-matching sentence (small models rarely write `[n]`);
- the source sentences extractive mode would quote (`Passage.picks`) are quoted beside
  the model's words (`Quote`), each unless the words shown carry its value of the asked
  kind (a small model's supported answer often drops the words that answer): after
  them, or first, before the model has written a word (the default for Chinese
  questions; a model sentence that only restates them is then left out).

A released sentence ends with the space that follows it, so a stream filter that holds
back a last word that may go on lets the whole sentence out at once.

When nothing checked remains, the answer is the best source sentence that could answer
the question, or "not in the documents" when none could. `check_reply` checks a whole
reply against plain-text sources (an agent's tool results). A reply that says the documents lack the
answer is released as the plain not-found sentence. The same code runs for local and
remote models and for streamed and whole answers. Leaves out entailment: a sentence that
uses only the sources' words can still misstate them (the value binding, the negation
test and the changed-word test are lexical: "not" in the support is taken to be the
negation the sentence makes, a synonym from the source's neighbours reads as a changed
word, and two names of one source sentence can be swapped unnoticed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from ragkit.answer.answerable import (
    adds_content,
    answering_windows,
    bears_on,
    carries,
    document_contexts,
    held_key_terms,
    kind_values,
    kind_words,
    question_scores,
    value_bonus,
)
from ragkit.answer.citations import (
    DocumentLookup,
    cite,
    cited_numbers,
    marked,
    strip_citations,
)
from ragkit.answer.evidence import Passage
from ragkit.answer.grounding import SentenceScorer, not_found_text, says_not_found
from ragkit.answer.kinds import answer_kind, has_kind, is_question, statement, two_asks
from ragkit.answer.question_terms import chinese_names, word_forms
from ragkit.text.analysis import CJK_FUNCTION_CHARS, STOPWORDS, Analyzer
from ragkit.text.cjk import CJK as _CJK
from ragkit.text.cjk import CJK_CHARS
from ragkit.text.marks import strip_marks
from ragkit.text.normalize import alnum_key, fold
from ragkit.text.sentences import Sentence, split_sentences
from ragkit.types import Answer, Citation, Document, SearchHit, StoredChunk

STOP_SEQUENCES = ("Question:", "<source", "<|im_start|>", "问题：")
"""Sent to the model as stop strings (four: OpenAI's API takes no more); the checker cuts
the same scaffolding and more from replies of servers that ignore them."""

MIN_SUPPORT = 0.5
"""A sentence shares at least this rarity-weighted share of its terms with one source
sentence, or it is unsupported."""
MIN_ALIGN = 0.3
"""An unsupported sentence is replaced by its closest source sentence only above this."""
MAX_SENTENCES = 3
MAX_DRIFT = 2
"""Once part of the answer is shown, this many sentences in a row that the sources do
not support end it: a small model that has drifted off its sources rarely comes back,
and every sentence it writes then is seconds the reader waits for nothing shown."""
LOOP_CHARS = 400  # a "sentence" this long without an end is a runaway: judge it, then stop

Quote = Literal["never", "missing", "first"]
"""When the best answering source sentence is quoted beside the model's checked words:
never; after them when they do not carry its value; first, before them."""

# Markers of echoed prompt scaffolding: the answer ends where one starts.
_CUT = re.compile(
    r"<\s*/?\s*source\b|<\|[^|>\n]{0,40}\|>|<\s*/?\s*(?:start|end)_of_turn\s*>|\[/?INST\]"
    r"|(?:^|(?<=\s))(?:Question|Sources?|Context|Documents?)\s*:|(?:问题|来源|资料)\s*[:：]",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,20}(?:\s[^<>\n]{0,200})?/?>")
# A label the model put before its opening sentence ("Answer:", "The answer is:", "答案是："):
# scaffolding, not content.
_LEAD = re.compile(
    r"^\s*(?:(?:(?:the|my|final)\s+)?(?:short\s+)?(?:answer|response)(?:\s+is)?|(?:回答|答案)是?)"
    r"\s*[:：]\s*",
    re.IGNORECASE,
)
_PATH = re.compile(r"(?<![\w:/.~-])(?:[A-Za-z]:\\|~?/)(?:[\w.-]+[/\\])+([\w.-]+)")
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x1f\x7f]")
_MARKER = re.compile(r"^(?:\d{1,2}[.)](?=\s)|\d{1,2}、|[-*•](?=\s))\s*")
_LOOP = re.compile(r"(.{4,80}?)(?:\s*\1){2,}", re.DOTALL)

_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_DATE_UNITS = "月日号"
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
_QUOTED = re.compile(r"[“「《]([^”」》\n]{2,30})[”」》]")
_CN_NUMBER = re.compile(r"[零〇一二三四五六七八九十百千万亿两]{2,}")
_NAME = re.compile(
    r"(?<![A-Za-zÀ-ÖØ-öø-ÿ0-9])[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ0-9'’-]*"
)  # Latin: \w would run on into Chinese
# A value a sentence states: a number with a Chinese measure word or unit after it
# (320亩, 1400毫米, 85摄氏度), or a number or Chinese numeral alone.
_VALUE = re.compile(
    r"(?<!\d)(?<!\d[.,])(\d+(?:[.,]\d+)*|[零〇一二三四五六七八九十百千万亿两]{2,})"
    rf"\s*([{CJK_CHARS}]?)"
)
_ZH_DATE = re.compile(r"(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*[日号]")
# What a negation says: a sentence denying what its source affirms misstates it.
_NEGATION = re.compile(
    r"(?<![A-Za-z])(?:not|no|never|cannot|none|neither|nor|without)(?![A-Za-z])|n['’]t\b"
    r"|不|没有|没|未|无|非|别",
    re.IGNORECASE,
)


# Words of opposite sense: a sentence copied from its source with one of these swapped
# for the other states the opposite ("is open on Mondays" over "is closed on Mondays").
# Stemmed like index terms when compared; the general rule (`AnswerChecker._changed`)
# covers swaps of words the sources use elsewhere, this list the others.
_OPPOSITES = tuple(
    tuple(pair.split("/"))
    for pair in """open/closed open/close open/shut opens/closes before/after earlier/later
    early/late earliest/latest first/last increase/decrease increased/decreased
    increase/reduce rise/fall rose/fell risen/fallen more/less more/fewer most/least
    higher/lower high/low larger/smaller large/small bigger/smaller big/small
    maximum/minimum max/min above/below over/under longer/shorter long/short
    older/younger north/south east/west northern/southern eastern/western left/right
    win/lose won/lost winner/loser allowed/forbidden allowed/prohibited permitted/forbidden
    permitted/prohibited allow/forbid include/exclude included/excluded includes/excludes
    accept/reject accepted/rejected true/false yes/no always/never all/none
    inside/outside indoors/outdoors import/export imports/exports buy/sell bought/sold
    start/end begin/end arrive/depart arrival/departure entry/exit add/remove gain/loss
    profit/loss positive/negative success/failure up/down hot/cold warm/cool wet/dry
    weekdays/weekends morning/evening day/night internal/external public/private
    legal/illegal with/without present/absent required/optional mandatory/optional
    upstream/downstream adult/child adults/children male/female husband/wife father/mother
    son/daughter
    开放/关闭 开/关 开放/关 增加/减少 增长/下降 增长/减少 上升/下降 提高/降低 升高/降低 上涨/下跌
    最高/最低 最大/最小 之前/之后 以前/以后 以上/以下 以内/以外 前/后 早/晚
    允许/禁止 可以/禁止 多/少 高/低 大/小 长/短 东/西 南/北 胜/负
    赢/输 获胜/失败 成功/失败 买/卖 买入/卖出 进口/出口 开始/结束 上/下 内/外 有/无
    男/女 冷/热 新/旧 首/末 第一/最后 支持/反对 同意/反对 正/负 盈利/亏损 涨/跌""".split()
)
# The negating words of `_NEGATION`, as `AnswerChecker._words` writes them.
_NEGATING = frozenset(
    """not no never none neither nor without 不 没有 没 未 无 非 别 不能 不是 不会 不可 不得 不要
    不再 没能 未能 无法 不包括 不包含 不允许 不用 不必 不需要""".split()
)
_WORD = re.compile(rf"[{CJK_CHARS}]+|[^\W_{CJK_CHARS}]+")
# English words negated by a prefix ("unopened", "non-refundable"): a sentence saying the
# bare word where its source says only the prefixed one (or the reverse) states the
# opposite. Words that merely look prefixed ("unless", "until") are left out.
_NEG_PREFIX = re.compile(r"(?i)(?<![a-z-])(un|non-?)([a-z]{4,})(?![a-z])")
_NOT_PREFIXED = frozenset("less till derstand dergo".split())

# A relative clause saying what the words before it are ("…"LTC", which is a three-digit
# number"): it states that they are what it says, which the source must state too.
_RELATIVE = re.compile(
    r",\s*(?:which|who)\s+(?:is|are|was|were)\s+(?:(?:a|an|the)\s+)?([^,.;:!?]+)", re.IGNORECASE
)
_HEAD_WORDS = 6  # words before the clause where its head, the thing described, is sought
# Words of a relative clause that describe nothing ("who are both the founders").
_ASIDE = re.compile(r"\b(?:both|all|each|also|only|still|now|currently|then)\b", re.IGNORECASE)
MAX_SLOT = 2
"""A changed statement differs from its source in at most this many words in one place."""
MIN_COPIED = 0.6
"""...and repeats at least this share of its words in the source's order."""
MAX_BARE_WORDS = 2
"""A sentence holding none of the question's terms and no more than this many words
beside its values is a bare value ("10 to 15 working days", "20人", "Tomas Varga")."""
MIN_NAME_BOUND = 2 / 3
"""A name stands in one source sentence with at least this share of the terms its
sentence says of it."""


# One spelling for each unit a value is written with, so a value binds whichever the model
# and its source use: "110 °C", "110 degrees Celsius", "110摄氏度" are all "110 degc";
# "$1.2 million" and "1.2 million dollars" are "1.2 million usd". A bare "degrees" after a
# number is taken for Celsius (Fahrenheit is named where meant).
_UNITS = tuple(
    (re.compile(pattern, re.IGNORECASE), spelling)
    for pattern, spelling in (
        (r"[°º]\s*f\b|℉|\bdegrees?\s+fahrenheit\b|\bfahrenheit\b|华氏度|华氏", " degf "),
        (
            r"[°º]\s*c\b|℃|\bdegrees?\s+(?:celsius|centigrade)\b|\b(?:celsius|centigrade)\b"
            r"|摄氏度|摄氏",
            " degc ",
        ),
        (r"(\d)\s*(?:degrees?\b|[°º]|度(?![假过]))", r"\1 degc "),
        (r"\s*[%％]|\bper\s*cent\b|\bpercent\b", " pct "),
        (
            r"\bkm\s*/\s*h\b|\bkmh\b|\bkph\b|\b(?:km|kilomet(?:re|er)s?)\s*(?:/\s*h(?:our)?|per\s+hour|an\s+hour)\b"
            r"|(?:公里|千米)(?:每|/)小时",
            " kmh ",
        ),
        (r"\bkm\b|\bkilomet(?:re|er)s?\b|公里|千米", " km "),
        (r"\bkgs?\b|\bkilo(?:gram(?:me)?s?|s)?\b|公斤|千克", " kg "),
        (r"\bcm\b|\bcentimet(?:re|er)s?\b|厘米|公分", " cm "),
        (r"\bmm\b|\bmillimet(?:re|er)s?\b|毫米", " mm "),
        (r"\bmet(?:re|er)s?\b|(?<=\d)米", " metre "),
        (r"\bml\b|\bmillilit(?:re|er)s?\b|毫升", " ml "),
        (r"\blit(?:re|er)s?\b|(?<=\d)升", " litre "),
        (
            r"(?:\bus\s*)?\$\s*(\d[\d,.]*(?:\s*(?:thousand|million|billion|trillion)\b)?)",
            r"\1 usd ",
        ),
        (r"\b(?:us\s+)?dollars?\b|\busd\b|美元", " usd "),
        (r"€\s*(\d[\d,.]*(?:\s*(?:thousand|million|billion|trillion)\b)?)", r"\1 eur "),
        (r"\beuros?\b|欧元", " eur "),
        (r"£\s*(\d[\d,.]*(?:\s*(?:thousand|million|billion|trillion)\b)?)", r"\1 gbp "),
        (r"\bpounds\s+sterling\b|英镑", " gbp "),
        (r"(\d)\s*hrs?\b", r"\1 hours "),
        (r"(\d)\s*mins?\b", r"\1 minutes "),
        (r"(\d)\s*secs?\b", r"\1 seconds "),
    )
)

_UNIT_SPELLINGS = " ".join(dict.fromkeys(spelling.strip(" \\1") for _, spelling in _UNITS))


def unit_words(text: str) -> str:
    """`text` with each unit of measure or currency in one spelling (`_UNITS`), so that
    "110 °C" and "110 degrees Celsius", "15 km/h" and "15 kilometres per hour", "40%"
    and "40 per cent" read alike."""
    for pattern, spelling in _UNITS:
        text = pattern.sub(spelling, text)
    return re.sub(r"[ \t]{2,}", " ", text)


def absent_facts(
    text: str,
    hay: str,
    hay_chars: set[str] | None = None,
    *,
    chinese: bool = True,
    whole_words: bool = False,
    date_units: bool = False,
) -> tuple[str, ...]:
    """The numbers, dates and capitalised names of `text` (and with `chinese`, its
    Chinese characters outside `CJK_FUNCTION_CHARS`) that `hay` (normalised with `fold`) does
    not contain. The first word of a sentence is not taken for a name. A name is found
    at the start of a word of `hay` ("Berg" in "Bergström"), or with `whole_words` only
    as a whole word, a plural or possessive ending aside ("Co" is not in "cooperative").
    With `date_units`, a number written with a Chinese date unit (月, 日, 号) is found
    only with it."""
    norm = fold(text)
    missing: list[str] = []
    for m in _NUMBER.finditer(norm):
        number = m.group().rstrip(".,:/-")
        # A Chinese date's day and month stand with their unit: "1月3日" is not in a
        # text saying "1月17日" and "3 million" elsewhere.
        unit = norm[m.start() + len(number) : m.start() + len(number) + 1]
        unit = unit if unit in _DATE_UNITS and date_units else ""
        if not re.search(rf"(?<!\d){re.escape(number)}(?!\d){unit}", hay):
            missing.append(number)
    for m in _CN_NUMBER.finditer(norm):
        if m.group() not in hay:
            missing.append(m.group())
    plain = unicodedata.normalize("NFKC", text)
    for m in _NAME.finditer(plain):
        word = re.sub(r"['’]s$", "", m.group()).lower()
        before = plain[: m.start()].rstrip()
        if not before or before[-1] in '.!?:;。！？"“(' or len(word) < 2 or word in STOPWORDS:
            continue  # a sentence's first word is capitalised anyway; so is a title's "The"
        if whole_words:
            stem = re.escape(re.sub(r"(?<=..)(?:es|s)$", "", word))
            pattern = (
                rf"(?<![a-z0-9à-þ])(?:{re.escape(word)}|{stem}(?:es|s)?)(?:['’]s)?(?![a-z0-9à-þ])"
            )
        else:
            pattern = rf"(?<![a-z0-9à-þ]){re.escape(word)}"
        if not re.search(pattern, hay):
            missing.append(m.group())
    if chinese:
        chars = hay_chars if hay_chars is not None else set(hay)
        missing += [c for c in _CJK.findall(norm) if c not in chars and c not in CJK_FUNCTION_CHARS]
    return tuple(dict.fromkeys(missing))


def _slots(
    said: Sequence[str], source: Sequence[str]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """Where `said` (a sentence's words) differs from the part of `source` it repeats:
    each place as (said's words, source's words), one side possibly empty; None when
    `said` does not repeat `source` closely enough to be read as a copy of it (less than
    `MIN_COPIED` of its words in the source's order, or a place of more than `MAX_SLOT`
    words)."""
    ops = SequenceMatcher(None, said, source, autojunk=False).get_opcodes()
    kept = [i for i, op in enumerate(ops) if op[0] == "equal"]
    if not kept:
        return None
    copied = sum(ops[i][2] - ops[i][1] for i in kept)
    if copied < 3 or copied < MIN_COPIED * len(said):
        return None
    places = []
    for tag, i1, i2, j1, j2 in ops[kept[0] : kept[-1] + 1]:
        if tag == "equal":
            continue
        if i2 - i1 > MAX_SLOT or j2 - j1 > MAX_SLOT:
            return None
        places.append((tuple(said[i1:i2]), tuple(source[j1:j2])))
    # A word or two of its own at either end stands where the source's words next to
    # the copied part do ("The Lantern House is open." over "… is closed on Mondays").
    _, i1, _, j1, _ = ops[kept[0]]
    if 0 < i1 <= MAX_SLOT and j1 > 0:
        places.insert(0, (tuple(said[:i1]), tuple(source[max(0, j1 - i1) : j1])))
    _, _, i2, _, j2 = ops[kept[-1]]
    if 0 < len(said) - i2 <= MAX_SLOT and j2 < len(source):
        places.append((tuple(said[i2:]), tuple(source[j2 : j2 + len(said) - i2])))
    return places


def _content(word: str) -> bool:
    """Whether an index word states content: not a stop word, a function character or a
    lone letter."""
    if _CJK.match(word):
        return any(c not in CJK_FUNCTION_CHARS for c in word)
    return len(word) > 1 and word not in STOPWORDS


def _akin(a: str, b: str) -> bool:
    """Whether two words are forms of one (a shared start of four letters, or a shared
    Chinese character)."""
    if _CJK.match(a) or _CJK.match(b):
        return bool(set(a) & set(b))
    return a[:4] == b[:4] if min(len(a), len(b)) >= 4 else a.startswith(b) or b.startswith(a)


def missing_anchors(
    question: str, texts: Sequence[str], analyzer: Analyzer | None = None
) -> tuple[str, ...]:
    """The names and numbers of `question` that none of `texts` (the retrieved chunks)
    mentions: documents that never name what is asked about cannot answer it ("What is
    the capital of Australia?" over documents without "Australia"). With `analyzer`, a
    Chinese question's proper nouns (by its tagger) count as names too ("寄畅园位于哪里？"
    over documents about another garden)."""
    hay = fold("\n".join(texts))
    missing = absent_facts(question, hay, chinese=False)
    if analyzer is None or not _CJK.search(question):
        return missing
    # Only whole names of two or more characters: one character is too often a
    # mis-tagged fragment, and a name written differently in the text would be missed
    # by a looser rule anyway.
    names = [n for n in chinese_names(question, analyzer) if n not in hay]
    return tuple(dict.fromkeys((*missing, *names)))


def cut_scaffolding(text: str) -> tuple[str, bool]:
    """`text` up to the first echoed piece of prompt scaffolding, and whether one was
    found (the answer must end there)."""
    match = _CUT.search(text)
    if match is None:
        return text, False
    return text[: match.start()], True


def clean(text: str, sources: Sequence[str] = ()) -> str:
    """`text` without markup tags, template tokens or file-system paths (a path becomes
    its file name; a source's full path likewise). Markdown's marks are `strip_marks`'
    job."""
    for source in sorted(set(sources), key=len, reverse=True):
        if source:
            text = text.replace(source, source.replace("\\", "/").rsplit("/", 1)[-1])
    text = _TAG.sub("", _CUT.sub("", text))
    text = _PATH.sub(r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def cut_loop(text: str) -> tuple[str, bool]:
    """`text` with a phrase repeated three times over kept once, and whether it was."""
    match = _LOOP.search(text)
    if match is None:
        return text, False
    return text[: match.start() + len(match.group(1))], True


_PIECE = re.compile(rf"\s*(?:[{CJK_CHARS}]{{1,4}}|[^\s{CJK_CHARS}]+)\s*")


def word_pieces(text: str) -> Iterator[str]:
    """A checked sentence in word-sized pieces (a few characters of Chinese), so a
    reader still sees it arrive; nothing in it is unchecked."""
    pos = 0
    for match in _PIECE.finditer(text):
        yield text[pos : match.end()]
        pos = match.end()
    if pos < len(text):
        yield text[pos:]


# A demonstrative at a sentence's start that points back to something said before it
# ("Below that amount …", "These teas …", "该款茶…"): with nothing shown before it, its
# referent is the reader's guess.
_DANGLING = re.compile(
    r"^\W*(?:(?:below|above|under|over|after|before|beyond|at|for|with|within|in|of|from|on"
    r"|by|to|besides|despite)\s+)?(?:that|this|these|those|such)\s+([A-Za-z][\w'’-]*)"
    r"|^\W*(?:这|那|该|此)(?:个|些|款|种|项|笔|位|家|次|条|类)",
    re.IGNORECASE,
)


def _held(values: Sequence[str], text: str) -> list[str]:
    """The `values` (`kind_values`, lower-cased) that `text` holds, as `carries` reads
    them (a thousands separator aside)."""
    hay = re.sub(r"(?<=\d),(?=\d{3}\b)", "", unicodedata.normalize("NFKC", text).lower())
    return [v for v in values if v in hay]


def dangling(sentence: str, question: str) -> bool:
    """Whether `sentence` opens with a demonstrative whose noun the question does not
    name ("Below that amount a flat shipping charge applies" for "Is there free
    shipping?"): it refers back to a sentence before it. "This tea …" for a question
    naming the tea, or "That is …", refers to nothing missing."""
    match = _DANGLING.search(unicodedata.normalize("NFKC", sentence))
    if match is None:
        return False
    noun = match.group(1)
    if noun is None:
        return True
    if noun.lower() in STOPWORDS:
        return False  # "that is", "this was": no noun it stands for
    return re.search(rf"\b{re.escape(noun[:4])}", question, re.IGNORECASE) is None


_CLOSERS = "\"'”’)）」』"


def finished(text: str, chinese: bool = False) -> str:
    """`text` ending as a sentence does: a model's fragment ("Tomas Varga", "90摄氏度")
    or a clause the sentence splitter cut at a semicolon gets a full stop, so the
    sentence after it does not run on from it; `chinese`: with "。" ("增长40%；" too)."""
    body = text.rstrip()
    if not body or body[-1] in ".!?。！？…" or body[-1] in _CLOSERS:
        return body
    if body[-1] in ";；:：,，、":
        body = body[:-1].rstrip()
    return body + ("。" if chinese or _CJK.search(body[-1:]) else ".")


# A sentence's first word in lower case letters only: a list item quoted without its
# marker ("the applicant farms at least 0.5 hectares"). Not a word with a capital or a
# mark inside ("iPhone", "e-mail", "hello@lumentea.example"), which is written so.
_LOWER_START = re.compile(r"^([\"'“‘(]?)([a-z])(?=[a-z]*[\s,;:])")


def capitalised(text: str) -> str:
    """`text` as a sentence is shown, its first letter a capital when its first word is
    in lower case letters only (a list item quoted without its marker starts a sentence
    of the answer). Display only: the citation's sentence and offsets are the source's
    as written."""
    return _LOWER_START.sub(lambda m: m.group(1) + m.group(2).upper(), text, count=1)


def shown(text: str, number: int | None, chinese: bool = False) -> str:
    """A sentence of an answer as the reader sees it, quoted or written by the model, in
    the checked answers and the extractive ones alike: ended as a sentence (`finished`: a
    quote or a sentence after it would otherwise run on from it, "Tomas Varga [1] The two
    people…"), opening with a capital (`capitalised`), its source mark before the closing
    full stop (`marked`: `… 1921 [2].`; none when `number` is None)."""
    text = capitalised(finished(text, chinese))
    return text if number is None else marked(text, number, chinese)


def as_quote(text: str) -> str:
    """A source sentence as quoted on one line: its line breaks folded (none left
    between Chinese characters), Markdown's inline marks (`strip_marks`) and a list
    marker before it ("- ", "2. ") dropped."""
    text = " ".join(strip_marks(text).split())
    text = re.sub(rf"(?<=[{CJK_CHARS}，。、；：]) (?=[{CJK_CHARS}])", "", text)
    return _MARKER.sub("", text)


@dataclass(frozen=True)
class Check:
    """One answer sentence judged against the sources: `passage` and `support` are the
    passage and sentence (offsets in that passage's chunk) it aligns with best."""

    text: str
    supported: bool
    passage: int | None
    support: Sentence | None
    score: float
    missing: tuple[str, ...] = ()
    off_topic: bool = False
    """Not `supported` only because it does not answer the question: the sources back
    its facts and words (a true sentence on another point, the question restated)."""


@dataclass
class _Released:
    text: str
    number: int | None
    support: Sentence | None
    quoted: bool = False
    lead: bool = False  # the evidence quoted before the model's words


@dataclass
class CheckState:
    """What the checker did to one answer, for `Answer` and for a person to read."""

    released: list[_Released] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    """Every sentence of the model's left out of the answer (the ones replaced by the
    source sentence they were drawn from too)."""
    off_topic: list[str] = field(default_factory=list)
    """Those of `unsupported` the sources do back but that do not answer the question
    (`Check.off_topic`), so a reader is not told the sources contradict them."""
    invalid: list[int] = field(default_factory=list)
    not_found: bool = False
    fallback: bool = False
    quoted: bool = False
    """The best answering source sentence was quoted beside the model's words."""
    stopped: str = ""
    drift: int = 0
    """Unsupported sentences of the model's since the last one shown."""


class AnswerChecker:
    """Checks one answer against the `passages` its model was given."""

    def __init__(
        self,
        question: str,
        passages: Sequence[Passage],
        scorer: SentenceScorer,
        *,
        max_sentences: int = MAX_SENTENCES,
        placeholders: Sequence[str] = (),
        answering_only: bool = True,
        cite: bool = True,
        quote: Quote | None = None,
        quotes: int | None = None,
    ) -> None:
        """`answering_only`: only source sentences that could answer the question stand
        in for the model's words (off where the sources are tool results, which answer a
        task rather than one question); `cite`: mark each released sentence `[n]`;
        `quote`: when the best answering source sentences (up to `quotes`) are quoted
        beside the model's words (`Quote`; None: first for a Chinese question, else when
        missing). The sentences quoted are those the passages name as extractive mode's
        (`Passage.picks`), in its order, so the checked answer holds every value
        extractive mode would show; passages without picks (an agent's tool results)
        quote their best answering sentence. `quotes` None: all the picks, else one."""
        self.cite = cite
        self.answering_only = answering_only
        # The guard's placeholders stand for the user's own values (restored on the way
        # out): they are not content to judge, in the question as in the reply ("How long
        # is the warranty of [API_KEY_1]?" asks about the warranty, not about "API" or "1").
        self.placeholders = tuple(placeholders)
        self.asked = question  # as asked, placeholders and all: what the `Answer` names
        for name in self.placeholders:
            question = question.replace(name, " ")
        self.question = question
        self.passages = list(passages)
        self.by_number = {p.number: p for p in passages}
        self.scorer = scorer
        self.max_sentences = max_sentences
        self.candidates = [(p.number, s) for p in passages for s in p.sentences]
        self._units: dict[str, str] = {}
        self._hay = fold(self._unit(question + "\n" + "\n".join(p.text for p in passages)))
        self._hay_chars = set(self._hay)
        self._windows: dict[tuple[int, int], str] = {}
        self._source_terms: set[str] | None = None
        self._terms: dict[str, set[str]] = {}  # each source sentence is tokenized once
        self._ordered: dict[str, tuple[str, ...]] = {}
        self._forms = word_forms(scorer.analyzer)  # lost is a form of lose, won of win
        # The opposite pairs as `_words` writes them, made on first use: segmenting them
        # costs a Chinese dictionary load, and most answers never reach that check.
        self._opposite_terms: set[frozenset[str]] | None = None
        self._question_norm = fold(question)
        self._question_names = frozenset(chinese_names(question, scorer.analyzer))
        # Each passage's document as retrieved (its chunk and the other retrieved chunks
        # of its document), where the question's own names and numbers must stand for a
        # sentence resting on that passage to repeat them.
        self._documents = {
            p.number: fold(self._unit(context))
            for p, context in zip(
                passages, document_contexts([p.hit for p in passages]), strict=True
            )
        }
        self._sources = [p.hit.chunk.source for p in passages]
        self._zh = any(_CJK.search(t) for t in (question, *[p.text for p in passages[:1]]))
        self.state = CheckState()
        self._for_question: list[float] | None = None
        self.kind = answer_kind(question)
        # A question joining two asks ("Who founded it and when?") is answered by the
        # values of both kinds: a quote for the second ask is carried only when the answer
        # shows its values of the second kind too.
        asks = two_asks(question)
        self._kinds = (self.kind,) if asks is None else tuple(answer_kind(a) for a in asks)
        # Source sentences that could answer the question: statements holding a value of
        # the asked kind, in a passage holding the question's names and numbers and
        # most of its terms. Only these stand in for the model's words.
        self.answering = self.candidates
        if answering_only:
            # Judged in the passages' whole chunks, as the check before the model is: a
            # passage keeps only the best sentences and their neighbours, which can leave
            # a list item without the lines that say what the list is about.
            windows = answering_windows(
                question,
                [p.hit.chunk.text for p in passages],
                scorer,
                contexts=document_contexts([p.hit for p in passages]),
            )
            # Compared with their line breaks folded: a chunk's sentence keeps the
            # file's, a passage's is one line.
            fit = {
                (self.passages[w.text].number, statement(" ".join(w.sentence.split())))
                for w in windows
            }
            self.answering = [
                (number, s)
                for number, s in self.candidates
                if (number, statement(" ".join(s.text.split()))) in fit
            ]

        self._asked_terms = set(scorer.analyzer.tokenize(self._unit(question)))
        self._kind_words = kind_words(question, scorer.analyzer)
        self.quote: Quote = quote or ("first" if _CJK.search(question) else "missing")
        # Extractive mode's sentences, in its order: quoted beside the model's words.
        self.evidence = [
            (p.number, sentence)
            for _, p, sentence in sorted(
                ((rank, p, sentence) for p in passages for rank, sentence in p.picks),
                key=lambda r: r[0],
            )
        ]
        self.quotes = quotes if quotes is not None else (len(self.evidence) or 1)

    # --- judging one sentence ---------------------------------------------------------
    def _unit(self, text: str) -> str:
        """`text` with its units in one spelling (`unit_words`), worked out once."""
        if text not in self._units:
            self._units[text] = unit_words(text)
        return self._units[text]

    def missing_facts(self, sentence: str) -> tuple[str, ...]:
        """Numbers, dates, names and (Chinese) content characters of `sentence` that
        appear in no source and not in the question."""
        return absent_facts(sentence, self._hay, self._hay_chars, date_units=True)

    def _asked_facts(self, sentence: str) -> frozenset[str]:
        """The numbers, dates and names of `sentence` that the question holds (for a
        Chinese question, its proper nouns that `sentence` repeats)."""
        every = absent_facts(sentence, "", chinese=False)
        latin = frozenset(every) - frozenset(
            absent_facts(sentence, self._question_norm, chinese=False)
        )
        return latin | {n for n in self._question_names if n in fold(sentence)}

    def _other_year(self, sentence: str) -> bool:
        """Whether `sentence` speaks of another year than the one the question asks
        about: "Angelique Kerber won the 2018 Wimbledon Championships" is true and no
        answer to who won in 2019."""
        asked = set(_YEAR.findall(self._question_norm))
        said = set(_YEAR.findall(fold(sentence)))
        return bool(asked and said and not asked & said)

    def _chinese_names(self, sentence: str) -> tuple[str, ...]:
        """The Chinese names `sentence` adds to the question: its proper nouns of two or
        more characters and what it puts in quotation or title marks (“桂花董糖”,
        《长津湖》). Like a Latin name, each must stand in the sentence it rests on: the
        characters check alone passes a name whose characters are anywhere."""
        if not _CJK.search(sentence):
            return ()
        quoted = [fold(q) for q in _QUOTED.findall(sentence)]
        names = [*chinese_names(sentence, self.scorer.analyzer), *quoted]
        return tuple(n for n in dict.fromkeys(names) if n and n not in self._question_norm)

    def align(
        self, sentence: str, prefer: Sequence[int] = ()
    ) -> tuple[int | None, Sentence | None, float]:
        """The passage number and source sentence that best support `sentence`; a
        passage in `prefer` (the model's own citations) wins when it is nearly as good."""
        if not self.candidates:
            return None, None, 0.0
        scores = self.scorer.matrix([sentence], [s.text for _, s in self.candidates])[0]
        best = int(scores.argmax())
        chosen = best
        for j, (number, _) in enumerate(self.candidates):
            if (
                number in prefer
                and scores[j] >= 0.8 * scores[best]
                and (self.candidates[chosen][0] not in prefer or scores[j] > scores[chosen])
            ):
                chosen = j
        number, support = self.candidates[chosen]
        return number, support, float(scores[chosen])

    def _neighbours(self, number: int, support: Sentence) -> str:
        """`support` with its neighbours in its passage's chunk, as written."""
        text = self.by_number[number].hit.chunk.text
        sentences = split_sentences(text)
        at = next((i for i, s in enumerate(sentences) if s.start == support.start), None)
        if at is None:
            return support.text
        start = sentences[max(0, at - 1)].start
        return text[start : sentences[min(len(sentences) - 1, at + 1)].end]

    def _around(self, number: int, support: Sentence) -> str:
        """`support` with its neighbours in its passage's chunk, normalised."""
        key = (number, support.start)
        if key not in self._windows:
            window = self._neighbours(number, support)
            self._windows[key] = fold(self._unit(self.question + "\n" + window))
        return self._windows[key]

    def _miscounted(self, sentence: str, number: int, support: Sentence) -> tuple[str, ...]:
        """For a question asking how many, the numbers `sentence` gives as the count that
        its support holds only in another role: "14" from "founded on 14 March 1987 by
        eleven families" is a day, not how many families."""
        analyzer = self.scorer.analyzer
        counts = [
            v for v in kind_values("number", sentence, self.question, analyzer) if v[:1].isdigit()
        ]
        if not counts:
            return ()
        window = self._neighbours(number, support)
        held = set(kind_values("number", window, self.question, analyzer))
        return tuple(v for v in counts if v not in held)

    def _tied_terms(self, text: str) -> set[str]:
        """The terms of `text` that can tie a value to what it is said of: its words,
        less numbers and single Chinese characters (约, 为, 年: the segmenter's
        leftovers, not what a value is predicated of)."""
        if text in self._terms:
            return self._terms[text]
        self._terms[text] = {
            t
            for t in self.scorer.analyzer.tokenize(text)
            if not t[:1].isdigit() and not (len(t) == 1 and _CJK.match(t))
        }
        return self._terms[text]

    def _unbound(self, sentence: str) -> tuple[str, ...]:
        """The values of `sentence` that no one source sentence holds together with the
        words the sentence ties them to. Each number (with its Chinese measure word or
        unit) must stand in a source sentence (with its neighbours; a Chinese sentence
        alone, since its sentences run long and hold several values) that also holds
        every term of `sentence` found anywhere in the sources: "The temperature of the
        firing process is 24 degrees Celsius" takes 24 from the withering step, whose
        sentences never say firing; "年降雨量约为320亩" binds the garden's area to rainfall
        (320亩's sentence has no 降雨量, and 降雨's value is in 毫米); "The minimum
        wholesale order is 20 kilograms of new members" glues another sentence's words
        on. Terms in no source (the model's paraphrase) are left to the support check."""
        norm = fold(sentence)
        # A Chinese date is one value: "1月3日" does not stand where "1月17日" and "3日"
        # stand apart.
        values = [(m.group(), "") for m in _ZH_DATE.finditer(norm)]
        values += [(m.group(1), m.group(2)) for m in _VALUE.finditer(_ZH_DATE.sub(" ", norm))]
        if not values:
            return ()
        terms = self._described(sentence)
        unbound: list[str] = []
        for number, unit in values:
            # Not within a longer number; a comma before it (NFKC makes "，" one) is no
            # thousands separator unless a digit stands before that.
            if re.search(
                rf"(?<!\d)(?<!\d[.,]){re.escape(number)}(?![\d]|[.,]\d)", self._question_norm
            ):
                continue  # the question's own value: what it asks about, not an answer
            pattern = re.compile(
                rf"(?<!\d)(?<!\d[.,]){re.escape(number)}(?![\d]|[.,]\d)\s*{re.escape(unit)}"
            )
            bound = False
            for n, s in self.candidates:
                source = self._unit(s.text)
                if not pattern.search(fold(source)):
                    continue
                # The words the value is said of stand in its own sentence; the
                # question's may stand in a neighbour ("Firing" heads the step), but
                # not in Chinese, whose sentences hold several values each.
                # A Chinese term counts where its characters stand: the segmenter cuts
                # a model's clipped sentence ("其中包") otherwise than its source.
                text = fold(source)
                own = self._tied_terms(source) | {t for t in terms if _CJK.match(t) and t in text}
                if not _CJK.search(s.text):
                    own |= self._asked_terms & self._tied_terms(self._unit(self._neighbours(n, s)))
                else:
                    if not _ZH_DATE.fullmatch(number):
                        own |= {t for t in terms - own if self._same_unit(t, unit)}
                    elif own & self._asked_terms:
                        # A date's sentence that names what the question asks about
                        # may word the rest otherwise ("2022年春运将于1月17日开始" for
                        # "春运开始时间"); any date would be in some unit of days.
                        own |= terms & self._asked_terms
                if terms <= own:
                    bound = True
                    break
            if not bound:
                unbound.append(number + unit)
        return tuple(dict.fromkeys(unbound))

    def _described(self, sentence: str) -> set[str]:
        """The terms `sentence` says its values and names of: its words that the sources
        use, less the question's names, plus the units it gives its values in."""
        if self._source_terms is None:
            self._source_terms = self._tied_terms(
                self._unit("\n".join(p.hit.chunk.text for p in self.passages))
            )
        # The question's names are what it asks about, often said once in a heading or
        # an earlier sentence ("The Lumen Tea Cooperative was founded on 14 March 1987"
        # rests on "It was founded on ..."): they tie nothing the document does not.
        names = " ".join(
            [m.group() for m in _NAME.finditer(self.question)] + list(self._question_names)
        )
        terms = self._tied_terms(sentence) & self._source_terms - self._tied_terms(names)
        # The question's words that only ask ("location" of "Super Bowl 2021 location",
        # "which team", 时间是什么时候) name what the answer is, not what it is said of:
        # "The Super Bowl 2021 location was in Tampa Bay" rests on "Super Bowl LV will be
        # played in Tampa Bay, Florida", which never says "location".
        terms -= self._kind_words
        # A unit is part of the value, whether the sources use it or not: "1.2 million
        # euros" is not the source's "1.2 million dollars".
        return terms | self._tied_terms(sentence) & self._tied_terms(_UNIT_SPELLINGS)

    def _names(self, sentence: str) -> list[str]:
        """The names `sentence` adds to the question: runs of capitalised words (not
        its first word, nor a stop word such as a title's "The") and its Chinese proper
        nouns and quoted titles."""
        plain = unicodedata.normalize("NFKC", sentence)
        runs: list[list[str]] = []
        end = -2
        for m in _NAME.finditer(plain):
            before = plain[: m.start()].rstrip()
            word = m.group()
            if not before or before[-1] in '.!?:;。！？"“(' or word.lower() in STOPWORDS:
                end = -2
                continue
            if runs and plain[end : m.start()].strip() == "":
                runs[-1].append(word)
            else:
                runs.append([word])
            end = m.end()
        asked = self._question_norm
        latin = [
            " ".join(run)
            for run in runs
            if not all(re.search(rf"\b{re.escape(fold(w))}", asked) for w in run)
        ]
        return latin + list(self._chinese_names(sentence))

    def _unbound_names(self, sentence: str) -> tuple[str, ...]:
        """The names of `sentence` that no one source sentence holds together with most
        of the words the sentence says of them (`MIN_NAME_BOUND`), as `_unbound` binds
        numbers: "The cooperative was founded by Joon-ho Abernathy" takes the tea
        master's name from a sentence that says nothing of founding. Most, not all: a
        name's sentence is rarely worded as the answer is ("Ladies' Singles" for "women's
        singles"). An English sentence's neighbours may supply the question's terms once
        the sentence itself holds one of them ("It converted its boilers in March" does
        not rest on "The plant opened in March" beside the conversion's sentence), and a
        term counts in another form of its word ("director" for "Directed by", "won"
        for "to win"). A Latin name is found where its words start words of the source
        sentence ("Plí" cut from "Plíšková")."""
        names = self._names(sentence)
        if not names:
            return ()
        terms = {self._forms.get(t, t) for t in self._described(sentence)}
        unbound: list[str] = []
        for name in names:
            words = [re.escape(fold(w)) for w in name.split()]
            # What is said of the name, less the name itself.
            said = terms - {self._forms.get(t, t) for t in self._tied_terms(name)}
            for n, s in self.candidates:
                source = self._unit(s.text)
                text = fold(source)
                if _CJK.search(name):
                    if fold(name) not in text:
                        continue
                elif not all(re.search(rf"(?<![a-z0-9à-þ]){w}", text) for w in words):
                    continue
                own = self._tied_terms(source) | {t for t in said if _CJK.match(t) and t in text}
                own = {self._forms.get(u, u) for u in own}
                if said and not self._held(said, own):
                    continue  # the sentence says nothing of what the name is said to do
                if not _CJK.search(s.text):
                    around = self._tied_terms(self._unit(self._neighbours(n, s)))
                    own |= {self._forms.get(u, u) for u in self._asked_terms & around}
                if len(self._held(said, own)) >= MIN_NAME_BOUND * len(said):
                    break
            else:
                unbound.append(name)
        return tuple(unbound)

    @staticmethod
    def _held(terms: set[str], own: set[str]) -> list[str]:
        """The `terms` that `own` holds, as written or in another form (`_akin`)."""
        latin = [u for u in own if not _CJK.match(u)]
        return [t for t in terms if t in own or any(_akin(t, u) for u in latin)]

    def _same_unit(self, term: str, unit: str) -> bool:
        """Whether the question's `term` may be said of a value in `unit` that a source
        sentence without the term holds: the sources give the term no value, or one in
        the same unit ("红茶的推荐水温是90摄氏度" over "冲泡红茶时建议使用90摄氏度的水" where
        "绿茶的推荐水温为80摄氏度"; not "年降雨量约为320亩" where rainfall is in 毫米)."""
        if term not in self._asked_terms:
            return False
        units = {
            m.group(2)
            for _, s in self.candidates
            if term in self._tied_terms(self._unit(s.text))
            for m in _VALUE.finditer(fold(self._unit(s.text)))
        }
        return not units or unit in units

    def _misattached(self, sentence: str) -> tuple[str, ...]:
        """The description a relative clause of `sentence` attaches to what stands before
        it ("LTC", which is a three-digit number) that no source sentence says of it:
        one holding a word of that head and, near it, every word of the description
        (the question's aside, which may be said anywhere). Near: within as many words
        of the head as the description has, and four more (the source's own wording:
        "Priya Nandakumar, a third-generation grower"). Every word of the sentence can
        stand in one source sentence while the clause binds them otherwise: there "a
        three-digit batch number" ends a list that "LTC" starts."""
        found: list[str] = []
        asked = set(self._words(self.question))
        for match in _RELATIVE.finditer(sentence):
            head = [w for w in self._words(sentence[: match.start()])[-_HEAD_WORDS:] if _content(w)]
            said = [
                w
                for w in self._words(_ASIDE.sub(" ", match.group(1)))
                if _content(w) and w not in asked
            ]
            if not head or not said:
                continue
            near = len(said) + 4
            for _, source in self.candidates:
                words = self._words(source.text)
                at = [i for i, w in enumerate(words) if w in head[-3:]]
                if at and all(
                    any(w == d and abs(i - j) <= near for i in at for j, w in enumerate(words))
                    for d in said
                ):
                    break
            else:
                found.append(f"{head[-1]}≠{' '.join(said)}")
        return tuple(found)

    def _words(self, text: str) -> tuple[str, ...]:
        """`text`'s words in order, as index terms (stemmed; Chinese segmented) with the
        stop words kept: "can't" and "cannot" are "can not"."""
        if text not in self._ordered:
            norm = re.sub(r"n['’]t\b", " not", fold(self._unit(text)))
            norm = re.sub(r"\bcannot\b", "can not", norm)
            words: list[str] = []
            for m in _WORD.finditer(norm):
                run = m.group()
                terms = self.scorer.analyzer.tokenize(run)
                words.extend(self._forms.get(t, t) for t in terms or [run])
            self._ordered[text] = tuple(words)
        return self._ordered[text]

    def _opposites(self) -> set[frozenset[str]]:
        """`_OPPOSITES` as pairs of `_words` terms (a word of several terms is left out)."""
        if self._opposite_terms is None:
            self._opposite_terms = set()
            for pair in _OPPOSITES:
                words = [self._words(word) for word in pair]
                if all(len(w) == 1 for w in words) and words[0] != words[1]:
                    self._opposite_terms.add(frozenset(w[0] for w in words))
        return self._opposite_terms

    def _changed(self, sentence: str, sources: Sequence[tuple[int, Sentence]]) -> tuple[str, ...]:
        """The words `sentence` changed in a source sentence it otherwise repeats: "The
        Lantern House is open on Mondays" over "The Lantern House is closed on Mondays".
        A changed statement repeats most of its source's words in order (`MIN_COPIED`)
        and, in one place, says other words (`MAX_SLOT` at most) where the source has its
        own: a negation added or dropped, a word of opposite sense (`_OPPOSITES`), or,
        in a sentence that differs from its source in no more than two places, one
        content word for one other, taken from the source sentence's neighbours or the
        question ("灯笼馆每周一开放" over "灯笼馆的开放时间为周二至周日。灯笼馆每周一闭馆").
        Not a word from further off: sources that retell one fact use other words for
        it ("Google purchases YouTube" and "Google bought YouTube", "took down" and
        "defeated"), and values are left to the value checks. A sentence that stands as
        written in one of `sources` (passage number, sentence) changes nothing."""
        said = self._words(sentence)
        if len(said) < 4:
            return ()
        found: list[str] = []
        for number, source in sources:
            words = self._words(source.text)
            slots = _slots(said, words)
            if slots is None:
                continue
            if not slots:
                return ()
            near = {*self._words(self._neighbours(number, source)), *self._words(self.question)}
            for new, old in slots:
                swap = self._swap(new, old, len(slots), said, words, near)
                if swap:
                    found.append(swap)
        return tuple(dict.fromkeys(found))

    def _swap(
        self,
        new: tuple[str, ...],
        old: tuple[str, ...],
        places: int,
        said: tuple[str, ...],
        source: tuple[str, ...],
        near: set[str],
    ) -> str:
        """`new` (the sentence's words) said where its source says `old`, as "new≠old"
        when that changes the statement, else ""; `near` are the words of the source's
        neighbours and of the question."""
        label = f"{' '.join(new) or '-'}≠{' '.join(old) or '-'}"
        if sum(w in _NEGATING for w in new) != sum(w in _NEGATING for w in old):
            return label
        if not new or not old:
            return ""  # words left out or added: an omission or an elaboration
        if any(frozenset((a, b)) in self._opposites() for a in new for b in old):
            return label
        mine = [w for w in new if _content(w)]
        theirs = [w for w in old if _content(w)]
        if places > 2 or len(mine) != 1 or len(theirs) != 1 or len(new) != len(old):
            return ""
        if any(w in source for w in mine) or any(w in said for w in theirs):
            return ""  # words moved, not changed
        if _akin(mine[0], theirs[0]):
            return ""  # another form of the same word (open, opening; 开放, 开放日)
        if any(w[:1].isdigit() for w in (*mine, *theirs)):
            return ""  # a value: the value checks judge it
        if mine[0] not in near:
            return ""  # the model's own word, or one from afar: a paraphrase
        return label

    def _negated(self, sentence: str, number: int, support: Sentence) -> tuple[str, ...]:
        """The negation of `sentence` that its support does not carry: "No, the entry
        share cannot be paid in instalments" rests on "may be paid in full on joining or
        in three yearly instalments", which denies nothing."""
        said = {m.group().lower() for m in _NEGATION.finditer(sentence)}
        if said and _NEGATION.search(self.question):
            return ()  # the question's own negation, repeated
        if not said:
            return ()
        if _NEGATION.search(support.text):
            return ()
        return tuple(sorted(said))

    @staticmethod
    def _unprefixed(sentence: str, support: Sentence) -> tuple[str, ...]:
        """The word `sentence` says bare where its support says it only with a negating
        prefix, or the reverse: "opened tea can be returned" over "Unopened tins can be
        returned". Either form in both texts (a source naming opened and unopened
        tins) changes nothing."""

        def forms(text: str) -> tuple[set[str], dict[str, str]]:
            # The bare words, with the prefixed ones taken out whole ("non-refundable"
            # says nothing refundable).
            words = {w.lower() for w in re.findall(r"[A-Za-z]+", _NEG_PREFIX.sub(" ", text))}
            prefixed = {
                m.group(2).lower(): m.group().lower()
                for m in _NEG_PREFIX.finditer(text)
                if m.group(2).lower() not in _NOT_PREFIXED
            }
            return words, prefixed

        said, said_prefixed = forms(sentence)
        source, source_prefixed = forms(support.text)
        return tuple(
            [
                f"{w}≠{source_prefixed[w]}"
                for w in sorted(said)
                if w in source_prefixed and w not in source
            ]
            + [
                f"{said_prefixed[w]}≠{w}"
                for w in sorted(said_prefixed)
                if w in source and w not in said
            ]
        )

    def _answers(self, sentence: str, number: int | None, support: Sentence | None) -> bool:
        """Whether `sentence` (supported by `support` of passage `number`) answers the
        question, not merely states something true. A sentence that only restates the
        question answers nothing, nor does a question of the model's own
        ("90摄氏度的推荐水温是多少？") or a sentence about another year. On the answer path
        (`answering_only`) every sentence must pass the test an evidence sentence passes
        (`answering_windows`), on its own words and its support's: a value of the kind
        asked for (a date for "when": "The head office is at 27 Mill Lane" is true and no
        founding date), the question's key terms and the relation it asks about
        (`bears_on`: "Kestrel Gold won a silver medal in 2003" does not say who developed
        it), nothing of another kind (Chinese: `zh_mismatch`); a bare value holds a value
        of the best evidence (`_stray_value`: "10 to 15 working days", the international
        figure, for delivery within Alderhaven). An agent's reply (`answering_only`
        off) answers a task: only its opening sentence needs a value of the asked kind
        and a term of the question."""
        analyzer = self.scorer.analyzer
        if (
            is_question(sentence)
            or not adds_content(sentence, self.question, analyzer)
            or self._other_year(sentence)
        ):
            return False
        opening = all(r.lead for r in self.state.released)
        if not self.answering_only:
            if not opening:
                return True
            if not has_kind(self.kind, sentence, self.question, analyzer):
                return False
            # A true sentence on another subject ("Repairs take 10 working days" for a
            # question on the warranty) is no answer to it.
            asked = self._asked_terms
            return (
                support is None
                or not asked
                or bool(asked & set(analyzer.tokenize(support.text)))
                or bool(asked & set(analyzer.tokenize(sentence)))
            )
        if not has_kind(self.kind, sentence, self.question, analyzer):
            return False
        if support is not None and number is not None:
            answering = any(n == number and s.start == support.start for n, s in self.answering)
            context = self._documents[number]
            if not bears_on(
                self.question, sentence, support.text, context, analyzer, answering=answering
            ):
                return False
        return not self._stray_value(sentence) and not self._other_answer(sentence, number, support)

    def _stray_value(self, sentence: str) -> bool:
        """Whether `sentence` is a bare value (it holds none of the question's key terms:
        "10 to 15 working days", "20人", "Joon-ho Abernathy") that the best evidence does
        not state or that the answer already shows: read alone, a bare value answers the
        question, so it must be the best evidence's value ("3 to 5 working days" for
        delivery within Alderhaven, not the international "10 to 15"), and said again it
        adds nothing."""
        analyzer = self.scorer.analyzer
        if self.kind is None or held_key_terms(self.question, sentence, analyzer):
            return False  # a description has no one value to be bare
        # Bare: beside its values, two words at most ("working days", 人); "It may be
        # paid in three yearly instalments of 400 dollars" says what its value is.
        said = " ".join(kind_values(self.kind, sentence, self.question, analyzer))
        values = set(analyzer.tokenize(said))
        rest = [t for t in analyzer.tokenize(sentence) if not t[:1].isdigit() and t not in values]
        if len(rest) > MAX_BARE_WORDS:
            return False
        shown = " ".join(r.text for r in self.state.released)
        if shown and carries(self.kind, sentence, shown, self.question, analyzer):
            return True  # said already
        if not self.evidence:
            return False
        # Its values are the quoted evidence's ("Dominic Thiem (Austria)": the country
        # from the second quote's list), not another sentence's, and as quoted: a list
        # item's number is no value it states ("1 [1]." for "How much land …?", from
        # "1. the applicant farms at least 0.5 hectares").
        quoted = " ".join(as_quote(s.text) for _, s in self.evidence)
        mine = kind_values(self.kind, sentence, self.question, analyzer)
        return len(_held(mine, quoted)) < len(mine)

    def _other_answer(self, sentence: str, number: int | None, support: Sentence | None) -> bool:
        """Whether `sentence`, after the opening one, gives another answer than the
        quoted evidence: values of the asked kind, none of them in extractive mode's
        quotes, resting on a source sentence it does not quote ("Since 2021 the board
        has been chaired by …" after the founding date). Extractive mode quotes another
        value only when the ranking barely prefers the first (`Ranking.best`); a later
        model sentence naming another one from elsewhere is one more answer a reader
        must doubt."""
        if self.kind is None or not self.evidence or support is None:
            return False
        if not self.state.released:
            # The opening sentence may answer where extractive mode's first quote does
            # not ("The entry share is 1,200 dollars" where the instalments of 400 are
            # quoted first): the quote follows it, as an alternative a reader can check.
            # Not after a quote that leads (a Chinese question's): there it would be one
            # more answer beside the one shown ("茶园负责人李春华女士" after where the garden
            # lies).
            return False
        if any(n == number and s.start == support.start for n, s in self.evidence):
            return False
        mine = kind_values(self.kind, sentence, self.question, self.scorer.analyzer)
        quoted = " ".join(s.text for _, s in self.evidence)
        return bool(mine) and not _held(mine, quoted)

    def check(self, sentence: str, cited: Sequence[int] = ()) -> Check:
        """Judge one answer sentence (citation marks already removed)."""
        for name in self.placeholders:
            sentence = sentence.replace(name, " ")
        sentence = _CONTROL.sub("", sentence)
        # Its values and words compared in one spelling of their units ("110 °C" is the
        # source's "110 degrees Celsius").
        canon = self._unit(sentence)
        missing = self.missing_facts(canon)
        number, support, score = self.align(sentence, cited)
        lexical = 0.0
        closest: list[tuple[int, Sentence]] = []
        if self.candidates:
            row = self.scorer.lexical([canon], [self._unit(s.text) for _, s in self.candidates])[0]
            lexical = float(row.max())
            closest = [
                self.candidates[j] for j in sorted(range(len(row)), key=lambda j: -row[j])[:2]
            ]
            if not missing and number is not None and support is not None:
                # Its numbers and names must stand together in one source sentence (with
                # its neighbours) or the question, as whole words: each found somewhere
                # in the sources is not enough ("founded on 14 March 1987 by the Lumen
                # Tea Co" rests on "founded on 14 March 1987 by eleven families"). The
                # sentence it aligns with best comes first; when that one lacks them (a
                # citation of the model's own can steer it), the closest that holds them
                # all is its support.
                order = [(number, support)] + [
                    self.candidates[j] for j in sorted(range(len(row)), key=lambda j: -row[j])
                ]
                repeated = self._asked_facts(canon)
                named = self._chinese_names(canon)
                gaps = []
                for n, s in order:
                    around = self._around(n, s)
                    gap = absent_facts(
                        canon, around, chinese=False, whole_words=True, date_units=True
                    ) + tuple(name for name in named if name not in around)
                    if not gap and repeated:
                        # What the sentence repeats from the question must be what its
                        # support's document is about: "Elena Rybakina won Wimbledon in
                        # 2019" takes 2019 from the question and the name from a passage
                        # about 2022.
                        document = self._documents[n]
                        gap = tuple(
                            f for f in absent_facts(canon, document, chinese=False) if f in repeated
                        ) + tuple(
                            f for f in repeated if f in self._question_names and f not in document
                        )
                    if not gap:
                        number, support = n, s
                        break
                    gaps.append(gap)
                else:
                    missing = gaps[0]
        answers = self._answers(sentence, number, support)
        if not missing and self.kind == "number" and number is not None and support is not None:
            missing = self._miscounted(sentence, number, support)
        if not missing and support is not None:
            missing = self._unbound(canon) or self._unbound_names(canon) or self._misattached(canon)
        if not missing and number is not None and support is not None:
            missing = self._negated(sentence, number, support) or self._unprefixed(
                sentence, support
            )
        if not missing and number is not None and support is not None:
            # Its support and the source sentences sharing most of its words: a copy of
            # one of them with a word changed misstates it.
            missing = self._changed(sentence, [(number, support), *closest])
        grounded = not missing and lexical >= MIN_SUPPORT
        return Check(
            sentence,
            grounded and answers,
            number,
            support,
            round(score, 4),
            missing,
            off_topic=grounded and not answers,
        )

    # --- releasing the answer ---------------------------------------------------------
    def _emit(
        self,
        text: str,
        number: int | None,
        support: Sentence | None,
        quoted: bool,
        lead: bool = False,
    ) -> str:
        if quoted:
            text = as_quote(text)
        self.state.released.append(_Released(text, number, support, quoted, lead))
        # The space between sentences goes out after the sentence, not before the next:
        # a sentence ends with it, so a reader sees all of it at once. A stream that
        # holds back a last word that may go on (the content guard keeps "john." for
        # what could be an e-mail address) would otherwise hold it until the model had
        # written the next sentence.
        return shown(text, number if self.cite else None, self._zh) + ("" if self._zh else " ")

    def _release(self, raw: str) -> Iterator[str]:
        """Check one complete sentence of the reply and yield what the reader sees."""
        state = self.state
        # A label before a sentence ("The answer is:") is scaffolding wherever it stands.
        # Markdown's marks are the sources' formatting, copied: the answer is plain text
        # wherever it is shown (ragkit.text.marks).
        text = strip_marks(clean(_LEAD.sub("", raw)))
        text, looped = cut_loop(text)
        numbers = cited_numbers(text)
        cited = [n for n in numbers if n in self.by_number]
        state.invalid += [n for n in numbers if n not in self.by_number]
        # A list marker the model put before its sentence ("1. ", "- ") is no content.
        body = _MARKER.sub("", strip_citations(text).strip())
        if not alnum_key(body):
            if looped:
                state.stopped = "repetition"
            return
        seen = {alnum_key(r.text) for r in state.released} | {
            alnum_key(u) for u in state.unsupported
        }
        if alnum_key(body) in seen:
            state.stopped = "repetition"
            return
        # A sentence whose every term an earlier one already said ("No, you cannot
        # return open tea" after "No, you cannot return opened tea") adds nothing.
        terms = set(self.scorer.analyzer.tokenize(body))
        if terms and any(
            terms <= set(self.scorer.analyzer.tokenize(r.text)) for r in state.released
        ):
            return
        if says_not_found(body):
            if not state.released:
                state.not_found = True
                state.stopped = "not found"
                yield not_found_text(self.question)
            return
        verdict = self.check(body, cited)
        if verdict.supported and self._restates_evidence(body):
            return  # the quoted evidence already says it
        fragment = self._fragment_of(body) if verdict.supported else None
        if fragment is not None:
            # "14 hours [1]." out of "Withering lasts between 14 and 18 hours, …": the
            # quote that would follow it says it whole, so it stands in its place, once.
            state.drift = 0
            number, support = fragment
            if not self._shown(number, support):
                yield self._emit(" ".join(support.text.split()), number, support, True)
        elif verdict.supported and not state.released and dangling(body, self.question):
            # "Below that amount a flat charge applies" refers back to a sentence the
            # reader has not seen: the best evidence goes first, the sentence after it.
            before = [shown for shown in self._replace(body)]
            yield from before
            if not before:
                # True, but it leans on a sentence no one was shown: it answers nothing.
                state.unsupported.append(body)
                state.off_topic.append(body)
                state.drift += 1
            elif not self._restates_quote(body):
                state.drift = 0
                yield self._emit(body, verdict.passage, verdict.support, False)
        elif verdict.supported:
            state.drift = 0
            yield self._emit(body, verdict.passage, verdict.support, False)
        else:
            state.unsupported.append(body)
            if verdict.off_topic:
                state.off_topic.append(body)
            state.drift += 1
            if not state.released:
                # The answer's opening statement failed: show the source sentence it
                # was drawn from instead, when that one also bears on the question.
                yield from self._replace(body)
        if looped:
            state.stopped = "repetition"
        elif state.released and state.drift >= MAX_DRIFT:
            state.stopped = "drift"
        elif sum(not r.lead for r in state.released) >= self.max_sentences:
            state.stopped = "enough"  # the quoted evidence that leads is not the model's

    def _fragment_of(self, sentence: str) -> tuple[int, Sentence] | None:
        """The evidence sentence (`Passage.picks`) that `sentence` is a fragment of: each
        of its terms stands in it, and it does not carry that sentence's values (so the
        quote would be shown after it, saying it again, whole). "14 hours" and "Withering
        lasts 14 hours" are fragments of "Withering lasts between 14 and 18 hours, …";
        "It takes 14 to 18 hours" is not ("takes" is the model's word)."""
        said = set(self.scorer.analyzer.tokenize(sentence))
        if not said:
            return None
        for number, support in self.evidence:
            if said <= set(self.scorer.analyzer.tokenize(support.text)) and not self._carries(
                support.text, sentence
            ):
                return number, support
        return None

    def _shown(self, number: int, support: Sentence) -> bool:
        """Whether the answer so far quotes `support` (of passage `number`)."""
        released = self.state.released
        return any(r.quoted and r.number == number and r.support == support for r in released) or (
            alnum_key(support.text) in alnum_key(" ".join(r.text for r in released))
        )

    def _restates_quote(self, sentence: str) -> bool:
        """Whether the quotes shown so far carry `sentence`'s values (or two thirds of
        its terms, for a question asking for no one kind)."""
        quoted = " ".join(r.text for r in self.state.released if r.quoted)
        return bool(quoted) and carries(
            self.kind, sentence, quoted, self.question, self.scorer.analyzer
        )

    def _restates_evidence(self, sentence: str) -> bool:
        """Whether `sentence` only repeats the evidence quoted before the model's words:
        every value of the asked kind it holds (or two thirds of its terms) is shown."""
        lead = [r.text for r in self.state.released if r.lead]
        return bool(lead) and carries(
            self.kind, sentence, " ".join(lead), self.question, self.scorer.analyzer
        )

    def _question_scores(self) -> list[float]:
        if self._for_question is None:
            texts = [s.text for _, s in self.answering]
            row = question_scores(self.question, texts, self.scorer)
            analyzer = self.scorer.analyzer
            self._for_question = [
                float(x) + value_bonus(self.kind, t, self.question, analyzer)
                for x, t in zip(row, texts, strict=True)
            ]
        return self._for_question

    def _replace(self, sentence: str) -> Iterator[str]:
        """The best evidence for the question, quoted (the first sentence extractive mode
        would quote: the model's failed words are no guide to what answers); without
        it, the answering source sentence closest to both `sentence` and the question."""
        if self.evidence:
            number, support = self.evidence[0]
            yield self._emit(" ".join(support.text.split()), number, support, True)
            return
        if not self.answering:
            return
        to_sentence = self.scorer.matrix([sentence], [s.text for _, s in self.answering])[0]
        to_question = self._question_scores()
        combined = [(float(a) + b) / 2 for a, b in zip(to_sentence, to_question, strict=True)]
        j = max(range(len(combined)), key=combined.__getitem__)
        if combined[j] < MIN_ALIGN:
            return
        number, support = self.answering[j]
        yield self._emit(" ".join(support.text.split()), number, support, True)

    def stream(self, pieces: Iterable[str]) -> Generator[str, None, object]:
        """The checked answer, sentence by sentence, from the model's `pieces`. Stops
        pulling pieces (closing the model's stream) once the answer must end. Returns
        what the model's stream returned (a backend's finish reason) when it ran out."""
        buffer = ""
        source = iter(pieces)
        ended = False
        reason: object = None
        if self.quote == "first":
            # The evidence leads: shown before the model has written a word.
            for shown in self._quote_best():
                yield from word_pieces(shown)
        try:
            while True:
                try:
                    piece = next(source)
                except StopIteration as stop:
                    reason = stop.value
                    break
                buffer += piece
                buffer, ended = cut_scaffolding(buffer)
                if ended:
                    self.state.stopped = "scaffolding"
                    break
                sentences = split_sentences(buffer)
                ready = sentences[:-1]
                runaway = bool(sentences) and len(sentences[-1].text) > LOOP_CHARS
                if runaway:
                    ready = sentences
                elif len(sentences) >= 2 and not re.sub(
                    r"[\[【\]】\d,，、\s.。]", "", sentences[-1].text
                ):
                    ready = []  # a citation mark may still be arriving for the last one
                for s in ready:
                    for shown in self._release(s.text):
                        yield from word_pieces(shown)
                    if self.state.stopped:
                        break
                if runaway and not self.state.stopped:
                    self.state.stopped = "runaway"
                if self.state.stopped:
                    break
                if ready:
                    buffer = buffer[ready[-1].end :]
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        if not self.state.stopped or self.state.stopped == "scaffolding":
            for s in split_sentences(buffer):
                for shown in self._release(s.text):
                    yield from word_pieces(shown)
                if self.state.stopped and self.state.stopped != "scaffolding":
                    break
        if not self.state.released and not self.state.not_found:
            for shown in self._fallback():
                yield from word_pieces(shown)
        if self.quote == "missing" and not self.state.not_found:
            for shown in self._quote_best():
                yield from word_pieces(shown)
        return reason if not self.state.stopped else None

    def _quote_best(self) -> Iterator[str]:
        """The best answering source sentences (up to `quotes`) quoted as written, each
        with its number, unless the answer shown so far already quotes it or carries its
        values (the name, date or number asked for): a small model's supported answer
        often drops the very words that answer, and a quote is evidence a reader can
        check."""
        if self.quotes < 1:
            return
        released = self.state.released
        chosen: list[tuple[int, Sentence]] = []
        if self.evidence:
            chosen = self.evidence[: self.quotes]
            own = " ".join(r.text for r in released if not r.quoted)
            if own and self._carries(chosen[0][1].text, own):
                # The model's own words carry what the best evidence answers: the other
                # sentences extractive mode lists would only add alternatives to it. For
                # a question joining two asks the second's quote is no alternative: it
                # answers the other ask (each is held to `_carries` below).
                chosen = chosen[1:] if len(self._kinds) > 1 else []
        elif self.answering:
            if released and self.kind is None:
                # A question asking for no one kind (a description) has no value the
                # model's words could have dropped; its citation names the sentence they
                # rest on.
                return
            scores = self._question_scores()
            for j in sorted(range(len(scores)), key=lambda j: -scores[j]):
                if len(chosen) < self.quotes and not any(
                    alnum_key(self.answering[j][1].text) == alnum_key(s.text) for _, s in chosen
                ):
                    chosen.append(self.answering[j])
        for number, support in chosen:
            if any(r.quoted and r.number == number and r.support == support for r in released):
                continue
            shown = " ".join(r.text for r in released)
            if alnum_key(support.text) in alnum_key(shown):
                continue
            if released and self._carries(support.text, shown):
                continue
            self.state.quoted = True
            lead = all(r.lead for r in released)
            text = " ".join(support.text.split())
            yield self._emit(text, number, support, True, lead and self.quote == "first")

    def _carries(self, source: str, shown: str) -> bool:
        """Whether `shown` carries what `source` answers, for each ask of the question
        (`carries`; two for "Who founded it and when?")."""
        analyzer = self.scorer.analyzer
        return all(carries(k, source, shown, self.question, analyzer) for k in self._kinds)

    def _fallback(self) -> Iterator[str]:
        """The best answering source sentence for the question, quoted: nothing the model
        wrote survived the checks. With none, the documents do not hold the answer."""
        if self.evidence:
            number, support = self.evidence[0]
        elif self.answering:
            scores = self._question_scores()
            number, support = self.answering[max(range(len(scores)), key=scores.__getitem__)]
        else:
            self.state.not_found = True
            yield not_found_text(self.question)
            return
        self.state.fallback = True
        yield self._emit(" ".join(support.text.split()), number, support, True)

    # --- the finished answer ----------------------------------------------------------
    def answer(
        self,
        shown: str,
        documents: DocumentLookup | None = None,
        sources: Sequence[Citation] = (),
    ) -> Answer:
        """The `Answer` for the text the reader was shown (`shown`, after the guard):
        citations name the passages it cites, each with its supporting sentence located
        on its page."""
        state = self.state
        text = shown.strip()
        if state.not_found:
            return Answer(
                self.asked,
                text,
                (),
                (),
                not_found=True,
                unsupported=tuple(state.unsupported),
                off_topic=tuple(state.off_topic),
            )
        support: dict[int, Sentence] = {}
        # A quoted sentence is what a reader can check word for word: it names the page.
        for r in sorted(state.released, key=lambda r: not r.quoted):
            if r.number is not None and r.support is not None:
                support.setdefault(r.number, r.support)
        loaded: dict[tuple[str, str], Document | None] = {}

        def document(source: str, key: str) -> Document | None:
            if documents is None:
                return None
            if (source, key) not in loaded:
                loaded[(source, key)] = documents(source, key)
            return loaded[(source, key)]

        citations: list[Citation] = []
        for number in cited_numbers(text):
            passage = self.by_number.get(number)
            if passage is None:
                continue
            sentence = support.get(number, passage.best)
            chunk = passage.hit.chunk
            citations.append(
                cite(
                    number,
                    chunk,
                    (sentence.start, sentence.end),
                    document(chunk.source, chunk.doc_key),
                )
            )
        return Answer(
            self.asked,
            text,
            tuple(sources),
            tuple(citations),
            invalid_citations=tuple(dict.fromkeys(state.invalid)),
            unsupported=tuple(state.unsupported),
            off_topic=tuple(state.off_topic),
        )


def check_reply(
    question: str,
    sources: Sequence[str],
    reply: str,
    scorer: SentenceScorer,
    *,
    answering_only: bool = False,
    cite: bool = False,
) -> tuple[str, CheckState]:
    """`reply` as a reader may see it once checked against plain-text `sources` (an
    agent's tool results), and what the checks did: the same checks as a streamed
    answer, without citation marks by default (the sources have no numbers a reader
    knows)."""
    passages = []
    for number, text in enumerate(sources, start=1):
        sentences = tuple(split_sentences(text))
        if not sentences:
            continue
        chunk = StoredChunk(number, text, "", "", "", 0, None, None)
        passages.append(
            Passage(number, SearchHit(number, 1.0, chunk), sentences, sentences[0], 1.0)
        )
    checker = AnswerChecker(
        question, passages, scorer, answering_only=answering_only, cite=cite, quote="never"
    )
    shown = "".join(checker.stream(iter([reply])))
    return shown.strip(), checker.state
