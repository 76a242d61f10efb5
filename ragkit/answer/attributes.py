"""Attribute nouns: the words of a question that name what is asked, not what it is about.

"At what temperature is Kestrel Gold fired?" asks for a temperature: the answer says "at
110 degrees Celsius", rarely "temperature", and a sentence holding the word ("an ambient
temperature of about 24 degrees Celsius", the withering step's) is no better an answer
for it. So an attribute noun (temperature, price, height, population, 温度, 价格, 海拔, 职业…)
counts, like the "long" of "how long", among the question's asking words when evidence
sentences are ranked (`attribute_terms`): the relation word ("fired") decides. Where the
attribute has units, a value in one of them ("110 degrees Celsius", "85摄氏度", "1,200
dollars", "1200米") is the value asked for (`unit_values`), whatever kind of value the
question's wording asks for.

Leaves out attributes that a bare number answers (a count, a year: the question's kind
says so already), units written out in other scripts or spelt in words ("eighty
degrees"), and conversion between units: "212 °F" answers a question in Celsius.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.text.analysis import STOPWORDS, Analyzer
from ragkit.text.cjk import CJK


@dataclass(frozen=True)
class Attribute:
    """An attribute noun's English and Chinese words and the units its values carry
    (a regular-expression alternation; empty: a description answers, no unit)."""

    words: tuple[str, ...]
    units: str = ""
    others: tuple[str, ...] = ()
    """Terms ending in a word that name another attribute (汇率, an exchange rate, for 率)."""
    form: str = ""
    """The shape of a value, for an attribute whose values have no units (an e-mail
    address, a telephone number): a regular expression a value matches whole."""


_LENGTH = (
    r"metres?|meters?|kilometres?|kilometers?|km|miles?|feet|foot|ft|inches|inch|cm|mm|m"
    r"|米|公里|千米|厘米|毫米|英里|英尺"
)
_MONEY = (
    r"dollars?|euros?|pounds?|yuan|rmb|renminbi|cents?|usd|eur|gbp|cny"
    r"|美元|元|欧元|英镑|日元|港元|港币|人民币|块"
)
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        ("temperature", "温度", "水温", "气温", "油温"),
        r"degrees?|°\s*[cf]?|celsius|fahrenheit|℃|℉|摄氏度|华氏度|度",
    ),
    Attribute(("price", "cost", "fee", "价格", "价钱", "售价", "票价", "费用", "收费"), _MONEY),
    Attribute(("revenue", "营收", "营业收入", "营业额"), _MONEY),
    Attribute(("altitude", "elevation", "height", "海拔", "高度", "身高"), _LENGTH),
    Attribute(("length", "distance", "depth", "width", "长度", "距离", "深度", "宽度"), _LENGTH),
    Attribute(
        ("weight", "mass", "重量", "体重"),
        r"kilograms?|kilos?|kg|grams?|g|tonnes?|tons?|pounds?|lbs?|公斤|千克|克|吨|斤",
    ),
    Attribute(
        ("population", "人口"),
        r"people|inhabitants|residents|persons|million|billion|人|万人|亿人|万|亿",
    ),
    # "How much land" asks for an area; "Who owns the land?" does not.
    Attribute(
        ("area", "面积", "how much land"),
        r"square|sq|km²|km2|m²|hectares?|acres?|平方公里|平方千米|平方米|亩|公顷",
    ),
    Attribute(("speed", "速度", "时速"), r"km/h|kph|mph|knots?|公里/小时|千米/小时|公里每小时"),
    Attribute(("occupation", "profession", "职业")),
    # Contact details are answered by a value of their shape only: "The customer desk
    # answers email on weekdays from 09:00" holds no address.
    Attribute(
        ("email address", "e-mail address", "email", "e-mail"),
        form=r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    ),
    Attribute(
        ("telephone number", "phone number", "telephone", "phone"),
        form=r"\+?\(?\d[\d ().-]{5,}\d",
    ),
    Attribute(
        ("website", "web site", "web address", "url"),
        # Not an e-mail address's domain ("hello@lumentea.example").
        form=r"(?:https?://|www\.)[^\s<>\"]+"
        r"|(?<![@\w.-])[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|example)\b",
    ),
    # A definition or meaning is a description: "White将其定义为…" defines another term.
    Attribute(("definition", "meaning", "定义", "含义", "涵义", "意思", "释义")),
    Attribute(
        ("humidity", "concentration", "湿度", "浓度", "含量", "纯度", "含水量"),
        r"%|‰|percent|per\s*cent|个百分点",
    ),
    Attribute(
        ("rate", "率"),
        r"%|‰|percent|per\s*cent|percentage\s+points?|个百分点|百分点",
        ("汇率", "频率", "功率", "概率", "比率", "率先"),
    ),
)

# A number, then an order of magnitude, then the unit: "6.3 billion dollars", "631亿美元".
_AMOUNT = r"\d+(?:[.,]\d+)*\s*(?:thousand|million|billion|trillion|[kmb]n?|十|百|千|万|亿)?\s*"
_CURRENCY = re.compile(r"[$€£¥￥]\s*\d+(?:[.,]\d+)*(?:\s*(?:thousand|million|billion|trillion))?")


# What may follow an attribute noun that is the head of its phrase: "the temperature
# of", "海拔是多少", "职业？". Another noun after it makes it a modifier: "temperature
# settings", "population growth", "人口出生率" (a rate), "高度重视" (an adverb). A modal
# or a comparison after it keeps it the head: "湿度应低于多少", "海拔超过多少".
_ZH_AFTER = "的是为有约多几什哪怎吗呢啊吧？?，,。应要需须最低高达超不"
# Besides function words: "per" says what the attribute is counted by ("the processing
# fee per kilogram of fresh leaf" asks for a fee).
_EN_AFTER = STOPWORDS | {"per"}


def _heads(question: str, word: str) -> bool:
    """Whether `word` stands in `question` as the head of its phrase (`_ZH_AFTER`)."""
    text = unicodedata.normalize("NFKC", question).lower()
    if CJK.search(word):
        return any(text[m.end() : m.end() + 1] in (*_ZH_AFTER, "") for m in re.finditer(word, text))
    for m in re.finditer(rf"\b{word}s?\b", text):
        after = re.match(r"\s*([\w'’]+)", text[m.end() :])
        if after is None or after.group(1) in _EN_AFTER:
            return True
    return False


def _asked(question: str, analyzer: Analyzer) -> list[tuple[Attribute, set[str]]]:
    """The attributes `question` names as the head of a phrase (`_heads`), each with
    the question's terms that name it (推荐水温 and 水温 for 水温)."""
    terms = analyzer.tokenize(question)
    out = []
    for attribute in ATTRIBUTES:
        named: set[str] = set()
        for word in attribute.words:
            if not _heads(question, word):
                continue
            if CJK.search(word):
                named.update(t for t in terms if t.endswith(word) and t not in attribute.others)
            else:
                stems = set(analyzer.tokenize(word))
                named.update(t for t in terms if t in stems)
        if named:
            out.append((attribute, named))
    return out


