"""Which retrieved sentences an answer quotes and cites, and in what order
(ragkit.answer.evidence.rank_sentences, Ranking.best; extractive mode shows them):
page furniture is never quoted, a whole value of the asked kind beats part of one, a
value several sources state beats one a single source mentions, a heading names what the
sentences under it are about, and later quotes must be able to answer and state the
first's answer (a second one naming another value only when the ranking barely prefers
the first); the checked answer's passages name extractive mode's quotes, no more, no
fewer."""

from __future__ import annotations

from pathlib import Path

from checkers import hits as _hits

from ragkit.answer.checking import AnswerChecker
from ragkit.answer.citations import strip_citations
from ragkit.answer.evidence import (
    ALTERNATIVE_MARGIN,
    Ranking,
    alternative,
    boilerplate,
    consistent,
    lead,
    other_sex,
    rank_sentences,
    select_passages,
    specific,
    tense,
    vaguer,
)
from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.kinds import AnswerKind
from ragkit.answer.rules_en import names_someone
from ragkit.text.analysis import Analyzer
from ragkit.text.sentences import Sentence

SCORER = SentenceScorer(Analyzer())
CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"


def _quotes(question: str, *texts: str) -> list[str]:
    """Extractive mode's quotes; the checked answer's passages name the same first."""
    answer = extract_answer(question, _hits(*texts), SCORER)
    assert not answer.not_found, answer.text
    quotes = [strip_citations(line) for line in answer.text.splitlines()]
    picks = sorted(
        (rank, " ".join(s.text.split()))
        for p in select_passages(question, _hits(*texts), SCORER)
        for rank, s in p.picks
    )
    assert picks and picks[0] == (0, quotes[0])
    return quotes


def _checked_quotes(question: str, *texts: str) -> list[str]:
    """The sentences the checked answer may quote (`Passage.picks`), in their order."""
    return [
        " ".join(s.text.split())
        for _, s in sorted(
            (rank, s)
            for p in select_passages(question, _hits(*texts), SCORER)
            for rank, s in p.picks
        )
    ]


def test_the_checked_answer_may_quote_the_first_line_even_without_the_asked_year() -> None:
    # "Joe Biden wins …" lacks 2020, so it fails the answering test itself, but another
    # retrieved sentence passes it (it states who won, and the year): the documents
    # answer, and the ranking puts it first.
    question = "Who won the US Presidential Election 2020?"
    hits = _hits(
        "Live maps and real-time presidential election results for the 2020 US election,"
        " state by state, as winners are called.",
        "Joe Biden won the presidential election to be the 46th US President.",
        "Supporters of Joe Biden celebrated in Delaware on Saturday night.",
    )
    ranking = rank_sentences(question, hits, SCORER)
    assert not ranking.answers[ranking.order[0]]
    quotes = _quotes(question, *(h.chunk.text for h in hits))
    assert "Joe Biden" in quotes[0]


def test_page_furniture_is_recognised() -> None:
    assert boilerplate("905 Followers, 298 Following, 585 Posts - See Instagram photos from Acme")
    assert boilerplate("Countries Athletes.")
    assert boilerplate("2018 Winter Olympics - Medal Tracker.")
    assert boilerplate("12/05/2021 14:30 -- 3,456 | 78%")
    assert not boilerplate("Facebook agreed to acquire Instagram in April 2012.")
    assert not boilerplate("Norway collected 39 medals in 2018, the largest haul of any country.")
    assert not boilerplate("红隼金毫是合作社最有名的红茶。")
    # Days before their months are dates, not a row of counts.
    assert not boilerplate(
        "The Lantern House is closed on Mondays and from 24\nDecember to 2 January."
    )
    # A table's rows can hold the answer: long, with figures, capitalised throughout.
    assert not boilerplate(
        "Open Singles Winners ; 2021, Anna Berg (SWE), Mia Roth (GER) ; 2020, Lea Stone (AUT)"
    )


def test_a_row_of_counts_is_never_quoted_even_when_it_shares_the_question_words() -> None:
    quotes = _quotes(
        "Who acquired Instagram?",
        "1,905 Followers, 298 Following, 585 Posts - See Instagram photos and videos from "
        "Acquire Studio (@acquirestudio)",
        "Facebook announced today that it has agreed to acquire Instagram, the photo app.",
        "Instagram is owned by Meta Platforms, whose former name is Facebook.",
    )
    assert quotes[0].startswith("Facebook announced")
    assert not any("Followers" in q for q in quotes)


