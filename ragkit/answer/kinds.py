"""What a question asks for and whether a text holds a value of that kind.

`answer_kind` reads the kind of answer a question asks for: a name (who, whom, where,
which country, 谁, 哪里…), a date (when, what year, 什么时候, 哪一年…; in Chinese a
weekday or clock time too) or a quantity (how many, how much, 多少, 几…; how long, 多久
and 多长时间, a span). A Chinese query without a question word asks for what its last
noun names (冠军: a name, 交付量: a number: `zh_bare_kind`). `has_kind` tells whether a
sentence holds such a value that the question does not already hold: a capitalised name
(in Chinese a proper noun by jieba's part-of-speech tags), a year, month or day, a
number that is not part of a date. A sentence that is itself a question ("What is the
location of the Super Bowl in 2022?") states nothing (`is_question`, `statement`). An
English question joining two asks ("Who founded it and when?") is read as two
(`two_asks`), each asking for its own kind.

Also the patterns these tests share with the rules built on them (`YEAR`, `NAME`, `CJK`,
`EN_DATE`, `ZH_DATE`, ...). Leaves out which values answer (`ragkit.answer.answerable`
ranks and gates them) and named-entity recognition: a capitalised word is taken for a
name, and jieba's tags are a dictionary's guess.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from ragkit.text.analysis import STOPWORDS, Analyzer
from ragkit.text.cjk import CJK as CJK  # the answer modules import it from here

AnswerKind = Literal["name", "date", "number"]


_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()


MONTH = re.compile(r"\b(?:" + "|".join(_MONTHS) + r")\b\.?", re.IGNORECASE)


# Four digits followed by a unit or magnitude count something, not a year: "1062万人",
# "2000多年", "1500元", "1200米", "1400毫米", "1800%" (年, 月 and a Latin word may
# follow a year).
_COUNTED = "万亿千百十多余人元名位个户家件项只头辆台架艘部吨米里亩克斤度倍次%％‰"
_COUNTED_WORDS = "毫米|厘米|公里|公斤|公顷|平方|立方|摄氏度"


YEAR = re.compile(
    rf"(?<!\d)(?<!\d\.)(?:1[0-9]|20)\d\d(?!\d|\.\d|\s*(?:[{_COUNTED}]|{_COUNTED_WORDS}))"
)


NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


EN_NUMBER = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|half|twice|once)\b",
    re.IGNORECASE,
)


CN_NUMBER = re.compile(r"[零〇一二三四五六七八九十百千万亿两]+")


MEASURES = frozenset("次个位名人家种条座场岁项件只辆架艘部本届倍米里吨元")


EN_DATE = re.compile(
    r"\b(?:" + "|".join(_MONTHS) + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b"
    r"|\b\d{1,2}\s+(?:" + "|".join(_MONTHS) + r")\.?(?:,?\s+\d{4})?\b"
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b",
    re.IGNORECASE,
)
"""An English date with its day: "July 21, 2017", "21 July", "2017-07-21"."""


ZH_DATE = re.compile(
    r"(?:\d+|[零〇一二三四五六七八九十]+)\s*(?:年|月|日|号|世纪)|(?:年|月)(?:初|底|中)"
)


# A weekday or a clock time says when too: 每周六下午2点 answers 什么时候.
ZH_TIME = re.compile(
    r"(?:周|星期|礼拜)[一二三四五六日天](?:\s*(?:至|到|-|—|~)\s*(?:周|星期|礼拜)?[一二三四五六日天])?"
    # 一点 and 两点 alone are "a little" and "two points": a numeral needs 上午 or 下午.
    r"|(?:上午|下午|晚上|早上|中午|凌晨|傍晚|清晨|夜里)\s*"
    r"(?:\d{1,2}|[零〇一二三四五六七八九十两]{1,3})\s*[点时](?:半|\s*\d{1,2}\s*分)?"
    r"|(?<![\d.])\d{1,2}\s*[点时](?:半|\s*\d{1,2}\s*分)?(?![间候期代段])"
    r"|(?<!\d)\d{1,2}:\d{2}(?!\d)"
)


NAME = re.compile(r"(?<![A-Za-z0-9'’])[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ0-9'’.-]*")


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
NOT_NAMES = (
    frozenset(
        "a an the in on at as it its this that these those there here he she they we you i "
        "but and or if so for of to by with from after before when while what who where which "
        "how why our your their his her my also however then than".split()
    )
    | STOPWORDS
    | frozenset(_MONTHS)
    | frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
    # Prepositions and conjunctions opening a sentence ("Against all odds, love won out
    # at the 90th Academy Awards") and seasons, like months ("the 2004 Summer
    # Olympics"), name no one.
    | frozenset(
        "against during despite among amongst without within under over through about across "
        "along around behind below beneath beside besides between beyond inside outside "
        "toward towards upon via although though because unless whether once since until till "
        "spring summer autumn fall winter".split()
    )
)


_EARLIER_QUESTION = re.compile(r"(?<=[?？])\s*[(（][^()（）]*[?？][)）]\s*$")


def answer_kind(question: str) -> AnswerKind | None:
    """What kind of value `question` asks for, or None when it asks for no one kind."""
    # A follow-up rewritten with the earlier question in brackets ("How should I keep
    # the receipt? (How many years is the warranty?)") asks what its own words ask: the
    # bracket only says what it follows on from.
    text = _EARLIER_QUESTION.sub("", unicodedata.normalize("NFKC", question))
    if CJK.search(text):
        bare = zh_bare_kind(text)  # "票房冠军" asks for a name, not the 票房
        if bare is not None:
            return bare
        if ASKS_SPAN.search(text):
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


def text_words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[\w'’]+", unicodedata.normalize("NFKC", text))}


def text_numbers(text: str) -> set[str]:
    norm = re.sub(r"(?<=\d),(?=\d{3}\b)", "", unicodedata.normalize("NFKC", text))
    return {m.group().rstrip(".,") for m in NUMBER.finditer(norm)}


def _base_form(word: str) -> str:
    """`word` without a plural or possessive ending: olympics → olympic, presidents' → president."""
    return re.sub(r"(?:['’]s|s['’]|['’]|s)$", "", word)


