"""A model's sentence that copies a source sentence with a word changed (open for closed,
a negation dropped), a value written in another unit than its source's, and a name taken
from a sentence about something else (ragkit.answer.checking.AnswerChecker, over the
sample corpus's own texts)."""

from __future__ import annotations

from pathlib import Path

from checkers import checker as _checker
from checkers import hit as _hit

from ragkit import HashingEmbedder, KnowledgeBase, ScriptedChatModel
from ragkit.answer.checking import AnswerChecker, unit_words
from ragkit.answer.evidence import Passage
from ragkit.answer.grounding import SentenceScorer
from ragkit.options import Models
from ragkit.text.analysis import Analyzer
from ragkit.text.sentences import split_sentences

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"


def _whole(question: str, *texts: str) -> AnswerChecker:
    """A checker over every sentence of `texts`, not only those the question selects."""
    scorer = SentenceScorer(Analyzer())
    passages = []
    for number, text in enumerate(texts, start=1):
        sentences = tuple(split_sentences(text))
        passages.append(Passage(number, _hit(text, number), sentences, sentences[0], 1.0))
    return AnswerChecker(question, passages, scorer, answering_only=False)


def _text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def test_opening_hours_with_open_for_closed_show_the_handbook_sentence(tmp_path: Path) -> None:
    # Every word of the model's sentence stands in the handbook; its sentence says
    # "closed on Mondays".
    wrong = "The Lantern House is open on Mondays and from 24 December to 2 January [1]."
    model = ScriptedChatModel([wrong, wrong])
    kb = KnowledgeBase.open(
        tmp_path / "ix", models=Models(embedder=HashingEmbedder(), chat_model=model)
    )
    kb.add([CORPUS / "handbook.pdf"])
    answer = kb.ask("What are the opening hours of the Lantern House?", k=3)
    assert "open on Mondays" not in answer.text, answer.text
    assert answer.unsupported == (wrong.replace(" [1]", ""),)
    # The handbook's own words stand.
    right = "The Lantern House is closed on Mondays and from 24 December to 2 January [1]."
    model = ScriptedChatModel([right])
    kb = KnowledgeBase.open(
        tmp_path / "ix", models=Models(embedder=HashingEmbedder(), chat_model=model)
    )
    answer = kb.ask("When is the Lantern House closed?", k=3)
    assert "closed on Mondays" in answer.text and answer.unsupported == (), answer


def test_a_word_of_opposite_sense_or_a_dropped_negation_is_a_changed_statement() -> None:
    guide = _text("processing_guide.txt")
    checker = _whole("What happens to bruised or wet leaf?", guide)
    accepted = checker.check("Bruised, wet or overheated leaf is accepted.")
    assert not accepted.supported and accepted.missing == ("accept≠reject",)
    kept = "Bruised, wet or overheated leaf is rejected and recorded in the delivery log."
    assert checker.check(kept).supported
    dropped = checker.check("Green tea leaf is withered in this way.")
    assert not dropped.supported and dropped.missing == ("-≠not",)
    assert checker.check("Green tea leaf is not withered in this way.").supported
    # Leaving out the negated clause changes nothing.
    assert checker.check("Green tea leaf is steamed within two hours of arrival instead.").supported
    # Chinese: 减少 where the source says 增加, in a sentence otherwise copied.
    source = "灯笼馆的开放时间为周二至周日。灯笼馆每周一闭馆。雾溪茶园的茶叶产量比去年增加了15%。"
    checker = _whole("介绍一下灯笼馆和雾溪茶园。", source)
    assert checker.check("雾溪茶园的茶叶产量比去年增加了15%。").supported
    assert not checker.check("雾溪茶园的茶叶产量比去年减少了15%。").supported
    # A word the sources use elsewhere, in the place of the copied sentence's own.
    opened = checker.check("灯笼馆每周一开放。")
    assert not opened.supported and opened.missing == ("开放≠闭馆",), opened


def test_paraphrases_and_copies_are_not_changed_statements() -> None:
    guide = _text("processing_guide.txt")
    checker = _checker("How long does withering last?", guide)
    for sentence in (
        "Withering lasts between 14 and 18 hours, depending on humidity.",
        "Withering takes between 14 and 18 hours depending on the humidity.",
        "Withering lasts 14 to 18 hours.",
    ):
        check = checker.check(sentence)
        assert check.supported, check


def test_a_word_another_passage_uses_for_the_same_fact_is_no_change() -> None:
    # Sources retelling one fact use other words for it: "purchases" stands in another
    # passage, not beside the sentence the model's words copy.
    bought = "Ten years ago this week, Google bought YouTube, the video site."
    purchases = "Google purchases YouTube, the video site, in a stock deal. The deal closed."
    checker = _whole("Who acquired YouTube?", bought, purchases)
    check = checker.check("Ten years ago this week, Google purchased YouTube, the video site.")
    assert check.supported, check
    # The same word beside the copied sentence is a change of it.
    checker = _whole("Who acquired YouTube?", f"{bought} Google later sold its search unit.")
    sold = checker.check("Ten years ago this week, Google sold YouTube, the video site.")
    assert not sold.supported and sold.missing == ("sell≠buy",), sold


