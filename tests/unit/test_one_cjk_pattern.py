"""Every module tells a Chinese character by ragkit.text.cjk, none by a copy of its ranges:
copies drift apart (one had left out the compatibility ideographs)."""

from __future__ import annotations

import re
from pathlib import Path

from ragkit.text.cjk import CJK, CJK_CHARS, WIDE_CHARS

ROOT = Path(__file__).resolve().parents[2] / "ragkit"


def test_no_module_holds_a_copy_of_the_chinese_character_ranges() -> None:
    copies = [
        str(path.relative_to(ROOT))
        for path in sorted(ROOT.rglob("*.py"))
        if path.name != "cjk.py"
        and r"\u3400-\u9fff\uf900-\ufaff" in path.read_text(encoding="utf-8")
    ]
    assert copies == []


def test_the_pattern_is_the_ideographs_and_the_wide_one_adds_punctuation() -> None:
    assert CJK.fullmatch("茶") and CJK.fullmatch("\u3400") and CJK.fullmatch("\uf900")
    assert not CJK.search("Ember kettle，。！１あ한")
    wide = re.compile(f"[{WIDE_CHARS}]")
    assert [c for c in "茶，。「１a あ" if wide.match(c)] == ["茶", "，", "。", "「", "１"]
    assert WIDE_CHARS.startswith(CJK_CHARS)
