"""Whether retrieved text can answer a question at all, judged before and after the model.

A retrieved passage about the right topic often still lacks the answer: "Who won
Wimbledon in 2019?" retrieves pages about other years' finals, "What was the revenue in
Q2 2020?" a page that only announces the figure. Lexical patterns tell such
evidence apart, for every question, without a model call:

- **Evidence is a statement.** A sentence that is itself a question ("What is the
  location of the Super Bowl in 2022?") answers nothing.
- **Key terms together.** The question's numbers (a year, a quarter) must stand in the
  statement's window (the sentence with its neighbours in the same paragraph) or the
  passage's dateline ("Nov 16, 2020 ..."), its names anywhere in the same chunk (a
  heading names what a section is about), and the window must hold `MIN_COVER` of the
  question's key terms (question words left out); a topic spread over several chunks is
  not an answer. A word counts in another form of it (`ragkit.answer.question_terms`).
- **An answer of the asked kind** (`ragkit.answer.kinds`): the evidence sentence must
  hold a value of the kind the question asks for that the question does not already
  hold; a percentage answers only a question for a share, rate or change, not one for
  a count.
- **Not another of its kind, and the relation said by the sentence**: the English
  rules (`ragkit.answer.rules_en`) and the Chinese ones (`ragkit.answer.rules_zh`); for
  an e-mail address, telephone number or website, a value of its shape.

`answering_windows` and `can_answer` apply these to the retrieved chunks before
generating; `AnswerChecker` (ragkit.answer.checking) applies the kind and restatement
checks to each sentence of the model's reply after it (`adds_content`, `has_kind`).
Leaves out entailment and named-entity recognition: a window that holds the anchors and
a value of the right kind may still not state the answer (RGB's distractors often do:
another year's winner, another game's release date). Measured with RGB's positives
withheld, these patterns leave most such distractors standing (docs/answers.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.kinds import (
    ASKS_SPAN,
    CJK,
    CN_NUMBER,
    DATELINE,
    EN_DATE,
    EN_NUMBER,
    MEASURES,
    MONTH,
    NAME,
    NOT_NAMES,
    NUMBER,
    YEAR,
    ZH_DATE,
    ZH_TIME,
    AnswerKind,
    answer_kind,
    has_kind,
    statement,
    text_numbers,
    text_spans,
    text_words,
    two_asks,
)
from ragkit.answer.question_terms import (
    asking_terms,
    chinese_names,
    held_terms,
    question_names,
    word_forms,
)
from ragkit.answer.rules_en import (
    lower_case_words,
    modifier_unsaid,
    nationality_only,
    numbered_names,
    other_category,
    other_edition,
    other_priced,
    other_side,
    other_title,
    other_work,
    other_year,
    planned_only,
    platform_only,
    relation_groups,
    states_relation,
    superseded_plan,
    with_numerals,
)
from ragkit.answer.rules_zh import (
    asks_length,
    defined_unsaid,
    length_values,
    ordinal_unsaid,
    titles,
    zh_mismatch,
)
from ragkit.text.analysis import CJK_FUNCTION_CHARS, Analyzer
from ragkit.text.normalize import fold
from ragkit.text.places import names_place
from ragkit.text.sentences import Sentence, split_sentences
from ragkit.types import SearchHit

MIN_COVER = 0.4
"""An evidence window holds at least this share of the question's key terms."""


MIN_SENTENCE_CHARS = 12
"""Shorter sentences (not Chinese) are headings, list markers or page furniture."""


RELATION_CAP = 0.3
"""The coverage of a text holding under half of the question's terms besides its names
(below `MIN_COVER`: such a text only mentions the subject)."""


