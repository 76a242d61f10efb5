"""English questions: a sentence about another one of the kind asked about, or not
stating the relation asked.

Each rule is a lexical test of one sentence (or window) against the question, applied
by `ragkit.answer.answerable.answering_windows`:

- **The same thing, the same year.** A numbered name ("Xenoblade Chronicles 2",
  "iPhone 11") must stand with its number (`numbered_names`), and a sentence naming
  years none of which the question names speaks of another year ("the 2022 US Open"
  for 2021: `other_year`).
- **The relation, said by the sentence.** An English question about a few common
  relations (who won, a release, revenue, a director…) is answered only by a sentence
  that states the relation itself, in one of its words (`states_relation`); a
  neighbour naming it does not count, nor does a win under way, a part of the event
  won ("the stage 21 victory") or a tally of wins ("his fourth victory").
- **Not another of its kind.** Another season, quarter or edition (`other_edition`:
  "Season 1" for "season 4", "the first quarter" for Q2, "the 93rd" for "the 90th
  Academy Awards"), another award or event with the question's head noun
  (`other_title`: "CFDA Awards" for "Maxwell Award"), another category of the award
  (`other_category`: "best supporting actor" or "Best Picture, Best Director" for "Best
  Actor"), another work whose title starts
  with the question's (`other_work`: "Assassin's Creed Syndicate"), a time before the
  page's own ("a year ago") for a question naming its year, a date still planned
  ("slated for July") for a question on when something happened (`planned_only`) or a
  plan given up ("its original release date was April 16, 2020": `superseded_plan`), and
  for who, a nationality without a name (`nationality_only`: "a Colombian has won");
  the other side of a year ("since 2021" for "before 2021": `other_side`), another
  thing's price (`other_priced`: a tasting flight's for a tin), the question's common
  noun without a word modifying it (`modifier_unsaid`: "tea" for "white tea"). A
  place's adjective or short form names the place ("French" for France, "U.S." for the
  US: `ragkit.text.places`).

Leaves out Chinese questions (`ragkit.answer.rules_zh`) and entailment: a sentence that
passes every rule may still not state the answer (RGB's distractors often do: another
year's winner, another game's release date; docs/answers.md has the figures).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import pairwise

from ragkit.answer.kinds import (
    CJK,
    EN_DATE,
    NAME,
    NOT_NAMES,
    YEAR,
    answer_kind,
    has_kind,
    statement,
    text_words,
)
from ragkit.answer.question_terms import asking_terms, held_terms, question_names, word_forms
from ragkit.text.analysis import STOPWORDS, Analyzer
from ragkit.text.places import is_place_adjective, place_forms

# A name with a number after it names one thing of a series: "Splatoon 2", "iPhone 11",
# "Season 17", "Diablo III"; another number after the name is another thing.
_NUMBERED = re.compile(
    r"(?<![\w'’])([A-Za-z]*[A-Z][A-Za-z'’]*)[\s-]+(\d{1,3}|II|III|IV|VI{0,3}|IX|XI{0,3})\b(?![.,]?\d)(?!\s*(?:1[0-9]|20)\d\d\b)"
)


def numbered_names(question: str) -> list[re.Pattern[str]]:
    """Patterns for the numbered names of `question` ("Splatoon 2", "GPT-3", "iPhone
    11"), as a normalised text must hold them: the name, then the same number."""
    out = []
    for m in _NUMBERED.finditer(unicodedata.normalize("NFKC", question)):
        name, number = m.group(1), m.group(2)
        if name.lower() in NOT_NAMES:
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
    asked = set(YEAR.findall(unicodedata.normalize("NFKC", question)))
    if not asked:
        return False
    text = unicodedata.normalize("NFKC", statement(sentence) or sentence)
    said = set(YEAR.findall(text))
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
        said = [m.start() for m in YEAR.finditer(line) if m.group() == year]
        if not said:
            continue
        sides = {m.start(3): bool(m.group(1)) for m in _SIDE_YEAR.finditer(line)}
        if all(at in sides and sides[at] != before for at in said):
            return True
    return False


def other_priced(question: str, sentence: str, analyzer: Analyzer, window: str = "") -> bool:
    """Whether `question` asks what a thing costs, naming it by words besides its names
    ("How much does a tin of Kestrel Gold cost?": a tin), and `sentence` holds none of
    them: "The tasting bar offers a flight of five teas for 8 dollars, including Kestrel
    Gold" prices a flight, not a tin. A sentence that says the question's price word
    itself speaks of the thing its `window` (the sentence with its neighbours) names
    before it:
    "For the 2025 season the fee was 0.18 dollars per kilogram" after "members pay a
    processing fee for each kilogram" is the processing fee. English questions only."""
    from ragkit.answer.attributes import asks_price, attribute_terms

    if CJK.search(question) or not asks_price(question, analyzer):
        return False
    asking = asking_terms(question, analyzer) | attribute_terms(question, analyzer)
    names = question_names(question, analyzer)
    things = {
        t
        for t in analyzer.tokenize(question)
        if t not in asking and not any(n in t or t in n for n in names)
    }
    held = set(analyzer.tokenize(sentence))
    forms = word_forms(analyzer)
    if not things or held_terms(things, held, forms):
        return False
    # "the fee was 0.18 dollars": the price word said, the thing in the sentence before
    # (what "the fee" points back to; not the next sentence's "no annual membership fee").
    before = window[: window.find(sentence)] if sentence in window else ""
    priced = attribute_terms(question, analyzer) & held
    return not (priced and held_terms(things, set(analyzer.tokenize(before)), forms) == things)


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
            w for w in words[:at] if w not in NOT_NAMES and w != "de" and not re.search(r"\d", w)
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


def other_category(question: str, sentence: str) -> bool:
    """Whether `sentence` gives two neighbouring capitalised words of a title in
    `question` ("Best Actor") to another thing: it never writes them side by side but
    writes a word of its own between them ("the best supporting actor Oscar", "the
    Nobel Peace Prize" for "Nobel Prize"), or, for a title's first two words, writes the
    first before another capitalised word ("including Best Picture, Best Director" for
    "Best Actor"). That word names another category of the award or another event,
    whose winner is not the one asked about."""
    text = unicodedata.normalize("NFKC", question)
    line = unicodedata.normalize("NFKC", sentence)
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", text)} | STOPWORDS
    for m in _TITLE_RUN.finditer(text):
        words = m.group().split()
        for at, (before, word) in enumerate(pairwise(words)):
            if not all(w[:1].isupper() and w[1:].islower() for w in (before, word)):
                continue  # "92nd Academy", "CEO of": a number, an acronym or a joining word
            if before.lower() in STOPWORDS:
                continue  # "The Avengers": "The Russo Brothers" is no other category
            pair = rf"(?<![\w'’]){re.escape(before)}\s+{re.escape(word)}(?![\w'’])"
            if re.search(pair, line, re.IGNORECASE):
                continue
            between = rf"(?<![\w'’]){re.escape(before)}\s+([\w'’-]+)\s+{re.escape(word)}(?![\w'’])"
            if any(g.group(1).lower() not in asked for g in re.finditer(between, line, re.I)):
                return True
            if at > 0:
                continue
            other = rf"(?<![\w'’]){re.escape(before)}\s+([A-Z][a-z][\w'’-]*)"
            for g in re.finditer(other, line):
                said = g.group(1).lower()
                # "US President" for "US Presidential Election" is a form of the word.
                if said not in asked and not said.startswith(word.lower()[:5]):
                    return True
    return False


# A run of capitalised words in a sentence: one name, a title or a heading's words.
_CAPITALISED_RUN = re.compile(r"(?<![\w'’])[A-Z][\w'’.&-]*(?:\s+[A-Z][\w'’.&-]*)*")


def names_someone(question: str, sentence: str) -> bool:
    """Whether `sentence` names someone `question` does not: two or more capitalised
    words that are no word of the question's (in any number), no function word and no
    title of an award or event ("Christophe Gans", "Tim Cook"), or a country ("Norway
    collected 39 medals"). "The executive officers include the President and ten Vice
    Presidents" and "'The Shape of Water' won Oscars … at the 2018 Academy Awards" name
    no one: quoted after another sentence's name as another answer to who, they answer
    nothing."""
    asked = {_letters(w).removesuffix("s") for w in question.split()}
    for m in _CAPITALISED_RUN.finditer(unicodedata.normalize("NFKC", sentence)):
        letters = [_letters(re.sub(r"['’]s$", "", w)) for w in m.group().split()]
        if any(_head(w) for w in letters):
            continue  # "Academy Awards", "Nobel Prize": a title, not someone
        own = [
            w
            for w in letters
            if w and w.removesuffix("s") not in asked and w not in NOT_NAMES | STOPWORDS
        ]
        if len(own) >= 2 or (len(own) == 1 and place_forms(own[0])):
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
        words = [w for w in words if not YEAR.fullmatch(w)]
        if words:
            out.append(words)
    return out


def other_work(question: str, sentence: str) -> bool:
    """Whether `sentence` names a title of `question` only with another capitalised
    word or a number after it that the question does not hold: "Assassin's Creed
    Syndicate" or "Avatar 2" is another work than "the Assassin's Creed movie", "the
    Avatar movie"."""
    text = unicodedata.normalize("NFKC", statement(sentence) or sentence)
    asked = text_words(question)
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
            if not after or after.lower() in asked or YEAR.fullmatch(after):
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
            and len(NAME.findall(runs[i + 1].group())) >= 2
            and not {key(w) for w in re.findall(r"[\w'’.-]+", runs[i + 1].group())} & missing
        ):
            platforms |= words  # the series' title; its subtitle names the work
            held_title = True
        else:
            return False
    return held_title and missing <= platforms


