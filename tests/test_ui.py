"""The web app in a real browser: asking, following up, citations, filters, safety, phones."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import HANGUL
from playwright.sync_api import Browser, Page, expect
from ui_support import (
    HOSTILE_DAY,
    IMG,
    MARKDOWN_DAY,
    PHONE,
    SCRIPT,
    TRACKER,
    ZEBRA_DAY,
    App,
    Visit,
    add_day_from_ui,
    ask,
    ask_follow_up,
    card_titled,
    choose,
    cited_titles,
    last_answer,
    open_page,
    shot,
)

pytestmark = pytest.mark.slow


def painted(page: Page) -> None:
    """Return once the page has painted two frames after the answer (an element the answer
    added is in the DOM by then, and a load or error it starts has begun)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_english_question_sent_with_enter_shows_a_cited_answer_and_its_card(page: Page):
    ask(page, "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?")

    answer = page.locator('#chat [data-testid="bot"]').last
    expect(answer.locator("a.cite").first).to_have_text("[1]")
    assert "Token-Shuffle" in answer.inner_text()
    card = card_titled(page.locator("#sources .cited-sources .src-card"), "Token-Shuffle")
    expect(card.locator(".src-meta").first).to_contain_text("2025-04-25")
    assert card.locator(".src-tag").all_text_contents() == ["#autoregressive-model", "#image-generation", "#vq"]
    # text_content, not inner_text: the labels are uppercased by CSS.
    labels = card.locator(".src-label").all_text_contents()
    assert labels[:2] == ["Commentary (KO)", "Commentary (EN)"]
    ko, en = card.locator("p").nth(0).inner_text(), card.locator("p").nth(1).inner_text()
    assert "이미지 토큰" in ko
    assert "pixel shuffle" in en
    shot(page, "answer-en")


def test_korean_question_gets_a_korean_answer_citing_its_card(page: Page):
    ask(page, "트랜스포머가 깊은 레이어를 제대로 활용하지 못한다고 분석한 논문은?")

    text = last_answer(page)
    assert HANGUL.search(text), text
    assert "[1]" in text
    card_titled(page.locator("#sources .cited-sources .src-card"), "Do Language Models Use Their Depth Efficiently?")
    # The page's labels follow the browser (en-US here), not the question's language.
    expect(page.locator("#sources h3")).to_have_text("Sources")
    shot(page, "answer-ko")


def test_a_follow_up_about_the_second_entry_of_a_listing_answers_about_that_entry(page: Page):
    ask(page, "2025년 5월 20일 #rl 논문 목록")
    listed = cited_titles(page)
    assert len(listed) == 4, listed

    ask_follow_up(page, "what did the author think of the second one?")
    assert cited_titles(page) == [listed[1]]
    text = last_answer(page)
    assert listed[1] in text and "The digest's author" in text, text
    expect(page.locator("#active-filters")).to_contain_text("1 entry of the last answer")
    shot(page, "follow-up")


def test_among_them_narrows_a_listing_to_its_entries_on_the_new_topic(page: Page):
    ask(page, "2025년 5월 20일 #rl 논문 목록")
    listed = cited_titles(page)

    ask_follow_up(page, "그 중에 GRPO에서 확률이 낮은 토큰을 다룬 건?")
    cited = cited_titles(page)
    assert cited and set(cited) <= set(listed), (cited, listed)
    assert cited[0].startswith("Do Not Let Low-Probability Tokens"), cited
    # What the search found but the answer did not cite stays reachable, collapsed.
    if len(cited) < len(listed):
        expect(page.locator("#sources details.more-sources > summary")).to_contain_text("More from the digest")


def test_clicking_a_citation_highlights_its_source_card(page: Page):
    ask(page, "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?")

    cite = page.locator("#chat a.cite").first
    target = cite.get_attribute("href")
    assert target and target.startswith("#src-")
    cite.click()
    expect(page.locator(f"#sources {target}")).to_have_class(re.compile(r"\bflash\b"))
    expect(page.locator("#sources .src-card.flash")).to_have_count(1)


