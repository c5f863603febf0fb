"""The Ask tab's filters, chips and small courtesies in a real browser: every active filter shows
as a chip and New conversation clears them all; an author on a card asks for their papers; a
brief title opens its card; what a user types shows as typed; refusals say why; Gradio's own
labels follow a Korean browser."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from conftest import run_rag
from playwright.sync_api import Browser, Page, expect
from ui_support import DESKTOP, LIVE_MS, App, ask, ask_follow_up, choose, cited_titles, open_page, shot, zebra_moved

from rag.config import MAX_QUESTION_CHARS

pytestmark = pytest.mark.slow

QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"


def open_filters(page: Page) -> None:
    page.locator("#filters").get_by_text("Filters").click()
    expect(page.locator("#day-from")).to_be_visible()


def set_day(page: Page, picker: str, day: str) -> None:
    box = page.locator(f"{picker} input").first
    box.fill(day)
    box.press("Enter")


def test_every_filter_set_shows_a_chip_before_asking_and_new_conversation_clears_them_all(page: Page):
    open_filters(page)
    choose(page, "#tag-filter", re.compile(r"^rl \("))
    page.keyboard.press("Escape")
    set_day(page, "#day-from", "2025-05-20")
    page.locator("#answer-lang").get_by_text("한국어").click()
    chips = page.locator("#active-filters .src-tag")
    expect(chips).to_have_text([re.compile(r"^2025-05-20 – \d{4}-\d\d-\d\d$"), "#rl", "answer in Korean"])
    shot(page, "filters-chips")

    page.locator("#new-conversation").click()
    expect(chips).to_have_count(0)
    expect(page.locator("#tag-filter .token")).to_have_count(0)
    expect(page.locator("#day-from input").first).to_have_value("")
    expect(page.locator("#answer-lang input[value=auto]")).to_be_checked()
    # The next question is asked with nothing the page does not show.
    ask(page, QUESTION)
    assert cited_titles(page)[0].startswith("Token-Shuffle")
    expect(chips).to_have_count(0)


def test_clicking_an_author_on_a_card_asks_for_their_papers_with_an_author_chip(page: Page):
    ask(page, QUESTION)
    page.locator("#sources .cited-sources .src-card").first.locator("button.author", has_text="Xu Ma").first.click()
    expect(page.locator("#question textarea")).to_have_value("")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 2")
    expect(page.locator("#active-filters")).to_contain_text("by Xu Ma", timeout=90_000)
    expect(page.locator('#chat [data-testid="user"]').last).to_have_text("papers by Xu Ma")
    cards = page.locator("#sources .cited-sources .src-card")
    for i in range(cards.count()):
        expect(cards.nth(i).locator(".src-meta").first).to_contain_text("Xu Ma")


def test_a_title_in_the_opening_brief_opens_its_card(page: Page):
    brief = page.locator("#brief")
    entry = brief.locator("details.brief-entry").filter(has=page.locator("summary", has_text="General-Reasoner"))
    title, card = entry.locator("> summary"), entry.locator(".src-card")
    expect(card).to_be_hidden()
    title.click()
    expect(card).to_be_visible()
    expect(card.locator(".src-label").first).to_have_text("Commentary (KO)")


def test_html_typed_into_a_question_is_shown_as_typed(page: Page):
    typed = '<img src=x onerror="window.__pwned=1"> <b>Token-Shuffle</b>?'
    ask(page, typed)
    user = page.locator('#chat [data-testid="user"]').last
    expect(user).to_have_text(typed)
    assert page.locator("#chat img, #chat b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_an_over_length_question_says_so_and_stays_in_the_box(page: Page):
    long = "x" * (MAX_QUESTION_CHARS + 1)
    box = page.locator("#question textarea")
    box.fill(long)
    expect(box).to_have_value(long)  # not cut by the box
    box.press("Enter")
    expect(page.get_by_text(f"the limit is {MAX_QUESTION_CHARS:,}")).to_be_visible()
    expect(box).to_have_value(long)
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(0)


def test_export_with_no_conversation_says_why(page: Page):
    page.locator("#export").click()
    expect(page.get_by_text("There is no conversation to export yet")).to_be_visible()


def test_a_follow_up_after_a_listing_resolves_its_ordinal_from_the_kept_citations(page: Page):
    ask(page, "2025년 5월 20일 #rl 논문 목록")
    listed = cited_titles(page)
    ask_follow_up(page, "the third one?")
    assert cited_titles(page) == [listed[2]]


def test_a_korean_browser_gets_korean_copy_buttons_and_warning_titles(browser: Browser, app: App):
    with open_page(browser, app, DESKTOP, locale="ko-KR") as visit:
        page = visit.page
        page.locator("#question textarea").fill("   ")
        page.locator("#question textarea").press("Enter")
        expect(page.get_by_text("먼저 질문을 입력하세요.")).to_be_visible()
        expect(page.get_by_text("주의", exact=True)).to_be_visible()
        expect(page.get_by_text("Warning", exact=True)).to_have_count(0)
        ask(page, QUESTION)
        expect(page.locator('#chat button[aria-label="대화 복사"]')).to_have_count(1)
        expect(page.locator('#chat button[aria-label="메시지 복사"]').first).to_be_attached()
        expect(page.locator('#chat button[aria-label^="Copy"]')).to_have_count(0)


def call_respond(app: App, data: list) -> str:
    """POST the chat endpoint as an API client does (a value for every input, None for the
    session's own state); the event stream it answers with."""
    posted = httpx.post(app.url + "gradio_api/call/respond", json={"data": data}, timeout=30)
    assert posted.status_code == 200, posted.text
    return httpx.get(app.url + f"gradio_api/call/respond/{posted.json()['event_id']}", timeout=120).text


@pytest.mark.parametrize("start, tags, lang, why", [
    (1e20, [], "auto", "a day is text"),
    ([], [], "auto", "a day is text"),
    (None, "rl", "auto", "tags are a list"),
    (None, [], "klingon", "the answer language is one of"),
], ids=["day-1e20", "day-list", "tags-text", "language-unknown"])
def test_malformed_values_to_the_chat_endpoint_are_one_clear_error_and_no_traceback(
        app: App, start, tags, lang, why):
    before = app.output().count("Traceback")
    stream = call_respond(app, ["what is Token-Shuffle?", None, start, None, tags, lang, "date", None])
    assert "event: error" in stream and f"Invalid request: {why}" in stream, stream
    assert app.output().count("Traceback") == before


def test_a_history_sent_to_the_chat_endpoint_is_not_the_conversation(app: App):
    # The conversation is the session's own state: a client's garbage or 5,000-turn history in
    # its place is ignored, and the question is answered as the first of a conversation.
    garbage = [{"role": "assistant", "content": {"x": 1}}] * 5000
    stream = call_respond(app, ["Which paper folds image tokens into the channel dimension?", garbage, None, None,
                                [], "auto", "date", None])
    assert "event: complete" in stream and "Token-Shuffle" in stream, stream[:500]


def test_an_open_pages_brief_follows_a_new_day_without_a_reload(app: App, page: Page):
    brief = page.locator("#brief")
    expect(brief).to_contain_text("2025-05-21")
    (app.data_dir / "960_gnu.txt").write_text(zebra_moved(date(2025, 6, 2), "Gnu"), encoding="utf-8")
    result = run_rag("reindex", env=app.env)
    assert result.returncode == 0, result.stderr
    expect(brief).to_contain_text("What's new on 2025-06-02 (1 paper)", timeout=LIVE_MS)
    expect(brief.locator("details.brief-entry > summary")).to_have_text([re.compile(r"^Gnu-Tokens")])


def test_the_order_toggle_lists_by_relevance_instead_of_newest_first(page: Page):
    question = "which papers are about reinforcement learning for reasoning?"
    ask(page, question)
    by_date = cited_titles(page)
    cards = page.locator("#sources .cited-sources .src-card")
    days = [cards.nth(i).locator(".src-meta").first.inner_text()[:10] for i in range(cards.count())]
    assert len(days) >= 3 and days == sorted(days, reverse=True), days
    page.locator("#new-conversation").click()
    open_filters(page)
    page.locator("#list-order").get_by_text("Most relevant first").click()
    ask(page, question)
    by_relevance = cited_titles(page)
    assert sorted(by_relevance) == sorted(by_date) and by_relevance != by_date
