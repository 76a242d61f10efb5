"""Source previews in `ragkit search` and the terminal chat: Markdown marks removed, cut at a
word, as many terminal cells wide in Chinese as in English, and the chat's help and answer
text drawn without stray markup."""

from __future__ import annotations

import pytest

from ragkit.apps.inline_markdown import plain, styled
from ragkit.apps.snippets import preview
from ragkit.apps.tui.session import COMMANDS
from ragkit.apps.tui.widgets import MessageView


def test_preview_drops_markdown_marks() -> None:
    text = "## Founding (1987)\n\nThe cooperative was founded on **14 March 1987**.\n- `one` item"
    assert (
        preview(text, 200)
        == "Founding (1987) The cooperative was founded on 14 March 1987. one item"
    )


def test_preview_drops_the_marks_an_answer_drops_and_keeps_what_is_no_mark() -> None:
    """One stripper (ragkit.text.marks) for previews and answers: italics and a link's
    target go too (before, only `**`, `__` and backticks went, wherever they stood), and
    a power, a snake_case name and a mark left open stay as written."""
    text = "It is *not* covered; see [the FAQ](faq.html).\n> 2**10**2 and snake__case__name"
    assert preview(text, 200) == "It is not covered; see the FAQ. 2**10**2 and snake__case__name"
    assert preview("open **bold", 200) == "open **bold"
    assert preview("为**80元**。", 200) == "为80元。"


def test_preview_cuts_at_a_word_with_an_ellipsis() -> None:
    text = "The cooperative was founded on 14 March 1987 by eleven families who sold leaf"
    out = preview(text, 40)
    assert len(out) <= 40
    assert out.endswith("…")
    assert out[:-1] == "The cooperative was founded on 14 March"


def test_preview_cuts_chinese_without_spaces_to_as_many_cells() -> None:
    text = "雾溪茶园是流明茶叶合作社在中国的合作茶园，位于云南省普洱市景谷县的一处山谷中。"
    # Two cells a character: a 10-cell preview holds four and the ellipsis, as wide on the
    # terminal as ten Latin letters (it held nine, twice as wide as an English preview).
    assert preview(text, 10) == "雾溪茶园…"
    assert preview(text, 11) == "雾溪茶园是…"
    mixed = "Kestrel Gold 红隼金毫 is brewed at 90 degrees"
    assert preview(mixed, 25) == "Kestrel Gold 红隼金毫 is…"
    assert preview(mixed, 24) == "Kestrel Gold 红隼金毫…"  # "is" would need a 26th cell


def test_short_text_is_kept_whole() -> None:
    assert preview("  short\n text ", 80) == "short text"


def test_chat_help_columns_line_up() -> None:
    starts = set()
    for line in COMMANDS.values():
        _, _, rest = line.partition("  ")
        starts.add(len(line) - len(rest.lstrip()))
    assert len(starts) == 1, COMMANDS


def test_assistant_bold_marks_are_not_drawn() -> None:
    view = MessageView("assistant", "founded on **14 March 1987** by 2*3 families")
    assert view.plain == "founded on 14 March 1987 by 2*3 families"
    assert MessageView("user", "**x**").plain == "**x**"


@pytest.mark.parametrize(
    ("written", "shown", "styles"),
    [
        ("founded on **14 March 1987**.", "founded on 14 March 1987.", [("bold", "14 March 1987")]),
        (
            "a __bold__ and _italic_ word",
            "a bold and italic word",
            [("bold", "bold"), ("italic", "italic")],
        ),
        ("it is *not* covered", "it is not covered", [("italic", "not")]),
        (
            "## Steps\n1. **Wither** it",
            "Steps\n1. Wither it",
            [("bold", "Steps"), ("bold", "Wither")],
        ),
        (
            "see [the FAQ](faq.html) or `ragkit ask`",
            "see the FAQ or ragkit ask",
            [("bold", "ragkit ask")],
        ),
        (
            "**the *Ember* kettle**",
            "the Ember kettle",
            [("bold", "the Ember kettle"), ("italic", "Ember")],
        ),
        # Kept as written: arithmetic, words with underscores, a mark left open, bullets.
        ("2 * 3 * 4 and 2*3*4", "2 * 3 * 4 and 2*3*4", []),
        ("snake_case_name", "snake_case_name", []),
        ("open **bold", "open **bold", []),
        ("- one\n- two [1]", "- one\n- two [1]", []),
    ],
)
def test_inline_markdown_for_a_terminal(
    written: str, shown: str, styles: list[tuple[str, str]]
) -> None:
    text = styled(written)
    assert text.plain == shown == plain(written)
    assert [(str(s.style), text.plain[s.start : s.end]) for s in text.spans] == styles


def test_ask_lists_one_line_per_place_after_a_blank_line() -> None:
    from rich.console import Console

    from ragkit import Answer, Citation
    from ragkit.apps.cli.kb import _print_sources

    def cite(n: int, source: str, page: int | None) -> Citation:
        return Citation(n, n, source, page, page, "text", page=page)

    cited = (
        cite(1, "/data/garden_zh.txt", None),
        cite(2, "/data/garden_zh.txt", None),
        cite(3, "/data/handbook.pdf", 2),
    )
    answer = Answer("q", "a [1][2][3]", cited, cited, unsupported=("x",))
    out = Console(record=True, width=200)
    _print_sources(answer, out)
    assert out.export_text().splitlines() == [
        "(left out 1 sentence of the model's answer that the sources do not support)",
        "",
        "Sources:",
        " [1] [2] garden_zh.txt",  # named as the web page names them, no folder
        " [3] handbook.pdf p. 2",
    ]