def test_tag_filter_keeps_only_entries_with_that_tag_and_shows_its_chip(page: Page):
    page.locator("#filters").get_by_text("Filters").click()
    choose(page, "#tag-filter", re.compile(r"^reward-model \("))
    page.keyboard.press("Escape")
    ask(page, "What do these papers propose?")

    cards = page.locator("#sources .cited-sources .src-card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        assert "#reward-model" in cards.nth(i).locator(".src-tag").all_text_contents()
    expect(page.locator("#active-filters .src-tag")).to_have_text(["#reward-model"])
    shot(page, "tag-filter")


def test_browsing_a_day_lists_its_entries(page: Page):
    page.locator("#tab-browse-button").click()
    choose(page, "#browse-day", "2025-05-21")

    cards = page.locator("#day-cards .src-card")
    expect(cards).to_have_count(6)
    expect(cards.first).to_contain_text("General-Reasoner")
    shot(page, "browse-day")


def test_browsing_a_day_then_an_entry_lists_similar_entries(page: Page):
    page.locator("#tab-browse-button").click()
    choose(page, "#browse-day", "2025-05-20")
    expect(page.locator("#day-cards .src-card")).to_have_count(9)

    choose(page, "#day-similar", re.compile(r"^Do Not Let Low-Probability Tokens"))
    similar = page.locator("#day-similar-cards .src-card")
    expect(similar.first).to_be_visible()
    assert 1 <= similar.count() <= 5
    shot(page, "browse-similar")


def test_browsing_a_tag_plots_entries_per_week_and_lists_them(page: Page):
    page.locator("#tab-browse-button").click()
    choose(page, "#browse-tag", re.compile(r"^rl \("))

    cards = page.locator("#tag-cards .src-card")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        assert "#rl" in cards.nth(i).locator(".src-tag").all_text_contents()
    bars = page.locator('#tag-plot svg.marks [aria-roledescription="bar"]')
    expect(bars.first).to_be_attached()
    # Vega labels each bar "<axis title>: <period>; <axis title>: n" (the axes have no titles:
    # the caption names the unit in the page's language): together they count every #rl entry.
    page.wait_for_function(  # the chart labels its bars with their counts once it has drawn them
        """() => { const bars = [...document.querySelectorAll('#tag-plot svg.marks [aria-roledescription="bar"]')];
                   return bars.length && bars.every(b => /; \\s*: \\d+$/.test(b.getAttribute('aria-label'))); }""")
    labels = bars.evaluate_all("bars => bars.map(b => b.getAttribute('aria-label'))")
    found = [re.search(r"; \s*: (\d+)$", label) for label in labels]
    assert all(found), labels
    counts = [int(m[1]) for m in found]
    assert sum(counts) == cards.count() == 10
    shot(page, "tag-plot")
    # The week axis is for people: dates, not epoch milliseconds ("1,745,000,000,000").
    ticks = page.locator("#tag-plot svg.marks [aria-roledescription='axis'] text").all_text_contents()
    assert not [t for t in ticks if re.fullmatch(r"[\d,.]{13,}", t)], f"week axis ticks: {ticks}"


def test_reindex_picks_up_a_new_day_file_and_answers_from_it(app: App, page: Page):
    add_day_from_ui(app, page, "900_zebra.txt", ZEBRA_DAY)
    expect(page.locator("#index-status")).to_contain_text("2025-05-22")
    shot(page, "index-report")

    page.locator("#tab-ask-button").click()
    ask(page, "Which paper uses striped positional codes for long video?")
    card = card_titled(page.locator("#sources .cited-sources .src-card"), "Zebra-Tokens")
    expect(card.locator(".src-meta").first).to_contain_text("2025-05-22")
    assert card.locator(".src-tag").all_text_contents() == ["#video", "#long-context"]


def test_the_index_tab_shows_the_last_doctor_check_and_what_it_found(app: App, page: Page):
    page.locator("#tab-index-button").click()
    status = page.locator("#index-status")
    expect(status).to_contain_text(re.compile(r"\d"))
    doctor = [sys.executable, "-m", "rag", "doctor", "--index", str(app.index_dir)]
    done = subprocess.run(doctor, env=app.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expect(status).to_contain_text("rag doctor check", timeout=15_000)
    expect(status).to_contain_text("the manifest, segments and Chroma agree")
    stray = app.index_dir / "segments" / "s999999-stray0"
    stray.mkdir()
    try:
        done = subprocess.run(doctor, env=app.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1
        expect(status).to_contain_text("1 problem(s), run", timeout=15_000)
        expect(status).to_be_in_viewport()
        shot(page, "index-doctor")
    finally:
        stray.rmdir()
        subprocess.run(doctor, env=app.env, capture_output=True, timeout=120)


def test_html_in_day_files_is_shown_as_text_never_run(app: App, visit: Visit):
    page = visit.page
    add_day_from_ui(app, page, "901_quokka.txt", HOSTILE_DAY)

    page.locator("#tab-browse-button").click()
    choose(page, "#browse-day", "2025-05-19")
    day_card = card_titled(page.locator("#day-cards .src-card"), "Quokka-Attention")
    expect(day_card.locator("h4")).to_contain_text(SCRIPT)
    expect(day_card).to_contain_text(IMG)
    shot(page, "xss-browse")

    page.locator("#tab-ask-button").click()
    ask(page, "What is Quokka-Attention for tiny devices?")
    card_titled(page.locator("#sources .cited-sources .src-card"), "Quokka-Attention")
    expect(page.locator("#sources h4").first).to_contain_text("<script>")
    expect(page.locator('#chat [data-testid="bot"]').last).to_contain_text(SCRIPT)
    painted(page)  # any injected element would now be in the page, its handlers due
    shot(page, "xss-answer")

    assert page.evaluate("window.__pwned") is None
    assert visit.dialogs == []
    assert visit.errors == []
    for panel in ("#day-cards", "#sources", "#chat"):
        injected = page.locator(f"{panel} img, {panel} script, {panel} svg[onload]")
        assert injected.count() == 0, f"HTML from the digest became elements in {panel}: " + " ".join(
            injected.evaluate_all("els => els.map(e => e.outerHTML)"))


def test_markdown_images_in_day_files_never_load_in_the_chat(app: App, visit: Visit):
    page = visit.page
    add_day_from_ui(app, page, "902_wombat.txt", MARKDOWN_DAY)

    page.locator("#tab-ask-button").click()
    ask(page, "What does Wombat-Decoding do to beam search?")
    card_titled(page.locator("#sources .cited-sources .src-card"), "Wombat-Decoding")
    painted(page)  # an image in the answer would now be in the page, its fetch started

    assert page.evaluate("window.__pwned") is None
    for panel in ("#sources", "#chat"):
        images = page.locator(f"{panel} img")
        assert images.count() == 0, f"the digest's Markdown became images in {panel}: " + " ".join(
            images.evaluate_all("els => els.map(e => e.outerHTML)"))
    fetched = [u for u in visit.requests if u.endswith("/x") or TRACKER in u]
    assert fetched == [], f"the answer made the browser fetch {fetched}"


def test_phone_width_page_shows_the_question_box_and_answers(browser: Browser, app: App):
    with open_page(browser, app, PHONE) as visit:
        page = visit.page
        expect(page.locator("#question textarea")).to_be_in_viewport()
        ask(page, "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?")
        card_titled(page.locator("#sources .cited-sources .src-card"), "Token-Shuffle")
        assert "[1]" in last_answer(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
        page.locator("#sources .cited-sources .src-card").first.scroll_into_view_if_needed()
        shot(page, "narrow")
