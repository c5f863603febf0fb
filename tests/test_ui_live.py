"""Open pages follow the index: a reindex by anyone shows up in the Index tab, the Browse days
and the tag counts within seconds, a reload shows the current state, reports name skipped
files, and a first start on an empty index serves at once and indexes in the background."""

from __future__ import annotations

import re

import pytest
from conftest import run_rag
from playwright.sync_api import Browser, Page, expect
from ui_support import (
    DESKTOP,
    LIVE_MS,
    REINDEX_MS,
    App,
    ask,
    card_titled,
    choose,
    dropdown_options,
    one_added,
    open_page,
    reindex_from_ui,
    running_app,
    shot,
)

pytestmark = pytest.mark.slow


# Invented days (not digest text).
YAK_DAY = """2025년 5월 23일
Yak-Shaving Transformers: Recursive Chores for Agents
(Ola Nordmann)
We teach agents to notice when a chore spawns another chore and to stop before the yak is bald.
에이전트가 일을 하다 또 다른 일을 만드는 순간을 알아차리게 하는 연구네요.
Agents learn to notice when one chore spawns another.
#yak #Agent_Chores
"""
OTHER_SPELLING_DAY = """2025년 5월 24일
Chore Graphs for Household Robots
(Kari Nordmann)
집안일을 그래프로 표현해 로봇이 순서를 정하게 합니다.
Household chores as a graph the robot orders.
#agent-chores
"""
MALFORMED = "2025년 5월 25일\nA title with no authors line\nthis line should have been the authors\n#broken\n"


def index_tab(page: Page) -> None:
    page.locator("#tab-index-button").click()


def test_a_cli_reindex_shows_in_the_open_page_within_seconds(app: App, page: Page):
    index_tab(page)
    status = page.locator("#index-status")
    expect(status).to_contain_text("33 entries")
    (app.data_dir / "910_yak.txt").write_text(YAK_DAY, encoding="utf-8")
    result = run_rag("reindex", "--json", env=app.env)
    assert result.returncode == 0, result.stderr

    expect(status).to_contain_text("34 entries", timeout=LIVE_MS)
    expect(status).to_contain_text("2025-05-23")
    page.locator("#tab-browse-button").click()
    choose(page, "#browse-day", "2025-05-23")
    card_titled(page.locator("#day-cards .src-card"), "Yak-Shaving Transformers")
    choose(page, "#browse-tag", re.compile(r"^yak \(1\)$"))
    expect(page.locator("#tag-cards .src-card")).to_have_count(1)

    # A page opened now shows the same state at once.
    page.reload()
    expect(page.locator("#question textarea")).to_be_visible()
    index_tab(page)
    expect(page.locator("#index-status")).to_contain_text("34 entries", timeout=5_000)


def test_a_tag_spelled_two_ways_is_one_tag_in_the_page_with_each_card_keeping_its_spelling(app: App, page: Page):
    done = one_added(app)
    (app.data_dir / "911_chores.txt").write_text(OTHER_SPELLING_DAY, encoding="utf-8")
    reindex_from_ui(page, done)
    # The page's next look at the index brings the new status and tag counts together.
    expect(page.locator("#index-status")).to_contain_text("35 entries", timeout=LIVE_MS)
    page.locator("#tab-browse-button").click()
    options = dropdown_options(page, "#browse-tag")
    chores = [o for o in options if o.startswith("agent-chores")]
    assert chores == ["agent-chores (2)"], options
    page.locator("#tab-ask-button").click()
    ask(page, "#agent_chores 논문 목록")  # typed in the other spelling: the same one tag
    expect(page.locator("#active-filters .src-tag")).to_have_text(["#agent-chores"])
    cards = page.locator("#sources .cited-sources .src-card")
    expect(cards).to_have_count(2)
    tags = cards.locator(".src-tag").all_text_contents()
    assert "#Agent_Chores" in tags and "#agent-chores" in tags


def test_a_malformed_file_is_reported_by_name_in_the_index_tab_and_the_rest_is_indexed(app: App, page: Page):
    broken = app.data_dir / "912_broken.txt"
    broken.write_text(MALFORMED, encoding="utf-8")
    try:
        report = reindex_from_ui(page, re.compile(r"912_broken\.txt"))
        assert "skipped" in report, report
        assert "2025-05-25" not in app.committed_days()
        shot(page, "index-report")
    finally:
        broken.unlink()


def big_day(day: str, n: int) -> str:
    """An invented day of n entries, each with its own words (so each is embedded)."""
    lines = [day]
    for i in range(n):
        lines += [f"Widget Study {i}: Scaling Law Number {i * 7 + 3}", f"(Author {i})",
                  f"We measure widget {i} under load {i * 13} and find it bends at {i * 3 + 1} percent.",
                  f"위젯 {i}번의 부하 실험 결과가 흥미롭네요 ({i * 5}번째 관찰).", "#widgets"]
    return "\n".join(lines) + "\n"


# Every value the report box takes, sampled in the page: a phase shown for a moment still counts.
RECORD_REPORT = """() => { window.__reports = new Set();
  setInterval(() => { const box = document.querySelector('#reindex-report textarea');
    if (box) window.__reports.add(box.value); }, 20); }"""


def test_the_reindex_button_shows_each_phase_and_the_chunks_embedded_so_far(app: App, page: Page):
    # Enough entries (1,200 chunks: seconds of embedding) for the page's 4-a-second look to
    # catch the embedding under way; 40 took 0.3 s on a warm CI machine.
    (app.data_dir / "913_widgets.txt").write_text(big_day("2025년 5월 26일", 400), encoding="utf-8")
    index_tab(page)
    report = page.locator("#reindex-report textarea")
    page.evaluate(RECORD_REPORT)
    page.locator("#reindex").click()
    expect(report).to_have_value(re.compile(r"added 400\b"), timeout=REINDEX_MS)
    shown = page.evaluate("[...window.__reports]")
    progress = [v for v in shown if re.match(r"Indexing: embedding new and changed entries \(\d+/\d+\)", v)]
    assert progress, f"no embedding progress among the values shown: {shown}"


def test_a_first_start_serves_at_once_and_indexes_in_the_background(browser: Browser, tmp_path):
    with running_app(tmp_path, tmp_path / "empty-index") as fresh:
        with open_page(browser, fresh, DESKTOP) as visit:
            page = visit.page
            index_tab(page)
            expect(page.locator("#index-status")).to_contain_text("33 entries", timeout=REINDEX_MS)
            page.locator("#tab-ask-button").click()
            ask(page, "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?")
            card_titled(page.locator("#sources .cited-sources .src-card"), "Token-Shuffle")
