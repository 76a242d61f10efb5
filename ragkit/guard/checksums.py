"""Check digits that tell a real identifier from a number that merely looks like one.

GB 11643-1999 (mainland resident ID numbers: region, birth date, sequence, ISO 7064
MOD 11-2 check character) and Luhn (bank cards). Leaves out region-code tables: any
first digit 1-8 passes, since codes change over time and an allowlist would go stale.
"""

from __future__ import annotations

import datetime as dt

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


def gb11643_check_char(first17: str) -> str:
    """The 18th character for 17 leading digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11]


def is_valid_cn_id(value: str) -> bool:
    """An 18-character resident ID with a plausible region digit, a real birth date
    (1850 up to today) and the right check character."""
    if len(value) != 18 or not value[:17].isdigit() or value[0] not in "12345678":
        return False
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not dt.date(1850, 1, 1) <= born <= dt.date.today():
        return False
    return gb11643_check_char(value[:17]) == value[17].upper()


def luhn_ok(digits: str) -> bool:
    """True when the Luhn (mod 10) checksum of `digits` holds."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
