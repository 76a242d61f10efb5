"""A place's other names: the adjective of its people and its short forms.

"Who won the French Presidential Election 2017?" is answered by "Voters in France chose
Emmanuel Macron"; "the US Presidential Election 2020" by a page on "the 2020 United
States presidential election". A text names a place the question names when it holds
any of the place's spellings here (`place_forms`).

Leaves out: places not in the table (a city's adjective, "Parisian"), historical and
regional names (Prussian, Catalan), and the many-to-one cases an adjective does not
decide (a "Korean" company may be North or South Korean: Korea is its place here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# Each line: the place's names, then after ";" the adjectives of it and its people,
# "|"-separated. Kept to countries and continents.
_PLACES = """\
france;french
china;chinese
united states|us|u.s.|usa|u.s.a.|america;american
united kingdom|uk|u.k.|britain|great britain;british
england;english
scotland;scottish
wales;welsh
ireland;irish
germany;german
italy;italian
spain;spanish
portugal;portuguese
netherlands|holland;dutch
belgium;belgian
switzerland;swiss
austria;austrian
sweden;swedish
norway;norwegian
denmark;danish
finland;finnish
iceland;icelandic
poland;polish
czech republic|czechia;czech
slovakia;slovak
slovenia;slovenian
croatia;croatian
serbia;serbian
hungary;hungarian
romania;romanian
bulgaria;bulgarian
greece;greek
turkey;turkish
russia;russian
ukraine;ukrainian
israel;israeli
egypt;egyptian
morocco;moroccan
nigeria;nigerian
kenya;kenyan
ethiopia;ethiopian
south africa;south african
saudi arabia;saudi
qatar;qatari
iran;iranian
iraq;iraqi
india;indian
pakistan;pakistani
japan;japanese
korea|south korea;korean|south korean
north korea;north korean
taiwan;taiwanese
vietnam;vietnamese
thailand;thai
philippines;filipino
indonesia;indonesian
malaysia;malaysian
singapore;singaporean
australia;australian
new zealand;new zealander
canada;canadian
mexico;mexican
cuba;cuban
brazil;brazilian
argentina;argentine|argentinian
chile;chilean
colombia;colombian
peru;peruvian
uruguay;uruguayan
venezuela;venezuelan
europe;european
africa;african
asia;asian"""


# Short forms that are also common words: a text saying "us" names no place.
_WORDS = frozenset({"us"})


def _lines() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    out = []
    for line in _PLACES.splitlines():
        places, _, adjectives = line.partition(";")
        out.append((tuple(places.split("|")), tuple(a for a in adjectives.split("|") if a)))
    return tuple(out)


_LINES = _lines()


def _table() -> Mapping[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for places, adjectives in _LINES:
        names = places + adjectives
        for name in names:
            out.setdefault(name, set()).update(n for n in names if n != name)
    return MappingProxyType({k: frozenset(v) for k, v in out.items()})


_FORMS = _table()  # read-only
_ADJECTIVES = frozenset(a for _, adjectives in _LINES for a in adjectives)


def place_forms(name: str) -> frozenset[str]:
    """The other names of the place `name` (any case) names, lower-cased: "French" →
    france; "US" → united states, u.s., america, american…; empty for a word that
    names no place in the table."""
    return _FORMS.get(name.strip().lower(), frozenset())


def is_place_adjective(word: str) -> bool:
    """Whether `word` (any case) is the adjective of a place in the table: French,
    Colombian, Austrian (a nationality, not a person's name)."""
    return word.strip().lower() in _ADJECTIVES


def names_place(name: str, text: str) -> bool:
    """Whether lower-cased `text` holds, as whole words, another name of the place
    `name` names ("france" for "French", "united states" or "u.s." for "US")."""
    for form in place_forms(name) - _WORDS:
        if re.search(rf"(?<![\w.]){re.escape(form)}(?![\w])", text):
            return True
    return False


def one_word_groups() -> tuple[tuple[str, ...], ...]:
    """Each place's names of one word, place first ("france", "french"), for places
    with two or more such names: what a word-form table can map to one term."""
    out = []
    for places, adjectives in _LINES:
        words = tuple(n for n in places + adjectives if " " not in n and "." not in n)
        if len(words) >= 2:
            out.append(words)
    return tuple(out)
