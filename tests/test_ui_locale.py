"""The page in the reader's language and on a phone, in a real browser: every label follows the
browser's locale (not the question's language), a phone reads answer → question with its
filters → sources, and a citation brings its card into view. Also keeps the four screenshots
(desktop and phone, en-US and ko-KR) that humans look at."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from ui_support import DESKTOP, PHONE, App, ask, open_page, reindex_from_ui, shot, zebra_moved

pytestmark = pytest.mark.slow

EN_QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"
KO_QUESTION = "이미지 토큰을 채널 차원으로 접어 시퀀스 길이를 줄이는 논문은?"


def _top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not laid out"
    return box["y"]


def _open_filters(page: Page) -> None:
    page.locator("#filters").get_by_role("button").first.click()
    expect(page.locator("#day-from")).to_be_visible()


def test_korean_browser_sees_korean_labels_even_for_an_english_question(browser: Browser, app: App):
    with open_page(browser, app, DESKTOP, locale="ko-KR") as visit:
        page = visit.page
        for tab in ("질문", "둘러보기", "인덱스"):
            expect(page.get_by_role("tab", name=tab)).to_be_visible()
        ask(page, EN_QUESTION)
        sources = page.locator("#sources")
        expect(sources.locator("h3").first).to_have_text("출처")
        card = sources.locator(".cited-sources .src-card").first
        expect(card).to_contain_text("코멘트 (한국어)")
        expect(card).to_contain_text("코멘트 (영어)")
        expect(card).to_contain_text("초록")
        assert not re.search(r"Commentary|Abstract|Links", card.text_content() or "")
        _open_filters(page)
        expect(page.locator("#answer-lang")).to_contain_text("자동")
        expect(page.locator("#day-from")).to_contain_text("시작 날짜")
        shot(page, "desktop-ko")


def test_english_browser_sees_english_labels_even_for_a_korean_question(browser: Browser, app: App):
    with open_page(browser, app, DESKTOP, locale="en-US") as visit:
        page = visit.page
        ask(page, KO_QUESTION)
        expect(page.locator("#sources h3").first).to_have_text("Sources")
        card = page.locator("#sources .cited-sources .src-card").first
        expect(card).to_contain_text("Commentary (KO)")
        assert "코멘트" not in (card.text_content() or "")
        shot(page, "desktop-en")


def test_korean_browser_reads_the_index_status_and_reindex_report_in_korean(browser: Browser, app: App):
    # A day of this test's own, so the report awaited is this run's (the start-up check's
    # report, shown on the page's first look, added nothing).
    (app.data_dir / "950_tapir.txt").write_text(zebra_moved(date(2024, 1, 2), "Tapir"), encoding="utf-8")
    with open_page(browser, app, DESKTOP, locale="ko-KR") as visit:
        page = visit.page
        page.get_by_role("tab", name="인덱스").click()
        expect(page.locator("#index-status")).to_contain_text(re.compile(r"항목 \d+개"))
        text = reindex_from_ui(page, done=re.compile(r"^추가 1, 변경 0, 삭제 0"))
        assert "added" not in text


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_phone_reads_answer_then_question_with_its_filters_then_sources(browser: Browser, app: App, locale: str):
    with open_page(browser, app, PHONE, locale=locale) as visit:
        page = visit.page
        ask(page, EN_QUESTION if locale == "en-US" else KO_QUESTION)
        order = [_top(page.locator(sel)) for sel in ("#chat", "#question", "#filters", "#sources")]
        assert order == sorted(order), f"top edges of answer, question, filters, sources: {order}"
        shot(page, f"mobile-{locale[:2]}")


def test_phone_citation_brings_its_card_into_view_on_top(browser: Browser, app: App):
    with open_page(browser, app, PHONE) as visit:
        page = visit.page
        ask(page, EN_QUESTION)
        card = page.locator("#sources #src-1")
        expect(card).not_to_be_in_viewport()  # below the question box on a phone
        page.locator('#chat [data-testid="bot"] a.cite').first.click()
        expect(card).to_be_in_viewport()
        box = card.bounding_box()
        assert box is not None
        centre = (box["x"] + box["width"] / 2, max(box["y"], 0) + 20)
        assert card.evaluate("(el, [x, y]) => el.contains(document.elementFromPoint(x, y))", centre)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_date_picker_buttons_are_whole_inside_their_box(browser: Browser, app: App, viewport: dict[str, int]):
    with open_page(browser, app, viewport) as visit:
        page = visit.page
        _open_filters(page)
        for picker in ("#day-from", "#day-to"):
            page.locator(picker).scroll_into_view_if_needed()
            box = page.locator(picker).bounding_box()
            for button in page.locator(f"{picker} button").all():
                b = button.bounding_box()
                assert b is not None and b["width"] >= 16, f"{picker} button squeezed: {b}"
                assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 0.5, (
                    f"{picker} button {b} sticks out of {box}")
                # Whole means every corner is the button's own pixels, not clipped or covered.
                corners = [(b["x"] + dx, b["y"] + dy) for dx in (2, b["width"] - 2) for dy in (2, b["height"] - 2)]
                shown = button.evaluate(
                    "(el, pts) => pts.map(([x, y]) => el.contains(document.elementFromPoint(x, y)))", corners)
                assert all(shown), f"{picker} button is clipped or covered at corners {corners}: {shown}"
