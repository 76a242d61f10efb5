"""A follow-up question made standalone by rule: the earlier question's subject carried in.

"And how often should it be descaled?" after "How long is the warranty on the Ember
brewing kettle?" searches for nothing about kettles; the bundled 135M model's rewrite
drops the subject as often as it resolves it. So the subject is carried by rule, and a
model's rewrite is kept only when it keeps that subject (`standalone_question` in
ragkit.answer.pipelines decides; this module says what the rule makes of a question):

- **the subject** of an earlier question (`subject_of`): in English its name (a run of
  capitalised words after the first word, with "the" before it, the lower-case words of
  the same noun phrase after it, and "a guided tour of" before it), else its first noun
  phrase after "the" / "a" ("the entry share"); in Chinese the run of nouns holding a
  proper noun by jieba's tags (杭州品鉴中心), else the one before 的 (晨雾绿茶);
- a follow-up **needs it** (`follow_up`) when it names nothing of its own (no name, none of
  the subject's words) and either refers back (it, its, they, them, their, there; 它, 其,
  那里, 这里) or is elliptical: it opens with and / also / so / then / what about (那, 那么,
  还有, 另外) or asks about one word or none ("How long is the warranty?", "每次浸泡多久？");
- the subject is then **carried in**: a pronoun is replaced by it ("How often should the
  Ember brewing kettle be descaled?", "雾溪茶园的年降雨量是多少？"), "what about X" / "那X呢"
  (or "What about 晨雾绿茶?") with a name asks the earlier question about X, X then being
  the subject (`FollowUp.restated`), and an elliptical English question gets
  "of <subject>" at its end (after a noun) or the subject before it; a Chinese one gets
  the subject in front ("冲泡红隼金毫每次浸泡多久？"). An elliptical question with a word of
  its own ("what about the tea?") may be about something new: there a model's rewrite
  that adds terms of its own is kept without the subject (`FollowUp.optional`).

A chain of follow-ups resolves in order, so the third question of a conversation about
the kettle still carries the kettle. Leaves out the model's rewrite and its checks
(ragkit.answer.pipelines), he / she (they mostly stand for the earlier answer's person,
not the question's subject) and languages other than English and Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ragkit.text.analysis import STOPWORDS, Analyzer
from ragkit.text.cjk import CJK

_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_DETERMINERS = frozenset({"the", "a", "an"})
# Words that open a question or ask, never part of its subject.
_ASKING = frozenset(
    """what which who whom whose when where why how is are was were do does did can could
    should would will may might has have had and also so then please tell me about much
    many long often far old big large""".split()
)
# Verbs that end a question's noun phrase ("the Lantern House tasting room | open").
_VERBS = frozenset(
    """be open opens left leave leaves found cost costs last lasts take takes seat seats
    hold holds make makes sell sells produce produces develop develops locate start starts
    begin began begins build builds call calls name names use uses pay pays deliver
    delivers cover covers receive receives join joins win won become became come came
    need needs weigh weighs go goes went get gets got work works mean means run runs close
    closes release releases contain contains require requires include includes offer
    offers serve serves stand stands live lives die dies keep keeps give gives buy buys
    sit sits chair chairs lead leads own owns grow grows brew brews steep steeps mix""".split()
)
_REFERS_EN = re.compile(r"\b(it|its|they|them|their|there)\b", re.IGNORECASE)
_BE_BEFORE = re.compile(r"\b(?:is|are|was|were|'s)\s+$", re.IGNORECASE)
_OPENS_EN = re.compile(r"^\s*(?:and|also|so|then|but)\b[\s,]*", re.IGNORECASE)
_WHAT_ABOUT_EN = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?？.]*\s*$", re.IGNORECASE
)
_DETERMINER_EN = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_REFERS_ZH = re.compile(r"它们|它|其|那里|那儿|这里|这儿")
_OPENS_ZH = re.compile(r"^\s*(?:那么|那|还有|另外|还|再)")
_WHAT_ABOUT_ZH = re.compile(r"^\s*(?:那么|那)?(?P<x>[^？?，,。]+?)呢\s*[？?]?\s*$")
# Chinese asking and filler words that leave a follow-up without content of its own.
_ASKING_ZH = frozenset(
    """多少 多久 多长 几 几个 什么 哪 哪里 哪儿 哪个 哪一年 谁 怎么 怎样 如何 为什么 吗 呢
    是 有 每次 一般 通常 大概 需要 应该 可以 要 能 会 那 那么 还有 另外 还 再""".split()
)
_NOUNISH = ("n", "a", "g", "l", "j", "vn", "an")
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class FollowUp:
    """What the rule makes of a question: `query` is the question with `subject` (the
    latest earlier question's; "" when none has one) carried in when `needs_context`,
    else the question as written."""

    query: str
    subject: str = ""
    needs_context: bool = False
    optional: bool = False
    """An elliptical follow-up with a word of its own ("what about the tea?", "And how
    much is the entry share?"): it may be about something new, so a model's rewrite that
    adds other terms instead of the subject is as good."""
    restated: bool = False
    """The earlier question asked again about a new `subject` ("What about the Copperleaf
    tins?", "那雾溪白茶呢？"): `query` holds what is asked, the question as typed does not."""


def subject_of(question: str, analyzer: Analyzer) -> str:
    """The subject `question` asks about, as written in it; "" when none is found."""
    if CJK.search(question):
        return _subject_zh(question, analyzer)
    return _subject_en(question)


def follow_up(question: str, earlier: Sequence[str], analyzer: Analyzer) -> FollowUp:
    """`question` made standalone from the `earlier` questions of the conversation
    (oldest first): each earlier one is resolved the same way in turn, and the subject
    carried is the latest one that has a subject. A query the rule completed loses the
    English word that tied it to the conversation ("And how often should the Ember
    brewing kettle be descaled?" is searched as "How often should …": `searching for`
    shows it, and the embedder reads it)."""
    resolved: list[FollowUp] = []
    for asked in earlier:
        resolved.append(_resolve(asked, resolved, analyzer))
    return _resolve(question, resolved, analyzer)


def without_opening(query: str) -> str:
    """`query` without an English opening "and", "also", "so", "then" or "but" (with the
    comma after it), capitalised: "And how long does shipping take?" stands alone as "How
    long does shipping take?". A query that is nothing but the word is left as written."""
    rest = _OPENS_EN.sub("", query, count=1)
    return _capital(rest) if rest.strip(" ?？.") else query


def adds_terms(rewrite: str, question: str, analyzer: Analyzer) -> bool:
    """Whether `rewrite` says more than `question` (an echo of it resolves nothing)."""
    return bool(set(analyzer.tokenize(rewrite)) - set(analyzer.tokenize(question)))


def keeps_subject(rewrite: str, subject: str, analyzer: Analyzer) -> bool:
    """Whether `rewrite` still names `subject`: its names (capitalised words) and its last
    word, the thing named ("the Ember kettle" keeps "the Ember brewing kettle", "the
    kettle" does not; for Chinese every character of it, segmented differently in another
    sentence)."""
    if CJK.search(subject):
        return all(ch in rewrite for ch in subject if CJK.match(ch))
    words = [w.group() for w in _words(subject)]
    key = [w for w in words if w[0].isupper() or w[0].isdigit()] + words[-1:]
    terms = set(analyzer.tokenize(" ".join(key)))
    return bool(terms) and terms <= set(analyzer.tokenize(rewrite))


def names_subject(text: str, subject: str, analyzer: Analyzer) -> bool:
    """Whether `text` (a heading, a sentence) names `subject`: in English the subject's
    names (its capitalised words; without any, `keeps_subject`'s last word), in Chinese
    the subject as written or, for a heading, the heading's own name within it ("##
    红隼金毫（红茶）" names 冲泡红隼金毫; "## 雾溪白茶" does not name 雾溪茶园)."""
    if CJK.search(subject):
        core = _BRACKETED.sub("", text).strip("# \t")
        return subject in text or (len(CJK.findall(core)) >= 2 and core in subject)
    names = [w.group() for w in _words(subject) if w.group()[0].isupper() or w.group()[0].isdigit()]
    terms = set(analyzer.tokenize(" ".join(names)))
    if not terms:
        return keeps_subject(text, subject, analyzer)
    return terms <= set(analyzer.tokenize(text))


def _resolve(question: str, earlier: Sequence[FollowUp], analyzer: Analyzer) -> FollowUp:
    text = question.strip()
    # A question the rule completed is about the subject it carried in, as written there
    # (jieba may cut "冲泡红隼金毫每次浸泡多久？" as "…红隼金 | 毫每次…").
    found = (
        (f.query, f.subject if f.needs_context else subject_of(f.query, analyzer))
        for f in reversed(earlier)
    )
    previous, subject = next(((q, s) for q, s in found if s), ("", ""))
    if not subject:
        return FollowUp(text)
    if CJK.search(text):
        return _carry_zh(text, subject, previous, analyzer)
    carried = _carry_en(text, subject, previous, analyzer)
    if carried.needs_context:
        return replace(carried, query=without_opening(carried.query))
    return carried


# --- English ---------------------------------------------------------------------------


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _is_name(word: str, first: bool) -> bool:
    return (word[0].isupper() or (word[0].isdigit() and not first)) and not (
        first or word == "I" or word.lower() in _ASKING
    )


def _names(text: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (word indices, end exclusive), not counting the first."""
    words = [m.group() for m in _words(text)]
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if words[i][0].isupper() and _is_name(words[i], i == 0):
            j = i + 1
            while j < len(words) and _is_name(words[j], False):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _noun(word: str) -> bool:
    """A lower-case word that may continue a noun phrase."""
    lower = word.lower()
    return (
        word == lower
        and lower not in STOPWORDS
        and lower not in _ASKING
        and lower not in _VERBS
        and not lower.endswith("ed")
    )


def _modifier(lower: str) -> bool:
    """A word that may stand in a noun phrase before its head ("guided" in "a guided tour")."""
    return lower not in STOPWORDS and lower not in _ASKING and lower not in _VERBS


def _adjacent(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    """Whether only spaces stand between two words (no comma, no question mark)."""
    return not text[a.end() : b.start()].strip()


def _subject_en(question: str) -> str:
    words = _words(question)
    runs = _names(question)
    if runs:
        start, end = max(runs, key=lambda r: r[1] - r[0])
        # The rest of its noun phrase: "Ember | brewing kettle", two words at most.
        limit = end + 2
        while end < min(limit, len(words)) and _noun(words[end].group()):
            if not _adjacent(question, words[end - 1], words[end]):
                break
            end += 1
        lower = [w.group().lower() for w in words]
        if start and lower[start - 1] in _DETERMINERS:
            start -= 1
            # "a guided tour of | the Copperleaf drying house": the thing named is the tour.
            if start >= 2 and lower[start - 1] == "of":
                head = start - 2
                while head > 0 and _modifier(lower[head]) and start - head < 4:
                    if lower[head - 1] in _DETERMINERS:
                        start = head - 1
                        break
                    head -= 1
        return question[words[start].start() : words[end - 1].end()]
    for i, word in enumerate(words[:-1]):
        if word.group().lower() in _DETERMINERS and _noun(words[i + 1].group()):
            end = i + 1
            while end < len(words) and end - i <= 3 and _noun(words[end].group()):
                if not _adjacent(question, words[end - 1], words[end]):
                    break
                end += 1
            return question[word.start() : words[end - 1].end()]
    return ""


def _carry_en(text: str, subject: str, previous: str, analyzer: Analyzer) -> FollowUp:
    about = _WHAT_ABOUT_EN.match(text)
    if about and _names("x " + about.group("x")):
        # "What about the Copperleaf tins?": the earlier question, asked of them.
        if subject in previous:
            named = about.group("x").rstrip("?？. ")
            return FollowUp(previous.replace(subject, named, 1), named, True, restated=True)
    if _names(text) or set(analyzer.tokenize(subject)) & set(analyzer.tokenize(text)):
        return FollowUp(text, subject)  # it names what it asks about
    bare = subject[0].lower() + subject[1:] if subject.split()[0] in ("The", "A", "An") else subject
    refers = [m for m in _REFERS_EN.finditer(text) if not _is_existential(text, m)]
    if refers:
        m = refers[0]
        word = m.group().lower()
        # "its board" becomes "the Lumen Tea Cooperative board", not "…'s board": a
        # possessive's "s" would be one more term of the question to find in a passage.
        carried = f"at {bare}" if word == "there" else bare
        query = text[: m.start()] + carried + text[m.end() :]
        return FollowUp(_capital(query), subject, True)
    content = _content_en(text, analyzer)
    if about or _OPENS_EN.match(text) or len(content) <= 1:
        # "What about the tea?" may leave the kettle behind, "And the price?" not: with a
        # word of its own to ask about, the subject is optional.
        optional = bool(content)
        core = text.rstrip("?？. ")
        last = _words(core)[-1].group() if _words(core) else ""
        if last and _noun(last):
            return FollowUp(f"{core} of {bare}?", subject, True, optional)
        return FollowUp(f"{_capital(subject)}: {without_opening(text)}", subject, True, optional)
    return FollowUp(text, subject)


def _is_existential(text: str, match: re.Match[str]) -> bool:
    """ "Is there …", "there is …": the "there" that points nowhere."""
    if match.group().lower() != "there":
        return False
    after = text[match.end() :].lstrip().lower()
    before = text[: match.start()]
    return bool(_BE_BEFORE.search(before)) or after.startswith(("is ", "are ", "was ", "were "))


def _content_en(text: str, analyzer: Analyzer) -> list[str]:
    words = [w.group().lower() for w in _words(text)]
    kept = [w for w in words if w not in _ASKING and w not in STOPWORDS]
    return analyzer.tokenize(" ".join(kept))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Chinese ---------------------------------------------------------------------------


def _tagged(text: str, analyzer: Analyzer) -> list[tuple[str, str]]:
    """`text` as jieba's words and part-of-speech tags, by the analyzer's own tagger (its
    `proper_nouns` loads it) where it has one under that name, else a tagger of its own."""
    analyzer.proper_nouns("")
    tagger = getattr(analyzer, "_tagger", None)
    if tagger is None:
        import jieba
        import jieba.posseg  # type: ignore[import-untyped]

        tagger = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    return [(pair.word, pair.flag) for pair in tagger.cut(text)]


def _shared_words(a: str, b: str, analyzer: Analyzer) -> bool:
    """Whether two Chinese texts share a word of two characters or more."""
    words = {w for w in analyzer.tokenize(a) if len(w) >= 2}
    return bool(words & set(analyzer.tokenize(b)))


def _subject_zh(question: str, analyzer: Analyzer) -> str:
    runs: list[list[tuple[str, str]]] = []
    following: list[str] = []
    current: list[tuple[str, str]] = []
    tagged = _tagged(question, analyzer)
    for i, (word, flag) in enumerate(tagged):
        if flag.startswith(_NOUNISH) and word not in _ASKING_ZH and CJK.match(word):
            current.append((word, flag))
            continue
        if current:
            runs.append(current)
            following.append(tagged[i][0])
            current = []
    if current:
        runs.append(current)
        following.append("")
    runs_text = ["".join(w for w, _ in run) for run in runs]
    named = [
        t
        for t, run in zip(runs_text, runs, strict=True)
        if any(f.startswith(("nr", "ns", "nt", "nz")) for _, f in run)
    ]
    if named:
        return max(named, key=len)
    before_de = [t for t, f in zip(runs_text, following, strict=True) if f == "的"]
    if before_de:
        return before_de[0]
    return max(runs_text, key=len) if runs_text and len(max(runs_text, key=len)) >= 2 else ""


def _carry_zh(text: str, subject: str, previous: str, analyzer: Analyzer) -> FollowUp:
    about = _WHAT_ABOUT_ZH.match(text)
    # "What about 晨雾绿茶?" asks it in English of a Chinese name.
    asked_of = about or _WHAT_ABOUT_EN.match(text)
    named = asked_of.group("x").rstrip("?？. ") if asked_of else ""
    if len(named) >= 4 and not _REFERS_ZH.search(named) and (about or CJK.search(named)):
        # "那雾溪白茶呢？": the earlier question, asked of it (a name, not an attribute).
        if subject in previous:
            return FollowUp(previous.replace(subject, named, 1), named, True, restated=True)
    refers = _REFERS_ZH.search(text)
    if not refers and (analyzer.proper_nouns(text) or _shared_words(subject, text, analyzer)):
        return FollowUp(text, subject)  # it names what it asks about
    # An English subject goes into a Chinese question without its article: "它的保修期是
    # 多久？" after a question on the Ember brewing kettle is "Ember brewing kettle的保修期
    # 是多久？", not "the Ember brewing kettle的…".
    carried = _DETERMINER_EN.sub("", subject)
    if refers:
        query = text[: refers.start()] + carried + text[refers.end() :]
        return FollowUp(query, subject, True)
    content = [t for t in analyzer.tokenize(text) if t not in _ASKING_ZH and CJK.match(t)]
    if about or _OPENS_ZH.match(text) or len(content) <= 1:
        return FollowUp(carried + _OPENS_ZH.sub("", text), subject, True, bool(content))
    return FollowUp(text, subject)
