"""Keeping an answer in a real browser: Copy gives Markdown with its references, Export downloads
the conversation, New conversation clears everything; and the small things around the chat."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from ui_support import DESKTOP, App, ask, ask_follow_up, last_answer, open_page, shot

pytestmark = pytest.mark.slow

QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"


def test_copy_gives_the_answer_as_markdown_with_a_reference_list(browser: Browser, app: App):
    with open_page(browser, app, DESKTOP, permissions=["clipboard-read", "clipboard-write"]) as visit:
        page = visit.page
        ask(page, QUESTION)
        bot = page.locator('#chat [data-testid="bot"]').last
        bot.hover()
        page.locator("#chat").get_by_role("button", name=re.compile("copy", re.I)).last.click()
        copied = page.evaluate("navigator.clipboard.readText()")
    assert "<a" not in copied and "class=" not in copied, copied
    assert "[1]" in copied
    refs = copied.split("**References**", 1)[1]
    assert re.search(r"\[1\] 2025-04-25 · Token-Shuffle", refs), copied


def test_export_downloads_the_whole_conversation_as_markdown(page: Page):
    ask(page, QUESTION)
    ask_follow_up(page, "이미지 토큰을 채널 차원으로 접어서 시퀀스를 줄이는 논문은?")
    with page.expect_download() as download:
        page.locator("#export").click()
    path = download.value.path()
    text = open(path, encoding="utf-8").read()
    assert text.startswith("# Digest RAG conversation")
    assert text.count("\n## ") == 2 and QUESTION in text
    assert "Token-Shuffle" in text and "**References**" in text and "[1]" in text


def test_new_conversation_clears_the_chat_the_sources_and_the_filter_chips(page: Page):
    ask(page, "2025년 5월 20일 #rl 논문 목록")
    expect(page.locator("#active-filters .src-tag")).not_to_have_count(0)
    page.locator("#new-conversation").click()
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(0)
    expect(page.locator("#sources .src-card")).to_have_count(0)
    expect(page.locator("#active-filters .src-tag")).to_have_count(0)
    expect(page.locator("#brief")).to_be_visible()


def test_an_empty_question_adds_no_bubble_and_says_what_to_do(page: Page):
    page.locator("#question textarea").fill("   ")
    page.locator("#question textarea").press("Enter")
    expect(page.get_by_text("Type a question first.")).to_be_visible()
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(0)
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(0)


def test_the_page_opens_on_the_latest_days_brief_until_the_first_question(page: Page):
    brief = page.locator("#brief")
    expect(brief).to_contain_text("What's new on 2025-05-21 (6 papers)")
    expect(brief).to_contain_text("General-Reasoner")
    shot(page, "brief")
    ask(page, QUESTION)
    expect(brief).to_be_hidden()


def test_citations_stand_out_from_the_text_and_the_chat_has_no_dead_share_button(page: Page):
    ask(page, QUESTION)
    bot = page.locator('#chat [data-testid="bot"]').last
    cite = bot.locator("a.cite").first
    expect(cite).to_have_text("[1]")
    cite_colour = cite.evaluate("a => getComputedStyle(a).color")
    text_colour = bot.locator("p").first.evaluate("p => getComputedStyle(p).color")
    assert cite_colour != text_colour
    expect(page.locator("#chat").get_by_role("button", name=re.compile("share", re.I))).to_have_count(0)
    assert "[1]" in last_answer(page)
