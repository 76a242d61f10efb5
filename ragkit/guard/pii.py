"""Personal data: e-mail addresses, phone numbers, mainland resident ID numbers, bank
cards and IP addresses.

ID numbers must pass GB 11643 (birth date and check character) and card numbers Luhn,
so an order number or a mistyped ID is left alone. Phones: mainland mobiles
(1[3-9] + 9 digits, optionally +86) and international numbers written with a `+country`
prefix. Overlaps are settled by certainty: a valid ID number beats a card, a card beats
a phone. Leaves out names and postal addresses (which need a language model, not
patterns) and landline numbers without a country code (too easily confused with other
numbers).

Text is scanned after folding full-width forms and dashes to ASCII one character at a
time (NFKC where it yields one ASCII character), so `１１０１０５…` or an ID written
`110105－19491231－002X` is found, and findings keep the original text's offsets.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from ragkit.guard.checksums import is_valid_cn_id, luhn_ok
from ragkit.guard.types import (
    Finding,
    OneKindScanner,
    open_match,
    partial_patterns,
    trailing_window,
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
# 18 characters, optionally grouped 6-8-4 by a space or dash.
_CN_ID = re.compile(r"(?<![0-9A-Za-z-])\d{6}([ -]?)\d{8}\1\d{3}[0-9Xx](?![0-9A-Za-z])")
# 13-19 digits, optionally in groups separated by one space or dash.
_CARD = re.compile(r"(?<![\d-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\d])")
_CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_INTL_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\d])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:)(?:[0-9A-Fa-f]{0,4}:){1,7}[0-9A-Fa-f.]*(?![\w:])"
)

# Longest a match with spaces in it can run (an international phone with separators):
# a match still growing starts this near the end, or in the last word.
_WINDOW = 48
_OPEN = partial_patterns(_EMAIL, _CN_ID, _CARD, _CN_MOBILE, _INTL_PHONE, _IPV4, _IPV6)


_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"


def fold_forms(text: str) -> str:
    """`text` with full-width letters, digits and punctuation and the Unicode dashes
    turned into their ASCII characters, one character for one (offsets stay valid)."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in _DASHES:
            out.append("-")
        else:
            folded = unicodedata.normalize("NFKC", ch)
            out.append(folded if len(folded) == 1 and folded.isascii() else ch)
    return "".join(out)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


class PiiScanner(OneKindScanner, name="pii", kind="pii"):
    def scan(self, text: str) -> list[Finding]:
        text = fold_forms(text)
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []

        def add(start: int, end: int, label: str, score: float = 1.0) -> None:
            if any(start < e and s < end for s, e in taken):
                return
            taken.append((start, end))
            found.append(self.found(label, start, end, score))

        for m in _EMAIL.finditer(text):
            add(m.start(), m.end(), "EMAIL")
        for m in _CN_ID.finditer(text):
            if is_valid_cn_id(re.sub(r"[ -]", "", m.group())):
                add(m.start(), m.end(), "ID_NUMBER")
        for m in _CARD.finditer(text):
            digits = _digits(m.group())
            if len(digits) == 18 and _id_shaped(digits):
                continue  # an ID number with a wrong check character, not a card
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                add(m.start(), m.end(), "BANK_CARD")
        for m in _CN_MOBILE.finditer(text):
            add(m.start(), m.end(), "PHONE")
        for m in _INTL_PHONE.finditer(text):
            if 8 <= len(_digits(m.group())) <= 15:
                add(m.start(), m.end(), "PHONE")
        for m in _IPV4.finditer(text):
            try:
                ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            add(m.start(), m.end(), "IP_ADDRESS")
        for m in _IPV6.finditer(text):
            value = m.group().rstrip(".")
            if _plausible_ipv6(value):
                add(m.start(), m.start() + len(value), "IP_ADDRESS")
        found.sort(key=lambda f: f.start)
        return found

    def pending(self, text: str) -> int:
        folded = fold_forms(text)
        return open_match(folded, _OPEN, trailing_window(folded, _WINDOW))


def _id_shaped(digits: str) -> bool:
    """18 digits laid out as a resident ID (region digit, a birth year), whatever the
    date and check character say: such a number is an ID typed wrong, not a card (cards
    have 13-16 or 19 digits; 18 is all but unused)."""
    return digits[0] in "12345678" and 1850 <= int(digits[6:10]) <= 2100


def _plausible_ipv6(value: str) -> bool:
    """A valid IPv6 address that is not an identifier like `a::b` or `std::`: it has a
    digit and either three groups or five hex digits."""
    groups = [g for g in re.split(r"[:.]", value) if g]
    if not any(c.isdigit() for c in value) or (len(groups) < 3 and sum(map(len, groups)) < 5):
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True