def kind_values(kind: AnswerKind | None, text: str, question: str, analyzer: Analyzer) -> list[str]:
    """The values of `kind` that `text` holds and `question` does not, lower-cased: years,
    month names and Chinese dates for "date"; numbers (a date's aside) and number words
    for "number"; capitalised names and Chinese proper nouns for "name"; for None, the
    text's terms beyond the question's (a description has no one value)."""
    text = unicodedata.normalize("NFKC", text)
    asked_words = text_words(question)
    if kind is None:
        asked = set(analyzer.tokenize(question))
        return [t for t in dict.fromkeys(analyzer.tokenize(text)) if t not in asked]
    asked_numbers = text_numbers(question)
    out: list[str] = []
    if kind == "number":
        out += sorted(text_numbers(ZH_DATE.sub(" ", EN_DATE.sub(" ", text))) - asked_numbers)
        if not out:  # "one-time" beside "1,200 dollars" is no second value
            out += [m.group().lower() for m in EN_NUMBER.finditer(text)]
        out += [
            m.group()
            for m in CN_NUMBER.finditer(text)
            if len(m.group()) > 1 or text[m.end() : m.end() + 1] in MEASURES
        ]
    elif kind == "date":
        out += sorted(set(YEAR.findall(text)) - asked_numbers)
        out += [m.group().rstrip(".").lower() for m in MONTH.finditer(text)]
        out += [m.group() for m in ZH_DATE.finditer(text)]
        if CJK.search(question):
            out += [m.group().strip() for m in ZH_TIME.finditer(text)]
    else:
        for match in NAME.finditer(text):
            word = match.group().rstrip(".").lower()
            if len(word) > 1 and word not in NOT_NAMES:
                out.append(word)
        if CJK.search(text):
            out += analyzer.proper_nouns(text)
    return [v for v in dict.fromkeys(out) if v not in asked_words and v not in question]


VALUE_BONUS = 0.2
"""Added to an evidence sentence's score (0..1) for each value of the asked kind it holds,
two at most: "It was released on July 21, 2017" answers "When was Splatoon 2 released?"
more fully than "Splatoon 2 release date slated for July". Fitted on RGB en (the best
sentence held the gold answer for 42 of 86 questions by score alone, 47 with the bonus)."""


def value_bonus(kind: AnswerKind | None, sentence: str, question: str, analyzer: Analyzer) -> float:
    """`VALUE_BONUS` for each value of `kind` in `sentence` beyond the question's (two at
    most); 0 for a question asking for no one kind. For "how long" (多久) only numbers
    with a unit of time or length count, one at most, and for a question naming an attribute with
    units (temperature, price, 海拔…) only values in one of them, whatever the kind
    (`ragkit.answer.attributes.unit_values`: "110 degrees Celsius" answers "At what
    temperature is Kestrel Gold fired?", "for 22 minutes" does not)."""
    from ragkit.answer.attributes import unit_values

    measured = unit_values(question, sentence, analyzer)
    if measured is not None:
        return VALUE_BONUS * min(2, len(measured))
    if kind is None:
        return 0.0
    if kind == "number" and ASKS_SPAN.search(question):
        spans = text_spans(sentence) - text_spans(question)
        if asks_length(question, analyzer):  # "主桥多长": 504米, not 7个小时
            spans = length_values(sentence) - length_values(question)
        # One span answers "how long"; a sentence naming two ("40 minutes in total, two
        # rolls of 20 minutes") tells of another step more fully, not of this one.
        return VALUE_BONUS * min(1, len(spans))
    return VALUE_BONUS * min(2, len(kind_values(kind, sentence, question, analyzer)))


def carries(
    kind: AnswerKind | None, source: str, shown: str, question: str, analyzer: Analyzer
) -> bool:
    """Whether the text `shown` already carries what source sentence `source` answers:
    every value of the asked kind it holds (`kind_values`), or for a question asking for
    no one kind, two thirds of its terms beyond the question's."""
    values = kind_values(kind, source, question, analyzer)
    if not values:
        return True
    if kind is None:
        held = set(analyzer.tokenize(shown))
        return 3 * sum(v in held for v in values) >= 2 * len(values)
    hay = unicodedata.normalize("NFKC", shown).lower()
    hay = re.sub(r"(?<=\d),(?=\d{3}\b)", "", hay)
    return all(v in hay for v in values)