def test_a_whole_date_beats_a_month() -> None:
    question = "When was Splatoon 2 released?"
    assert specific("date", "It was released on July 21, 2017, worldwide.", question)
    assert not specific("date", "Splatoon 2 release date slated for July.", question)
    quotes = _quotes(
        question,
        "Splatoon 2 release date slated for July, says Nintendo.",
        "Splatoon 2 is a third-person shooter game by Nintendo. "
        "It was released on July 21, 2017, for the Nintendo Switch.",
    )
    assert "July 21, 2017" in quotes[0]


def test_a_value_several_sources_state_comes_first() -> None:
    quotes = _quotes(
        "Who won the Tour de Lune in 2021?",
        "Maria Kovac took the 2021 Tour de Lune title, ahead of two team mates.",
        "Peter Stone won the 2021 Tour de Lune prologue in record time.",
        "Maria Kovac celebrates on the podium in Paris.",
        "Fans cheered Maria Kovac all the way up the final climb.",
    )
    assert "Maria Kovac" in quotes[0]


def test_a_heading_names_the_tea_its_section_is_about() -> None:
    guide = (CORPUS / "brewing_guide_zh.md").read_text(encoding="utf-8")
    quotes = _quotes("冲泡红隼金毫的推荐水温是多少？", guide)
    assert "90摄氏度" in quotes[0]
    assert not any("80摄氏度" in q or "85摄氏度" in q for q in quotes)


def test_a_later_quote_stands_under_the_heading_the_first_does() -> None:
    guide = (CORPUS / "brewing_guide_zh.md").read_text(encoding="utf-8")
    quotes = _quotes("雾溪白茶的推荐水温是多少？", guide)
    assert "85摄氏度" in quotes[0]
    assert not any("80摄氏度" in q for q in quotes)  # the same words, under 晨雾绿茶


def test_a_third_quote_must_state_what_the_first_does() -> None:
    agrees = consistent("number", "2022年特斯拉交付量是多少", SCORER.analyzer)
    assert agrees("2022年，特斯拉全球总交付量131万辆。", "特斯拉以131万辆的交付量稳坐第一。")
    assert not agrees(
        "2022年，特斯拉全球总交付量131万辆。", "特斯拉2022年的交付量需要超过140万辆。"
    )
    question = "How many members does the Lumen Tea Cooperative have?"
    hits = _hits(
        "The Lumen Tea Cooperative has 412 members across four valleys.",
        "Membership of the Lumen Tea Cooperative reached 412 members this spring.",
        "The Lumen Tea Cooperative had 35 members when it was founded.",
        "Today the Lumen Tea Cooperative counts 412 members and 9 staff.",
    )
    ranking = rank_sentences(question, hits, SCORER)
    picks = ranking.best(3, 0.2)
    assert len(picks) == 3
    assert all("412" in p.sentence.text for p in picks)


def test_later_quotes_are_sentences_that_could_answer() -> None:
    question = "When was the Lantern House opened?"
    hits = _hits(
        "The Lantern House was opened on 4 May 1921 by the mayor.",
        "The Lantern House is a museum of lamps and lanterns.",
        "Visitors to the Lantern House can climb to the roof terrace.",
    )
    picks = rank_sentences(question, hits, SCORER).best(3, 0.2)
    assert [p.hit for p in picks] == [0]


def test_a_later_quote_must_state_the_whole_of_the_first_ones_answer() -> None:
    date = consistent("date", "When was Xenoblade Chronicles X released in Japan?", SCORER.analyzer)
    first = "Xenoblade Chronicles X was published in Japan by Nintendo on April 29, 2015."
    assert date(first, "It reached Japanese shops on 29th April 2015, a Wednesday.")
    assert not date(first, "Xenoblade Chronicles X was released in Japan on April 29.")
    assert not date(first, "It was released in Japan in 2015.")
    phone = consistent("date", "When does the iPhone 11 release?", SCORER.analyzer)
    assert not phone(
        "The iPhone 11, released on September 20, 2019, is now older.",
        "The iPhone 11 was unveiled on September 10, 2019.",
    )
    count = consistent("number", "印控克什米尔地区寺庙踩踏事故死亡人数", SCORER.analyzer)
    assert not count(
        "今年1月，印控克什米尔地区一座印度教寺庙发生踩踏事故，造成12人死亡。",
        "印控克什米尔地区发生一起交通事故，一辆巴士坠入深谷，已造成10人死亡。",
    )
    members = consistent("number", "How many members does the cooperative have?", SCORER.analyzer)
    assert members("It counts 412 members and 9 staff.", "Membership reached 412 members.")
    assert not members("It counts 412 members and 9 staff.", "It had 35 members at first.")


