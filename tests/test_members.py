"""Answers that read the question: every entry about a topic and only those (not a tag's
worth), papers by an author, comparisons described in words, Korean questions that do not mark
the plural, and clear answers for what the digest does not have. On the real seed index."""

from __future__ import annotations

import pytest
from conftest import MARKER

import rag
from rag import Filters
from rag.ask.authors import read_authors
from rag.names import Roster, same_person


def titles(a) -> set[str]:
    return {c.entry.title for c in a.citations}


def about(entries, word: str) -> set[str]:
    """Titles of the entries whose own text holds the word (what "about it" means here)."""
    word = word.casefold()
    return {e.title for e in entries
            if word in " ".join([e.title, e.abstract or "", e.comment_ko, e.comment_en]).casefold()}


@pytest.mark.parametrize("question", [
    "What did the digest cover on GRPO?",
    "GRPO를 다룬 논문을 알려줘",          # Korean does not mark the plural
    "GRPO 관련 논문들을 모두 보여줘",
])
def test_a_topic_narrower_than_its_tag_cites_the_entries_about_it_and_only_those(seed_settings, seed_entries, question):
    a = rag.answer(question, settings=seed_settings)
    expected = about(seed_entries, "GRPO")
    rl = {e.title for e in seed_entries if "rl" in e.tags}
    assert 2 <= len(expected) < len(rl)  # the fixture's point: the topic is narrower than #rl
    assert titles(a) == expected, a.text
    # The count says what was counted, and how many entries of the broader tag were left out.
    assert f"{len(expected)}" in a.text.splitlines()[0]
    assert f"#rl" in a.text and str(len(rl) - len(expected & rl)) in a.text


def test_a_topic_that_is_a_tags_own_name_lists_the_tag(seed_settings, seed_entries):
    a = rag.answer("What did the digest cover on reward models?", settings=seed_settings)
    assert titles(a) >= {e.title for e in seed_entries if "reward-model" in e.tags}


def test_a_topic_list_is_newest_first_by_default_and_by_relevance_on_request(seed_settings):
    by_date = rag.answer("What did the digest cover on GRPO?", settings=seed_settings)
    days = [c.entry.day for c in by_date.citations]
    assert days == sorted(days, reverse=True)
    by_relevance = rag.answer("What did the digest cover on GRPO?", settings=seed_settings, order="relevance")
    assert titles(by_relevance) == titles(by_date)
    with pytest.raises(rag.QuestionError, match="order"):
        rag.answer("What did the digest cover on GRPO?", settings=seed_settings, order="shuffled")


@pytest.mark.parametrize("question", [
    "Which papers by Sebastian Ruder did the digest cover?",
    "Sebastian Ruder가 참여한 논문을 알려줘",
    "Sebastian Ruder 연구실 논문",
    "sebastian ruder's papers",
])
def test_an_author_question_lists_every_entry_that_author_wrote(seed_settings, seed_entries, question):
    a = rag.answer(question, settings=seed_settings)
    wrote = {e.title for e in seed_entries if "Sebastian Ruder" in e.authors}
    assert len(wrote) == 2
    assert titles(a) == wrote, a.text
    assert rag.understand(question, settings=seed_settings).filters.authors


def test_author_names_match_across_accents_and_middle_names(seed_settings, seed_entries):
    for asked, listed in [("Florian Tramer", "Florian Tramèr"), ("Zico Kolter", "J. Zico Kolter")]:
        a = rag.answer(f"Which papers by {asked} did the digest cover?", settings=seed_settings)
        assert titles(a) == {e.title for e in seed_entries if listed in e.authors}, a.text
    assert same_person("Quoc Le", "Quoc V. Le") and same_person("Christopher Re", "Christopher Ré")
    assert not same_person("Albert Gu", "Jiaxin Gu") and not same_person("Quoc X. Le", "Quoc V. Le")


def test_an_author_filter_narrows_search_and_answers_alike(seed_settings, seed_entries):
    hits = rag.search("language models", k=10, filters=Filters(authors=("Sebastian Ruder",)), settings=seed_settings)
    assert {h.entry.title for h in hits} == {e.title for e in seed_entries if "Sebastian Ruder" in e.authors}


@pytest.mark.parametrize("question, said", [
    ("Which papers by Geoffrey Hinton did the digest cover?", "no entries by Geoffrey Hinton"),
    ("Geoffrey Hinton이 참여한 논문", "Geoffrey Hinton의 항목이 없습니다"),
])
def test_a_name_the_digest_never_lists_says_so_with_the_closest_names(seed_settings, question, said):
    a = rag.answer(question, settings=seed_settings)
    assert a.abstained and said in a.text and not a.citations
    assert "Closest names" in a.text or "가장 가까운 이름" in a.text


def test_a_one_letter_author_name_gets_a_clear_answer(seed_settings):
    a = rag.answer("papers by X", settings=seed_settings)
    assert a.abstained and "too short" in a.text


def test_a_comparison_described_in_words_cites_every_entry_that_fits(seed_settings, seed_entries):
    a = rag.answer("Compare the entries that study GRPO.", settings=seed_settings)
    expected = about(seed_entries, "GRPO")
    assert titles(a) == expected, a.text
    lines = [line for line in a.text.splitlines() if MARKER.search(line)]
    assert len(lines) == len(expected)  # each with its own line
    two = rag.answer("두 연구를 비교해줘: GRPO를 다룬 연구들", settings=seed_settings)
    assert len(two.citations) == 2 and titles(two) <= expected


def test_a_description_of_one_paper_still_cites_one(seed_settings):
    a = rag.answer("Which paper analyses low-probability tokens dominating the gradient in GRPO?",
                   settings=seed_settings)
    assert len(a.citations) == 1 and a.citations[0].entry.title.startswith("Do Not Let Low-Probability")


def test_a_period_without_the_topic_says_where_the_digest_has_it(seed_settings, seed_entries):
    grpo = about(seed_entries, "GRPO")
    assert not grpo & {e.title for e in seed_entries if e.day.isoformat() == "2025-05-16"}
    a = rag.answer("What did the digest cover on GRPO on May 16, 2025?", settings=seed_settings)
    first = min(e.day for e in seed_entries if e.title in grpo).isoformat()
    assert a.text.startswith("None in 2025-05-16") and first in a.text.splitlines()[0], a.text
    assert titles(a) == grpo


def test_a_topic_of_stop_words_only_does_not_crash(seed_settings):
    for question in ("What did the digest cover on the?", "그것을 다룬 논문을 알려줘"):
        a = rag.answer(question, settings=seed_settings)
        assert isinstance(a.text, str) and a.text


def test_author_phrases_are_read_out_of_the_question():
    roster = Roster([("Albert Gu", "Tri Dao"), ("Christopher Ré",)])
    assert read_authors("Which papers by Albert Gu did the digest cover?", roster).known == ("Albert Gu",)
    assert read_authors("Albert Gu가 참여한 논문을 알려줘", roster).known == ("Albert Gu",)
    assert read_authors("저자가 Tri Dao인 논문", roster).known == ("Tri Dao",)
    assert read_authors("Christopher Re 연구실", roster).known == ("Christopher Re",)
    # A capitalized word the digest lists nobody as is left to the topic ("by Google").
    got = read_authors("papers released by Google on scaling", roster)
    assert got.known == () and got.unknown == () and "Google" in got.rest
