"""Follow-ups: every history format `answer()` and the app accept, and what a follow-up points at."""

from __future__ import annotations

import pytest
from conftest import MARKER

import rag
from rag import Answer
from rag.app.render import answer_markdown
from rag.ask.conversation import Conversation, read_follow_up, read_history
from rag.digest import parse_day_text

# Invented days (not digest text), for the pure tests.
DAYS = """2031년 3월 4일
Sparse Widgets: Scaling Widget Models
(Ada Park, Ben Cho)
위젯을 크게 키우는 연구.
#widgets
Gadget Transformers
(Cy Lee)
가젯을 트랜스포머로 다룬 연구.
#gadgets
"""
LATER = """2031년 3월 9일
Doohickey Distillation
(Di Kim)
두히키 증류.
#distillation
Under_Score *Widgets* [v2]: <Tiny> Models
(Ed Yoon)
밑줄과 별표가 있는 제목.
#widgets
"""

LISTING = "2025년 5월 20일 #rl 논문 목록"
MONTH_LISTING = "2025년 5월 #rl 논문 목록"


@pytest.fixture(scope="module")
def by_day():
    entries = parse_day_text(DAYS, "a.txt") + parse_day_text(LATER, "b.txt")
    out: dict = {}
    for e in entries:
        out.setdefault(e.day, []).append(e)
    return out


@pytest.fixture(scope="module")
def entries(by_day):
    return [e for day in sorted(by_day) for e in by_day[day]]


def test_an_answers_entries_are_read_from_the_titles_next_to_its_markers(by_day, entries):
    text = ('2 entries match:\n- 2031-03-09 · Doohickey Distillation [1] #distillation\n'
            '- 2031-03-04 · Gadget Transformers [2] #gadgets')
    state = read_history([("list them", text)], by_day)
    assert state.entries == (entries[2], entries[1])
    assert state.questions == ("list them",)


def test_markers_in_the_apps_markdown_resolve_through_its_escapes(by_day, entries):
    odd = entries[3]
    text = answer_markdown(f'The digest covers this in "{odd.title}" ({odd.day}) [1].')
    assert "\\_" in text and "\\*" in text  # the Markdown escapes the title's specials
    state = read_history([{"role": "user", "content": [{"type": "text", "text": "q"}]},
                          {"role": "assistant", "content": [{"type": "text", "text": text}]}], by_day)
    assert state.entries == (odd,)


def test_a_marker_with_no_title_before_it_resolves_to_nothing(by_day):
    assert read_history([("q", "Something unrelated [1].")], by_day).entries == ()


@pytest.mark.parametrize("question, position", [
    ("what did the author think of the second one?", 1),
    ("tell me more about the 2nd paper", 1),
    ("and number 3?", 2),
    ("두 번째 논문에 대해 작성자는 뭐라고 했어?", 1),
    ("3번 논문은 어떤 내용이야?", 2),
    ("마지막 것은?", 2),
    ("the last one?", 2),
])
def test_an_ordinal_pins_that_entry_of_the_last_answer(entries, question, position):
    follow = read_follow_up(question, Conversation(questions=("list",), entries=tuple(entries[:3])))
    assert follow.entries == (entries[position],) and follow.pinned


@pytest.mark.parametrize("question", ["그 중에 위젯 관련은?", "which of them is about widgets?", "among those, any on widgets?"])
def test_among_them_searches_only_the_last_answers_entries(entries, question):
    follow = read_follow_up(question, Conversation(questions=("list",), entries=tuple(entries[:3])))
    assert follow.entries == tuple(entries[:3]) and not follow.pinned
    assert "그 중" not in follow.question and ("위젯" in follow.question or "widgets" in follow.question)


@pytest.mark.parametrize("question, order", [("그 중에 가장 최근 것은?", "newest"), ("which of them is the oldest?", "oldest")])
def test_the_newest_or_oldest_of_them_is_asked_by_day(entries, question, order):
    follow = read_follow_up(question, Conversation(questions=("list",), entries=tuple(entries[:3])))
    assert follow.order == order and follow.pinned and follow.entries == tuple(entries[:3])


@pytest.mark.parametrize("question", ["what did the author think of it?", "그 논문의 한계는?"])
def test_it_and_that_paper_pin_the_last_answers_first_entry(entries, question):
    follow = read_follow_up(question, Conversation(questions=("q",), entries=tuple(entries[:2])))
    assert follow.entries == (entries[0],) and follow.pinned


def test_the_first_half_of_a_year_is_a_date_not_an_ordinal(entries):
    follow = read_follow_up("papers from the first half of 2024", Conversation(questions=("q",), entries=tuple(entries[:3])))
    assert not follow.pinned and not follow.entries


def test_a_follow_up_with_no_entries_to_point_at_carries_the_earlier_question():
    follow = read_follow_up("what about 2024?", Conversation(questions=("GRPO papers",)))
    assert follow.carried and follow.question == "GRPO papers what about 2024?"


# --- through answer(), every history format ---------------------------------------------------


@pytest.fixture(scope="module")
def listing(seed_settings) -> Answer:
    a = rag.answer(LISTING, settings=seed_settings)
    assert len(a.citations) == 4
    return a


def _formats(first: Answer, question: str) -> dict[str, list]:
    return {
        "gradio6-parts": [{"role": "user", "content": [{"type": "text", "text": question}]},
                          {"role": "assistant", "content": [{"type": "text",
                                                             "text": answer_markdown(first.text, first.citations)}]}],
        "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": first.text}],
        "pairs": [(question, first.text)],
        "pairs-answer": [(question, first)],
        "messages-answer": [{"role": "user", "content": question}, {"role": "assistant", "content": first}],
    }


@pytest.mark.parametrize("shape", ["gradio6-parts", "messages", "pairs", "pairs-answer", "messages-answer"])
def test_the_second_one_is_the_listings_second_entry_in_every_history_format(seed_settings, listing, shape):
    history = _formats(listing, LISTING)[shape]
    a = rag.answer("what did the author think of the second one?", history=history, settings=seed_settings)
    second = listing.citations[1].entry
    assert not a.abstained, a.text
    assert [c.entry for c in a.citations] == [second]
    assert second.title in a.text
    assert "The digest's author:" in a.text
    assert set(MARKER.findall(a.text)) == {str(a.citations[0].n)}


def test_what_the_author_thought_of_it_answers_from_the_single_cited_entry(seed_settings):
    first = rag.answer("Which paper folds neighbouring image tokens into the channel dimension?", settings=seed_settings)
    a = rag.answer("what did the author think of it?", history=[(first.question, first)], settings=seed_settings)
    assert [c.entry for c in a.citations] == [first.citations[0].entry]
    assert "The digest's author:" in a.text


def test_the_most_recent_among_them_is_the_newest_days_entry(seed_settings):
    first = rag.answer(MONTH_LISTING, settings=seed_settings)
    days = {c.entry.day for c in first.citations}
    assert len(days) > 1
    a = rag.answer("그 중에 가장 최근 것은?", history=[(MONTH_LISTING, first.text)], settings=seed_settings)
    assert not a.abstained, a.text
    assert len(a.citations) == 1 and a.citations[0].entry.day == max(days)
    assert a.citations[0].entry in [c.entry for c in first.citations]
