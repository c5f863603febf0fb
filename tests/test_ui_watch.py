"""`rag serve --watch` in a real browser: a day file dropped into the data folder shows in an
open page (Index status, report, Browse days) and is answered, and a removed one leaves it,
with nobody pressing anything. (How the watcher settles and batches is tests/test_watch.py.)"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from ui_support import (
    DESKTOP,
    LIVE_MS,
    App,
    ask,
    card_titled,
    choose,
    cited_titles,
    dropdown_options,
    open_page,
    running_app,
    zebra_moved,
)

pytestmark = pytest.mark.slow

SETTLE_S = "0.3"
WATCHING_S = 180  # the watcher starts once the start-up check and the models' warm-up are done


@pytest.fixture(scope="module")
def watching(tmp_path_factory: pytest.TempPathFactory, seed_index_copy) -> Iterator[App]:
    """`rag serve --watch` over copies of the seeds and their index, once it watches the folder."""
    with running_app(tmp_path_factory.mktemp("ui-watch"), seed_index_copy(), args=("--watch",),
                     RAG_WATCH_SETTLE_S=SETTLE_S) as app:
        deadline = time.monotonic() + WATCHING_S
        while "for day files (settle 0.3 s)" not in app.output():
            assert time.monotonic() < deadline, f"the app did not watch within {WATCHING_S} s:\n{app.output()}"
            time.sleep(0.2)
        yield app
        assert "Traceback" not in app.output(), app.output()


@pytest.fixture
def index_page(browser: Browser, watching: App) -> Iterator[Page]:
    """A fresh page on the app's Index tab, once it shows what is indexed."""
    with open_page(browser, watching, DESKTOP) as visit:
        visit.page.locator("#tab-index-button").click()
        expect(visit.page.locator("#index-status")).to_contain_text("entries over")
        yield visit.page


def entries_shown(page: Page) -> int:
    """The entry count in the Index tab's status line."""
    return int(re.search(r"([\d,]+) entries over", page.locator("#index-status").inner_text())[1].replace(",", ""))


def day_options(page: Page) -> list[str]:
    """The days the Browse tab offers (then back to the Index tab)."""
    page.locator("#tab-browse-button").click()
    options = dropdown_options(page, "#browse-day")
    page.locator("#tab-index-button").click()
    return options


def test_a_day_dropped_into_the_folder_shows_in_the_open_page_and_is_answered_without_pressing_anything(
        watching: App, index_page: Page):
    page, status = index_page, index_page.locator("#index-status")
    before = entries_shown(page)
    (watching.data_dir / "940_okapi.txt").write_text(zebra_moved(date(2025, 5, 29), "Okapi"), encoding="utf-8")

    expect(status).to_contain_text(f"{before + 1} entries", timeout=LIVE_MS)
    expect(status).to_contain_text("2025-05-29")
    expect(page.locator("#reindex-report textarea")).to_have_value(re.compile(r"\badded 1, changed 0, removed 0,"))
    page.locator("#tab-browse-button").click()
    choose(page, "#browse-day", "2025-05-29")
    card_titled(page.locator("#day-cards .src-card"), "Okapi-Tokens")

    page.locator("#tab-ask-button").click()
    ask(page, "Which paper uses striped positional codes for long video?")
    assert cited_titles(page)[0].startswith("Okapi-Tokens: Striped Positional Codes"), cited_titles(page)
    assert "reindexed after changes to 940_okapi.txt: " in watching.output()


def test_a_day_removed_from_the_folder_leaves_the_open_page(watching: App, index_page: Page):
    page, status = index_page, index_page.locator("#index-status")
    before = entries_shown(page)
    day = watching.data_dir / "941_quagga.txt"
    day.write_text(zebra_moved(date(2025, 5, 30), "Quagga"), encoding="utf-8")
    expect(status).to_contain_text(f"{before + 1} entries", timeout=LIVE_MS)
    expect(status).to_contain_text("– 2025-05-30")
    assert "2025-05-30" in day_options(page)

    day.unlink()
    expect(status).to_contain_text(f"{before} entries", timeout=LIVE_MS)
    expect(status).not_to_contain_text("2025-05-30")
    expect(page.locator("#reindex-report textarea")).to_have_value(re.compile(r"\badded 0, changed 0, removed 1,"))
    assert "2025-05-30" not in day_options(page)