def adds_content(sentence: str, question: str, analyzer: Analyzer) -> bool:
    """Whether `sentence` says anything beyond the question's own terms (a sentence that
    only restates the question answers nothing)."""
    asked = set(analyzer.tokenize(question))
    said = set(analyzer.tokenize(sentence))
    if said - asked:
        return True
    # Numbers are terms too, but a bare "2019" the question holds adds nothing.
    return bool(text_numbers(sentence) - text_numbers(question))


# Nouns that only name the kind of value a question asks for, where it asks with them
# ("Super Bowl 2021 location", "Which team won…", "What year…", "the release date",
# 时间是什么时候, 地点在哪里): what the answer is, not something said of it, so a true
# answer's source rarely holds them ("Super Bowl LV will be played in Tampa Bay").
# Not attributes that the answer is said of (revenue, population, price: a figure's own
# word), nor a noun used to name the subject ("the city of Paris").
_KIND_NOUNS = (
    "location|place|venue|date|day|month|year|time|number|amount|percentage|percent"
    "|country|countries|city|cities|state|states|nation|nations|company|companies|team|teams"
    "|person|people|player|players|club|clubs|band|film|movie|university|brand"
)


_EN_KIND_NOUN = re.compile(
    rf"\b(?:what|which|whose)\s+(?:(?:is|was|are|were)\s+the\s+)?({_KIND_NOUNS})\b"
    r"|\b(location|venue|date|number|amount)\s+of\b"
    r"|\b(?:release|launch|premiere|opening|closing|start|end|due)\s+(date|day|time)\b",
    re.IGNORECASE,
)


# A query without a question word asks with its last noun ("Super Bowl 2021 location").
_EN_LAST_KIND_NOUN = re.compile(rf"\b({_KIND_NOUNS})\s*[?.]?\s*$", re.IGNORECASE)


_EN_QUESTION_WORD = re.compile(r"\b(?:who|whom|whose|what|when|where|which|why|how)\b", re.I)


_ZH_KIND_NOUN = re.compile(
    r"(地点|位置|地址|时间|日期|年份|名字|名称)(?=\s*(?:是|为|在)?\s*(?:什么|哪|多少|何|几|[?？]|$))"
)


