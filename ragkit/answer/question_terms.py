"""Which words of a question ask, which name, and in which forms a text holds them.

`asking_terms` are the words that only ask ("how", "many", 什么, and the "long" of "how
long"); `question_names` and `chinese_names` the names a question asks about; `variant`,
`word_forms` and `held_terms` count a word in another form of it (oxidise/oxidation,
Definite/Definitive, win/won). Leaves out what a question asks for
(`ragkit.answer.kinds`) and how much of the question a text covers
(`ragkit.answer.answerable.coverage`): these are the term tests those build on.
"""

from __future__ import annotations

import re
import unicodedata

from ragkit.answer.kinds import CJK, NUMBER, ZH_ASKING
from ragkit.text.analysis import Analyzer
from ragkit.text.normalize import fold
from ragkit.text.places import one_word_groups

_EN_ASKING = "many much name named called my me mine us"


# "How long", "how old"…: the adjective asks for a quantity; the answer says "2.5 hours"
# or "founded in 1999", rarely "long" or "old".
_HOW = re.compile(
    r"\bhow\s+(long|old|far|tall|high|big|large|heavy|fast|often|deep|wide)\b", re.IGNORECASE
)


def asking_terms(question: str, analyzer: Analyzer) -> frozenset[str]:
    """The terms of `question` that only ask (many, 什么, 哪里, 多少, the "long" of
    "how long"…): no evidence sentence should score for holding them ("校长又是什么？" is
    no answer to "于乐的职业是什么？")."""
    asking = set(analyzer.tokenize(_EN_ASKING))
    asking.update(analyzer.tokenize(" ".join(m.group(1) for m in _HOW.finditer(question))))
    return frozenset(t for t in analyzer.tokenize(question) if t in asking or ZH_ASKING.search(t))


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


def question_names(question: str, analyzer: Analyzer) -> list[str]:
    """The names of `question`, normalised: its capitalised words (the first aside) and,
    for a Chinese question, its proper nouns of two or more characters."""
    from ragkit.answer.checking import absent_facts

    latin = [a for a in absent_facts(question, "", chinese=False) if not NUMBER.fullmatch(a)]
    return list(dict.fromkeys([fold(n) for n in latin] + chinese_names(question, analyzer)))


def chinese_names(question: str, analyzer: Analyzer) -> list[str]:
    """The proper nouns of a Chinese `question` of two or more characters, normalised
    (one character is too often a mis-tagged fragment)."""
    if not CJK.search(question):
        return []
    text = unicodedata.normalize("NFKC", question)
    out = []
    for name in analyzer.proper_nouns(text):
        # jieba may take the conjunction between two nouns into the second: 合作社和雾溪
        # 茶园 gives 和雾溪, a name no text writes.
        at = text.find(name)
        if name[0] in _ZH_AND and len(name) >= 3 and at > 0 and CJK.match(text[at - 1]):
            name = name[1:]
        if len(name) >= 2:
            out.append(fold(name))
    return list(dict.fromkeys(out))


_ZH_AND = "和与及跟同"