def lower_case_words(question: str, texts: Sequence[str]) -> frozenset[str]:
    """The capitalised words of `question` that follow another capitalised word of its
    (a title's later word) and that one of `texts` writes in lower case right after that
    word: "Ceremony" of "the 92nd Academy Awards Ceremony" where a retrieved text says
    "the 90th Academy Awards ceremony". The texts use it as a common noun after the
    title, not as part of the name, so a document naming the rest of the title ("The
    92nd Academy Awards | 2020 ... Joaquin Phoenix wins Best Actor") names the thing
    asked about without it. A word no text writes so stays a name ("World Cup" in
    "Copa do Mundo da FIFA Brasil 2014")."""
    text = unicodedata.normalize("NFKC", question)
    out = set()
    for m in _TITLE_RUN.finditer(text):
        words = re.findall(r"[\w'’.&-]+", m.group())
        for before, word in pairwise(words):
            if not word[0].isupper() or not word[1:].islower():
                continue
            said = re.compile(
                rf"(?<![\w'’])(?i:{re.escape(before)})\s+{re.escape(word.lower())}(?![\w'’])"
            )
            if any(said.search(t) for t in texts):
                out.add(word)
    return frozenset(out)


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
    if CJK.search(question):
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
            if group is _RELATIONS[0] and _ELECTION.search(text):
                # An election is won by being elected or chosen: "Voters in France chose
                # Emmanuel Macron to be their next president" says who won it.
                said |= set(analyzer.tokenize(_ELECTED))
            out.append(frozenset(analyzer.tokenize(asking)) | said)
    return out