def kind_words(question: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms of `question` that only ask: its asking words (`asking_terms`) and the
    nouns naming the kind of value asked for where it asks with them ("location" in
    "Super Bowl 2021 location", "year" in "In what year…", 时间 in 开始时间是什么时候).
    A true answer's source rarely says them: they are not said of its values."""
    text = unicodedata.normalize("NFKC", question)
    nouns = [g for m in _EN_KIND_NOUN.finditer(text) for g in m.groups() if g]
    if not _EN_QUESTION_WORD.search(text):
        nouns += [m.group(1) for m in _EN_LAST_KIND_NOUN.finditer(text)]
    nouns += [m.group(1) for m in _ZH_KIND_NOUN.finditer(text)]
    return asking_terms(question, analyzer) | frozenset(analyzer.tokenize(" ".join(nouns)))


def question_scores(
    question: str,
    texts: Sequence[str],
    scorer: SentenceScorer,
    contexts: Sequence[str] | None = None,
) -> list[float]:
    """How well each of `texts` answers `question` by `scorer`, the question's asking
    words left out (`asking_terms`); 1.0 each for a question with no other term. With
    `contexts` (the chunk each text stands in), a name of the question that a text's
    chunk holds counts as the text's own: a heading or an earlier sentence says what
    "Opening hours: Tuesday to Sunday, 10:00 to 17:00." is about."""
    if not texts:
        return []
    asking = asking_terms(question, scorer.analyzer)
    if not set(scorer.analyzer.tokenize(question)) - asking:
        return [1.0] * len(texts)  # no term to judge by, as `relevance` takes it
    extra = None
    if contexts is not None:
        extra = context_names(question, texts, contexts, scorer.analyzer)
    row = scorer.matrix([question], texts, asking, extra)[0]
    return [float(x) for x in row]


def context_names(
    question: str, texts: Sequence[str], contexts: Sequence[str], analyzer: Analyzer
) -> list[frozenset[str]]:
    """For each of `texts`, the question's name terms it lacks and its context holds,
    when it holds one of the question's other key terms itself (a heading or a sentence
    that says nothing the question asks about gains nothing from its neighbours)."""
    names = question_names(question, analyzer)
    terms = key_terms(question, analyzer)
    # A name's terms as the question's own segmentation has them (雾溪白 for 雾溪 in
    # 雾溪白茶): matched to the text as written, since a text may segment otherwise.
    named = {t for t in terms if any(n in t or t in n for n in names)}
    others = terms - named
    out: list[frozenset[str]] = []
    for text, context in zip(texts, contexts, strict=True):
        held = set(analyzer.tokenize(text))
        if not named or not others & held:
            out.append(frozenset())
            continue
        around = fold(context)
        out.append(frozenset(t for t in named if t not in held and t in around))
    return out


def key_terms(question: str, analyzer: Analyzer) -> set[str]:
    """The terms of `question` an answer's evidence should share: its analyzer terms less
    the words that only ask (who, 什么, 哪个…) and single Chinese characters."""
    asking = asking_terms(question, analyzer)
    return {
        t
        for t in analyzer.tokenize(question)
        if t not in asking and not (len(t) == 1 and CJK.match(t))
    }


def _key_chars(text: str) -> set[str]:
    asking = set("哪什么谁多少怎如何为是否吗呢呀啊几")
    return {c for c in CJK.findall(text) if c not in CJK_FUNCTION_CHARS and c not in asking}


def coverage(question: str, texts: Sequence[str], analyzer: Analyzer) -> list[float]:
    """The share of the question's key terms each of `texts` holds (1.0 for a question
    with none). A Chinese question's terms are its characters less function and
    question words: word segmentation splits names and phrasings differently in a
    question and in a text (司马晏是 / 司马晏，儿子 / 之子)."""
    chars = _key_chars(question)
    if chars:
        return [len(chars & set(t)) / len(chars) for t in texts]
    terms = key_terms(question, analyzer)
    if not terms:
        return [1.0] * len(texts)
    # The question's names say what it is about, its other terms what it asks about it
    # ("founded" in "When was the Lumen Tea Cooperative founded?"): a text that holds
    # the names but not half of the rest only mentions the subject.
    from ragkit.answer.checking import absent_facts

    named = absent_facts(question, "", chinese=False)  # its names, first word aside
    names = set(analyzer.tokenize(" ".join(a for a in named if not NUMBER.fullmatch(a))))
    relation = terms - names if names else set()
    forms = word_forms(analyzer)
    # A value in the attribute's unit or shape says the attribute: "a combined planted
    # area of 1,140 hectares" holds the "land" of "How much land is planted in total?".
    from ragkit.answer.attributes import unit_values, valued_terms

    valued = valued_terms(question, analyzer) & terms
    out = []
    for text in texts:
        held = held_terms(terms, set(analyzer.tokenize(text)), forms)
        if valued - held and unit_values(question, text, analyzer):
            held |= valued
        share = len(held) / len(terms)
        if relation and 2 * len(relation & held) < len(relation):
            share = min(share, RELATION_CAP)
        out.append(share)
    return out


# A Chinese sentence whose subject is a pronoun ("它是一种无色液体", "其特点是…").
_ZH_PRONOUN_OPENING = re.compile(r"^\W*(?:它|他|她|其)")


def _key_words_zh(question: str, analyzer: Analyzer) -> set[str]:
    """A Chinese question's key words: its key terms of two or more characters
    (`key_terms`: 预约, 冬奥会) and each two key characters standing together in it (氯丙,
    口号), so that a text's segmentation need not match the question's."""
    chars = _key_chars(question)
    text = unicodedata.normalize("NFKC", question)
    pairs = {a + b for a, b in pairwise(text) if a in chars and b in chars}
    return pairs | {t for t in key_terms(question, analyzer) if CJK.match(t)}


def held_key_terms(question: str, text: str, analyzer: Analyzer) -> set[str]:
    """The key terms of `question` (`key_terms`) that `text` holds, as written or in
    another form of the word. For a Chinese question, its key words (`_key_words_zh`)
    as written in `text`: one shared character is no shared term (the 氯 of "有机氯化合物"
    says nothing of 环氧氯丙烷, the 奥 of 奥林匹克 nothing of 冬奥会); its key characters
    only when it has no two together."""
    chars = _key_chars(question)
    if chars:
        words = _key_words_zh(question, analyzer)
        if words:
            return {w for w in words if w in text}
        return chars & set(text)
    return held_terms(
        key_terms(question, analyzer), set(analyzer.tokenize(text)), word_forms(analyzer)
    )


def bears_on(
    question: str,
    sentence: str,
    support: str,
    context: str,
    analyzer: Analyzer,
    *,
    answering: bool = False,
) -> bool:
    """Whether an answer's `sentence`, read with the source sentence `support` it rests
    on, bears on `question` as an evidence sentence must (`answering_windows`): the
    question's key terms (`MIN_COVER` of them, half besides its names, which may stand
    anywhere in `context`, the support's retrieved document) in the two sentences, or,
    when the support's window passed the evidence test (`answering`), one of them in the
    two and the rest in the window ("Unopened tins … can be returned within 30 days"
    answers "Can I return tea I do not like?", whose "tea" is in the heading above it;
    "The outer cartons are recycled card" beside it answers nothing); the relation it
    asks about stated by one of the two (`states_relation`); and for a Chinese question
    nothing of another kind in the sentence (`zh_mismatch`; a bare value such as
    "80摄氏度", holding no term of the question, is what its support says it is)."""
    if answering:
        # The window answers; the two sentences must still speak of what is asked
        # (not "The outer cartons are recycled card" beside a sentence on returns). A
        # Chinese sentence opening with 它 or 其 speaks of the subject its window names:
        # one key character of the two is enough there ("它是一种无色液体，有…刺激性气味"
        # for 环氧氯丙烷有什么特性).
        both = f"{sentence}\n{support}"
        if not held_key_terms(question, both, analyzer) and not (
            _ZH_PRONOUN_OPENING.match(sentence) and _key_chars(question) & set(both)
        ):
            return False
    else:
        names = [n for n in question_names(question, analyzer) if n in fold(context)]
        text = with_numerals(f"{sentence}\n{support}\n{' '.join(names)}")
        if coverage(question, [text], analyzer)[0] < MIN_COVER:
            return False
    if not (
        states_relation(question, sentence, analyzer)
        or states_relation(question, support, analyzer)
    ):
        return False
    # A bare value ("80摄氏度") is what its support says it is: the support speaks for it.
    said = sentence if held_key_terms(question, sentence, analyzer) else support
    return not zh_mismatch(question, said, analyzer)


@dataclass(frozen=True)
class Window:
    """One evidence window: sentence `sentence` of retrieved text `text` (an index into
    the texts given), with its neighbours joined in `window`, and the heading it stands
    under in that text (`heading`, "" when none does)."""

    text: int
    sentence: str
    window: str
    heading: str = ""


def _windows(texts: Sequence[str]) -> list[Window]:
    """Each statement of `texts` with the statements next to it in its paragraph (a
    question in the text is no evidence, and a blank line ends what a sentence is about),
    and the heading above it in its text."""
    # Imported here: evidence imports this module.
    from ragkit.answer.evidence import is_heading

    out = []
    for t, text in enumerate(texts):
        sentences = split_sentences(text)
        stated = [statement(s.text) for s in sentences]
        heading = ""
        for i, sentence in enumerate(sentences):
            if is_heading(sentence, text):
                heading = sentence.text.lstrip("#").strip()
            if not stated[i]:
                continue
            around = [stated[i]]
            j = i - 1
            while j >= 0 and _joined(text, sentences[j].end, sentences[j + 1].start):
                around.insert(0, stated[j])
                if not _cut_fragment(stated[j]):
                    break
                j -= 1
            j = i + 1
            while j < len(sentences) and _joined(text, sentences[j - 1].end, sentences[j].start):
                around.append(stated[j])
                if not _cut_fragment(stated[j]):
                    break
                j += 1
            lead = lead_in(sentences, stated, i)
            if lead and lead not in around:
                around.insert(0, lead)
            out.append(Window(t, stated[i], " ".join(a for a in around if a), heading))
    return out


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def lead_in(sentences: Sequence[Sentence], stated: Sequence[str], i: int) -> str:
    """For a list item, the sentence ending in a colon that the list completes ("Any
    grower … may apply to become a member, provided that:" over "1. the applicant farms
    at least 0.5 hectares of tea"), though a blank line parts them; "" otherwise."""
    if not _LIST_ITEM.match(sentences[i].text):
        return ""
    j = i - 1
    while j >= 0 and _LIST_ITEM.match(sentences[j].text):
        j -= 1
    if j >= 0 and stated[j].rstrip().endswith((":", "：")):
        return stated[j]
    return ""


_CUT = re.compile(r"(?:\.\.\.|…)\s*$")


def _cut_fragment(sentence: str) -> bool:
    """Whether `sentence` is a few words cut off by an ellipsis ("For more information
    ..."): a search result's elision, which says nothing and parts no statements, so a
    window reaches past it to the next sentence. Chinese text is left out: its clauses
    end in "……" whatever they say, and its words are not spaced to be counted."""
    if CJK.search(sentence) or not _CUT.search(sentence):
        return False
    return len(re.findall(r"\w+", sentence)) <= 3


def _joined(text: str, end: int, start: int) -> bool:
    return "\n\n" not in text[end:start].replace("\r", "").replace(" ", "")


_PERCENT = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:%|％|‰|percent\b|per cent\b|个百分点)"
    r"|百分之[零〇一二三四五六七八九十百点]+"
)


