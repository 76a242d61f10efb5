"""Chinese questions: a sentence about another thing of the kind asked about
(`zh_mismatch`).

Each rule is a lexical test of one sentence (or window) against the question, applied
by `ragkit.answer.answerable.answering_windows`: another ordinal (第19棒 for 第一棒,
十三届一次会议 for 十三届五次会议: `other_ordinal`, `ordinal_unsaid`), another season
(2020-2021赛季 for 2021-2022赛季: `other_range`), another day (1月8日 for 1月5日:
`other_day`), the asked year only as a comparison (与2021年相比: `compared_only`), part
of a year for a year's figure (三季度, 2021Q4: `part_of_year`), or the question's
compound noun with another modifier
(交通事故 for 踩踏事故: `other_modifier`) is another thing, and a number not in a clause
with the figure asked for (营收, 产量, 议席: `figure_apart`) is another figure's, as a
role asked for (冠军, 总导演) with no name in its clause names no one (`role_apart`); a
figure only expected or planned does not answer (`forecast_only`); a founding asked
(建立, 成立) needs the founding of that thing (`founded_apart`), a definition asked
(X的定义) a sentence defining X (`defined_unsaid`), a length asked by 多长 a number
with a unit of length (`asks_length`, `length_unsaid`); a section not naming the thing
whose attribute is asked (X的Y) holds another thing's value (`subject_unsaid`); a title in
《》 is a name the text must hold (`titles`); an event named by its place (北京冬奥会) is not
the same event elsewhere (平昌冬奥会: `other_modifier`), a silver not the gold asked
(`other_medal`), a count no amount of money asked (多少钱: `money_unsaid`), a role only a
person holds (主演, 编剧) is not named by an acronym, award or title, and a page's words to
its reader (请点击“踩一下”) answer nothing (`page_furniture`).

Leaves out English questions (`ragkit.answer.rules_en`), the kind asked
(`ragkit.answer.kinds`) and word segmentation beyond jieba's: a compound or a clause is
what jieba's tags and the punctuation make of it.
"""

from __future__ import annotations

import re
import unicodedata

from ragkit.answer.kinds import (
    CJK,
    CN_NUMBER,
    YEAR,
    ZH_ASKING,
    ZH_DATE,
    answer_kind,
    has_kind,
    text_numbers,
)
from ragkit.text.analysis import CJK_FUNCTION_CHARS, Analyzer

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


# A session counted without 第: 十三届五次会议 is the thirteenth congress's fifth session
# (届 and 次 both, so 三次 alone stays a count of times).
_SESSION = re.compile(
    r"(\d+|[零〇一二三四五六七八九十]+)\s*届\s*(?:全国人大|全国政协|中央委员会|人大|政协)?\s*"
    r"(\d+|[零〇一二三四五六七八九十]+)\s*次\s*(?:会议|全会|全体会议)"
)


def ordinals(text: str) -> set[tuple[int, str]]:
    """The ordinals of a Chinese `text` as (number, measure word): 第三艘 → (3, 艘),
    首趟 → (1, 趟), 第19棒 → (19, 棒), 十三届五次会议 → (13, 届) and (5, 次)."""
    out = set()
    norm = unicodedata.normalize("NFKC", text)
    for m in _ORDINAL.finditer(norm):
        n = 1 if m.group(2) else _zh_int(m.group(1))
        if n is not None:
            out.add((n, m.group(3)))
    for m in _SESSION.finditer(norm):
        congress, session = _zh_int(m.group(1)), _zh_int(m.group(2))
        if congress is not None and session is not None:
            out |= {(congress, "届"), (session, "次")}
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
    if not CJK.search(question):
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
    asked = set(YEAR.findall(unicodedata.normalize("NFKC", question)))
    if not asked:
        return False
    text = unicodedata.normalize("NFKC", sentence)
    compared = {y for m in _COMPARED_YEAR.finditer(text) for y in YEAR.findall(m.group())}
    if not compared & asked:
        return False
    return not set(YEAR.findall(_COMPARED_YEAR.sub(" ", text))) & asked