_ELECTION = re.compile(r"\belections?\b", re.IGNORECASE)
_ELECTED = "chose chosen"


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
    asked_words = text_words(question)
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
        if name not in NOT_NAMES:
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


# A plan given up: "Cyberpunk 2077's original release date was April 16, 2020",
# "originally scheduled for 2019". Unless the sentence goes on to what happened instead
# ("but it was delayed to December 10, 2020"), its date is not when the thing happened.
_SUPERSEDED = re.compile(
    r"\b(?:original(?:ly)?|initial(?:ly)?)\s+(?:\w+\s+){0,2}?(?:release\s+)?"
    r"(?:date|scheduled|planned|set|slated|due|announced)\b",
    re.IGNORECASE,
)
_INSTEAD = re.compile(
    r"\b(?:but|now|instead|delayed|pushed|moved|postponed|finally|eventually|ultimately"
    r"|rescheduled)\b",
    re.IGNORECASE,
)


def superseded_plan(question: str, sentence: str) -> bool:
    """Whether `question` asks for a date and `sentence` gives it only as a plan given
    up (`_SUPERSEDED`: an original or initial date, nothing said after it of what
    happened instead)."""
    if answer_kind(question) != "date":
        return False
    text = unicodedata.normalize("NFKC", statement(sentence) or sentence)
    m = _SUPERSEDED.search(text)
    return m is not None and not _INSTEAD.search(text, m.end())


# The words that bound a noun phrase of an English question: what stands between them
# is a phrase's modifiers and its head ("the [first aid officer]", "on [farm tracks]").
_DETERMINERS = frozenset(
    "the a an its his her their our my your this that these those each every any some all "
    "no another".split()
)
_PREPOSITIONS = frozenset(
    "of in on at for to from with by about during before after since until into over under "
    "between per among across through within without against via".split()
)
_BE = frozenset("is are was were be been being am".split())
# A subject after these is followed by its verb ("does standard delivery take"), which
# the phrase does not hold.
_DO = frozenset("do does did will would can could should shall may might must has have had".split())
_WH = frozenset("who whom whose what which when where why how".split())
_FUNCTION = (
    _DETERMINERS
    | _PREPOSITIONS
    | _BE
    | _DO
    | _WH
    | frozenset("i you he she it we they me him them us and or but not nor so as like than".split())
)
# A particle after a verb ("set up", "carried out") makes the run's last word a verb.
_PARTICLES = frozenset("up out off down".split())
# Words ranking a thing or placing it in time, not saying which kind it is: "the lead
# actress" is answered by "won best actress", "the most medals" by "the largest haul".
_RANKING = frozenset(
    "most least lead leading main chief top best principal primary new current latest "
    "present".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\w.,]*|[^\w\s]")