def test_a_second_quote_naming_another_value_only_when_the_first_is_barely_ahead() -> None:
    texts = (
        "The Lantern House opened on 4 May 1921.",
        "The Lantern House opened on 9 June 1922.",
        "The Lantern House opened in 1921, in spring.",
    )
    split = tuple((Sentence(t, 0, len(t)),) for t in texts)
    question = "When did the Lantern House open?"

    def quotes(second_behind: float) -> list[int]:
        rank = {(0, 0): 1.5, (1, 0): 1.5 - second_behind, (2, 0): 1.0}
        return _ranked_hits(split, rank, question, "date")

    # "9 June 1922" is another answer: quoted only while the ranking barely prefers the
    # first; "in 1921, in spring" states only part of the first's date, never quoted.
    assert quotes(ALTERNATIVE_MARGIN / 2) == [0, 1]
    assert quotes(ALTERNATIVE_MARGIN * 2) == [0]


def test_a_second_quote_as_another_answer_to_who_must_name_someone() -> None:
    question = "Who is the president of the Lumen Guild?"
    texts = (
        "Mara Olsen was elected president of the Lumen Guild in 2020.",
        "The executive officers include the President and ten Vice Presidents.",
        "Tomas Varga was president of the Lumen Guild until 2019.",
    )
    split = tuple((Sentence(t, 0, len(t)),) for t in texts)

    def quotes(second: int) -> list[int]:
        rank = {(0, 0): 1.5, (second, 0): 1.5 - ALTERNATIVE_MARGIN / 2}
        return _ranked_hits(split, rank, question, "name")

    # Within the margin, another name is another answer the reader may weigh; a
    # sentence naming no one beyond the question's words is none.
    assert quotes(2) == [0, 2]
    assert quotes(1) == [0]
    assert not names_someone(question, texts[1])
    assert names_someone(question, texts[2])
    assert names_someone("Which country won the most medals?", "Norway collected 39 medals.")
    # A title of an award or event, or the question's own title, names no one.
    shape = "Who is the lead actress in The Harbor?"
    assert not names_someone(shape, '"The Harbor" won Oscars at the 2018 Academy Awards.')
    # Not for Chinese questions or other kinds: their alternatives are as before.
    assert alternative("name", "狮子会的会长是谁？") is None
    assert alternative("date", "When did the Lantern House open?") is None


def test_corroborating_quotes_follow_the_first_and_the_checked_answer_quotes_the_same() -> None:
    question = "When was Splatoon 2 released?"
    texts = (
        "Splatoon 2 is a shooter game by Nintendo. It was released on July 21, 2017, "
        "for the Nintendo Switch.",
        "Splatoon 2 release date slated for July, says Nintendo.",
        "Nintendo released Splatoon 2 on July 21, 2017 in every region.",
    )
    quotes = _quotes(question, *texts)
    assert "July 21, 2017" in quotes[0]
    assert all("July 21, 2017" in q for q in quotes)  # never the bare "slated for July"
    assert len(quotes) == 2
    assert _checked_quotes(question, *texts) == quotes


def test_another_form_of_a_question_word_counts_for_the_sentence() -> None:
    # The stemmer leaves "direct" (directed) and "director" apart; a sentence saying
    # "Directed by" answers "Who is the director …?" as well as one naming a director.
    question = "Who is the director of the Assassin's Creed movie?"
    texts = (
        "The Assassin's Creed movie was shot in Malta by Adam Arkapaw.",
        "Assassin's Creed: Directed by Justin Kurzel.",
        "The Assassin's Creed movie had a budget of 125 million dollars.",
    )
    assert _quotes(question, *texts)[0] == "Assassin's Creed: Directed by Justin Kurzel."
    assert _quotes(question, *texts[::-1])[0] == "Assassin's Creed: Directed by Justin Kurzel."


def test_a_forecast_is_not_the_figure() -> None:
    # "按照…的规划…需要超过140万辆" says what was planned, not what was delivered.
    quotes = _quotes(
        "2022年特斯拉交付量",
        "以特斯拉2021年的全球交付量93.62万辆计算，按照马斯克的规划，特斯拉2022年的交付量需要超过140万辆。",
        "2022年，特斯拉全球总交付量131万辆，相比2021年增长40%。",
    )
    assert "131万辆" in quotes[0]
    # A question about the forecast itself takes it as it is.
    assert tense("预计营收为650亿美元。", "英特尔预计2022年营收多少？") == 0
    assert tense("预计营收为650亿美元。", "英特尔2022年营收多少？") == 1


