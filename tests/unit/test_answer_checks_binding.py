"""A value in a model's sentence is supported only where one source sentence holds it
with the words the sentence says it of, and a negation only where the source denies too
(ragkit.answer.checking.AnswerChecker, over the sample corpus's own texts)."""

from __future__ import annotations

from checkers import SAMPLE_CORPUS as CORPUS
from checkers import checker as _checker
from checkers import sample_section, stream_shown


def test_a_value_said_of_another_step_is_not_supported() -> None:
    guide = (CORPUS / "processing_guide.txt").read_text(encoding="utf-8")
    question = "What temperature is the leaf fired at?"
    wrong = "The temperature of the firing process is 24 degrees Celsius."
    checker = _checker(question, guide)
    check = checker.check(wrong)
    # 24 degrees is in the sources, but in the withering step's sentences.
    assert not check.supported and "24" in check.missing
    assert checker.check("The leaf is fired at 110 degrees Celsius.").supported
    shown = stream_shown(_checker(question, guide), wrong + " [2]")
    assert "24 degrees" not in shown and "110" in shown, shown
    assert "The temperature of the firing process is 24 degrees Celsius." not in shown


def test_a_chinese_value_must_keep_its_unit_and_its_subject() -> None:
    garden = (CORPUS / "wuxi_garden_zh.txt").read_text(encoding="utf-8")
    checker = _checker("雾溪茶园的年降雨量是多少？", garden)
    # 320亩 is the garden's area; rainfall is given in 毫米.
    rain = checker.check("年降雨量约为320亩。")
    assert not rain.supported and "320亩" in rain.missing
    assert checker.check("年降雨量约1400毫米。").supported
    shown = stream_shown(_checker("雾溪茶园的年降雨量是多少？", garden), "年降雨量约为320亩。")
    assert "320亩" not in shown and "1400毫米" in shown, shown


def test_a_chinese_value_is_not_bound_to_a_term_of_another_sentence() -> None:
    brewing = (CORPUS / "brewing_guide_zh.md").read_text(encoding="utf-8")
    # 85摄氏度 is the white tea's water temperature; the ratio is another sentence's.
    checker = _checker("茶水比例是多少？", brewing)
    ratio = checker.check("茶水比例为85摄氏度。")
    assert not ratio.supported
    assert checker.check("茶水比例为1比50。").supported
    # The question's own term may be said of a value in the unit the sources give it.
    source = "冲泡红茶时建议使用90摄氏度的水，每次浸泡3分钟。绿茶的推荐水温为80摄氏度。"
    checker = _checker("冲泡红茶的推荐水温是多少？", source)
    assert checker.check("红茶的推荐水温是90摄氏度。").supported


def test_words_of_another_sentence_glued_to_a_value_are_not_supported() -> None:
    faq = sample_section("faq.html", "Yes. Wholesale", "</p>").replace("<strong>", "")
    policy = sample_section("membership_policy.md", "New members", "It is refunded")
    # Both passages stand before the model: "new members" is in the other one.
    question = "What is the minimum wholesale order for new members?"
    checker = _checker(question, faq.replace("</strong>", ""), policy)
    glued = checker.check("The minimum wholesale order is 20 kilograms of new members.")
    assert not glued.supported and "20" in glued.missing
    assert checker.check("The minimum wholesale order is 20 kilograms.").supported


def test_a_negation_the_source_does_not_carry_is_not_supported() -> None:
    policy = (CORPUS / "membership_policy.md").read_text(encoding="utf-8")
    question = "Can the entry share be paid in instalments?"
    checker = _checker(question, policy)
    denied = checker.check("No, the entry share cannot be paid in instalments.")
    assert not denied.supported and "cannot" in denied.missing
    assert checker.check("The entry share may be paid in three yearly instalments.").supported
    shown = stream_shown(
        _checker(question, policy), "No, the entry share cannot be paid in instalments."
    )
    assert "cannot" not in shown and "instalments" in shown, shown
    # A negation the source sentence carries stands.
    source = "Green tea leaf is not withered; it is steamed within two hours of arrival."
    checker = _checker("How is green tea leaf treated on arrival?", source)
    assert checker.check("Green tea leaf is not withered, it is steamed.").supported