_RATE = re.compile(
    r"percent|per cent|percentage|rate|share|proportion|growth|grow|increase|decrease|decline|"
    r"rise|fall|drop|ratio|%|率|比例|比重|占比|增长|增加|下降|减少|上涨|下跌|增速|增幅|跌幅|涨幅|百分",
    re.IGNORECASE,
)


def _asks_rate(question: str) -> bool:
    """Whether `question` asks for a share, rate or change, answered by a percentage."""
    return bool(_RATE.search(question))


def _unheld_forms(names: Sequence[str], hay: str, analyzer: Analyzer) -> tuple[str, ...]:
    """Those of `names` (a question's words absent from `hay`) that `hay` holds in no other
    form either: "Definite Edition" is found as "Definitive Edition" (both stem to
    definit), "French" as "France" and "US" as "United States" (`names_place`).
    Numbers and Chinese names stay absent."""
    if not names:
        return ()
    held: set[str] | None = None
    out = []
    for name in names:
        if names_place(name, hay):
            continue
        if not re.fullmatch(r"[a-z]{4,}", name.lower()):
            out.append(name)
            continue
        if held is None:
            held = set(analyzer.tokenize(hay))
        stems = analyzer.tokenize(name)
        if not (stems and held_terms(set(stems), held) == set(stems)):
            out.append(name)
    return tuple(out)


