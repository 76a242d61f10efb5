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
  not an answer. A word counts in another form of it (oxidise/oxidation, Definite/
  Definitive: `variant`), and the "long" of "how long" only asks.
- **The same thing, the same year.** A numbered name ("Xenoblade Chronicles 2",
  "iPhone 11") must stand with its number, and a sentence naming years none of which
  the question names speaks of another year ("the 2022 US Open" for 2021).
- **An answer of the asked kind.** `answer_kind` reads what the question asks for: a
  name (who, whom, where, which country, 谁, 哪里…), a date (when, what year, 什么时候,
  哪一年…; in Chinese a weekday or clock time too) or a quantity (how many, how much,
  多少, 几…; how long, 多久 and 多长时间, a span). The evidence sentence must
  hold such a value that the question does not already hold: a capitalised name (in
  Chinese a proper noun by jieba's part-of-speech tags), a year, month or day, a number
  that is not part of a date; a percentage answers only a question for a share, rate or
  change, not one for a count. Other questions ask for no particular kind; a Chinese
  query without a question word asks for what its last noun names (冠军: a name, 交付量:
  a number).
- **The relation, said by the sentence.** An English question about a few common
  relations (who won, a release, revenue, a director…) is answered only by a sentence
  that states the relation itself, in one of its words (`states_relation`); a
  neighbour naming it does not count, nor does a win under way, a part of the event
  won ("the stage 21 victory") or a tally of wins ("his fourth victory").
- **Not another of its kind** (English questions): another season, quarter or edition
  (`other_edition`: "Season 1" for "season 4", "the first quarter" for Q2, "the 93rd"
  for "the 90th Academy Awards"), another award or event with the question's head
  noun (`other_title`: "CFDA Awards" for "Maxwell Award"), another work whose title
  starts with the question's (`other_work`: "Assassin's Creed Syndicate"), a time
  before the page's own ("a year ago") for a question naming its year, a date still
  planned ("slated for July") for a question on when something happened
  (`planned_only`), and for who, a nationality without a name (`nationality_only`: "a
  Colombian has won"); the other side of a year ("since 2021" for "before 2021":
  `other_side`), another thing's price (`other_priced`: a tasting flight's for a tin),
  and for an e-mail address, telephone number or website no value of its shape. A
  place's adjective or short form names the place ("French" for France, "U.S." for the
  US: `ragkit.text.places`).
- **Not another of its kind** (Chinese questions, `zh_mismatch`): another ordinal (第19
  棒 for 第一棒), another day (1月8日 for 1月5日), the asked year only as a comparison
  (与2021年相比), part of a year for a year's figure, or the question's compound noun
  with another modifier (交通事故 for 踩踏事故) is another thing, and a number not in a
  clause with the figure asked for (营收, 产量, 议席) is another figure's, as a role
  asked for (冠军, 总导演) with no name in its clause names no one; a founding asked
  (建立, 成立) needs the founding of that thing, a definition asked (X的定义) a sentence
  defining X; a title in 《》 is a name the text must hold.

`answerable` applies these to the retrieved chunks before generating; `AnswerChecker`
(ragkit.answer.checking) applies the kind and restatement checks to each sentence of the
model's reply after it (`adds_content`, `has_kind`). Leaves out entailment and named-entity
recognition: a capitalised word is taken for a name, jieba's tags are a dictionary's
guess, and a window that holds the anchors and a value of the right kind may still not
state the answer (RGB's distractors often do: another year's winner, another game's
release date). Measured with RGB's positives withheld, these patterns leave most such
distractors standing (docs/answers.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from ragkit.answer.grounding import SentenceScorer
from ragkit.text.analysis import CJK_FUNCTION_CHARS, STOPWORDS, Analyzer
from ragkit.text.normalize import fold
from ragkit.text.places import is_place_adjective, names_place, one_word_groups
from ragkit.text.sentences import Sentence, split_sentences
from ragkit.types import SearchHit

AnswerKind = Literal["name", "date", "number"]

MIN_COVER = 0.4
"""An evidence window holds at least this share of the question's key terms."""
MIN_SENTENCE_CHARS = 12
"""Shorter sentences (not Chinese) are headings, list markers or page furniture."""
RELATION_CAP = 0.3
"""The coverage of a text holding under half of the question's terms besides its names
(below `MIN_COVER`: such a text only mentions the subject)."""

_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
_MONTH = re.compile(r"\b(?:" + "|".join(_MONTHS) + r")\b\.?", re.IGNORECASE)
# Four digits followed by a unit or magnitude count something, not a year: "1062万人",
# "2000多年", "1500元", "1200米", "1800%" (年, 月 and a Latin word may follow a year).
_COUNTED = "万亿千百十多余人元名位个户家件项只头辆台架艘部吨米里亩克斤度倍次%％‰"
_YEAR = re.compile(rf"(?<!\d)(?<!\d\.)(?:1[0-9]|20)\d\d(?!\d|\.\d|\s*[{_COUNTED}])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_EN_NUMBER = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|half|twice|once)\b",
    re.IGNORECASE,
)
_CN_NUMBER = re.compile(r"[零〇一二三四五六七八九十百千万亿两]+")
_MEASURES = frozenset("次个位名人家种条座场岁项件只辆架艘部本届倍米里吨元")
EN_DATE = re.compile(
    r"\b(?:" + "|".join(_MONTHS) + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b"
    r"|\b\d{1,2}\s+(?:" + "|".join(_MONTHS) + r")\.?(?:,?\s+\d{4})?\b"
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b",
    re.IGNORECASE,
)
"""An English date with its day: "July 21, 2017", "21 July", "2017-07-21"."""
_ZH_DATE = re.compile(
    r"(?:\d+|[零〇一二三四五六七八九十]+)\s*(?:年|月|日|号|世纪)|(?:年|月)(?:初|底|中)"
)
# A weekday or a clock time says when too: 每周六下午2点 answers 什么时候.
_ZH_TIME = re.compile(
    r"(?:周|星期|礼拜)[一二三四五六日天](?:\s*(?:至|到|-|—|~)\s*(?:周|星期|礼拜)?[一二三四五六日天])?"
    # 一点 and 两点 alone are "a little" and "two points": a numeral needs 上午 or 下午.
    r"|(?:上午|下午|晚上|早上|中午|凌晨|傍晚|清晨|夜里)\s*"
    r"(?:\d{1,2}|[零〇一二三四五六七八九十两]{1,3})\s*[点时](?:半|\s*\d{1,2}\s*分)?"
    r"|(?<![\d.])\d{1,2}\s*[点时](?:半|\s*\d{1,2}\s*分)?(?![间候期代段])"
    r"|(?<!\d)\d{1,2}:\d{2}(?!\d)"
)
_NAME = re.compile(r"(?<![A-Za-z0-9'’])[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ0-9'’.-]*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_EN_KINDS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            r"\bwhen\b|\bwhat (?:year|date|day|month|time)\b|\bwhich (?:year|date|day|month)\b"
            r"|\bdate\b|\bwhat time\b",
            re.IGNORECASE,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|old|far|tall|high|big|large|heavy|fast|often)\b"
            r"|\bwhat (?:percentage|percent|share|number|amount|price|cost)\b"
            r"|\b(?:revenue|population|number of|amount of)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "name",
        re.compile(
            # "Who may join?" asks who qualifies, answered by a description, not a name.
            r"\bwho(?:m|se)?\b"
            r"(?!\s+(?:can|may|might|must|should|could|would|is eligible|are eligible))"
            r"|\bwhere\b|\blocation\b"
            r"|\b(?:which|what) (?:country|countries|city|cities|state|company|companies|team"
            r"|teams|person|player|club|nation|band|film|movie|university|brand|place)\b",
            re.IGNORECASE,
        ),
    ),
)
_ZH_KINDS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    (
        "name",
        re.compile(
            r"谁|哪位|哪里|哪儿|在哪|什么地方|哪(?:个|一个|家|些|部|支|位|所)?"
            r"(?:国家|城市|公司|球队|队|人|电影|影片|企业|机构|组织|选手|运动员|球员)"
        ),
    ),
    ("date", re.compile(r"什么时候|何时|哪一?年|哪一?天|几月|几号|哪个月|日期|时间|几点")),
    (
        "number",
        re.compile(
            r"多少|几[个位名次项家种条座场岁年]?|多[长高大远重久深宽]|人数|数量|金额|票房|全长|面积|营收|收入"
        ),
    ),
)
# Words that open a sentence or title capitalised without naming anything.
_NOT_NAMES = (
    frozenset(
        "a an the in on at as it its this that these those there here he she they we you i "
        "but and or if so for of to by with from after before when while what who where which "
        "how why our your their his her my also however then than".split()
    )
    | STOPWORDS
    | frozenset(_MONTHS)
    | frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
)


_EARLIER_QUESTION = re.compile(r"(?<=[?？])\s*[(（][^()（）]*[?？][)）]\s*$")