def test_a_sentence_about_the_start_loses_to_one_about_the_present() -> None:
    # "有多少户茶农？" asks how many now; both sentences hold one count of households.
    question = "雾溪茶园有多少户茶农？"
    start = "雾溪茶园最初共有17户茶农。"
    now = "雾溪茶园目前共有42户茶农。"
    assert _quotes(question, start, now)[0] == now
    assert _quotes(question, now, start)[0] == now
    assert tense(start, question) == 1
    assert tense(now, question) == 0
    # A question about the start, or pinned to a year, is answered by the start.
    assert tense(start, "雾溪茶园最初有多少户茶农？") == 0
    assert tense(start, "雾溪茶园2003年有多少户茶农？") == 0
    assert tense("It was originally run by 11 families.", "How many families run it?") == 1
    assert tense("It was originally run by 11 families, now by 40.", "How many run it?") == 0


def test_the_checked_answer_shows_the_quotes_extractive_mode_shows() -> None:
    # Two sources naming different dates, the ranking unable to prefer one: extractive
    # mode quotes both, and so does the checked answer when the model's words carry
    # neither (its sentence holds no date, so the first quote stands in for it).
    question = "When did the Lantern House open?"
    texts = (
        "The Lantern House opened on 4 May 1921, the town's records say.",
        "The Lantern House opened on 9 June 1922, the town's records say.",
    )
    quotes = _quotes(question, *texts)
    assert len(quotes) == 2
    checker = AnswerChecker(question, select_passages(question, _hits(*texts), SCORER), SCORER)
    shown = "".join(checker.stream(iter(["The Lantern House is a fine old building."])))
    lines = [strip_citations(line) for line in shown.strip().splitlines() if line.strip()]
    assert [q for q in quotes if any(q in line for line in lines)] == quotes


def test_an_encyclopedia_lead_says_what_its_subject_is() -> None:
    # "张世昌的职业是什么？" asks what he is: the lead "张世昌（），中国足球运动员" says it,
    # though a longer sentence naming him twice shares more of the question's words.
    question = "张世昌的职业是什么？"
    career = (
        "2007年1月他前往葡萄牙球队本菲卡试训，可是由于年龄原因并没有与张世昌签约，"
        "同年7月张世昌又前往葡萄牙试训，张世昌来到了波尔图，随后返回天津火车头效力。"
    )
    first = "张世昌（），中国足球运动员，司职守门员，以火爆的性格闻名。"
    assert _quotes(question, career, first)[0] == first
    assert lead(first, ["张世昌"])
    assert not lead(career, ["张世昌"])
    assert not lead("张世昌在2008年加盟河南建业（中超）。", ["张世昌"])


def test_a_question_in_the_text_is_never_quoted_the_sentence_answering_it_is() -> None:
    faq = (
        "Is there free shipping?\nYes. Standard delivery is free on orders over 45 dollars.\n"
        "Below that amount a flat shipping charge of 4.90 dollars applies."
    )
    quotes = _quotes("Is there free shipping?", faq)
    assert quotes[0] == "Standard delivery is free on orders over 45 dollars."
    assert not any(q.endswith("?") for q in quotes)


def test_how_long_is_answered_by_the_span_of_what_was_asked_not_by_the_most_spans() -> None:
    # Two durations of the next step ("40 minutes", "20 minutes") are not a fuller answer
    # than the one span of the step asked about.
    guide = (
        "Withering lasts between 14 and 18 hours, depending on humidity, until the leaf "
        "has lost roughly 35 percent of its water.\n\n"
        "Withered leaf is rolled on the orthodox rolling tables for 40 minutes in total, "
        "divided into two rolls of 20 minutes each."
    )
    quotes = _quotes("How long does withering take?", guide)
    assert "14 and 18 hours" in quotes[0]


def test_a_sentence_about_the_other_sexs_event_is_not_the_answer() -> None:
    # Both name a 2021 US Open singles champion; the question asks for the men's.
    question = "Who won the men's singles U.S. Open 2021?"
    women = "Emma Raducanu won the 2021 US Open women's singles title by beating Leylah Fernandez."
    men = "Daniil Medvedev won the 2021 US Open singles title by beating Novak Djokovic."
    for texts in ((women, men), (men, women)):
        assert _quotes(question, *texts) == [men]
    assert other_sex(women, question)
    assert not other_sex(men, question)
    # A sentence naming both events speaks of the question's too.
    assert not other_sex(
        "Novak Djokovic won the gentlemen's singles title and Angelique Kerber won the"
        " ladies' singles title.",
        "Who won the women's singles Wimbledon in 2018?",
    )
    assert other_sex("郑钦文获得女单冠军。", "2022年澳网男单冠军")
    assert not other_sex("纳达尔获得男单冠军。", "2022年澳网男单冠军")
    assert not other_sex("她是一名女子选手。", "2022年澳网男单冠军")  # 女子 is no 女单
    assert not other_sex("The women's final is on Saturday.", "Who won the US Open in 2021?")


