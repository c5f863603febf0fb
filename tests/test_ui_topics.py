"""In the browser, a topic listing and a follow-up about it: "그 중에 가장 최근 것은?" is answered
from that topic's entries (kept as data by the page), at desktop and phone sizes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from ui_support import DESKTOP, PHONE, App, ask, ask_follow_up, cited_titles, last_answer, open_page

from rag.ask.terms import entry_text


@pytest.mark.slow
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_topic_listing_then_the_most_recent_of_them(browser: Browser, app: App, seed_entries, viewport):
    about = [e for e in seed_entries if re.search(r"\bGRPO\b", entry_text(e))]
    newest = max(about, key=lambda e: (e.day, -e.source.line))
    with open_page(browser, app, viewport) as visit:
        page: Page = visit.page
        ask(page, "GRPO를 다룬 논문을 알려줘")
        listed = cited_titles(page)
        assert set(listed) == {e.title for e in about}, last_answer(page)
        # The listing opens at its first line, which is in view.
        first_line = page.locator('#chat [data-testid="bot"]').last.locator("p, li").first
        expect(first_line).to_be_in_viewport()
        ask_follow_up(page, "그 중에 가장 최근 것은?")
        assert cited_titles(page) == [newest.title], last_answer(page)
        card = page.locator("#sources .cited-sources .src-card").first
        card.scroll_into_view_if_needed()
        expect(card).to_be_in_viewport()
        assert not visit.errors