def attribute_terms(question: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms of `question` that name the attribute it asks for ("temperatur" of
    "At what temperature is Kestrel Gold fired?", 职业 of "邹游的职业是什么？"): asking
    words, which an evidence sentence gains nothing for holding. Not a contact detail's
    (`Attribute.form`): "Email hello@lumentea.example." labels its value with the word."""
    # Only the word itself asks (水温, 海拔); 出生率 says what rate is asked for.
    return frozenset(
        t
        for a, named in _asked(question, analyzer)
        if not a.form
        for t in named
        if t in _words(a, analyzer)
    )


def valued_terms(question: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms of `question` naming an attribute whose values a text can show, by a
    unit or a shape ("land" of "How much land …", "email" and "address" of "What email
    address …"): a text showing such a value says them."""
    return frozenset(
        t
        for a, named in _asked(question, analyzer)
        if a.units or a.form
        for t in named
        if t in _words(a, analyzer)
    )


def asks_form(question: str, analyzer: Analyzer) -> bool:
    """Whether `question` asks for a value of a shape (`Attribute.form`: an e-mail
    address, a telephone number, a website)."""
    return any(a.form for a, _ in _asked(question, analyzer))


def asks_price(question: str, analyzer: Analyzer) -> bool:
    """Whether `question` asks what something costs (price, cost, fee, 价格…)."""
    return any(a is ATTRIBUTES[1] for a, _ in _asked(question, analyzer))


def _words(attribute: Attribute, analyzer: Analyzer) -> set[str]:
    """`attribute`'s words as terms (Chinese ones as written, English ones stemmed)."""
    out: set[str] = set()
    for word in attribute.words:
        out.update([word] if CJK.search(word) else analyzer.tokenize(word))
    return out


def _unit_pattern(units: Sequence[str]) -> re.Pattern[str]:
    alternation = "|".join(units)
    # A Latin unit ends at a word's end ("m" is not the start of "minutes"); a Chinese
    # one need not.
    return re.compile(rf"{_AMOUNT}(?:(?:{alternation})(?![a-z])|(?:{alternation}))", re.IGNORECASE)


def unit_values(question: str, sentence: str, analyzer: Analyzer) -> set[str] | None:
    """The values in `sentence` carrying a unit of the attribute `question` asks for,
    those the question holds aside ("110 degrees celsius" for "At what temperature is
    Kestrel Gold fired?"); None when the question names no attribute with units."""
    asked = [a for a, _ in _asked(question, analyzer)]
    units = [a.units for a in asked if a.units]
    patterns = [re.compile(a.form, re.IGNORECASE) for a in asked if a.form]
    if units:
        patterns.append(_unit_pattern(units))
    if not patterns:
        return None
    if any(a.units == _MONEY for a in asked):
        patterns.append(_CURRENCY)

    def found(text: str) -> set[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        return {" ".join(m.group().split()) for p in patterns for m in p.finditer(text)}

    return found(sentence) - found(question)