def test_a_value_binds_whichever_unit_spelling_the_model_uses() -> None:
    assert unit_words("110 °C") == unit_words("110 degrees Celsius") == unit_words("110摄氏度")
    assert unit_words("15 km/h").split() == unit_words("15 kilometres per hour").split()
    assert unit_words("$1.2 million").split() == unit_words("1.2 million dollars").split()
    assert unit_words("35%").split() == unit_words("35 per cent").split()
    guide = _text("processing_guide.txt")
    checker = _whole("At what temperature is the leaf withered?", guide)
    for sentence in (
        "Air is blown through the troughs at about 24 °C.",
        "Air is blown through the troughs at about 24 degrees.",
        "Air is blown through the troughs at about 24℃.",
    ):
        assert checker.check(sentence).supported, sentence
    # Another unit is another value, whether or not the sources use it.
    assert not checker.check("Air is blown through the troughs at about 24 °F.").supported
    checker = _whole("How much water does the leaf lose in withering?", guide)
    assert checker.check("The leaf loses roughly 35% of its water.").supported
    checker = _whole("How deep is the leaf spread for withering?", guide)
    assert checker.check("Leaf is spread to a depth of no more than 20 cm.").supported
    assert not checker.check("Leaf is spread to a depth of no more than 20 kg.").supported


def test_a_name_must_stand_with_what_the_sentence_says_of_it() -> None:
    history = _text("company_history.md")
    checker = _whole("Who developed Kestrel Gold?", history)
    # Mirela Osei is in the sources, as a founder.
    taken = checker.check("It was developed by Mirela Osei.")
    assert not taken.supported and taken.missing == ("Mirela Osei",)
    assert checker.check("It was developed by Joon-ho Abernathy.").supported
    assert checker.check("The tea master Joon-ho Abernathy developed it.").supported
    checker = _whole("Who founded the Lumen Tea Cooperative?", history)
    assert checker.check("It was founded by Mirela Osei and Tomas Varga.").supported
    wrong = checker.check("The cooperative was founded by Joon-ho Abernathy.")
    assert not wrong.supported and wrong.missing == ("Joon-ho Abernathy",)
    # Most of what is said of a name, in its own sentence, binds it: "women's singles" is
    # the source's "Ladies' Singles", and "Plíšková" is cut to "Plí" by the name pattern.
    source = (
        "The Ladies' Singles title was won by Ashleigh Barty, who defeated Karolína Plíšková "
        "in the final. Novak Djokovic won the Gentlemen's Singles title."
    )
    checker = _whole("Who won the women's singles title at Wimbledon?", source)
    right = "The winner of the women's singles title was Ashleigh Barty, who defeated Karolína {}."
    assert checker.check(right.format("Plíšková")).supported


def test_a_chinese_value_after_a_comma_binds_and_a_date_is_one_value() -> None:
    # NFKC makes "，" a ",": the value after it is no thousands separator's tail.
    source = (
        "灯笼馆的开放时间为周二至周日。灯笼馆每周一闭馆，12月24日至1月2日关闭。导览3日起接受预约。"
    )
    checker = _whole("灯笼馆什么时候关闭？", source)
    assert checker.check("灯笼馆12月24日至1月2日关闭。").supported
    # "12月" and "3日" both stand in the sources, but not as one date.
    wrong = checker.check("灯笼馆12月3日至1月2日关闭。")
    assert not wrong.supported and wrong.missing == ("12月3日",), wrong
    # A date's sentence naming what is asked about may word the rest otherwise.
    source = "灯笼馆将于12月24日开始冬季闭馆，至1月2日结束。导览3日起接受预约。"
    checker = _whole("灯笼馆冬季闭馆时间", source)
    assert checker.check("灯笼馆冬季闭馆时间是12月24日开始，至1月2日结束。").supported


def test_a_word_said_without_the_negating_prefix_of_its_source_is_a_changed_statement() -> None:
    source = (
        "Unopened tins and bags can be returned within 30 days of delivery for a full "
        "refund. For food safety reasons we cannot accept opened packages."
    )
    checker = _whole("Can I return opened tea?", source)
    wrong = checker.check("The return policy for opened tea is to return it within 30 days.")
    assert not wrong.supported and wrong.missing == ("opened≠unopened",), wrong
    assert checker.check("Unopened tins can be returned within 30 days of delivery.").supported
    # The prefixed word where the source has only the bare one.
    checker = _whole("Is the deposit refundable?", "The deposit is refundable within a year.")
    flipped = checker.check("The deposit is non-refundable within a year.")
    assert not flipped.supported and flipped.missing == ("non-refundable≠refundable",), flipped
    # A source naming both forms, and words that only look prefixed, change nothing.
    both = "Opened and unopened tins can be returned within 30 days of delivery."
    checker = _whole("Can I return opened tins?", both)
    assert checker.check("Opened tins can be returned within 30 days of delivery.").supported
    checker = _whole("Do orders ship?", "Orders ship unless the address is incomplete.")
    assert checker.check("Orders ship less often unless the address is complete.").missing == ()
