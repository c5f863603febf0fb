"""Specification of `rag.ask.answer` on the offline path: citations, language, abstention, follow-ups."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import HANGUL, MARKER, entry_titled

import rag
from rag import Answer, Entry
from rag.ask.cite import validate_citations
from rag.ask.prepare import QuestionError
from rag.config import MAX_QUESTION_CHARS
from rag.digest import parse_day_text
from rag.model import Hit

EN_QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"
KO_QUESTION = "사전학습 데이터에서 위험한 텍스트를 버리지 않고 윤리 교육용 글로 다시 써서 학습시킨 연구는?"
UNANSWERABLE = {"en": "What is the capital of France?", "ko": "프랑스의 수도는 어디인가요?"}

# An invented day (not digest text): three entries to cite in the pure citation tests.
DAY = """2031년 3월 4일
Sparse Widgets: Scaling Widget Models
(Ada Park, Ben Cho)
위젯을 크게 키우는 연구.
A study on scaling widgets.
#widgets
Gadget Transformers
(Cy Lee)
가젯을 트랜스포머로 다룬 연구.
Gadgets, with transformers.
#gadgets
Doohickey Distillation
(Di Kim)
두히키 증류.
Distilling doohickeys.
#distillation
"""


def assert_markers_match_citations(a: Answer) -> None:
    """Every [n] in the text has a citation, every citation is in the text, and n is its source."""
    in_text = {int(n) for n in MARKER.findall(a.text)}
    cited = [c.n for c in a.citations]
    assert in_text == set(cited), (a.text, cited)
    assert len(cited) == len(set(cited))
    for c in a.citations:
        assert isinstance(c.entry, Entry)
        assert 1 <= c.n <= len(a.contexts)
        assert c.entry == a.contexts[c.n - 1].entry


@pytest.fixture(scope="module")
def three_hits() -> list[Hit]:
    return [Hit(entry=e, score=1.0 - i / 10) for i, e in enumerate(parse_day_text(DAY, "day.txt"))]


# --- answers with citations ----------------------------------------------------------------


@pytest.mark.parametrize("question", [EN_QUESTION, KO_QUESTION], ids=["en", "ko"])
def test_answer_text_carries_markers_that_each_map_to_a_citation(seed_settings, question):
    a = rag.answer(question, settings=seed_settings)
    assert isinstance(a, Answer)
    assert not a.abstained
    assert MARKER.search(a.text)
    assert a.citations
    assert_markers_match_citations(a)


def test_english_question_gets_an_english_answer_citing_the_right_entry(seed_settings, seed_entries):
    a = rag.answer(EN_QUESTION, settings=seed_settings)
    assert a.lang == "en"
    assert not HANGUL.search(a.text), a.text
    assert a.citations[0].entry == entry_titled(seed_entries, "Token-Shuffle")
    assert "Token-Shuffle" in a.text


def test_korean_question_gets_a_korean_answer_citing_the_right_entry(seed_settings, seed_entries):
    a = rag.answer(KO_QUESTION, settings=seed_settings)
    assert a.lang == "ko"
    assert HANGUL.search(a.text), a.text
    assert a.citations[0].entry == entry_titled(seed_entries, "Safety Pretraining")


def test_a_comparison_cites_its_two_papers_and_nothing_else(seed_settings, seed_entries):
    a = rag.answer(
        "Compare the paper that folds neighbouring image tokens into the channel dimension to shorten the "
        "sequence, and the paper that averages checkpoints during pretraining instead of annealing",
        settings=seed_settings,
    )
    cited = {c.entry for c in a.citations}
    assert cited == {entry_titled(seed_entries, "Token-Shuffle"), entry_titled(seed_entries, "Model Merging in Pre-training")}


def test_answer_json_shape_matches_the_cli_contract(seed_settings):
    d = rag.answer(EN_QUESTION, settings=seed_settings).to_dict()
    assert set(d) == {"text", "citations", "abstained"}
    assert d["citations"] and all(set(c) == {"n", "id", "title", "day"} for c in d["citations"])
    assert d["citations"][0]["day"] == "2025-04-25"


def test_offline_stream_yields_text_then_ends_with_the_answer(seed_settings):
    items = list(rag.answer_stream(EN_QUESTION, settings=seed_settings))
    assert isinstance(items[-1], Answer)
    deltas = items[:-1]
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas).strip() == items[-1].text


def test_pure_filter_question_is_answered_with_a_list_citing_every_entry_of_the_day(seed_settings, seed_entries):
    a = rag.answer("2025-05-21의 논문 목록", settings=seed_settings)
    assert not a.abstained
    assert {c.entry.id for c in a.citations} == {e.id for e in seed_entries if e.day == date(2025, 5, 21)}
    assert len(a.citations) == 6
    assert_markers_match_citations(a)


def test_filter_question_matching_nothing_abstains_without_citations(seed_settings):
    a = rag.answer("2025-06-30의 논문 목록", settings=seed_settings)
    assert a.abstained
    assert a.citations == []
    assert not MARKER.search(a.text)


@pytest.mark.parametrize(
    "question", ["What does the digest say about TinyV?", "TinyV 논문은 어떤 내용인가요?"], ids=["en", "ko"]
)
def test_question_naming_a_paper_in_the_digest_is_answered_not_abstained(seed_settings, seed_entries, question):
    # The question names the paper; search ranks it first. Abstaining here is a false "not covered".
    tinyv = entry_titled(seed_entries, "TinyV")
    assert rag.search(question, k=1, settings=seed_settings)[0].entry == tinyv
    a = rag.answer(question, settings=seed_settings)
    assert not a.abstained, a.text
    assert a.citations[0].entry == tinyv


# --- abstention ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_unanswerable_question_abstains_and_names_the_closest_entries(seed_settings, lang):
    a = rag.answer(UNANSWERABLE[lang], settings=seed_settings)
    assert a.abstained
    assert a.lang == lang
    assert bool(HANGUL.search(a.text)) == (lang == "ko"), a.text
    # "Closest in the digest": the nearest entries are cited, in retrieval order.
    assert 1 <= len(a.citations) <= 3
    assert [c.entry for c in a.citations] == [h.entry for h in a.contexts[: len(a.citations)]]
    assert_markers_match_citations(a)


# --- citation validation (pure) ------------------------------------------------------------


def test_marker_pointing_at_no_source_is_removed(three_hits):
    text, cited = validate_citations("Widgets scale well [1]. Nobody said this [9].", three_hits)
    assert text == "Widgets scale well [1]. Nobody said this."
    assert cited == [1]


def test_marker_zero_is_removed_and_valid_neighbours_are_kept(three_hits):
    text, cited = validate_citations("Both agree [0][2][3].", three_hits)
    assert text == "Both agree [2][3]."
    assert cited == [2, 3]


def test_cited_numbers_come_in_order_of_first_appearance_without_repeats(three_hits):
    _, cited = validate_citations("Gadgets [2], widgets [1], gadgets again [2].", three_hits)
    assert cited == [2, 1]


def test_text_without_markers_cites_nothing(three_hits):
    assert validate_citations("No sources here.", three_hits) == ("No sources here.", [])


# --- bad questions -------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "  \n ", "a" * (MAX_QUESTION_CHARS + 1)], ids=["empty", "blank", "too-long"])
def test_empty_or_too_long_question_raises_question_error(seed_settings, question):
    with pytest.raises(QuestionError):
        rag.answer(question, settings=seed_settings)
    with pytest.raises(QuestionError):
        next(iter(rag.answer_stream(question, settings=seed_settings)))


def test_question_at_the_length_limit_is_accepted(seed_settings):
    sentence = "Which paper studies scaling laws for quantization-aware training? "
    question = (sentence * (MAX_QUESTION_CHARS // len(sentence) + 1))[:MAX_QUESTION_CHARS]
    assert isinstance(rag.answer(question, settings=seed_settings), Answer)


def test_too_long_question_error_says_what_the_limit_is(seed_settings):
    with pytest.raises(QuestionError, match=f"{MAX_QUESTION_CHARS:,}"):
        rag.answer("a" * (MAX_QUESTION_CHARS + 1), settings=seed_settings)


# --- follow-ups ----------------------------------------------------------------------------

FIRST = "2025년 5월 20일 #rl 논문 목록"
FOLLOW_UP = "그 중에 GRPO 관련은?"


def history_after_first(seed_settings, shape: str) -> list:
    first = rag.answer(FIRST, settings=seed_settings)
    if shape == "messages":
        return [{"role": "user", "content": FIRST}, {"role": "assistant", "content": first.text}]
    return [(FIRST, first.text)]


@pytest.mark.parametrize("shape", ["messages", "pairs"])
def test_follow_up_among_them_searches_only_the_earlier_answers_entries(seed_settings, seed_entries, shape):
    first = rag.answer(FIRST, settings=seed_settings)
    listed = [c.entry.id for c in first.citations]
    a = rag.answer(FOLLOW_UP, history=history_after_first(seed_settings, shape), settings=seed_settings)
    # "그 중에" is the earlier answer's entries: only those are searched ...
    assert a.filters.ids == tuple(listed)
    assert a.contexts and {h.entry.id for h in a.contexts} <= set(listed)
    # ... and the new words pick the GRPO entry among them.
    assert "GRPO" in a.standalone and "그 중" not in a.standalone
    assert a.contexts[0].entry == entry_titled(seed_entries, "Do Not Let Low-Probability Tokens")


def test_follow_up_about_grpo_is_answered_from_the_grpo_entry(seed_settings, seed_entries):
    a = rag.answer(FOLLOW_UP, history=history_after_first(seed_settings, "messages"), settings=seed_settings)
    assert not a.abstained, a.text
    assert a.citations[0].entry == entry_titled(seed_entries, "Do Not Let Low-Probability Tokens")
    assert_markers_match_citations(a)


def test_standalone_question_ignores_unrelated_history(seed_settings, seed_entries):
    question = "Which paper trains a reward model on preference data scraped from online forums?"
    a = rag.answer(question, history=history_after_first(seed_settings, "messages"), settings=seed_settings)
    assert a.standalone == question
    assert not a.filters
    assert a.citations[0].entry == entry_titled(seed_entries, "WorldPM")


def test_without_history_the_follow_up_is_taken_as_asked(seed_settings):
    a = rag.answer(FOLLOW_UP, settings=seed_settings)
    assert a.standalone == FOLLOW_UP
    assert not a.filters