def _dated(window: str, dateline: re.Match[str] | None) -> str:
    """`window` with its passage's dateline, when it has one."""
    return window if dateline is None else f"{window} {dateline.group()}"


def answering_windows(
    question: str,
    texts: Sequence[str],
    scorer: SentenceScorer,
    min_cover: float = MIN_COVER,
    contexts: Sequence[str] | None = None,
) -> list[Window]:
    """The evidence windows of `texts` that could answer `question`: statements whose
    window holds the question's numbers and `min_cover` of its key terms, in a text
    holding its names (or whose `contexts[i]`, the chunk a passage was taken from, holds
    them), and whose sentence holds a value of the kind the question asks for."""
    # Imported here: the checker imports this module for its own checks.
    from ragkit.answer.attributes import asks_form, unit_values
    from ragkit.answer.checking import absent_facts

    windows = _windows(texts)
    if not windows or not key_terms(question, scorer.analyzer):
        return windows
    # A page's dateline ("Apr 26, 2021 ...") dates what the passage says: its year
    # counts as said beside each statement, for the coverage as for the numbers below
    # ("CEO Niels B. Christiansen tells TIME" under "Apr 26, 2021" answers "Who is the
    # CEO of Lego in 2021?").
    datelines = [DATELINE.match(t) for t in texts]
    dated = [with_numerals(_dated(w.window, datelines[w.text])) for w in windows]
    # The heading a statement stands under says what it is about: "Rolled leaf … for 2.5
    # hours" under "4. Oxidation" holds "oxidation" for "How long does oxidation last?".
    # Its terms count for the coverage only; the question's numbers must still stand by
    # the statement (below).
    titled = [f"{w.heading}\n{d}" if w.heading else d for w, d in zip(windows, dated, strict=True)]
    cover = coverage(question, titled, scorer.analyzer)
    kind = answer_kind(question)
    names = [a for a in absent_facts(question, "", chinese=False) if not NUMBER.fullmatch(a)]
    # A Chinese question's proper nouns are its names too (whole names of two or more
    # characters, as `missing_anchors` takes them): "于乐的职业是什么？" is not answered
    # by a sentence on another footballer's career.
    zh_names = chinese_names(question, scorer.analyzer)
    zh_names += [fold(t) for t in titles(question)]  # 《我们的冬奥》: jieba tags no title
    numbered = numbered_names(question)
    # "Ceremony" of "Academy Awards Ceremony", which a retrieved text writes "Academy
    # Awards ceremony": a common noun after the title, not a name each document must hold.
    common = lower_case_words(question, texts)
    relations = relation_groups(question, scorer.analyzer)
    formed = asks_form(question, scorer.analyzer)
    out = []
    asking = kind_words(question, scorer.analyzer)
    for w, window, text, score in zip(windows, dated, titled, cover, strict=True):
        if score < min_cover:
            continue
        # The question's numbers (a year, a quarter) must stand by the statement (or in
        # the dateline); its names may stand anywhere in the text (a heading names what
        # a section is about).
        apart = absent_facts(question, fold(window), chinese=False)
        if any(NUMBER.fullmatch(a) for a in apart):
            continue
        context = fold(with_numerals(texts[w.text] if contexts is None else contexts[w.text]))
        lost = absent_facts(question, context, chinese=False)
        lost = _unheld_forms(lost, context, scorer.analyzer)
        lost_names = [a for a in lost if a in names and a not in common]
        if lost_names and not platform_only(question, names, lost_names):
            continue  # a name the question asks about is not in this text
        if any(n not in context for n in zh_names):
            continue
        if not all(p.search(context) for p in numbered):
            continue  # "Xenoblade Chronicles: Definitive Edition" is not "Xenoblade Chronicles 2"
        if other_year(question, w.sentence):
            continue  # it speaks of another year
        if other_side(question, window):
            continue  # "since 2021" for "before 2021": the other side of the year
        if other_priced(question, w.sentence, scorer.analyzer, w.window):
            continue  # the price of another thing than the one asked about
        if formed and not unit_values(question, w.sentence, scorer.analyzer):
            continue  # an e-mail address or telephone number asked, none given
        if other_edition(question, w.sentence):
            continue  # another season, quarter or edition than the question's
        if other_title(question, w.sentence):
            continue  # another award or event of the kind ("CFDA Awards" for "Maxwell Award")
        if other_category(question, w.sentence):
            continue  # "best supporting actor" for "Best Actor": another category
        if modifier_unsaid(question, text, scorer.analyzer, asking):
            continue  # "tea" said, not the "white tea" asked about
        if planned_only(question, w.sentence):
            continue  # a date still planned is not when it happened
        if superseded_plan(question, w.sentence):
            continue  # "its original release date was April 16, 2020": a plan given up
        if not has_kind(kind, w.sentence, question, scorer.analyzer):
            continue
        if nationality_only(question, w.sentence, scorer.analyzer):
            continue  # "a Colombian has won" names no one
        if other_work(question, w.sentence):
            continue  # "Assassin's Creed Syndicate" for "the Assassin's Creed movie"
        if not states_relation(question, w.sentence, scorer.analyzer, relations):
            continue  # only a neighbour names what is asked ("won", "revenue", "released")
        if zh_mismatch(question, w.sentence, scorer.analyzer):
            continue  # another ordinal, year or modifier: another thing (Chinese only)
        if ordinal_unsaid(question, window):
            continue  # 第一棒 asked, the window counts no 棒 of its own
        if defined_unsaid(question, w.sentence):
            continue  # 操场的定义 asked, the sentence defines another term or none
        if kind == "number" and not _asks_rate(question):
            measured = unit_values(question, w.sentence, scorer.analyzer)
            if not measured and not has_kind(
                kind, _PERCENT.sub(" ", w.sentence), question, scorer.analyzer
            ):
                continue  # a share is not the count or amount asked for (湿度's 60% is)
        out.append(w)
    return out


