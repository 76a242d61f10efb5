"""What a model's sentence says beyond its words: a relative clause binds a description
to the thing before it, a fragment of the quoted evidence is that quote, and after
quoted evidence that leads a sentence naming another value is another answer
(ragkit.answer.checking.AnswerChecker, over the sample corpus's own texts)."""

from __future__ import annotations

from checkers import SAMPLE_CORPUS as CORPUS
from checkers import checker, sample_section, stream_shown


def test_a_relative_clause_must_describe_what_the_source_says_it_of() -> None:
    lots = sample_section("processing_guide.txt", "7. Lot", "8. Storage")
    question = "What letters does a lot code start with?"
    wrong = 'The letters in the lot code are "LTC", which is a three-digit number.'
    # Every word is the source's, but there "a three-digit batch number" ends the list
    # that "LTC" starts: LTC is no number.
    check = checker(question, lots).check(wrong)
    assert not check.supported and check.missing == ("ltc≠three digit number",)
    shown = stream_shown(checker(question, lots), wrong + " [1]")
    assert "which is a three-digit number" not in shown
    assert shown.startswith("Every batch receives a 9-character lot code"), shown
    # The same words, bound as the source binds them, stand.
    assert checker(question, lots).check('The lot code starts with the letters "LTC".').supported


def test_a_relative_clause_the_source_says_of_its_head_stands() -> None:
    history = (CORPUS / "company_history.md").read_text(encoding="utf-8")
    chair = "Who is the chair of the board?"
    said = "The board is chaired by Priya Nandakumar, who is a third-generation grower."
    assert checker(chair, history).check(said).supported
    # The founders' words ("a former schoolteacher") are Mirela Osei's, not the chair's.
    other = "The board is chaired by Priya Nandakumar, who is a former schoolteacher."
    assert not checker(chair, history).check(other).supported
    # A description of two names said before both ("founders are Mirela Osei, …"), the
    # question's own words ("cooperative") said anywhere, and "both" describing nothing.
    founders = (
        "The cooperative was founded by Mirela Osei and Tomas Varga, who are both the founders "
        "of the cooperative."
    )
    assert checker("Who founded the cooperative?", history).check(founders).missing == ()


def test_a_fragment_of_the_quote_is_shown_once_as_the_quote() -> None:
    guide = (CORPUS / "processing_guide.txt").read_text(encoding="utf-8")
    question = "How long does withering take?"
    whole = "Withering lasts between 14 and 18 hours, depending on humidity"
    for reply in ("14 hours [1].", "Withering lasts 14 hours."):
        shown = stream_shown(checker(question, guide), reply)
        # Not "14 hours [1]." and then the sentence it was cut from.
        assert shown.startswith(whole) and shown.count("14") == 1, shown
    # A sentence in the model's own words is no fragment: it stays, and the quote follows.
    shown = stream_shown(checker(question, guide), "It takes 14 to 18 hours.")
    assert shown.startswith("It takes 14 to 18 hours [1].") and whole in shown, shown


def test_after_evidence_that_leads_another_value_is_left_out() -> None:
    garden = (CORPUS / "wuxi_garden_zh.txt").read_text(encoding="utf-8")
    answer = checker("雾溪茶园位于哪里？", garden)
    shown = stream_shown(answer, "茶园负责人李春华女士。")
    # The quote leads (where the garden lies); who runs it is another answer.
    assert shown.startswith("雾溪茶园是流明茶叶合作社在中国的合作茶园，位于云南省普洱市景谷县"), (
        shown
    )
    assert "李春华" not in shown and answer.state.unsupported == ["茶园负责人李春华女士。"]
    # A sentence holding the quote's own values is not another answer.
    answer = checker("雾溪茶园位于哪里？", garden)
    shown = stream_shown(answer, "雾溪茶园在云南省普洱市。")
    assert answer.state.unsupported == [], answer.state.unsupported