# A span of years named as one season or term: 2021-2022赛季, 2020/21财年.
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-－–—~/至到]\s*((?:19|20)?\d\d)(?!\d)")


def year_ranges(text: str) -> set[tuple[int, int]]:
    """The spans of years a `text` names as one season or term, as (first, last):
    2021-2022赛季 → (2021, 2022), 2020/21 → (2020, 2021)."""
    out = set()
    for m in _YEAR_RANGE.finditer(unicodedata.normalize("NFKC", text)):
        first, last = int(m.group(1)), m.group(2)
        end = int(last) if len(last) == 4 else first // 100 * 100 + int(last)
        if 0 < end - first <= 5:
            out.add((first, end))
    return out


def other_range(question: str, sentence: str) -> bool:
    """Whether `question` names a span of years (2021-2022赛季) and `sentence` names
    spans, none of them that one: "2020-2021赛季CBA总决赛" is another season, though it
    holds the year 2021."""
    asked = year_ranges(question)
    if not asked:
        return False
    said = year_ranges(sentence)
    return bool(said) and not said & asked


# A part of a year: a quarter, a half, a month without its day.
_PART_OF_YEAR = re.compile(
    r"季度|上半年|下半年|前三季|[一二三四1-4]季|(?<![\d年])\d{1,2}月(?!\d{1,2}[日号])"
    r"|(?<![A-Za-z])(?:Q[1-4]|H[12])(?![A-Za-z\d])"  # 2021Q4, 2022年H1: a quarter, a half
)


_WHOLE_YEAR = re.compile(r"全年|年度|整年")


def part_of_year(question: str, sentence: str) -> bool:
    """Whether `question` asks for a year's figure (美国2021年GDP增长多少) and
    `sentence` gives part of a year's (三、四季度, 上半年), not the whole year's."""
    text = unicodedata.normalize("NFKC", question)
    if not YEAR.search(text) or _PART_OF_YEAR.search(text) or answer_kind(text) != "number":
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
            if len(head) < 2 or not flag.startswith(("n", "j")) or ZH_ASKING.search(head):
                continue
            j = i - 1 if run[i - 1][0] not in ("的", "之") else i - 2
            if j < 0:
                continue
            modifier, mflag = run[j]
            if len(modifier) < 2 or mflag.startswith(("r", "m", "q", "x")):
                continue
            # An event jieba tags an abbreviation (冬奥会, 亚运会) is named by its place:
            # 北京冬奥会 is not 平昌冬奥会; a common noun before one is no such name.
            if flag.startswith("j") and not mflag.startswith(("ns", "nr", "nt", "nz")):
                continue
            if not ZH_ASKING.search(modifier):
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
    if not noun:
        # jieba splits some figures after a prefix (总营|收, 第一季度|营|收): the figure
        # is the word the question ends its subject with.
        head = (text if m is None else text[: m.start()]).rstrip("是为有了都共的")
        noun = next((f for f in _ZH_SPLIT_FIGURES if head.endswith(f)), "")
    # jieba tags 多长时间 a noun: it asks, it names no figure.
    return "" if len(noun) < 2 or noun in _ZH_GENERIC or ZH_ASKING.search(noun) else noun


