"""Browsing in a real browser: every entry of a day or a tag, a page at a time; similar entries
beside the entry they belong to; a tag's plot readable over a long span."""

from __future__ import annotations

import re

import pytest
from conftest import run_rag
from playwright.sync_api import Page, expect
from ui_support import LIVE_MS, App, choose, dropdown_options, shot

pytestmark = pytest.mark.slow


def day_of(day: str, n: int, tag: str, start: int = 0) -> str:
    """An invented day of n entries (not digest text), each with its own words."""
    lines = [day]
    for i in range(start, start + n):
        lines += [f"Gizmo Report {i}: Folding Gizmos at Scale {i * 11}", f"(Writer {i})",
                  f"We fold gizmo {i} {i * 3 + 2} times and count the creases.",
                  f"기즈모 {i}번을 접는 실험이네요.", f"#{tag}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def gizmos(app: App) -> App:
    """25 entries on one day and 27 more on a day a year earlier, all tagged #gizmo."""
    (app.data_dir / "920_gizmos.txt").write_text(day_of("2025년 5월 27일", 25, "gizmo"), encoding="utf-8")
    (app.data_dir / "921_old_gizmos.txt").write_text(day_of("2024년 3월 4일", 27, "gizmo", start=100),
                                                     encoding="utf-8")
    result = run_rag("reindex", env=app.env)
    assert result.returncode == 0, result.stderr
    return app


def browse(page: Page) -> None:
    page.locator("#tab-browse-button").click()


def browse_gizmos(page: Page) -> None:
    """Browse once the page's look at the index has the gizmo days (status and choices come together)."""
    page.locator("#tab-index-button").click()
    expect(page.locator("#index-status")).to_contain_text("85 entries", timeout=LIVE_MS)
    browse(page)


def test_a_day_pages_through_all_its_entries(gizmos: App, page: Page):
    browse_gizmos(page)
    choose(page, "#browse-day", "2025-05-27")
    cards = page.locator("#day-cards .src-card")
    expect(cards).to_have_count(20)
    expect(page.locator("#day-page")).to_contain_text("Entries 1–20 of 25")
    page.locator("#day-next").click()
    expect(page.locator("#day-page")).to_contain_text("Entries 21–25 of 25")
    expect(cards).to_have_count(5)
    page.locator("#day-next").click()  # past the end stays on the last page
    expect(page.locator("#day-page")).to_contain_text("Entries 21–25 of 25")
    page.locator("#day-prev").click()
    expect(page.locator("#day-page")).to_contain_text("Entries 1–20 of 25")


def test_a_tag_pages_through_every_entry_it_has(gizmos: App, page: Page):
    browse_gizmos(page)
    choose(page, "#browse-tag", re.compile(r"^gizmo \(52\)$"))
    seen: list[str] = []
    for expected in ("Entries 1–20 of 52", "Entries 21–40 of 52", "Entries 41–52 of 52"):
        expect(page.locator("#tag-page")).to_contain_text(expected)
        seen += page.locator("#tag-cards .src-card h4").all_inner_texts()
        page.locator("#tag-next").click()
    assert len(seen) == len(set(seen)) == 52


def test_a_long_tag_span_is_plotted_per_month_with_readable_labels(gizmos: App, page: Page):
    browse_gizmos(page)
    choose(page, "#browse-tag", re.compile(r"^gizmo \(52\)$"))
    page.wait_for_function(
        """() => [...document.querySelectorAll('#tag-plot svg.marks [aria-roledescription="bar"]')]
                 .some(b => /2024-03/.test(b.getAttribute('aria-label')))""")
    ticks = page.locator("#tag-plot svg.marks [aria-roledescription='axis'] text").all_text_contents()
    months = [t for t in ticks if re.fullmatch(r"\d{4}-\d{2}", t)]
    assert "2024-03" in months and "2025-05" in months, ticks
    assert len(months) == 15  # March 2024 to May 2025, one bar a month
    expect(page.locator("#tag-plot-unit")).to_contain_text("Entries per month")
    # Nothing of the plot is cut off: its drawing fits its box.
    plot, drawing = page.locator("#tag-plot").bounding_box(), page.locator("#tag-plot svg.marks").bounding_box()
    assert drawing["x"] >= plot["x"] - 1 and drawing["x"] + drawing["width"] <= plot["x"] + plot["width"] + 1
    shot(page, "tag-plot-months")


def test_similar_entries_sit_beside_the_entry_they_belong_to(page: Page):
    browse(page)
    choose(page, "#browse-day", "2025-05-20")
    choose(page, "#day-similar", re.compile(r"^Do Not Let Low-Probability Tokens"))
    similar = page.locator("#day-similar-cards")
    expect(similar.locator("h4.pane-head")).to_contain_text("Do Not Let Low-Probability Tokens")
    expect(similar.locator(".src-card").first).to_be_visible()
    # In the day's column, under its picker, not in a box across the page.
    column, panel = page.locator("#day-cards").bounding_box(), similar.bounding_box()
    assert abs(panel["x"] - column["x"]) < 5 and panel["width"] <= column["width"] + 5
    tag_column = page.locator("#tag-cards").bounding_box()
    assert panel["x"] + panel["width"] <= tag_column["x"] + 5
    shot(page, "browse-similar")


def test_a_second_tag_typed_after_the_first_replaces_it(page: Page):
    browse(page)
    choose(page, "#browse-tag", re.compile(r"^rl \("))
    expect(page.locator("#tag-cards .src-card").first).to_be_visible()
    box = page.locator("#browse-tag input")
    box.click()  # the last pick is selected, so typing replaces it ("moe (92)rl" found nothing)
    page.keyboard.type("reward")
    expect(box).to_have_value("reward")
    page.get_by_role("option", name=re.compile(r"^reward-model \(")).click()
    cards = page.locator("#tag-cards .src-card")
    expect(cards.first).to_contain_text("#reward-model")
    for i in range(cards.count()):
        assert "#reward-model" in cards.nth(i).locator(".src-tag").all_text_contents()


def test_typing_a_month_finds_its_days_in_the_day_list(page: Page):
    browse(page)
    expect(page.locator("#browse-day")).to_contain_text("Type a day")
    assert "2025-04-25" in dropdown_options(page, "#browse-day")  # the page's first look is in
    box = page.locator("#browse-day input")
    box.click()
    page.keyboard.type("2025-04")
    options = page.get_by_role("option")
    expect(options).to_have_count(2)  # the seeds' two April days, of all the days listed
    assert all(re.search(r"2025-04-2[45]$", o) for o in options.all_inner_texts())
    page.get_by_role("option", name=re.compile("2025-04-25")).click()
    expect(page.locator("#day-cards .src-card").first).to_contain_text("2025-04-25")


def test_the_tag_plots_dates_are_whole_and_apart_on_a_phone(browser, app: App):
    from ui_support import PHONE, open_page

    with open_page(browser, app, PHONE) as visit:
        page = visit.page
        browse(page)
        choose(page, "#browse-tag", re.compile(r"^rl \("))
        labels = page.locator("#tag-plot svg.marks [aria-roledescription='axis'] text")
        page.wait_for_function("""() => [...document.querySelectorAll(
            "#tag-plot svg.marks [aria-roledescription='axis'] text")].some(t => /^\\d{4}-\\d\\d-\\d\\d$/.test(t.textContent))""")
        page.locator("#tag-plot-unit").scroll_into_view_if_needed()  # the plot and its labels in view
        dates = [t for t in labels.all() if re.fullmatch(r"\d{4}-\d\d-\d\d", t.text_content() or "")]
        assert len(dates) >= 2
        boxes = [d.bounding_box() for d in dates]
        below = page.locator("#tag-plot-unit").bounding_box()
        for box in boxes:  # each whole on screen, above what follows the plot (Vega's labels take
            # no pointer events, so elementFromPoint cannot see them: their boxes are checked)
            assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], box
            assert box["y"] + box["height"] <= below["y"], (box, below)
        # No two labels overlap (the slanted labels' boxes may touch; their centres stay apart).
        centres = sorted(b["x"] + b["width"] / 2 for b in boxes)
        assert all(b - a >= 12 for a, b in zip(centres, centres[1:])), centres
        shot(page, "tag-plot-phone")