def test_a_later_date_less_whole_than_the_first_is_not_quoted() -> None:
    question = "When did the Lantern House open?"

    def quotes(first: str, second: str) -> list[int]:
        split = tuple((Sentence(t, 0, len(t)),) for t in (first, second))
        rank = {(0, 0): 1.5, (1, 0): 1.5 - ALTERNATIVE_MARGIN / 2}
        return _ranked_hits(split, rank, question, "date")

    # "in May 1921" names no date that "on 4 May 1921" does not, less whole: it neither
    # states the first's answer nor gives another.
    assert quotes("The Lantern House opened on 4 May 1921.", "It opened in May 1921.") == [0]
    # The other way round the second, ranked barely below, names the first's month with
    # its day: it comes first, and the month alone is then not quoted after it, though
    # the first named another month too (the Pixel 5's October 2020 beside the 5a's
    # August 2021).
    assert quotes("It opened in May 1921.", "The Lantern House opened on 4 May 1921.") == [1]
    pixel = "Google announced the Pixel 5 in October 2020, adding the Pixel 5a in August 2021."
    announced = "The Pixel 5a was officially announced on August 17, 2021."
    assert quotes(pixel, announced) == [1]
    assert quotes(announced, pixel) == [0]
    # Another date is another answer: both quoted while the ranking barely prefers the
    # first, in the ranking's order.
    assert quotes("It opened on 4 May 1921.", "The Lantern House opened on 9 June 1922.") == [0, 1]
    assert quotes("It opened in June 1921.", "The Lantern House opened on 4 May 1921.") == [0, 1]
    assert vaguer("name", question, SCORER.analyzer) is None


def test_a_whole_date_leads_a_month_only_when_the_ranking_barely_prefers_the_month() -> None:
    question = "When did the Lantern House open?"
    texts = ("It opened in May 1921.", "The Lantern House opened on 4 May 1921.")
    split = tuple((Sentence(t, 0, len(t)),) for t in texts)
    assert _ranked_hits(
        split, {(0, 0): 1.5, (1, 0): 1.5 - ALTERNATIVE_MARGIN / 2}, question, "date"
    ) == [1]
    # Ranked clearly below, the whole date stays second (it states the first's month).
    assert _ranked_hits(
        split, {(0, 0): 1.5, (1, 0): 1.5 - ALTERNATIVE_MARGIN * 2}, question, "date"
    ) == [
        0,
        1,
    ]


def test_on_a_tie_the_sentence_holding_the_question_itself_comes_first() -> None:
    # Both score alike, the first only because its chunk names 海宁西站 elsewhere (a name
    # of the question its section holds counts as its own); the second names it itself.
    question = "海宁西站位于哪里？"
    hits = _hits(
        "因当时杭州东站尚未完工，所有海宁站的普速列车全部停靠位于萧山区的杭州南站，"
        "导致前往杭州的海宁市民非常不便。在沪杭高铁上，桐乡站反而比海宁西站更靠近海宁市区。",
        "海宁西站，是沪昆客运专线的一个车站，位于浙江省嘉兴市海宁市许村镇报国村沈士大道以西。",
    )
    ranking = rank_sentences(question, hits, SCORER)
    first, second = ranking.order[:2]
    assert ranking.rank_score[first] == ranking.rank_score[second]
    assert ranking.own[first] > ranking.own[second]
    assert ranking.best(3, 0.2)[0].sentence.text.startswith("海宁西站，")


def _ranked_hits(
    split: tuple[tuple[Sentence, ...], ...],
    rank: dict[tuple[int, int], float],
    question: str,
    kind: AnswerKind,
) -> list[int]:
    """The hits `best` quotes for a `kind` question over `split`, every sentence an answer
    ranked by `rank`, with the ranking's agreement, vaguer-date and other-answer tests for
    that kind (the last two are None where they do not apply)."""
    positions = list(rank)
    ranking = Ranking(
        split,
        raw=dict.fromkeys(positions, 0.8),
        score=dict(rank),
        answers=dict.fromkeys(positions, True),
        order=tuple(positions),
        rank_score=rank,
        agrees=consistent(kind, question, SCORER.analyzer),
        vaguer=vaguer(kind, question, SCORER.analyzer),
        alternative=alternative(kind, question),
    )
    return [p.hit for p in ranking.best(3, 0.2)]