# Figures jieba may cut after a prefix (B站2021财年总营收: 总营|收).
_ZH_SPLIT_FIGURES = ("营收", "营业额", "产量", "销量", "利润")


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
    asked = text_numbers(question)
    numbered = [
        clause
        for clause in re.split(r"[，,；;。！!？?]", unicodedata.normalize("NFKC", sentence))
        if text_numbers(ZH_DATE.sub(" ", clause)) - asked
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
    asked = text_numbers(question)
    for clause in re.split(r"[，,；;。：:！!？?]", unicodedata.normalize("NFKC", sentence)):
        said = text_numbers(ZH_DATE.sub(" ", clause)) - asked
        if stem in clause and (said or CN_NUMBER.search(clause)):
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
        if role in _ZH_PERSON_ROLES:
            if _person_named(clause, question + bare, analyzer):
                return False
        elif has_kind("name", clause, question + bare, analyzer):
            return False
    return True


# Roles only a person holds (a film, team or country holds a 冠军, a country a 主席国):
# their holder is named by a person's or a place's name (jieba tags many foreign
# names as places: 扬科维|奇), not an acronym ("主演动漫IP形象" names no actor), an award,
# cup or event (茅盾文学奖, 足协杯), an organisation or a title in 《》.
_ZH_PERSON_ROLES = frozenset(
    "主演 导演 编剧 作者 主角 旗手 火炬手 创始人 董事长 总裁 首席执行官 总统 总理 首相 教练"
    " 队长 代言人 指令长".split()
)
# A Latin name with a lower-case letter ("Jony Ive", "Kjeld Nuis"), not an acronym.
_LATIN_PERSON = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+")
_ZH_NOT_PERSON_END = tuple("奖杯赛会节展")


def _person_named(clause: str, asked: str, analyzer: Analyzer) -> bool:
    """Whether `clause` names someone who may be a person that `asked` does not hold."""
    if any(m.group() not in asked for m in _LATIN_PERSON.finditer(clause)):
        return True
    bare = re.sub(r"《[^》]*》", " ", clause)
    for run in analyzer.tagged(bare):
        for i, (w, f) in enumerate(run):
            if not f.startswith(("nr", "ns", "nz")) or w in asked or w.endswith(_ZH_NOT_PERSON_END):
                continue
            # jieba may tag the surname alone and make the given name a word (雷|佳音).
            if len(w) >= 2 or (f.startswith("nr") and i + 1 < len(run) and len(run[i + 1][0]) <= 2):
                return True
    return False


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
    about: another ordinal, another span of years, another day, a year only compared
    with, part of a year for a year's figure, another modifier of the question's
    compound, a number beside another figure than the one asked, a role without a name
    beside it, a figure only expected or planned, no length for a length asked, another
    medal, no money for an amount of money asked, or a page's words to its reader
    (always False for a question in another language)."""
    if not CJK.search(question):
        return False
    return (
        other_ordinal(question, sentence)
        or other_range(question, sentence)
        or other_day(question, sentence)
        or compared_only(question, sentence)
        or part_of_year(question, sentence)
        or other_modifier(question, sentence, analyzer)
        or figure_apart(question, sentence, analyzer)
        or role_apart(question, sentence, analyzer)
        or forecast_only(question, sentence)
        or founded_apart(question, sentence, analyzer)
        or length_unsaid(question, sentence, analyzer)
        or other_medal(question, sentence)
        or money_unsaid(question, sentence)
        or page_furniture(sentence)
        or kin_unsaid(question, sentence)
    )


# Kin asked by 谁的… (硕塞是谁的儿子) and how a sentence says it: 清太宗皇太极第五子, 司马伷
# 三子, 司马炎之子, 长女, 其父, 生母, 妻…
_ZH_KIN = {
    "儿子": re.compile(r"儿子|[之长次幼养庶嫡独世义]子|第?[一二三四五六七八九十]+子"),
    "女儿": re.compile(r"女儿|[之长次幼养庶嫡独义]女|第?[一二三四五六七八九十]+女"),
    "父亲": re.compile(r"父"),
    "母亲": re.compile(r"母"),
    "妻子": re.compile(r"妻|夫人|皇后|王后|[嫁娶]"),
    "丈夫": re.compile(r"丈夫|[嫁娶]|之妻|夫人|皇后|王后"),
}
_ZH_ASKS_KIN = re.compile(r"谁的(" + "|".join(_ZH_KIN) + ")")


def kin_unsaid(question: str, sentence: str) -> bool:
    """Whether `question` asks whose kin someone is (硕塞是谁的儿子) and `sentence` names
    no such kin: "硕塞跟随豫亲王多铎进攻陕州" says whom he followed, not whose son he is."""
    m = _ZH_ASKS_KIN.search(question)
    return m is not None and not _ZH_KIN[m.group(1)].search(sentence)


# Places of a ranking: gold, silver, bronze (a 冠军 is a gold, 夺冠 wins one).
_ZH_PLACES = (
    re.compile(r"金牌|金奖|冠军|夺冠|夺金|摘金|折桂"),
    re.compile(r"银牌|银奖|亚军|摘银|夺银"),
    re.compile(r"铜牌|铜奖|季军|摘铜|夺铜"),
)


def other_medal(question: str, sentence: str) -> bool:
    """Whether `question` asks about one place of a ranking (金牌, 冠军; 银牌, 亚军…)
    and `sentence` names only another: "他获得了男子1500米比赛的银牌" is no gold."""
    asked = [p for p in _ZH_PLACES if p.search(question)]
    if len(asked) != 1 or asked[0].search(sentence):
        return False
    return any(p.search(sentence) for p in _ZH_PLACES if p is not asked[0])


# A question asking an amount of money (多少钱, 花了多少, 价格是多少).
_ZH_ASKS_MONEY = re.compile(
    r"多少钱|花了?多少(?![个人次年天])|(?:价格|售价|票价|价钱|金额|费用|罚款|罚金)(?:是|为|有)?多少"
)
# An amount of money: a number with a currency (4765.82万元, 687亿美元, ￥30).
_ZH_MONEY = re.compile(
    r"[$¥￥]\s*\d|(?:\d|[零〇一二三四五六七八九十百千万亿两])\s*(?:多|余)?\s*[十百千万亿]*\s*"
    r"(?:元|美元|美金|欧元|英镑|日元|港元|港币|韩元|卢布|块|人民币)|人民币\s*\d"
)


def money_unsaid(question: str, sentence: str) -> bool:
    """Whether `question` asks an amount of money (多少钱) and `sentence` gives none:
    "全国范围内最少11家分店" counts shops, it prices nothing."""
    if not _ZH_ASKS_MONEY.search(question):
        return False
    return not _ZH_MONEY.search(unicodedata.normalize("NFKC", sentence))


# A page's words to its reader (请点击“踩一下”, 如果您对本文有任何意见): they say nothing
# of what the page is about. Share and scan prompts (扫码, 分享至朋友圈) are left out:
# scraped pages glue them to the article's first sentence.
_ZH_FURNITURE = re.compile(r"请点击|如果您对本文|以便我们改进|欢迎您?(?:关注|订阅)")


def page_furniture(sentence: str) -> bool:
    """Whether `sentence` is a page's words to its reader, never an answer."""
    return bool(_ZH_FURNITURE.search(unicodedata.normalize("NFKC", sentence)))


# 多长 asks a length or a time; 多长时间 and 多久 a time (`ragkit.answer.kinds.ASKS_SPAN`).
_ZH_HOW_LONG = re.compile(r"多长(?!时间)")
_ZH_LENGTH_AFTER = re.compile(r"的?(?:距离|路程|长度|里程|全长)")
# Said between the thing and 多长: "墓道有多长", "雌狸大约有多长".
_ZH_HOW_LONG_LINK = re.compile(r"(?:大约|大概|约|一共|总共|共|还|都|有|是|为)+$")
# A noun ending so names a stretch of time, whose 多长 asks a time: 任期, 采摘期, 假期.
_ZH_PERIOD_END = "期间时龄假"
# A number with a unit of length: 504米, 1.2公里, 三千米, 12 km.
_ZH_LENGTH_VALUE = re.compile(
    r"(?:\d+(?:[.,]\d+)*|[零〇一二三四五六七八九十百千两半]+)\s*(?:多|余)?\s*[十百千万亿]?\s*"
    r"(?:公里|千米|厘米|毫米|米|英里|英尺|英寸|海里|(?:km|cm|mm|m)(?![a-z]))",
    re.IGNORECASE,
)


def asks_length(question: str, analyzer: Analyzer) -> bool:
    """Whether a Chinese `question`'s 多长 asks a length, by what it measures: a noun
    before it that names no stretch of time ("主桥多长", "墓道有多长"; "任期是多长" asks a
    time) or a length after it ("离昆明多长的距离"). After a verb ("浸泡多长") and in
    多长时间 it asks a time."""
    text = unicodedata.normalize("NFKC", question)
    m = _ZH_HOW_LONG.search(text)
    if m is None:
        return False
    if _ZH_LENGTH_AFTER.match(text[m.end() :]):
        return True
    before = _ZH_HOW_LONG_LINK.sub("", text[: m.start()])
    words = [(w, f) for run in analyzer.tagged(before) for w, f in run]
    if not words or not before.endswith(words[-1][0]):
        return False
    word, flag = words[-1]
    return flag.startswith("n") and word[-1] not in _ZH_PERIOD_END


def length_values(text: str) -> set[str]:
    """The numbers with a unit of length in `text` (504米, 1.2公里)."""
    return {
        " ".join(m.group().split())
        for m in _ZH_LENGTH_VALUE.finditer(unicodedata.normalize("NFKC", text))
    }


def length_unsaid(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether a Chinese `question` asks a length (`asks_length`) and `sentence` gives
    none beyond the question's: "缆索吊近7个小时的接力" is no length of a bridge."""
    return asks_length(question, analyzer) and not length_values(sentence) - length_values(question)


def asked_subject(question: str, analyzer: Analyzer) -> str:
    """The common noun whose attribute a Chinese question asks (X of "X的Y是什么？":
    茶园 of "茶园的开放时间是什么？", 中心 of "杭州品鉴中心的地址是什么？"), or "" when it
    asks no attribute of a common noun: a proper noun before 的 (checked in the whole
    document, `ragkit.answer.answerable.answering_windows`), a verb or a position
    ("没有出场的原因", "数据集上的准确率"), or no noun after it ("中演的谁")."""
    if not CJK.search(question):
        return ""
    text = unicodedata.normalize("NFKC", question)
    subject = ""
    for run in analyzer.tagged(text):
        for i in range(1, len(run) - 1):
            if run[i][0] != "的":
                continue
            head, flag = run[i - 1]
            attribute, attribute_flag = run[i + 1]
            before = run[i - 2][1] if i >= 2 else ""
            at = text.find(head)
            if (
                flag == "n"
                and len(head) >= 2
                and head[-1] not in _ZH_POSITION
                and not ZH_ASKING.search(head)
                and attribute_flag.startswith(("n", "v"))
                and not ZH_ASKING.search(attribute)
                and not before.startswith(("d", "v", "p"))
                and not (at > 0 and text[at - 1] in _NAME_DOTS)  # 莱昂德罗·内托
                and _ZH_QUESTION_WORD.search("".join(w for w, _ in run[i + 1 :]))
            ):
                subject = head  # the last one before the question word: 漫长的季节的导演
    return subject


_ZH_POSITION = "上中下里内外前后间"
_NAME_DOTS = "·•‧・"


def subject_unsaid(question: str, window: str, analyzer: Analyzer) -> bool:
    """Whether a Chinese `question` asks an attribute of a thing it names by a common
    noun (`asked_subject`) and `window` (a sentence's section, heading included) does
    not name it: "品鉴中心每周三至周日开放" gives the 品鉴中心's hours, not the 茶园's
    (the twin of the English `ragkit.answer.rules_en.other_priced`; the ranking's value
    bonus, `ragkit.answer.evidence.rank_sentences`, is where it applies)."""
    subject = asked_subject(question, analyzer)
    return bool(subject) and subject not in unicodedata.normalize("NFKC", window)


_TITLE = re.compile(r"《([^》]{2,40})》")


def titles(text: str) -> list[str]:
    """The titles of works a Chinese `text` names in 《》 (《我们的冬奥》: a film a text
    must name to speak of it; jieba tags no title as a name)."""
    return [m.group(1).strip() for m in _TITLE.finditer(unicodedata.normalize("NFKC", text))]


# Tags of the words that continue a proper noun into the name of one thing: nouns and
# abbreviations (海宁 + 西站, 北京 + 冬奥会) and numbers (鑫诺 + 一号).
_NAME_PART_TAGS = ("n", "j", "m")


def named_things(question: str, analyzer: Analyzer) -> list[str]:
    """The names of things a Chinese `question` asks about: a proper noun with the nouns
    and numbers after it, at each word's end, three or more characters (海宁西站 of
    "海宁西站位于哪里？", 鑫诺一号 and 鑫诺一号通信卫星 of "鑫诺一号通信卫星由什么公司制造？")."""
    if not CJK.search(question):
        return []
    out: list[str] = []
    for run in analyzer.tagged(unicodedata.normalize("NFKC", question)):
        for i, (word, flag) in enumerate(run):
            if not flag.startswith(("nr", "ns", "nt", "nz")):
                continue
            name = word
            for later, later_flag in run[i + 1 :]:
                if not later_flag.startswith(_NAME_PART_TAGS) or ZH_ASKING.search(later):
                    break
                name += later
                if len(name) >= 3:
                    out.append(name)
    return list(dict.fromkeys(out))


def _word_bounds(text: str, analyzer: Analyzer) -> tuple[set[int], set[int]]:
    """The offsets in `text` where jieba's words start and end."""
    starts: set[int] = set()
    ends: set[int] = set()
    at = 0
    for run in analyzer.tagged(text):
        at = text.find("".join(w for w, _ in run), at)
        for word, _ in run:
            starts.add(at)
            at += len(word)
            ends.add(at)
    return starts, ends


def _siblings(
    name: str, names: list[str], text: str, starts: set[int], ends: set[int]
) -> list[int]:
    """Where `text` names a sibling of `name`: whole words keeping its first and last
    characters with one or two others changed, left out or added (海宁站 and 海宁东站 of
    海宁西站, 大沙地站 of 大沙东站, 鑫诺五号 of 鑫诺一号), never overlapping `name` itself
    nor holding another of the question's `names` (鑫诺一号卫星 is 鑫诺一号通信卫星)."""
    own = [(m.start(), m.end()) for m in re.finditer(re.escape(name), text)]
    found: set[int] = set()
    n = len(name)
    for p in range(1, n):
        for s in range(1, n - p + 1):
            if not n - 2 <= p + s < n:
                continue
            middle = f"[^{re.escape(''.join(CJK_FUNCTION_CHARS))}\\W\\d]{{0,2}}"
            pattern = re.escape(name[:p]) + middle + re.escape(name[n - s :])
            for m in re.finditer(pattern, text):
                if m.group() == name or m.start() not in starts or m.end() not in ends:
                    continue
                if any(m.start() < b and a < m.end() for a, b in own):
                    continue
                if any(other in m.group() for other in names):
                    continue
                found.add(m.start())
    return sorted(found)


def sibling_named(question: str, sentence: str, analyzer: Analyzer) -> bool:
    """Whether `sentence` speaks of a sibling of the thing a Chinese `question` names
    (`named_things`) rather than of it: a name differing from it by a character or two
    (`_siblings`) and the question's name not before it: "所有海宁站的普速列车…" for
    海宁西站, "大沙地站（）是广州地铁五号线的车站" for 大沙东站, "鑫诺五号直播卫星为鑫诺一号的
    替代卫星" for 鑫诺一号."""
    text = unicodedata.normalize("NFKC", sentence)
    names = named_things(question, analyzer)
    if not names:
        return False
    starts, ends = _word_bounds(text, analyzer)
    for name in names:
        siblings = _siblings(name, names, text, starts, ends)
        at = text.find(name)
        if siblings and (at < 0 or siblings[0] < at):
            return True
    return False
