"""`ragkit search`'s snippet shows why a result matched: given the query, a preview starts
at the sentence holding the most of its words (English words, Chinese two-character runs),
after a "…", instead of at the chunk's heading; ties go to the denser sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from ragkit.apps.snippets import preview

HANDBOOK_PAGE = (
    "Section 2: Equipment and Warranty The cooperative shop sells a small range of brewing "
    "equipment under the Lumen name. The most popular item is the Ember brewing kettle, a "
    "1.2 litre electric kettle with five temperature settings. The Ember brewing kettle "
    "comes with a warranty of 18 months from the date of purchase. Copperleaf tins carry a "
    "separate guarantee."
)


def test_with_a_query_the_preview_starts_at_the_sentence_that_matches_it() -> None:
    shown = preview(HANDBOOK_PAGE, 120, "How long is the warranty on the Ember kettle?")
    assert shown.startswith("…The Ember brewing kettle comes with a warranty of 18 months"), shown
    assert cell_len(shown) <= 120
    # The chunk's own start when that is where the query's words are, or no word matches.
    assert preview(HANDBOOK_PAGE, 120, "cooperative shop range").startswith("Section 2:")
    assert preview(HANDBOOK_PAGE, 120, "zebra") == preview(HANDBOOK_PAGE, 120)
    assert preview("Short text about warranty.", 120, "warranty") == "Short text about warranty."


def test_a_chinese_query_finds_its_sentence() -> None:
    text = (
        "雾溪茶园位于云南省普洱市景谷县的山中，由合作社的三户人家共同经营，种植面积约四十亩。"
        "茶园平均海拔1650米，常年云雾缭绕。茶园因山间一条终年不断的小溪而得名。"
    )
    shown = preview(text, 40, "雾溪茶园的平均海拔是多少？")
    assert shown.startswith("…茶园平均海拔1650米"), shown


def test_search_shows_the_sentence_that_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import ragkit.wiring
    from ragkit import HashingEmbedder
    from ragkit.apps.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAGKIT_INDEX__HOME", str(tmp_path / "indexes"))
    monkeypatch.setattr(ragkit.wiring, "embedder", lambda settings: HashingEmbedder())
    monkeypatch.setattr(ragkit.wiring, "query_embedder", lambda settings: HashingEmbedder())
    (tmp_path / "handbook.txt").write_text(HANDBOOK_PAGE + "\n")
    assert CliRunner().invoke(app, ["index", "handbook.txt"]).exit_code == 0
    result = CliRunner().invoke(app, ["search", "warranty of the Ember kettle", "-k", "1"])
    assert result.exit_code == 0, result.output
    cells = " ".join(
        line.split("│")[-2].strip() for line in result.stdout.splitlines() if line.count("│") > 3
    )
    assert cells.startswith("…The Ember brewing kettle comes with a warranty"), result.stdout
