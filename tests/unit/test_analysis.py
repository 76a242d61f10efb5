from __future__ import annotations

from ragkit.text.analysis import Analyzer


def test_english_is_lowercased_stemmed_and_stopworded() -> None:
    terms = Analyzer().tokenize("The Running of the Kettles")
    assert "the" not in terms and "of" not in terms
    assert {"run", "kettl"} <= set(terms) or {"running", "kettles"} <= set(terms)


def test_chinese_is_segmented_into_words() -> None:
    terms = Analyzer().tokenize("雾溪茶园的平均海拔是多少？")
    assert "海拔" in terms
    assert "雾溪茶园的平均海拔是多少" not in terms  # not one run-on token
    assert "？" not in terms


def test_mixed_scripts() -> None:
    terms = Analyzer().tokenize("SmolLM2 模型在 CPU 上运行")
    assert "smollm2" in terms and "cpu" in terms and "模型" in terms


def test_query_and_passage_share_terms_in_chinese() -> None:
    a = Analyzer()
    passage = set(a.tokenize("茶园位于云南省普洱市景谷县，平均海拔1650米。"))
    query = set(a.tokenize("茶园的海拔有多高？"))
    assert {"茶园", "海拔"} <= passage & query


def test_analyzers_share_one_chinese_dictionary_per_process() -> None:
    # Loading jieba's dictionary costs a second or more of CPU: every analyzer (a knowledge
    # base, a writer, each answer's checks) uses the process's one segmenter and tagger.
    first, second = Analyzer(), Analyzer()
    text = "雾溪茶园位于云南省，茶园种植景谷大白茶。"
    assert first.tokenize(text) == second.tokenize(text) != []
    assert first._segmenter() is second._segmenter()
    assert first.proper_nouns(text) == second.proper_nouns(text)
    assert first._tagger is second._tagger is not None
