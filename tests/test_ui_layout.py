"""The Ask tab's geometry in a real browser, at a desktop and a phone size: every card of a long
listing can be reached from its [n], an answer opens at its first line, and nothing is drawn
over anything else.

The listing needs a month of the real digest (../shared/corpus, March 2025: 18 days, 66
entries; the listing stops at 40), indexed once for the module.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import seed_settings_for
from playwright.sync_api import Browser, Page, expect
from ui_support import ANSWER_MS, DESKTOP, PHONE, App, ask_follow_up, open_page, running_app, shot

from rag.index.reindex import reindex

pytestmark = pytest.mark.slow

MONTH = "2025-03-"
LISTING = "2025년 3월 논문 목록"
LISTED = 40
SIZES = {"desktop": DESKTOP, "phone": PHONE}

# The centre of the part of an element the reader can see (inside the viewport and every
# scrolling ancestor), and whether the element drawn there is that element (or inside it).
VISIBLE_CENTRE_IS_ITS_OWN = """el => {
  let r = el.getBoundingClientRect();
  let top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
  let left = Math.max(r.left, 0), right = Math.min(r.right, window.innerWidth);
  for (let p = el.parentElement; p; p = p.parentElement) {
    const y = getComputedStyle(p).overflowY;
    if (y === 'auto' || y === 'scroll' || y === 'hidden') {
      const q = p.getBoundingClientRect();
      top = Math.max(top, q.top); bottom = Math.min(bottom, q.bottom);
      left = Math.max(left, q.left); right = Math.min(right, q.right);
    }
  }
  if (bottom - top < 20 || right - left < 20) return {visible: false};
  const x = (left + right) / 2, y = (top + bottom) / 2;
  const hit = document.elementFromPoint(x, y);
  return {visible: true, own: !!hit && (hit === el || el.contains(hit)), hit: hit ? hit.outerHTML.slice(0, 120) : null};
}"""


@pytest.fixture(scope="module")
def month_app(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app over one month of the real digest, its index built before it starts."""
    root = tmp_path_factory.mktemp("ui-layout")
    days = sorted((corpus / "2025").glob(f"{MONTH}*.txt"))
    data = root / "month"
    data.mkdir()
    for day in days:
        shutil.copy(day, data)
    index_dir = root / "index"
    assert reindex(seed_settings_for(index_dir, data)).added > LISTED
    with running_app(root, index_dir, days=days) as running:
        yield running


def ask_listing(page: Page) -> None:
    box = page.locator("#question textarea")
    box.fill(LISTING)
    box.press("Enter")
    expect(page.locator("#sources .cited-sources .src-card")).to_have_count(LISTED, timeout=ANSWER_MS)


def assert_first_line_visible(page: Page) -> None:
    """The newest answer's first line is where the reader looks: in the chat's view and the page's."""
    answer = page.locator('#chat [data-testid="bot"]').last
    seen = answer.evaluate("""el => {
      const r = el.getBoundingClientRect();
      const x = r.left + Math.min(40, r.width / 2), y = r.top + 12;
      const hit = document.elementFromPoint(x, y);
      return y > 0 && y < window.innerHeight && !!hit && (hit === el || el.contains(hit));
    }""")
    assert seen, "the newest answer's first line is not in view"


def rect(page: Page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "el => { const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }")


def overlaps(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] - 1 and b["l"] < a["r"] - 1 and a["t"] < b["b"] - 1 and b["t"] < a["b"] - 1


@pytest.mark.parametrize("size", SIZES)
def test_the_first_middle_and_last_citation_of_a_40_entry_listing_bring_their_card_into_view(
        browser: Browser, month_app: App, size: str):
    with open_page(browser, month_app, SIZES[size]) as visit:
        page = visit.page
        ask_listing(page)
        answer = page.locator('#chat [data-testid="bot"]').last
        for n in (1, LISTED // 2, LISTED):
            answer.locator("a.cite", has_text=f"[{n}]").first.click()
            card = page.locator(f"#sources #src-{n}")
            expect(card).to_have_class(re.compile(r"\bflash\b"))
            expect(card).to_be_in_viewport()
            where = card.evaluate(VISIBLE_CENTRE_IS_ITS_OWN)
            assert where["visible"] and where["own"], f"[{n}] at {size}: {where}"
        shot(page, f"listing-last-card-{size}")
        assert visit.errors == []


@pytest.mark.parametrize("size", SIZES)
def test_a_long_answer_opens_at_its_first_line_and_the_next_one_too(browser: Browser, month_app: App, size: str):
    with open_page(browser, month_app, SIZES[size]) as visit:
        page = visit.page
        ask_listing(page)
        assert_first_line_visible(page)
        ask_follow_up(page, "2025년 3월 #rl 논문 목록")
        assert_first_line_visible(page)
        shot(page, f"second-answer-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_the_sources_panel_scrolls_inside_its_own_box_and_covers_nothing(
        browser: Browser, month_app: App, size: str):
    with open_page(browser, month_app, SIZES[size]) as visit:
        page = visit.page
        page.locator("#filters").get_by_text("Filters").click()  # open, so it takes its full size
        ask_listing(page)
        pane = page.locator("#sources .sources-pane")
        assert pane.evaluate("el => el.scrollHeight > el.clientHeight"), "40 cards fit: nothing to test"
        assert pane.evaluate("el => getComputedStyle(el).overflowY") == "auto"
        sources, inner = rect(page, "#sources"), rect(page, "#sources .sources-pane")
        assert inner["b"] <= sources["b"] + 1, f"the pane spills out of its block: {inner} in {sources}"
        for other in ("#filters", "#question", "#chat", "#active-filters", "#ask", "#export"):
            assert not overlaps(sources, rect(page, other)), f"#sources overlaps {other} at {size}"
        # The last card is reached by scrolling the pane, and is drawn on top there.
        last = page.locator(f"#sources #src-{LISTED}")
        last.scroll_into_view_if_needed()
        assert last.evaluate(VISIBLE_CENTRE_IS_ITS_OWN)["own"]