# A clock time (14时, 14时38分, 下午3点) and a code of letters and digits (TF022, MU5735,
# Q4): no quantity. 3点 alone may be points of an index, 24小时 a span: both stay.
_ZH_NOT_COUNTS = re.compile(
    r"(?<![\d.])\d{1,2}\s*时(?:\s*\d{1,2}\s*分)?(?![间候期代段])"
    r"|(?:上午|下午|晚上|早上|中午|凌晨|傍晚|清晨)\s*\d{1,2}\s*[点时](?:半|\s*\d{1,2}\s*分)?"
    r"|(?<![A-Za-z\d])[A-Za-z]+\d+[A-Za-z\d]*"
)


def has_kind(
    kind: AnswerKind | None, text: str, question: str, analyzer: Analyzer | None = None
) -> bool:
    """Whether `text` holds a value of `kind` that `question` does not already hold (any
    text does for `kind` None). Chinese names are found with `analyzer`'s tagger."""
    if kind is None:
        return True
    text = unicodedata.normalize("NFKC", text)
    asked_numbers = text_numbers(question)
    if kind == "number":
        # A date is not a quantity: "12月8日" answers no "how many"; for a Chinese
        # question neither is a clock time ("11日14时左右") nor the digits of a code
        # ("流程编辑：TF022", "2021Q4").
        counted = ZH_DATE.sub(" ", EN_DATE.sub(" ", text))
        if CJK.search(question):
            counted = _ZH_NOT_COUNTS.sub(" ", counted)
        new_numbers = text_numbers(counted) - asked_numbers
    else:
        new_numbers = text_numbers(text) - asked_numbers
    if kind == "number":
        asked_words = text_words(question)
        spelled = (m.group().lower() for m in EN_NUMBER.finditer(text))
        if new_numbers or any(w not in asked_words for w in spelled):
            return True
        if ASKS_SPAN.search(question) and text_spans(text) - text_spans(question):
            return True  # 提前两周: a Chinese numeral with a unit of time answers 多久
        # One numeral counts with a measure word after it (四次, 两个), not inside a
        # word (一起, 统一), and 一 + measure is mostly "a" (一条铁路线: a railway).
        return any(
            m.group() not in question
            and (
                len(m.group()) > 1
                or (m.group() != "一" and text[m.end() : m.end() + 1] in MEASURES)
            )
            for m in CN_NUMBER.finditer(text)
        )
    if kind == "date":
        if set(YEAR.findall(text)) - asked_numbers:
            return True  # a year, read in place: 2000多年 and 1062万 count, they date nothing
        asked_words = text_words(question)
        if any(m.group().rstrip(".").lower() not in asked_words for m in MONTH.finditer(text)):
            return True
        if any(m.group() not in question for m in ZH_DATE.finditer(text)):
            return True
        # A weekday or a clock time for a Chinese question only: "airs at 6:00" under
        # another episode's date answers no English "premiere date".
        return bool(CJK.search(question)) and any(
            m.group() not in question for m in ZH_TIME.finditer(text)
        )
    asked_words = text_words(question)
    # A capitalised form of a word of the question is the question's own word: "the
    # Olympics" for "olympic games", "Vice Presidents" has no name for "the president".
    asked_bases = {_base_form(w) for w in asked_words}
    for match in NAME.finditer(text):
        word = match.group().rstrip(".").lower()
        if (
            len(word) > 1
            and word not in NOT_NAMES
            and word not in asked_words
            and _base_form(word) not in asked_bases
        ):
            return True
    if analyzer is not None and CJK.search(text):
        return any(name not in question for name in analyzer.proper_nouns(text))
    return False


