"""Citations, sentence splitting, support scores, extractive answers and evidence, on
small hand-made texts (the hashing embedder stands in for the real one)."""

from __future__ import annotations

import pytest

from ragkit import HashingEmbedder
from ragkit.answer.citations import cited_numbers, clean_citations, strip_citations
from ragkit.answer.evidence import evidence_for
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import MIN_RELEVANCE, SentenceScorer, relevance, says_not_found
from ragkit.models.llm.tokens import estimate_tokens
from ragkit.text.analysis import Analyzer
from ragkit.text.sentences import split_sentences
from ragkit.types import SearchHit, StoredChunk

KETTLE = (
    "The Ember kettle ships with a stainless steel body. Its warranty lasts 18 months "
    "from the date of purchase. Descale it every month in hard-water areas."
)
TEA = "Oolong tea is partly oxidised. Brew it at 90 degrees for three minutes."
ZH = "雾溪茶园位于云南。茶园的平均海拔是1650米。每年春天采摘新茶。"


def _hit(rank: int, text: str, source: str, page: int | None = None) -> SearchHit:
    chunk = StoredChunk(rank, text, source, source, "", 0, page, page)
    return SearchHit(rank=rank, score=1.0 / rank, chunk=chunk)


@pytest.fixture(scope="module")
def scorer() -> SentenceScorer:
    return SentenceScorer(Analyzer(), HashingEmbedder())


def test_citation_forms_are_found_in_order() -> None:
    assert cited_numbers("A [2] and B [1, 3]. C【4】 D [5，6]. Again [2].") == [2, 1, 3, 4, 5, 6]


def test_citations_to_sources_not_given_are_removed_and_reported() -> None:
    text, invalid = clean_citations("It is 18 months [1, 7]. Red [9]. Blue [2].", {1, 2})
    assert text == "It is 18 months [1]. Red. Blue [2]."
    assert invalid == (7, 9)
    assert clean_citations("Fine [1].", {1}) == ("Fine [1].", ())
    assert strip_citations("Fine [1] here [2, 3].") == "Fine here."


def test_sentences_split_english_and_chinese_with_offsets() -> None:
    text = "Warranty is 18 months. [1] It covers e.g. the lid! Is 3.5 ok?\n" + ZH
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Warranty is 18 months. [1]",
        "It covers e.g. the lid!",
        "Is 3.5 ok?",
        "雾溪茶园位于云南。",
        "茶园的平均海拔是1650米。",
        "每年春天采摘新茶。",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_a_numbered_list_item_starts_a_sentence_though_it_opens_with_a_digit() -> None:
    text = (
        "1. the applicant farms at least 0.5 hectares of tea, owned or leased for\n"
        "   at least five more years;\n"
        "2. the garden has completed the organic transition programme;"
    )
    sentences = [s.text for s in split_sentences(text)]
    # The wrapped line still joins its item; the next item's number does not.
    assert sentences[0].startswith("1. the applicant farms at least 0.5 hectares of tea")
    assert sentences[0].endswith("at least five more years;")
    assert sentences[1:] == ["2. the garden has completed the organic transition programme;"]


def test_not_found_phrases() -> None:
    assert says_not_found("I cannot find the answer in the documents.")
    assert says_not_found("Sorry, I can't find the answer.")
    assert says_not_found("文档中找不到答案。")
    assert not says_not_found("The warranty lasts 18 months [1].")


def test_relevance_of_retrieved_text_to_the_question() -> None:
    scorer = SentenceScorer(Analyzer())
    question = "How long is the kettle warranty?"
    assert relevance(question, [TEA], scorer) == 0.0
    assert relevance(question, [TEA, KETTLE], scorer) > MIN_RELEVANCE
    assert relevance("茶园的海拔是多少？", [ZH], scorer) > MIN_RELEVANCE
    assert relevance("Is it?", [TEA], scorer) == 1.0  # no terms to judge by


def test_support_scores_rank_the_answering_sentence_first(scorer: SentenceScorer) -> None:
    candidates = [s.text for s in split_sentences(KETTLE + " " + TEA)]
    scores = scorer.matrix(["How long is the warranty on the kettle?"], candidates)[0]
    assert candidates[int(scores.argmax())].startswith("Its warranty lasts 18 months")
    assert float(scores.max()) <= 1.0 and float(scores.min()) >= 0.0


def test_extractive_answer_quotes_sentences_with_file_and_page(scorer: SentenceScorer) -> None:
    hits = [_hit(1, TEA, "/d/tea.md"), _hit(2, KETTLE, "/d/handbook.pdf", page=2)]
    answer = extract_answer("How long is the kettle warranty?", hits, scorer, sentences=2)
    first = answer.text.splitlines()[0]
    # Marked inside the sentence, as a checked answer marks it.
    assert first == "Its warranty lasts 18 months from the date of purchase [2]."
    assert answer.mode == "extractive" and not answer.not_found
    assert answer.citations[0].source == "/d/handbook.pdf"
    assert answer.citations[0].page_start == 2
    assert answer.evidence[0].support == answer.evidence[0].sentence
    assert len(answer.sources) == 2


def test_extractive_answer_in_chinese(scorer: SentenceScorer) -> None:
    answer = extract_answer("茶园的平均海拔是多少？", [_hit(1, ZH, "/d/zh.txt")], scorer, 1)
    assert answer.text == "茶园的平均海拔是1650米[1]。"


def test_extractive_answer_says_not_found_when_nothing_matches(scorer: SentenceScorer) -> None:
    answer = extract_answer("Who founded the company?", [_hit(1, TEA, "/d/tea.md")], scorer)
    assert answer.not_found and answer.citations == ()
    assert answer.text == "I cannot find the answer in the documents."
    assert extract_answer("Who?", [], scorer).not_found


def test_evidence_pairs_supported_sentences_and_marks_the_rest(scorer: SentenceScorer) -> None:
    evidence = evidence_for(
        "The warranty lasts 18 months [1]. The kettle is made on the moon by robots.",
        [(1, KETTLE), (2, TEA)],
        scorer,
    )
    assert [e.sentence for e in evidence] == [
        "The warranty lasts 18 months.",
        "The kettle is made on the moon by robots.",
    ]
    assert evidence[0].source == 1 and evidence[0].support is not None
    assert evidence[0].support.startswith("Its warranty lasts 18 months")
    assert evidence[1].support is None and evidence[1].source is None
    assert evidence[1].score < evidence[0].score


def test_token_estimate_is_conservative_for_english_and_counts_cjk() -> None:
    english = "The Ember kettle has an eighteen month warranty on its heating element."
    assert estimate_tokens(english) >= len(english) / 3.5  # real tokenizers: about /4
    assert estimate_tokens("茶园的平均海拔") >= 14
    assert estimate_tokens("") == 0