def can_answer(
    question: str, hits: Sequence[SearchHit], scorer: SentenceScorer, min_score: float
) -> bool:
    """Whether the retrieved `hits` could answer `question`: no name or number of the
    question is missing from them (`ragkit.answer.checking.missing_anchors`), one of their
    statements could answer it (`answering_windows`), and one sentence scores at least
    `min_score` for it (`question_scores`). Extractive mode and the generated answer
    decide "not in the documents" by this one test over the same hits, so the generated
    answer never refuses a question extractive mode answers."""
    from ragkit.answer.checking import missing_anchors

    asks = two_asks(question)
    if asks is not None:
        # "Who founded it and when?": either ask answered is an answer (the ranking
        # quotes a sentence for each that can be answered).
        return any(can_answer(ask, hits, scorer, min_score) for ask in asks)
    texts = [h.chunk.text for h in hits]
    if not texts:
        return False
    missing = missing_anchors(question, [with_numerals(t) for t in texts], scorer.analyzer)
    missing = _unheld_forms(missing, fold("\n".join(texts)), scorer.analyzer)
    if missing:
        return False
    if not answering_windows(question, texts, scorer, contexts=document_contexts(hits)):
        return False
    sentences = [
        s.text
        for t in texts
        for s in split_sentences(t)
        if len(s.text) >= MIN_SENTENCE_CHARS or CJK.search(s.text[:4])
    ]
    return any(x >= min_score for x in question_scores(question, sentences, scorer))


def document_contexts(hits: Sequence[SearchHit]) -> list[str]:
    """For each hit, the text of every retrieved chunk of its document: where the
    question's names may stand (a small chunk can hold the answer while the chunk
    before it names the subject)."""
    by_document: dict[tuple[str, str], list[str]] = {}
    for hit in hits:
        by_document.setdefault((hit.chunk.source, hit.chunk.doc_key), []).append(hit.chunk.text)
    return ["\n".join(by_document[(h.chunk.source, h.chunk.doc_key)]) for h in hits]