# "How long" / 多久 asks for a time or a length: a number with such a unit answers it,
# "1.2 litre" or "five temperature settings" does not.
ASKS_SPAN = re.compile(r"\bhow\s+long\b|多久|多长时间|多长", re.IGNORECASE)


_SPAN = re.compile(
    r"(?:\d+(?:[.,]\d+)*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|a|an|half\s+an?)\b|[零〇一二三四五六七八九十百两半]+)"
    r"[\s-]*(?:(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|decades?|"
    r"centuries|century|metres?|meters?|kilometres?|kilometers?|km|miles?|feet|foot|ft|inches|"
    r"cm|mm|m)\b|秒|分钟|小时|个小时|天|日|周|星期|个月|月|年|米|公里|千米|厘米|英里)",
    re.IGNORECASE,
)


def text_spans(text: str) -> set[str]:
    """The numbers with a unit of time or length in `text` (2分钟, 两周, 40 minutes)."""
    return {m.group() for m in _SPAN.finditer(unicodedata.normalize("NFKC", text))}


# Words that only ask (a Chinese token holding one of these is the question word itself).
ZH_ASKING = re.compile(r"哪|什么|谁|多少|多[长久大高远深宽]|怎|如何|为何|是否|吗|呢|呀|啊|几")


# A date at the head of a text, cut off by an ellipsis: a page's or a search result's
# dateline ("Jul 2, 2019 ... "), not part of what the sentence states.
DATELINE = re.compile(
    r"^\s*(?:(?:" + "|".join(_MONTHS) + r")\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)\s*(?:\.\.\.|…)\s*",
    re.IGNORECASE,
)


def statement(sentence: str) -> str:
    """`sentence` without a leading dateline; empty when it is only a dateline or a
    question (neither states anything about the question)."""
    text = DATELINE.sub("", sentence)
    if is_question(text) or not re.search(r"[^\W\d_]", text):
        return ""
    return text


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
    if ZH_ASKING.search(text):
        return None
    for kind, pattern in _ZH_BARE_KINDS:
        if pattern.search(text):
            return kind
    return None


# A question joining two asks: "Who founded the cooperative and when?", "When was it
# founded and by whom?", "Where and when is the meeting held?". Each ask has its own
# kind of answer, which one sentence seldom holds both of.
_ASK = r"who|whom|when|where|why|what\s+year|which\s+year|how\s+(?:much|many|long|old|often)"
_JOINED_END = re.compile(
    rf"^\s*(?P<w1>{_ASK}|how|what|which)\b(?P<rest>.+?)[\s,]+and\s+"
    rf"(?P<w2>(?:by|with|for|in|on|at|from)\s+(?:whom|what\s+\w+)|at\s+what\s+\w+|{_ASK})"
    r"\s*[?.]?\s*$",
    re.IGNORECASE,
)
_JOINED_START = re.compile(
    rf"^\s*(?P<w1>{_ASK})\s+and\s+(?P<w2>{_ASK})\b(?P<rest>.+?)\s*[?.]?\s*$", re.IGNORECASE
)


def two_asks(question: str) -> tuple[str, str] | None:
    """The two questions an English `question` joining two asks is made of, each with
    the words they share: ("Who founded the cooperative?", "when founded the
    cooperative?") for "Who founded the cooperative and when?", ("Where is the meeting
    held?", "when is the meeting held?") for "Where and when is the meeting held?";
    None for any other question. The second is a bag of the question's words for the
    ranking, not English to show."""
    text = unicodedata.normalize("NFKC", question).strip()
    if CJK.search(text) or _EARLIER_QUESTION.search(text):
        return None
    m = _JOINED_START.match(text) or _JOINED_END.match(text)
    if m is None:
        return None
    rest = " ".join(m.group("rest").split())
    return f"{m.group('w1')} {rest}?", f"{m.group('w2')} {rest}?"