def answer_kind(question: str) -> AnswerKind | None:
    """What kind of value `question` asks for, or None when it asks for no one kind."""
    # A follow-up rewritten with the earlier question in brackets ("How should I keep
    # the receipt? (How many years is the warranty?)") asks what its own words ask: the
    # bracket only says what it follows on from.
    text = _EARLIER_QUESTION.sub("", unicodedata.normalize("NFKC", question))
    if _CJK.search(text):
        bare = zh_bare_kind(text)  # "票房冠军" asks for a name, not the 票房
        if bare is not None:
            return bare
        if _ASKS_SPAN.search(text):
            return "number"  # 多长时间 asks for a span (2分钟), not a date: not its 时间
        for kind, pattern in _ZH_KINDS:
            if pattern.search(text):
                return kind
        return None
    for kind, pattern in _EN_KINDS:
        if pattern.search(text):
            return kind
    return None


def is_question(sentence: str) -> bool:
    """Whether `sentence` asks rather than states (it ends with a question mark)."""
    return sentence.rstrip(" \t\"'”’)]】.…").endswith(("?", "？"))


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[\w'’]+", unicodedata.normalize("NFKC", text))}


def _numbers(text: str) -> set[str]:
    norm = re.sub(r"(?<=\d),(?=\d{3}\b)", "", unicodedata.normalize("NFKC", text))
    return {m.group().rstrip(".,") for m in _NUMBER.finditer(norm)}


def has_kind(
    kind: AnswerKind | None, text: str, question: str, analyzer: Analyzer | None = None
) -> bool:
    """Whether `text` holds a value of `kind` that `question` does not already hold (any
    text does for `kind` None). Chinese names are found with `analyzer`'s tagger."""
    if kind is None:
        return True
    text = unicodedata.normalize("NFKC", text)
    asked_numbers = _numbers(question)
    if kind == "number":
        # A date is not a quantity: "12月8日" answers no "how many".
        new_numbers = _numbers(_ZH_DATE.sub(" ", EN_DATE.sub(" ", text))) - asked_numbers
    else:
        new_numbers = _numbers(text) - asked_numbers
    if kind == "number":
        asked_words = _words(question)
        spelled = (m.group().lower() for m in _EN_NUMBER.finditer(text))
        if new_numbers or any(w not in asked_words for w in spelled):
            return True
        if _ASKS_SPAN.search(question) and _spans(text) - _spans(question):
            return True  # 提前两周: a Chinese numeral with a unit of time answers 多久
        # One numeral counts with a measure word after it (四次, 两个), not inside a
        # word (一起, 统一), and 一 + measure is mostly "a" (一条铁路线: a railway).
        return any(
            m.group() not in question
            and (
                len(m.group()) > 1
                or (m.group() != "一" and text[m.end() : m.end() + 1] in _MEASURES)
            )
            for m in _CN_NUMBER.finditer(text)
        )
    if kind == "date":
        if set(_YEAR.findall(text)) - asked_numbers:
            return True  # a year, read in place: 2000多年 and 1062万 count, they date nothing
        asked_words = _words(question)
        if any(m.group().rstrip(".").lower() not in asked_words for m in _MONTH.finditer(text)):
            return True
        if any(m.group() not in question for m in _ZH_DATE.finditer(text)):
            return True
        # A weekday or a clock time for a Chinese question only: "airs at 6:00" under
        # another episode's date answers no English "premiere date".
        return bool(_CJK.search(question)) and any(
            m.group() not in question for m in _ZH_TIME.finditer(text)
        )
    asked_words = _words(question)
    for match in _NAME.finditer(text):
        word = match.group().rstrip(".").lower()
        if len(word) > 1 and word not in _NOT_NAMES and word not in asked_words:
            return True
    if analyzer is not None and _CJK.search(text):
        return any(name not in question for name in analyzer.proper_nouns(text))
    return False


def kind_values(kind: AnswerKind | None, text: str, question: str, analyzer: Analyzer) -> list[str]:
    """The values of `kind` that `text` holds and `question` does not, lower-cased: years,
    month names and Chinese dates for "date"; numbers (a date's aside) and number words
    for "number"; capitalised names and Chinese proper nouns for "name"; for None, the
    text's terms beyond the question's (a description has no one value)."""
    text = unicodedata.normalize("NFKC", text)
    asked_words = _words(question)
    if kind is None:
        asked = set(analyzer.tokenize(question))
        return [t for t in dict.fromkeys(analyzer.tokenize(text)) if t not in asked]
    asked_numbers = _numbers(question)
    out: list[str] = []
    if kind == "number":
        out += sorted(_numbers(_ZH_DATE.sub(" ", EN_DATE.sub(" ", text))) - asked_numbers)
        if not out:  # "one-time" beside "1,200 dollars" is no second value
            out += [m.group().lower() for m in _EN_NUMBER.finditer(text)]
        out += [
            m.group()
            for m in _CN_NUMBER.finditer(text)
            if len(m.group()) > 1 or text[m.end() : m.end() + 1] in _MEASURES
        ]
    elif kind == "date":
        out += sorted(set(_YEAR.findall(text)) - asked_numbers)
        out += [m.group().rstrip(".").lower() for m in _MONTH.finditer(text)]
        out += [m.group() for m in _ZH_DATE.finditer(text)]
        if _CJK.search(question):
            out += [m.group().strip() for m in _ZH_TIME.finditer(text)]
    else:
        for match in _NAME.finditer(text):
            word = match.group().rstrip(".").lower()
            if len(word) > 1 and word not in _NOT_NAMES:
                out.append(word)
        if _CJK.search(text):
            out += analyzer.proper_nouns(text)
    return [v for v in dict.fromkeys(out) if v not in asked_words and v not in question]


VALUE_BONUS = 0.2
"""Added to an evidence sentence's score (0..1) for each value of the asked kind it holds,
two at most: "It was released on July 21, 2017" answers "When was Splatoon 2 released?"
more fully than "Splatoon 2 release date slated for July". Fitted on RGB en (the best
sentence held the gold answer for 42 of 86 questions by score alone, 47 with the bonus)."""


# "How long" / 多久 asks for a time or a length: a number with such a unit answers it,
# "1.2 litre" or "five temperature settings" does not.
_ASKS_SPAN = re.compile(r"\bhow\s+long\b|多久|多长时间|多长", re.IGNORECASE)
_SPAN = re.compile(
    r"(?:\d+(?:[.,]\d+)*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|a|an|half\s+an?)\b|[零〇一二三四五六七八九十百两半]+)"
    r"[\s-]*(?:(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|decades?|"
    r"centuries|century|metres?|meters?|kilometres?|kilometers?|km|miles?|feet|foot|ft|inches|"
    r"cm|mm|m)\b|秒|分钟|小时|个小时|天|日|周|星期|个月|月|年|米|公里|千米|厘米|英里)",
    re.IGNORECASE,
)


def _spans(text: str) -> set[str]:
    """The numbers with a unit of time or length in `text` (2分钟, 两周, 40 minutes)."""
    return {m.group() for m in _SPAN.finditer(unicodedata.normalize("NFKC", text))}


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
    if kind == "number" and _ASKS_SPAN.search(question):
        spans = _spans(sentence) - _spans(question)
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
    return bool(_numbers(sentence) - _numbers(question))


# Words that only ask (a Chinese token holding one of these is the question word itself).
_ZH_ASKING = re.compile(r"哪|什么|谁|多少|多[长久大高远深宽]|怎|如何|为何|是否|吗|呢|呀|啊|几")
_EN_ASKING = "many much name named called my me mine us"
# "How long", "how old"…: the adjective asks for a quantity; the answer says "2.5 hours"
# or "founded in 1999", rarely "long" or "old".
_HOW = re.compile(
    r"\bhow\s+(long|old|far|tall|high|big|large|heavy|fast|often|deep|wide)\b", re.IGNORECASE
)


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


def asking_terms(question: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms of `question` that only ask (many, 什么, 哪里, 多少, the "long" of
    "how long"…): no evidence sentence should score for holding them ("校长又是什么？" is
    no answer to "于乐的职业是什么？")."""
    asking = set(analyzer.tokenize(_EN_ASKING))
    asking.update(analyzer.tokenize(" ".join(m.group(1) for m in _HOW.finditer(question))))
    return frozenset(t for t in analyzer.tokenize(question) if t in asking or _ZH_ASKING.search(t))


# What may follow a shared stem in two forms of one word, as the Snowball stemmer leaves
# them: oxidis(e)/oxid(ation), found(ed)/foundat(ion), elect/elector. Not any longer
# word: "count" is no form of "countri".
_SUFFIXES = frozenset("is iz at ation ion or er ment al ic ist ism iti ive ant ent ur e".split())


def variant(term: str, other: str) -> bool:
    """Whether two stemmed Latin terms are forms of one word that the stemmer left apart
    (oxidis, oxid): the shorter, of four letters or more, starts the longer and what
    follows is a derivational suffix."""
    short, long = sorted((term, other), key=len)
    if short == long:
        return True
    if len(short) < 4 or not long.startswith(short) or not short.isalpha():
        return False
    return long[len(short) :] in _SUFFIXES


_IRREGULAR = (
    "win won|begin began begun|become became|take took taken|hold held|sell sold|lead led|"
    "buy bought|build built|give gave given|make made|run ran|write wrote written|"
    "leave left|choose chose chosen|come came|go went gone|tell told|meet met|pay paid|"
    "spend spent|grow grew grown|rise rose risen|fall fell fallen|draw drew drawn|"
    "fly flew flown|sing sang sung|strike struck|shoot shot|stand stood|bring brought|"
    "teach taught|fight fought|seek sought|lose lost|sink sank sunk|swim swam swum|"
    "ride rode ridden|speak spoke spoken|steal stole stolen|wear wore worn|"
    "break broke broken|drive drove driven|eat ate eaten|get got gotten|know knew known|"
    "see saw seen|throw threw thrown|freeze froze frozen|forbid forbade forbidden"
)
# Who won is who is the winner or the champion ("the reigning champion remains Shane
# Lowry" answers "Who won the British Open in 2020?").
_WON = "win won winner champion"


def word_forms(analyzer: Analyzer) -> dict[str, str]:
    """Each irregular verb form's term mapped to its base form's (won → win, took →
    take) and a place's adjective to the place (french → franc): the stemmer leaves
    them apart."""
    out: dict[str, str] = {}
    # A place's adjective is the place too (French, France): one term for both.
    places = tuple(" ".join(g) for g in one_word_groups())
    for group in (*_IRREGULAR.split("|"), _WON, *places):
        terms = [t for w in group.split() for t in analyzer.tokenize(w)]
        for term in terms[1:]:
            out.setdefault(term, terms[0])
    return out


def held_terms(
    terms: set[str] | frozenset[str], held: set[str], forms: dict[str, str] | None = None
) -> set[str]:
    """The terms of `terms` that `held` (a text's terms) holds, as written or as another
    form of the word (`variant`: "oxidise" in the question, "oxidation" in the text)."""
    out = set(terms) & held
    if forms:
        bases = {forms.get(h, h) for h in held}
        out |= {t for t in set(terms) - out if forms.get(t, t) in bases}
    for term in set(terms) - out:
        if len(term) >= 4 and term.isalpha() and any(variant(term, h) for h in held):
            out.add(term)
    return out


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


def question_names(question: str, analyzer: Analyzer) -> list[str]:
    """The names of `question`, normalised: its capitalised words (the first aside) and,
    for a Chinese question, its proper nouns of two or more characters."""
    from ragkit.answer.checking import absent_facts

    latin = [a for a in absent_facts(question, "", chinese=False) if not _NUMBER.fullmatch(a)]
    return list(dict.fromkeys([fold(n) for n in latin] + chinese_names(question, analyzer)))


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
        if t not in asking and not (len(t) == 1 and _CJK.match(t))
    }


def _key_chars(text: str) -> set[str]:
    asking = set("哪什么谁多少怎如何为是否吗呢呀啊几")
    return {c for c in _CJK.findall(text) if c not in CJK_FUNCTION_CHARS and c not in asking}


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
    names = set(analyzer.tokenize(" ".join(a for a in named if not _NUMBER.fullmatch(a))))
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
    return pairs | {t for t in key_terms(question, analyzer) if _CJK.match(t)}


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


# A date at the head of a text, cut off by an ellipsis: a page's or a search result's
# dateline ("Jul 2, 2019 ... "), not part of what the sentence states.
_DATELINE = re.compile(
    r"^\s*(?:(?:" + "|".join(_MONTHS) + r")\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)\s*(?:\.\.\.|…)\s*",
    re.IGNORECASE,
)


def statement(sentence: str) -> str:
    """`sentence` without a leading dateline; empty when it is only a dateline or a
    question (neither states anything about the question)."""
    text = _DATELINE.sub("", sentence)
    if is_question(text) or not re.search(r"[^\W\d_]", text):
        return ""
    return text


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
    if _CJK.search(sentence) or not _CUT.search(sentence):
        return False
    return len(re.findall(r"\w+", sentence)) <= 3


def _joined(text: str, end: int, start: int) -> bool:
    return "\n\n" not in text[end:start].replace("\r", "").replace(" ", "")


# A name with a number after it names one thing of a series: "Splatoon 2", "iPhone 11",
# "Season 17", "Diablo III"; another number after the name is another thing.
_NUMBERED = re.compile(
    r"(?<![\w'’])([A-Za-z]*[A-Z][A-Za-z'’]*)[\s-]+(\d{1,3}|II|III|IV|VI{0,3}|IX|XI{0,3})\b(?![.,]?\d)(?!\s*(?:1[0-9]|20)\d\d\b)"
)
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


def numbered_names(question: str) -> list[re.Pattern[str]]:
    """Patterns for the numbered names of `question` ("Splatoon 2", "GPT-3", "iPhone
    11"), as a normalised text must hold them: the name, then the same number."""
    out = []
    for m in _NUMBERED.finditer(unicodedata.normalize("NFKC", question)):
        name, number = m.group(1), m.group(2)
        if name.lower() in _NOT_NAMES:
            continue
        out.append(
            re.compile(
                rf"(?<![a-z]){re.escape(name.lower())}[\s:-]*{re.escape(number.lower())}(?![\w])"
            )
        )
    return out


def other_year(question: str, sentence: str) -> bool:
    """Whether `sentence` names years and none of the years `question` names: it
    speaks of another year ("the 2022 US Open" for "the U.S. Open in 2021")."""
    asked = set(_YEAR.findall(unicodedata.normalize("NFKC", question)))
    if not asked:
        return False
    text = unicodedata.normalize("NFKC", statement(sentence) or sentence)
    said = set(_YEAR.findall(text))
    if said & asked:
        return False
    # "made history a year ago", "last year's champion": a time before the page's own,
    # which a question naming its year does not ask about.
    return bool(said) or bool(_EARLIER.search(text))


# A year with the side of it that a question or sentence speaks of: "before 2021", "until
# 2021" (what came earlier) or "since 2021", "from 2021", "after 2021" (what came later).
_BEFORE_YEAR = r"before|until|till|prior\s+to|up\s+to|earlier\s+than"
_AFTER_YEAR = r"since|after|from|starting\s+in|later\s+than|as\s+of"
_SIDE_YEAR = re.compile(
    rf"\b(?:({_BEFORE_YEAR})|({_AFTER_YEAR}))\s+(?:the\s+)?(?:(?:end|start|beginning)\s+of\s+)?"
    r"((?:1[0-9]|20)\d\d)(?!\d)",
    re.IGNORECASE,
)


def other_side(question: str, sentence: str) -> bool:
    """Whether `question` asks about the time before (or after) a year and `sentence`
    names that year only on the other side of it: "Since 2021 the board has been chaired
    by Priya Nandakumar" does not say who chaired it "before 2021", nor does "until 2019"
    say who has led it "since 2019". A sentence naming the year otherwise ("in 2021") is
    left to the other tests."""
    text = unicodedata.normalize("NFKC", question)
    asked = {m.group(3): bool(m.group(1)) for m in _SIDE_YEAR.finditer(text)}
    if not asked:
        return False
    line = unicodedata.normalize("NFKC", sentence)
    for year, before in asked.items():
        said = [m.start() for m in _YEAR.finditer(line) if m.group() == year]
        if not said:
            continue
        sides = {m.start(3): bool(m.group(1)) for m in _SIDE_YEAR.finditer(line)}
        if all(at in sides and sides[at] != before for at in said):
            return True
    return False


def other_priced(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether `question` asks what a thing costs, naming it by words besides its names
    ("How much does a tin of Kestrel Gold cost?": a tin), and `sentence` holds none of
    them: "The tasting bar offers a flight of five teas for 8 dollars, including Kestrel
    Gold" prices a flight, not a tin. English questions only."""
    from ragkit.answer.attributes import asks_price, attribute_terms

    if _CJK.search(question) or not asks_price(question, analyzer):
        return False
    asking = asking_terms(question, analyzer) | attribute_terms(question, analyzer)
    names = question_names(question, analyzer)
    things = {
        t
        for t in analyzer.tokenize(question)
        if t not in asking and not any(n in t or t in n for n in names)
    }
    held = set(analyzer.tokenize(sentence))
    return bool(things) and not held_terms(things, held, word_forms(analyzer))


_EARLIER = re.compile(
    r"\b(?:a|one|two|three|four|five|\d+)\s+(?:years?|seasons?)\s+ago\b"
    r"|\blast\s+(?:year|season)\b|\b(?:the\s+)?(?:previous|prior)\s+(?:year|season)\b"
    r"|\byears\s+ago\b",
    re.IGNORECASE,
)


# A title in a question: capitalised words or numbers joined by spaces or by of / the /
# and / & / de ("The Legend of Zelda", "92nd Academy Awards Ceremony"); a colon, a
# comma or another lower-case word ends it.
_TITLE_RUN = re.compile(
    r"(?<![\w'’])[A-ZÀ-ÖØ-Þ0-9][\w'’.-]*"
    r"(?:(?:\s+(?:of|the|of the|and|&|de))?\s+[A-ZÀ-ÖØ-Þ0-9][\w'’.-]*)*"
)


# The head nouns of an event's or an award's title ("Walter Camp Award", "U.S. Open",
# "World Cup Final"): another title with the same head is another event or award.
_HEADS = frozenset(
    "award prize trophy medal cup open championship bowl games olympics final finals "
    "election festival league series classic marathon ceremony grand prix".split()
)


def _letters(word: str) -> str:
    return re.sub(r"[^\w]|_", "", word).lower()


def _title_heads(text: str) -> list[tuple[str, frozenset[str]]]:
    """The titles of `text` holding a head of `_HEADS`, as (the first such head, the
    title's words before it), lower-cased, letters only ("U.S. Open" → (open, {us}));
    numbers and the words that join a title aside."""
    out = []
    for m in _TITLE_RUN.finditer(unicodedata.normalize("NFKC", text)):
        words = [_letters(w) for w in re.findall(r"[\w'’.&-]+", m.group())]
        words = [re.sub(r"['’]s$", "", w) for w in words if w]
        # The first head word names the kind ("Awards" of "Academy Awards Ceremony").
        at = next((i for i, w in enumerate(words) if _head(w)), None)
        if at is None:
            continue
        others = frozenset(
            w for w in words[:at] if w not in _NOT_NAMES and w != "de" and not re.search(r"\d", w)
        )
        if others:
            out.append((_head(words[at]), others))
    return out


def _head(word: str) -> str:
    """`word` as a head of `_HEADS` in the singular ("awards" → award), or empty."""
    for form in (word, word[:-1] if word.endswith("s") else ""):
        if form in _HEADS:
            return form
    return ""


def other_title(question: str, sentence: str) -> bool:
    """Whether `sentence` names the head of a title of `question` ("Award" of "Walter
    Camp Award") only in titles without any other word of the question's ("Johnny
    Unitas Golden Arm Award", "CFDA Awards"): another award or event of the kind."""
    asked = _title_heads(question)
    if not asked:
        return False
    said = _title_heads(statement(sentence) or sentence)
    for head, words in asked:
        same = [others for h, others in said if h == head]
        if same and not any(others & words for others in same):
            return True
    return False


_WHO = re.compile(r"\bwho(?:m|se)?\b", re.IGNORECASE)


def nationality_only(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether `question` asks who and the only names of `sentence` beyond the
    question's are the adjectives of places: "a Colombian has finally won the Tour de
    France", "awarded to the Austrian author …" name no one (`is_place_adjective`)."""
    text_q = unicodedata.normalize("NFKC", question)
    if answer_kind(text_q) != "name" or not _WHO.search(text_q):
        return False
    text = unicodedata.normalize("NFKC", sentence)
    if not any(is_place_adjective(w) for w in re.findall(r"[A-Z][a-z]+", text)):
        return False
    bare = re.sub(
        r"\b[A-Z][a-z]+\b", lambda m: " " if is_place_adjective(m.group()) else m.group(), text
    )
    return not has_kind("name", bare, question, analyzer)


def _question_titles(question: str) -> list[list[str]]:
    """The titles of `question` as lists of words: runs of capitalised words (or
    numbers) after its first word, "The" aside."""
    text = unicodedata.normalize("NFKC", question)
    out = []
    for m in _TITLE_RUN.finditer(text):
        if m.start() == len(text) - len(text.lstrip()):
            continue  # the question's first word
        words = re.findall(r"[\w'’.&-]+", m.group())
        while words and words[0].lower() in ("the", "a", "an"):
            words = words[1:]
        words = [w for w in words if not _YEAR.fullmatch(w)]
        if words:
            out.append(words)
    return out


def other_work(question: str, sentence: str) -> bool:
    """Whether `sentence` names a title of `question` only with another capitalised
    word or a number after it that the question does not hold: "Assassin's Creed
    Syndicate" or "Avatar 2" is another work than "the Assassin's Creed movie", "the
    Avatar movie"."""
    text = unicodedata.normalize("NFKC", statement(sentence) or sentence)
    asked = _words(question)
    for words in _question_titles(question):
        if len(words) < 2 and not words[0][:1].isupper():
            continue
        pattern = re.compile(
            r"(?<![\w'’])" + r"\s+".join(re.escape(w) for w in words) + r"(?![\w'’])( +([\w'’-]+))?"
        )
        found = list(pattern.finditer(text))
        if not found:
            continue
        extended = 0
        for m in found:
            after = m.group(2) or ""
            if not after or after.lower() in asked or _YEAR.fullmatch(after):
                continue
            if len(words) >= 2 and (after[:1].isupper() or after.isdigit()):
                extended += 1
            elif re.fullmatch(r"\d{1,2}|II|III|IV|V|VI", after):
                extended += 1  # a sequel's number after a one-word title
        if extended == len(found):
            return True
    return False


def platform_only(question: str, names: Sequence[str], lost: Sequence[str]) -> bool:
    """Whether the names of `question` (`names`, as `absent_facts` gives them) that a
    text lacks (`lost`) only qualify a work the text names: a title after "on" (the
    platform or channel a work runs on: "Super Mario Odyssey on Nintendo Switch") while
    the text holds a title of two or more of the other names, or a series' title before
    a colon while the text holds the subtitle of two or more capitalised words after it
    ("Breath of the Wild" for "The Legend of Zelda: Breath of the Wild"). Another name
    lost is another thing."""
    text = unicodedata.normalize("NFKC", question)

    def key(word: str) -> str:
        return re.sub(r"['’]s$", "", word).lower()

    asked = {key(n) for n in names}
    missing = {key(n) for n in lost}
    held_title = False
    platforms: set[str] = set()
    runs = list(_TITLE_RUN.finditer(text))
    for i, m in enumerate(runs):
        words = {key(w) for w in re.findall(r"[\w'’.-]+", m.group())} & asked
        if not words & missing:
            held_title = held_title or len(words) >= 2
        elif words <= missing and re.search(r"\bon\s*$", text[: m.start()]):
            platforms |= words
        elif (
            words <= missing
            and text[m.end() :].startswith(":")
            and i + 1 < len(runs)
            and len(_NAME.findall(runs[i + 1].group())) >= 2
            and not {key(w) for w in re.findall(r"[\w'’.-]+", runs[i + 1].group())} & missing
        ):
            platforms |= words  # the series' title; its subtitle names the work
            held_title = True
        else:
            return False
    return held_title and missing <= platforms


# The relations an English question most often asks about, each with the words that
# state it: a sentence saying who "won" says win, winner, champion, title, beat or
# defeat; one on a "release" says released, launched, published or debuted. A
# question naming one of these relations is answered only by a sentence that states
# it itself: "Serena Williams serves against Naomi Osaka" does not say who won the US
# Open, "Tesla delivered 184,877 vehicles" gives no revenue, "was officially announced
# on January 23, 2013" no release date, though a neighbour may name the relation.
_RELATIONS = (
    "win won winner champion | title victory beat beaten defeat crowned award receive",
    "acquire acquisition buy bought purchase | own owner takeover",
    "release launch publish | debut",
    "premiere debut | air",
    "revenue | sales turnover",
    "director direct |",
    "found founder establish |",
    "award | win won winner laureate receive",
)
"""Each relation: the words that ask about it, then after "|" other words that state it."""
# "As of 2021, the player with the most wins was Martina Navratilova": a record, not
# the winner of the year asked about, unless the question asks for the most.
_RECORD_WORDS = r"\b(?:most|record|largest|biggest|highest|top|leading)\b"
_RECORD = re.compile(r"\bmost\s+(?:\w+\s+)?$", re.IGNORECASE)


_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()


# "Favored to win the match", "a requirement for a player to win the award": a win
# hoped for or required, not one that happened (to the end of its clause: "favored to
# win the title" states no title won).
_HOPED = re.compile(
    r"\b(?:favou?red|favou?rites?|expected|tipped|poised|likely|chances?|bids?|hop(?:e|es|ed|ing)"
    r"|aim(?:s|ed|ing)?|tr(?:y|ies|ying)|odds|shot|requirement|required|need(?:s|ed)?|eligible)"
    r"(?:\s+for\s+(?:\w+\s+){0,2}\w+)?\s+to\s+(?:\w+\s+)?(?:win|be\s+crowned|claim)\b[^,;:.!?]*"
    # "who is winning the race": a count under way, not its result.
    r"|\b(?:is|are|was|were)\s+(?:still\s+|currently\s+)?winning\b[^,;:.!?]*",
    re.IGNORECASE,
)
# "The winner of the 2019 Maxwell Award will be announced on December 12": the value
# asked for is still to come.
_TO_COME = re.compile(
    r"\bwill\s+be\s+(?:announced|named|revealed|decided|unveiled|determined|crowned)\b"
    r"|\b(?:yet|still)\s+to\s+be\s+(?:announced|named|revealed|decided|determined)\b",
    re.IGNORECASE,
)


# "Mark Cavendish wins stage 13 of the Tour de France", "Coco Gauff wins her Open
# debut": a part of the event won, not the event, unless the question asks for it.
_PARTS = "stage stages match set sets round heat leg debut point semifinal quarterfinal"
_PART_WON = re.compile(
    r"\b(?:wins?|won|winning|winner\s+of)\s+(?:(?:the|her|his|its|their|a|an|final|first|"
    r"second|third|opening|\d+(?:st|nd|rd|th)?)\s+){0,3}(?:\w+\s+)?("
    + "|".join(_PARTS.split())
    + r")\b",
    re.IGNORECASE,
)
# "sprinted to the stage 21 victory", "a straight-sets match win": the part named
# before the win noun.
_PART_WIN = re.compile(
    r"\b(" + "|".join(_PARTS.split()) + r")(?:\s+\d+)?\s+(?:victory|victories|wins?|title)\b",
    re.IGNORECASE,
)
# "his fourth victory in this year's race", "her 34th win": a tally of wins, each of
# them another event or part (a verb saying the win itself, "won her third title", stays).
_TALLY = re.compile(
    r"\b(?:" + "|".join(_ORDINAL_WORDS) + r"|\d+(?:st|nd|rd|th))\s+(?:\w+\s+)?"
    r"(?:victory|victories|wins)\b",
    re.IGNORECASE,
)


# "A second soundtrack album … was released on 2 August 2023": the release of a
# work made from the one asked about. The nearest such noun before the release word
# says what was released, unless a work's own noun stands nearer ("the soundtrack of
# X, the video game released by Nintendo on May 29, 2020").
_DERIVED = (
    r"soundtracks?|albums?|trailers?|teasers?|demos?|patch|patches|updates?|dlc|expansions?"
    r"|sequels?|remasters?|remakes?|ports?|manga|novels?|adaptations?|comics?"
)
_WORK = r"games?|consoles?|films?|movies?|shows?|series|seasons?|episodes?|phones?|devices?"
_DERIVED_RELEASE = re.compile(
    r"\b(?:" + _DERIVED + r")\b(?:(?!\b(?:" + _WORK + r")\b)[^.;])*?"
    r"\b(?:released?|releasing|launch(?:ed|es)?|published|debuted|premiered|arrives?|arrived)\b",
    re.IGNORECASE,
)


# "The first chair elected from outside the founding families": "founding" before a
# noun says what the thing was at the start, not who founded anything (a gerund takes
# an object instead: "founding the cooperative"). It does say when ("its founding
# charter was written in 1987"), so only a question for a name drops it.
_FOUNDING = re.compile(
    r"\bfounding\s+(?!(?:the|a|an|of|its|his|her|their|this|that|in|on|by)\b)[a-z][\w-]*"
)


def relation_groups(question: str, analyzer: Analyzer) -> list[frozenset[str]]:
    """The relations of `_RELATIONS` an English `question` asks about, each as the
    analyzer terms of the words that state it (less those the question holds itself):
    those whose words the question holds outside its names (a capitalised word: the
    "Award" of "Maxwell Award")."""
    if _CJK.search(question):
        return []
    text = unicodedata.normalize("NFKC", question)
    plain = " ".join(
        w for i, w in enumerate(re.findall(r"[\w'’-]+", text)) if i == 0 or not w[:1].isupper()
    )
    asked = set(analyzer.tokenize(plain))
    forms = word_forms(analyzer)
    out = []
    for group in _RELATIONS:
        asking, _, stating = group.partition("|")
        if held_terms(set(analyzer.tokenize(asking)), asked, forms):
            # A stating word the question holds for its topic ("award" in "Who won the
            # best director award?") would let any sentence on the topic state it.
            said = set(analyzer.tokenize(stating)) - set(analyzer.tokenize(text))
            out.append(frozenset(analyzer.tokenize(asking)) | said)
    return out


def states_relation(
    question: str,
    sentence: str,
    analyzer: Analyzer,
    groups: Sequence[frozenset[str]] | None = None,
) -> bool:
    """Whether `sentence` itself states each relation `question` asks about (`groups`,
    by default `relation_groups`), in any of its words: a neighbour naming it does not
    make the sentence an answer. A word after "most" ("the most wins") names a record,
    not the relation, unless the question asks for the most, which a sentence naming a
    record ("the largest haul") answers. A value still to be announced, a win hoped
    for (`_HOPED`), a part of the event won (`_PART_WON`) and the release of a work made
    from the one asked about (`_DERIVED_RELEASE`: its soundtrack, sequel, trailer) state
    nothing the question asks."""
    if groups is None:
        groups = relation_groups(question, analyzer)
    if not groups:
        return True
    text = unicodedata.normalize("NFKC", sentence)
    if _TO_COME.search(text):
        return False  # what is asked is still to be announced
    text = _HOPED.sub(" ", text)
    asked_words = _words(question)
    if not re.search(r"\b(?:" + _DERIVED + r")\b", question, re.IGNORECASE):
        text = _DERIVED_RELEASE.sub(" ", text)
    text = _PART_WON.sub(lambda m: m.group() if m.group(1).lower() in asked_words else " ", text)
    text = _PART_WIN.sub(lambda m: m.group() if m.group(1).lower() in asked_words else " ", text)
    text = _TALLY.sub(" ", text)
    if answer_kind(question) == "name":
        text = _FOUNDING.sub(" ", text)  # who founded it, not when: "its founding charter of 1987"
    if re.search(r"\bmost\b", question, re.IGNORECASE):
        if re.search(_RECORD_WORDS, text, re.IGNORECASE):
            return True
    else:
        words = re.finditer(r"[\w'’-]+", text)
        text = " ".join(m.group() for m in words if not _RECORD.search(text[: m.start()]))
    held = set(analyzer.tokenize(text))
    forms = word_forms(analyzer)
    return all(held_terms(set(g), held, forms) for g in groups)


# "The eleventh and final season", "third-quarter earnings", "the 3rd edition": a
# numbered thing written with an ordinal.
_SERIES_NOUNS = "quarter|season|series|edition|episode|generation|chapter|volume|part"
_ORDINAL_THING = re.compile(
    r"\b(" + "|".join(_ORDINAL_WORDS) + r"|\d{1,2}(?:st|nd|rd|th))"
    r"(?:\s+and\s+(?:final|last))?[\s-]+"
    r"(quarter|season|series|edition|episode|generation|chapter|volume|part)s?\b",
    re.IGNORECASE,
)


def with_numerals(text: str) -> str:
    """`text` with each numbered thing it writes with an ordinal also written as a
    question writes it: "Q3" for "third-quarter", "season 11" for "the eleventh and
    final season", so that the question's number and numbered name are found."""
    extra = []
    for m in _ORDINAL_THING.finditer(text):
        ordinal, thing = m.group(1).lower(), m.group(2).lower()
        n = _ORDINAL_WORDS.index(ordinal) + 1 if ordinal in _ORDINAL_WORDS else int(ordinal[:-2])
        extra.append(f"Q{n}" if thing == "quarter" and n <= 4 else f"{thing} {n}")
    return text if not extra else f"{text} ({', '.join(extra)})"


_ROMAN = {
    "i": "1",
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "v": "5",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "x": "10",
    "xi": "11",
    "xii": "12",
}
# A series noun with its number, in any case: "season 4", "Q3", "episode 2".
_SERIES_NUMBER = re.compile(
    r"\b(season|series|episode|part|chapter|volume|generation|edition|quarter|q)\s*(\d{1,3})\b",
    re.IGNORECASE,
)
# An ordinal before a capitalised word or a series noun: "90th Academy Awards", "the
# eleventh and final season", "third-quarter".
_ORDINAL_BEFORE = re.compile(
    r"\b(" + "|".join(_ORDINAL_WORDS) + r"|\d{1,3}(?:st|nd|rd|th))"
    r"(?:\s+and\s+(?:final|last))?[\s-]+([A-Z][A-Za-z]+|(?:" + _SERIES_NOUNS + r")s?\b)",
    re.IGNORECASE,
)


def numbered_things(text: str) -> set[tuple[str, str]]:
    """The numbered things `text` names, as (thing, number), lower-cased: "Splatoon 2"
    → (splatoon, 2), "Season 17" and "the seventeenth season" → (season, 17), "Q3" and
    "third-quarter" → (quarter, 3), "the 90th Academy Awards" → (academy, 90)."""
    norm = unicodedata.normalize("NFKC", text)
    out: set[tuple[str, str]] = set()
    for m in _NUMBERED.finditer(norm):
        name = m.group(1).lower()
        if name not in _NOT_NAMES:
            out.add((name, _ROMAN.get(m.group(2).lower(), m.group(2))))
    for m in _SERIES_NUMBER.finditer(norm):
        thing = m.group(1).lower()
        out.add(("quarter" if thing == "q" else thing, str(int(m.group(2)))))
    for m in _ORDINAL_BEFORE.finditer(norm):
        ordinal, thing = m.group(1).lower(), m.group(2).lower()
        if thing.endswith("s") and thing[:-1] in _SERIES_NOUNS.split("|"):
            thing = thing[:-1]
        if not m.group(2)[:1].isupper() and thing not in _SERIES_NOUNS.split("|"):
            continue
        n = _ORDINAL_WORDS.index(ordinal) + 1 if ordinal in _ORDINAL_WORDS else int(ordinal[:-2])
        out.add((thing, str(n)))
    return out


def other_edition(question: str, sentence: str) -> bool:
    """Whether `sentence` names a numbered thing of `question` ("Season 17", "Q2", "the
    90th Academy Awards") only with other numbers: "Season 1 aired November 4, 2016",
    "revenue for the first quarter", "the 93rd Academy Awards" speak of another one."""
    asked = numbered_things(question)
    if not asked:
        return False
    said = numbered_things(statement(sentence) or sentence)
    for thing, number in asked:
        numbers = {n for t, n in said if t == thing}
        if numbers and number not in numbers:
            return True
    return False


# A date still planned when the page was written: "release date slated for July", "is
# set to launch on", "will be released in", "expected to arrive".
_PLANNED = re.compile(
    r"\b(?:slated|scheduled|set|due|planned|expected|likely|poised|tipped|rumou?red)\s+"
    r"(?:for|to|in|on|out)\b|\bwill\s+(?:be\s+)?(?:\w+\s+)?(?:release|launch|premiere|arrive"
    r"|debut|air|open|come|hit|ship|go)\w*\b|\bmight\s+be\b|\bcould\s+(?:be|arrive)\b",
    re.IGNORECASE,
)
# What happened: "was released on", "launched in May".
_DONE = re.compile(
    r"\b(?:was|were|has\s+been|had\s+been)\s+(?:\w+\s+)?\w+ed\b"
    r"|\b(?:released|launched|premiered|debuted|founded|opened|arrived|aired)\s+(?:on|in)\b",
    re.IGNORECASE,
)
# A question for a date in the past: "When was Splatoon 2 released?", "When did … open?"
_ASKS_PAST = re.compile(r"\b(?:when|what\s+(?:year|date|day|month))\s+(?:was|were|did)\b", re.I)


def planned_only(question: str, sentence: str) -> bool:
    """Whether `question` asks when something happened and `sentence` gives only a date
    still planned: "Splatoon 2 release date slated for July" does not say when it was
    released (it may have slipped); "Diablo 3 … was released May 2012, Diablo 4 might
    be a 2022 game" says it."""
    if not _ASKS_PAST.search(unicodedata.normalize("NFKC", question)):
        return False
    text = unicodedata.normalize("NFKC", statement(sentence) or sentence)
    # A day announced ("will release on March 3, 2017") is the date kept, mostly; a
    # month or a season ("slated for July") is a slot that may slip.
    return bool(_PLANNED.search(text)) and not _DONE.search(text) and not EN_DATE.search(text)


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
    datelines = [_DATELINE.match(t) for t in texts]
    dated = [with_numerals(_dated(w.window, datelines[w.text])) for w in windows]
    # The heading a statement stands under says what it is about: "Rolled leaf … for 2.5
    # hours" under "4. Oxidation" holds "oxidation" for "How long does oxidation last?".
    # Its terms count for the coverage only; the question's numbers must still stand by
    # the statement (below).
    titled = [f"{w.heading}\n{d}" if w.heading else d for w, d in zip(windows, dated, strict=True)]
    cover = coverage(question, titled, scorer.analyzer)
    kind = answer_kind(question)
    names = [a for a in absent_facts(question, "", chinese=False) if not _NUMBER.fullmatch(a)]
    # A Chinese question's proper nouns are its names too (whole names of two or more
    # characters, as `missing_anchors` takes them): "于乐的职业是什么？" is not answered
    # by a sentence on another footballer's career.
    zh_names = chinese_names(question, scorer.analyzer)
    zh_names += [fold(t) for t in titles(question)]  # 《我们的冬奥》: jieba tags no title
    numbered = numbered_names(question)
    relations = relation_groups(question, scorer.analyzer)
    formed = asks_form(question, scorer.analyzer)
    out = []
    for w, window, score in zip(windows, dated, cover, strict=True):
        if score < min_cover:
            continue
        # The question's numbers (a year, a quarter) must stand by the statement (or in
        # the dateline); its names may stand anywhere in the text (a heading names what
        # a section is about).
        apart = absent_facts(question, fold(window), chinese=False)
        if any(_NUMBER.fullmatch(a) for a in apart):
            continue
        context = fold(with_numerals(texts[w.text] if contexts is None else contexts[w.text]))
        lost = absent_facts(question, context, chinese=False)
        lost = _unheld_forms(lost, context, scorer.analyzer)
        lost_names = [a for a in lost if a in names]
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
        if other_priced(question, w.sentence, scorer.analyzer):
            continue  # the price of another thing than the one asked about
        if formed and not unit_values(question, w.sentence, scorer.analyzer):
            continue  # an e-mail address or telephone number asked, none given
        if other_edition(question, w.sentence):
            continue  # another season, quarter or edition than the question's
        if other_title(question, w.sentence):
            continue  # another award or event of the kind ("CFDA Awards" for "Maxwell Award")
        if planned_only(question, w.sentence):
            continue  # a date still planned is not when it happened
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
        if len(s.text) >= MIN_SENTENCE_CHARS or _CJK.search(s.text[:4])
    ]
    return any(x >= min_score for x in question_scores(question, sentences, scorer))


# Chinese questions: patterns of a sentence about another thing of the kind asked
# about (`zh_mismatch`). Each is a lexical test of one sentence against the question.

_ZH_DIGITS = "零一二三四五六七八九"
# An ordinal with the measure word of what it counts: 第七届, 第三艘, 第19棒; 首 is 第一.
_ORDINAL = re.compile(
    r"(?:第\s*(\d+|[零〇一二三四五六七八九十两]+)|(首))\s*"
    r"(届|任|艘|棒|个|位|名|期|轮|季|集|部|代|批|款|座|条|场|家|台|架|颗|枚|辆|趟|站|阶段|次)"
)


def _zh_int(numeral: str) -> int | None:
    """The value of a numeral under 100 in digits or Chinese (七, 十三, 二十), or None."""
    if numeral.isdigit():
        return int(numeral)
    digits = numeral.replace("〇", "零").replace("两", "二")
    if "十" not in digits:
        return _ZH_DIGITS.index(digits) if len(digits) == 1 else None
    tens, _, ones = digits.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_ZH_DIGITS.index(tens) if tens else 1) * 10 + (_ZH_DIGITS.index(ones) if ones else 0)


def ordinals(text: str) -> set[tuple[int, str]]:
    """The ordinals of a Chinese `text` as (number, measure word): 第三艘 → (3, 艘),
    首趟 → (1, 趟), 第19棒 → (19, 棒)."""
    out = set()
    for m in _ORDINAL.finditer(unicodedata.normalize("NFKC", text)):
        n = 1 if m.group(2) else _zh_int(m.group(1))
        if n is not None:
            out.add((n, m.group(3)))
    return out


def other_ordinal(question: str, sentence: str) -> bool:
    """Whether `sentence` counts what `question` counts with another ordinal and not
    the question's: 第19棒 for 第一棒, 第一艘 for 第三艘 are other things."""
    asked = ordinals(question)
    if not asked:
        return False
    said = ordinals(sentence)
    return any(
        any(m == measure for _, m in said) and (n, measure) not in said for n, measure in asked
    )


def ordinal_unsaid(question: str, window: str) -> bool:
    """Whether a Chinese `question` counts a thing with an ordinal (第一棒, 第三艘) that
    `window` does not hold: a window without it speaks of the thing, not the one asked."""
    if not _CJK.search(question):
        return False
    asked = ordinals(question)
    return bool(asked) and not asked <= ordinals(window)


# A year a figure is compared with: 与2021年相比, 较2021年同期, 比2019年, 同比2021年.
_COMPARED_YEAR = re.compile(
    r"(?:与|和|跟|较|比|相比|同比|相较于?|对比|比起|高于|低于|超过|不及)\s*"
    r"(?:(?:1[0-9]|20)\d\d)\s*年?(?:同期|全年|时)?"
)


def compared_only(question: str, sentence: str) -> bool:
    """Whether `sentence` names a year `question` asks about only as the one its figure
    is compared with: "与2021年相比，2022年…" and "出生率为6.77‰，比2021年下降" speak
    of another year than 2021."""
    asked = set(_YEAR.findall(unicodedata.normalize("NFKC", question)))
    if not asked:
        return False
    text = unicodedata.normalize("NFKC", sentence)
    compared = {y for m in _COMPARED_YEAR.finditer(text) for y in _YEAR.findall(m.group())}
    if not compared & asked:
        return False
    return not set(_YEAR.findall(_COMPARED_YEAR.sub(" ", text))) & asked


# A part of a year: a quarter, a half, a month without its day.
_PART_OF_YEAR = re.compile(
    r"季度|上半年|下半年|前三季|[一二三四1-4]季|(?<![\d年])\d{1,2}月(?!\d{1,2}[日号])"
)
_WHOLE_YEAR = re.compile(r"全年|年度|整年")


def part_of_year(question: str, sentence: str) -> bool:
    """Whether `question` asks for a year's figure (美国2021年GDP增长多少) and
    `sentence` gives part of a year's (三、四季度, 上半年), not the whole year's."""
    text = unicodedata.normalize("NFKC", question)
    if not _YEAR.search(text) or _PART_OF_YEAR.search(text) or answer_kind(text) != "number":
        return False
    said = unicodedata.normalize("NFKC", sentence)
    return bool(_PART_OF_YEAR.search(said)) and not _WHOLE_YEAR.search(said)


# Tags of words that make no other kind of a noun: pronouns, numbers, measure words,
# adverbs, prepositions, particles, conjunctions, position and time words, verbs
# (这起事故, 一起事故, 担任总导演, 当日冠军).
_NEUTRAL_TAGS = ("r", "m", "q", "d", "p", "u", "c", "f", "t", "v", "x", "y", "e", "o")


def compounds(question: str, analyzer: Analyzer) -> list[tuple[str, str]]:
    """The (modifier, noun) pairs of a Chinese `question`: a noun of two or more
    characters with the word of two or more before it (的 or 之 between allowed):
    踩踏事故, 开幕式总导演, 高校志愿者."""
    out = []
    for run in analyzer.tagged(unicodedata.normalize("NFKC", question)):
        for i in range(1, len(run)):
            head, flag = run[i]
            if len(head) < 2 or not flag.startswith("n") or _ZH_ASKING.search(head):
                continue
            j = i - 1 if run[i - 1][0] not in ("的", "之") else i - 2
            if j < 0:
                continue
            modifier, mflag = run[j]
            if len(modifier) < 2 or mflag.startswith(("r", "m", "q", "x")):
                continue
            if not _ZH_ASKING.search(modifier):
                out.append((modifier, head))
    return out


def other_modifier(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether a compound of `question` (`compounds`) stands in `sentence` only with
    another noun before its noun, the question's modifier nowhere in it: 交通事故 for
    踩踏事故, 赛会志愿者 for 高校志愿者 are another thing of the kind."""
    pairs = compounds(question, analyzer)
    if not pairs:
        return False
    text = unicodedata.normalize("NFKC", sentence)
    runs = analyzer.tagged(text)
    for modifier, head in pairs:
        if modifier in text:
            continue  # said another way: 首都高校将有1.4万名师生作为赛会志愿者
        seen = other = 0
        for run in runs:
            for i, (word, _) in enumerate(run):
                if not word.endswith(head):
                    continue
                seen += 1
                if len(word) > len(head):  # one word: 交通事故
                    before, flag = word[: -len(head)], "n"
                else:
                    j = i - 1 if i == 0 or run[i - 1][0] not in ("的", "之") else i - 2
                    if j < 0:
                        continue
                    before, flag = run[j]
                if (
                    len(before) >= 2
                    and not flag.startswith(_NEUTRAL_TAGS)
                    and before not in question
                    and not set(before) & set(modifier)  # 坠机地点 for 坠毁地点
                ):
                    other += 1
        if seen and other == seen:
            return True
    return False


_ZH_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")


def other_day(question: str, sentence: str) -> bool:
    """Whether `question` names a day (1月5日) and `sentence` names months, none of
    them with that day: 1月8日 or "9月-12月" is another time."""
    asked = {
        (int(m), int(d))
        for m, d in _ZH_MONTH_DAY.findall(unicodedata.normalize("NFKC", question))
        if d
    }
    if not asked:
        return False
    said = _ZH_MONTH_DAY.findall(unicodedata.normalize("NFKC", sentence))
    if not said:
        return False
    return not any((int(m), int(d)) in asked for m, d in said if d) and not any(
        int(m) in {a for a, _ in asked} and not d for m, d in said
    )


# The question word, and what may stand between it and the noun it asks about
# (多少个议席, 哪部电影).
_ZH_QUESTION_WORD = re.compile(r"谁|什么|多少|哪(?:些|个|一个|部|位|家|种|里|儿|国|年)?|几")
_ZH_LINK = re.compile(r"^(?:是|为|有|达|约|共|一共|个|位|部|种|名|项|家|条|座|只|件|些|一)*")
# Nouns that name no figure of their own (数量, 人数): any count answers them.
_ZH_GENERIC = frozenset("数量 人数 数字 数目 总数 多少 情况 时间 时候".split())


def figure_noun(question: str, analyzer: Analyzer) -> str:
    """The figure a Chinese question asking for a number asks about: the noun right
    after its question word (多少个议席) or else the last before it (塔里木油田的油气产量
    是多少), or a query's last noun (2022年英特尔全年营收); empty when none or generic."""
    text = unicodedata.normalize("NFKC", question).strip().rstrip("?？。.!！ ")
    m = _ZH_QUESTION_WORD.search(text)
    nouns: list[str]
    if m is None:
        nouns = [w for run in analyzer.tagged(text) for w, f in run if f.startswith(("n", "vn"))]
        noun = nouns[-1] if nouns and text.endswith(nouns[-1]) else ""
    else:
        after = _ZH_LINK.sub("", text[m.end() :])
        first = [w for run in analyzer.tagged(after) for w, f in run if f.startswith("n")]
        if first and after.startswith(first[0]):
            noun = first[0]
        else:
            before = [
                w
                for run in analyzer.tagged(text[: m.start()])
                for w, f in run
                if f.startswith(("n", "vn"))
            ]
            head = text[: m.start()].rstrip("是为有了都共")
            noun = before[-1] if before and head.endswith(before[-1]) else ""
    # jieba tags 多长时间 a noun: it asks, it names no figure.
    return "" if len(noun) < 2 or noun in _ZH_GENERIC or _ZH_ASKING.search(noun) else noun


# Words marking a figure as expected, planned or required rather than reached (预期营收,
# 交付目标, 需要超过): no figure reached, unless the question asks for one of them.
_ZH_FORECAST = re.compile(
    r"预计|预期|预测|预估|估计|目标|计划|规划|有望|力争|争取|指引|展望|需要|将"
)


def forecast_only(question: str, sentence: str) -> bool:
    """Whether `question` asks for a figure reached (not one expected: its words hold no
    forecast word) and every clause of `sentence` holding a number is a forecast: "每年
    每股预期收益为2.3美元，预期营收为650-680亿美元" gives no year's revenue."""
    if answer_kind(question) != "number" or _ZH_FORECAST.search(question):
        return False
    asked = _numbers(question)
    numbered = [
        clause
        for clause in re.split(r"[，,；;。！!？?]", unicodedata.normalize("NFKC", sentence))
        if _numbers(_ZH_DATE.sub(" ", clause)) - asked
    ]
    return bool(numbered) and all(_ZH_FORECAST.search(c) for c in numbered)


def figure_apart(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether `question` asks for a figure (营收, 销量, 议席) and no clause of
    `sentence` holds both the figure's noun and a number: "总营收首次被台积电超越，净利润也
    落后于台积电2959亿新台币" gives the 净利润's number, not the 营收's."""
    if answer_kind(question) != "number" or "哪几" in question:
        return False
    noun = figure_noun(question, analyzer)
    if not noun:
        return False
    stem = noun[-2:]  # 总产量 → 产量, 年销量 → 销量
    asked = _numbers(question)
    for clause in re.split(r"[，,；;。：:！!？?]", unicodedata.normalize("NFKC", sentence)):
        said = _numbers(_ZH_DATE.sub(" ", clause)) - asked
        if stem in clause and (said or _CN_NUMBER.search(clause)):
            if _ZH_BOUND.match(clause[clause.index(stem) + len(stem) :]):
                continue  # "吞吐量1000万人次以上的机场有27个": a class of airports
            return False
    return True


# A figure followed by a bound and 的 names a class of things, not the figure of one:
# "年旅客吞吐量1000万人次以上的机场" ("达2500万人次以上" still gives one).
_ZH_BOUND = re.compile(
    r"[^\d，。]{0,3}?\d+(?:\.\d+)?\s*[十百千万亿]*[^\d\s以]{0,2}(?:以上|以下|以内)的"
)


# Roles a name answers (冠军, 主演, 导演…): the answer's sentence names the role beside
# the name, or a word sharing a character with it (执导, 夺冠, 饰演).
_ZH_ROLE = re.compile(
    r"冠军|亚军|季军|得主|获得者|主演|导演|编剧|作者|主角|旗手|火炬手|创始人|董事长|总裁"
    r"|首席执行官|主席|总统|总理|首相|教练|队长|代言人|指令长"
)


def role_apart(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether a Chinese question asks who holds a role (冠军, 主演, 总导演是谁) and no
    clause of `sentence` holds both the role and a name: "9届澳网男单冠军无缘2022年卫冕
    之路" names no champion where it speaks of one."""
    if answer_kind(question) != "name":
        return False
    m = _ZH_ROLE.search(question)
    if m is None:
        return False
    role = m.group()
    # A colon binds a label to its value ("2021赛季中超冠军：山东泰山"): no clause ends there.
    for clause in re.split(r"[，,；;。！!？?]", unicodedata.normalize("NFKC", sentence)):
        if not _names_role(clause, role, analyzer):
            continue
        # The role with a word before it ("卫冕冠军", which jieba may tag a person) names
        # no holder.
        bare = "".join(w for run in analyzer.tagged(clause) for w, _ in run if role in w)
        if has_kind("name", clause, question + bare, analyzer):
            return False
    return True


def _names_role(clause: str, role: str, analyzer: Analyzer) -> bool:
    """Whether `clause` names `role` itself or a verb sharing a character with it (执导
    for 导演, 夺冠 for 冠军); a noun sharing one (亚冠, 演员) is another thing."""
    if role in clause:
        return True
    return any(
        set(w) & set(role) and f.startswith("v") for run in analyzer.tagged(clause) for w, f in run
    )


# A founding, and the founded thing after its verb (建立了一个小型品鉴室): 始建于, 成立于
# and 开设了 say when something began to exist, 开始 and 始于 only when something began.
_ZH_FOUNDED = re.compile(
    r"建立|成立|创立|创建|创办|创设|始建|建于|建成|建校|建院|建厂|组建|设立|开设|开办|开业"
    r"|创刊|落成|兴建|修建"
)


def founded_apart(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether a Chinese `question` asks when something was founded (建立, 成立, 开设…)
    and `sentence` states no founding of it: no founding verb, or each one's object a
    noun the question does not hold ("2023年，双方共同建立了一个小型品鉴室" for
    雾溪茶园是哪一年建立的; "茶园始建于2003年" names the founded thing before the verb)."""
    if answer_kind(question) != "date" or not _ZH_FOUNDED.search(question):
        return False
    text = unicodedata.normalize("NFKC", sentence)
    for clause in re.split(r"[，,；;。！!？?：:]", text):
        for m in _ZH_FOUNDED.finditer(clause):
            after = [
                w
                for run in analyzer.tagged(clause[m.end() :])
                for w, f in run
                if f.startswith("n") and len(w) >= 2
            ]
            if not after or after[0] in question:
                return False
    return True


def defined_term(question: str) -> str:
    """The term a Chinese question asks the definition or meaning of (操场 of
    "操场的定义是什么？"), or ""."""
    m = _ZH_DEFINED.match(unicodedata.normalize("NFKC", question).strip())
    return m.group(1).strip() if m else ""


_ZH_DEFINED = re.compile(
    r"(.{2,}?)的?(?:定义|含义|意思|意义|概念|涵义|释义)(?:是什么|是啥|为何|指什么)"
)


def defined_unsaid(question: str, sentence: str) -> bool:
    """Whether `question` asks what a term means (X的定义是什么) and `sentence` does not
    say it: the term, then what it is ("操场是指…", "胜任力（英语：Competence）是指…",
    "X，又称Y，是…"). A sentence defining another term ("White将其定义为…" for 操场)
    or only speaking of it ("部份苦力被安排于拍卖中出售") is no definition."""
    term = defined_term(question)
    if not term:
        return False
    text = unicodedata.normalize("NFKC", sentence)
    return not re.search(re.escape(unicodedata.normalize("NFKC", term)) + _ZH_DEFINES, text)


# What follows a term that a sentence defines: an aside in brackets, another name, then
# the copula (是指, 指, 即, 是…; "苦力是被…" and "苦力为于…" define nothing).
_ZH_DEFINES = (
    r"\s*(?:[(（][^)）]*[)）])?\s*(?:[，,](?:又称|简称|也称|亦称|或称|俗称|又名)[^，,。]*[，,])?\s*"
    r"(?:是指|指的是|意指|意为|意思是|泛指|特指|即|指|是(?![被否在])|为一[种类个门项]|乃"
    r"|被定义为|定义为)"
)


def zh_mismatch(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether `sentence` speaks of another thing than a Chinese `question` asks
    about: another ordinal, another day, a year only compared with, part of a year for
    a year's figure, another modifier of the question's compound, a number beside
    another figure than the one asked, a role without a name beside it, a figure only
    expected or planned (always False for a question in another language)."""
    if not _CJK.search(question):
        return False
    return (
        other_ordinal(question, sentence)
        or other_day(question, sentence)
        or compared_only(question, sentence)
        or part_of_year(question, sentence)
        or other_modifier(question, sentence, analyzer)
        or figure_apart(question, sentence, analyzer)
        or role_apart(question, sentence, analyzer)
        or forecast_only(question, sentence)
        or founded_apart(question, sentence, analyzer)
    )


# A Chinese query without a question word ("2021赛季中超冠军", "2022年特斯拉交付量")
# asks for what its last noun names: a person, team or work, or a quantity.
_ZH_BARE_KINDS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    (
        "name",
        re.compile(
            r"(?:冠军|亚军|季军|得主|获得者|主演|导演|编剧|作者|主角|旗手|火炬手|名字|名称|创始人"
            r"|董事长|总裁|首席执行官|CEO|主席|总统|总理|首相|教练|队长|吉祥物|代言人)$",
            re.IGNORECASE,
        ),
    ),
    (
        "number",
        re.compile(
            r"(?:数|量|额|率|票房|营收|收入|利润|产值|规模|GDP|人口|价格|总值|增速|增幅|降幅|涨幅"
            r"|跌幅|比例|占比|市值|估值|得分|年龄|高度|长度|面积|时长|预算|成本|费用|奖金|增长|下降)$",
            re.IGNORECASE,
        ),
    ),
)


def zh_bare_kind(question: str) -> AnswerKind | None:
    """The kind a Chinese question without a question word asks for by its last noun
    (None when it has a question word or its last noun names no kind)."""
    text = question.strip().rstrip("?？。.!！ ")
    if _ZH_ASKING.search(text):
        return None
    for kind, pattern in _ZH_BARE_KINDS:
        if pattern.search(text):
            return kind
    return None


def chinese_names(question: str, analyzer: Analyzer) -> list[str]:
    """The proper nouns of a Chinese `question` of two or more characters, normalised
    (one character is too often a mis-tagged fragment)."""
    if not _CJK.search(question):
        return []
    text = unicodedata.normalize("NFKC", question)
    out = []
    for name in analyzer.proper_nouns(text):
        # jieba may take the conjunction between two nouns into the second: 合作社和雾溪
        # 茶园 gives 和雾溪, a name no text writes.
        at = text.find(name)
        if name[0] in _ZH_AND and len(name) >= 3 and at > 0 and _CJK.match(text[at - 1]):
            name = name[1:]
        if len(name) >= 2:
            out.append(fold(name))
    return list(dict.fromkeys(out))


_ZH_AND = "和与及跟同"


_TITLE = re.compile(r"《([^》]{2,40})》")


def titles(text: str) -> list[str]:
    """The titles of works a Chinese `text` names in 《》 (《我们的冬奥》: a film a text
    must name to speak of it; jieba tags no title as a name)."""
    return [m.group(1).strip() for m in _TITLE.finditer(unicodedata.normalize("NFKC", text))]


def document_contexts(hits: Sequence[SearchHit]) -> list[str]:
    """For each hit, the text of every retrieved chunk of its document: where the
    question's names may stand (a small chunk can hold the answer while the chunk
    before it names the subject)."""
    by_document: dict[tuple[str, str], list[str]] = {}
    for hit in hits:
        by_document.setdefault((hit.chunk.source, hit.chunk.doc_key), []).append(hit.chunk.text)
    return ["\n".join(by_document[(h.chunk.source, h.chunk.doc_key)]) for h in hits]