def modified_nouns(question: str, analyzer: Analyzer) -> list[tuple[tuple[str, ...], str]]:
    """The common nouns of an English `question` with the words modifying them, as
    (modifiers, head): "white tea" of "How is white tea processed?", "first harvest",
    "annual general meeting". A phrase is a run of lower-case words between function
    words; names, numbers and possessives end it (names are checked as names). Left
    out where the run may hold a verb: after a question word ("which city hosted"),
    the first word after "to", a subject followed by its verb after "does" or "will"
    unless the run is three words ("does standard delivery take"), and a passive's
    participle ending the run ("is white tea processed", "is the meeting held")."""
    if CJK.search(question):
        return []
    tokens = _WORD.findall(unicodedata.normalize("NFKC", question))
    forms = word_forms(analyzer)
    passive = any(t.lower() in _BE for t in tokens)

    def content(i: int) -> bool:
        t = tokens[i]
        return (
            t[:1].islower()
            and t.isascii()
            and t.lower() not in _FUNCTION
            and not re.search(r"['’]s?$", t)
            and not any(c.isdigit() for c in t)
        )

    out = []
    i = 0
    verb_due = False  # a "does", "will"… seen whose verb has not come yet
    while i < len(tokens):
        if not content(i):
            verb_due = verb_due or tokens[i].lower() in _DO
            i += 1
            continue
        j = i
        while j < len(tokens) and content(j):
            j += 1
        run = [t.lower() for t in tokens[i:j]]
        named = i > 1 and bool(NAME.fullmatch(tokens[i - 1]))
        unit = "per" in (t.lower() for t in tokens[max(0, i - 3) : i])
        before = [t.lower() for t in tokens[max(0, i - 2) : i]]
        after = tokens[j].lower() if j < len(tokens) else ""
        i = j
        due, verb_due = verb_due, False
        if before and before[-1] in _WH:
            continue  # "which city hosted": the asked noun, then the verb
        if named or unit:
            # After a name, the named thing's own words ("the Ember brewing kettle
            # warranty"; the name is checked as a name); after "per", a unit ("per
            # kilogram of fresh leaf"): neither names another thing of the kind.
            continue
        if before and before[-1] == "to":
            run = run[1:]  # "to return unopened tea": the verb first
        elif due:
            if before[-1:] and (before[-1] in _DO or before[-1] in _DETERMINERS):
                # The subject, then its verb: kept only where the verb ends the
                # question ("does standard delivery take?").
                if len(run) != 3 or after not in ("?", ""):
                    continue
                run = run[:-1]
            else:
                run = run[1:]  # a name was the subject: "did the … Awards 2020 take place"
        if run and run[-1] in _PARTICLES:
            run = run[:-2]  # "the cooperative set up": a verb and its particle
        if passive and run:
            last = run[-1]
            if (last.endswith("ed") and not last.endswith("eed")) or any(
                t in forms for t in analyzer.tokenize(last)
            ):
                run = run[:-1]  # "is white tea processed", "is the meeting held"
        if len(run) >= 2:
            out.append((tuple(run[:-1]), run[-1]))
    return out


def modifier_unsaid(
    question: str, window: str, analyzer: Analyzer, asking: frozenset[str] = frozenset()
) -> bool:
    """Whether `window` holds the head noun of a phrase of `question`
    (`modified_nouns`) without one of the words modifying it, in any form of the word:
    "Tea is best used within 24 months" speaks of tea, not of the white tea asked
    about, and "Standard delivery … takes 3 to 5 working days" not of express delivery.
    A head in `asking` (the kind asked for: the "date" of "release date") is no thing
    the window must be about."""
    pairs = modified_nouns(question, analyzer)
    if not pairs:
        return False
    forms = word_forms(analyzer)
    held = set(analyzer.tokenize(unicodedata.normalize("NFKC", window)))
    # "membership" speaks of members: a window on the membership fee is about members,
    # so it must say which members the question's "student members" are.
    heads = held | {t.removesuffix("ship") for t in held if len(t) > 7 and t.endswith("ship")}
    for modifiers, head in pairs:
        head_terms = set(analyzer.tokenize(head))
        if not head_terms or head_terms & asking or not held_terms(head_terms, heads, forms):
            continue
        for word in modifiers:
            if word in _RANKING:
                continue
            terms = set(analyzer.tokenize(word)) - asking
            if terms and not held_terms(terms, held, forms):
                return True
    return False
