"""The web app in a real browser: `python app.py` on a copy of the seeds, driven by Chromium.

One app process and one browser serve the whole module; every test opens its own page.
Tests that add day files use days of their own, so they do not disturb the others.
Screenshots of the main views land in tests/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HANGUL, REPO, SEEDS, clean_env
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from servers import free_port, stop_process

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Debian's chromium: Playwright's own browser download is not reachable from CI.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
DESKTOP = {"width": 1300, "height": 900}
PHONE = {"width": 390, "height": 844}

# The first start embeds the seeds on CPU: ~20 s on an idle laptop, much more on a busy CI box.
STARTUP_TIMEOUT_S = 300
# Milliseconds, for Playwright: an answer embeds the question on CPU; a reindex embeds entries.
ANSWER_MS = 90_000
REINDEX_MS = 180_000

# An invented day after the seeds' last one, so it also becomes the newest day of the index.
ZEBRA_DAY = """2025년 5월 22일
Zebra-Tokens: Striped Positional Codes for Long Video
(Mina Park, Jonas Weber, Priya Raman)
We introduce Zebra-Tokens, striped positional codes that let video transformers keep frame order across hour-long clips without extra parameters.
시간 축을 줄무늬 패턴의 위치 코드로 표현해 긴 비디오에서도 프레임 순서를 유지하는 방법이네요. 추가 파라미터가 없다는 점이 좋습니다.
Encodes the time axis as striped positional codes so frame order survives in long videos. Nice that it needs no extra parameters.
#video #long-context
"""

# A hostile day file: HTML in the title, the abstract and both commentaries.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
SVG = '<svg onload="alert(4)"></svg>'
HOSTILE_DAY = f"""2025년 5월 19일
Quokka-Attention {SCRIPT}: Sparse Heads for Tiny Devices
(Ada Lovelace, Grace Hopper)
We propose Quokka-Attention, a sparse attention pattern for tiny devices {IMG} that keeps only a few heads awake.
쿼카 어텐션은 작은 기기를 위한 희소 어텐션이네요 {IMG} {SCRIPT} 재미있습니다.
Quokka-Attention keeps only a few heads awake on tiny devices {IMG} {SCRIPT} {SVG}.
#attention #efficiency
"""

# Markdown images in a day file (the real digest has some): the chat renders Markdown, and
# an image there makes every reader's browser fetch a URL the text chose. With an LLM
# writing the answer, that is also how a prompt-injected answer leaks the conversation.
TRACKER = "tracker.invalid"
MARKDOWN_DAY = f"""2025년 5월 18일
Wombat-Decoding: Burrowed Beams for Fast Sampling
(Lin Chen, Omar Haddad)
We present Wombat-Decoding, a beam search that burrows through low-probability branches to sample faster.
웜뱃 디코딩은 빔 서치를 빠르게 만드는 방법이네요 ![pixel](x) 흥미롭습니다.
Wombat-Decoding makes beam search faster ![pixel](x) ![beacon](https://{TRACKER}/pixel.png) [click](javascript:window.__pwned=3).
#decoding #efficiency
"""


@dataclass
class App:
    """The running app: its address and the data folder it indexes."""

    url: str
    data_dir: Path


def _wait_for_port(proc: subprocess.Popen, port: int, log: Path) -> None:
    """Return once the app accepts connections; fail with its output if it dies or hangs."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode} before listening:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"app.py did not listen on port {port} within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the app, killing it if it does not go quietly."""
    if proc.poll() is None:
        stop_process(proc, 15)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, seed_index_copy) -> Iterator[App]:
    """`python app.py` over private copies of the seeds and their index, offline (no LLM key),
    on a free port. (A first start on an empty index has a test of its own.)"""
    root = tmp_path_factory.mktemp("ui")
    data_dir = root / "data"
    data_dir.mkdir()
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, data_dir)
    port = free_port()
    env = clean_env(
        RAG_DATA_DIR=str(data_dir), RAG_INDEX_DIR=str(seed_index_copy()),
        RAG_PORT=str(port), RAG_HOST="127.0.0.1", PYTHONUNBUFFERED="1",
    )
    log = root / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(proc, port, log)
        yield App(url=f"http://127.0.0.1:{port}/", data_dir=data_dir)
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install chromium fonts-nanum (see .ci/run)")
    # Answers and reindexing embed text on CPU: Playwright's 5 s default is too tight.
    expect.set_options(timeout=30_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page on the app, with the dialogs, script errors and requests seen while it was open."""

    page: Page
    dialogs: list[str]
    errors: list[str]
    requests: list[str]


@contextmanager
def open_page(browser: Browser, app: App, viewport: dict[str, int]) -> Iterator[Visit]:
    """A fresh browser context on the app, closed afterwards whatever happens."""
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page, [], [], [])
    page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("request", lambda r: visit.requests.append(r.url))
    try:
        # A Gradio page never goes network-idle (it holds a queue connection): wait for the UI.
        page.goto(app.url)
        expect(page.locator("#question textarea")).to_be_visible()
        yield visit
    finally:
        context.close()


@pytest.fixture
def visit(browser: Browser, app: App) -> Iterator[Visit]:
    """A fresh desktop-sized page on the app's Ask tab."""
    with open_page(browser, app, DESKTOP) as v:
        yield v


@pytest.fixture
def page(visit: Visit) -> Page:
    """The page of `visit`, for tests that need nothing else."""
    return visit.page


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the current view for humans (and the README)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def ask(page: Page, question: str) -> None:
    """Type a question and send it with Enter; return once its source cards are shown."""
    box = page.locator("#question textarea")
    box.click()
    box.fill(question)
    box.press("Enter")
    expect(page.locator("#sources .cited-sources .src-card").first).to_be_visible(timeout=ANSWER_MS)


def ask_follow_up(page: Page, question: str) -> None:
    """Send another question in the same conversation; return once its answer and sources are in."""
    bots = page.locator('#chat [data-testid="bot"]')
    before = bots.count()
    sources = page.locator("#sources").inner_html()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    expect(bots).to_have_count(before + 1, timeout=ANSWER_MS)
    page.wait_for_function(
        "old => document.querySelector('#sources').innerHTML !== old", arg=sources, timeout=ANSWER_MS,
    )


def cited_titles(page: Page) -> list[str]:
    """Titles of the cited source cards, in order, without their [n]."""
    return [re.sub(r"^\[\d+\]\s*", "", t) for t in page.locator("#sources .cited-sources h4").all_inner_texts()]


def last_answer(page: Page) -> str:
    """The text of the newest answer in the chat."""
    return page.locator('#chat [data-testid="bot"]').last.inner_text()


def choose(page: Page, dropdown: str, option: str | re.Pattern) -> None:
    """Pick an option of a Gradio dropdown by its label, as a user would."""
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option).click()


def reindex_from_ui(page: Page) -> str:
    """Press Reindex on the Index tab and return the report once it arrives."""
    page.locator("#tab-index-button").click()
    page.locator("#reindex").click()
    report = page.locator("#reindex-report textarea")
    expect(report).to_have_value(re.compile(r"added \d+"), timeout=REINDEX_MS)
    return report.input_value()


def add_day_from_ui(app: App, page: Page, name: str, text: str) -> None:
    """Drop a day file into the app's data folder and reindex it from the UI: one entry added."""
    (app.data_dir / name).write_text(text, encoding="utf-8")
    report = reindex_from_ui(page)
    assert re.search(r"\badded 1\b", report), report


def card_titled(cards: Locator, title_part: str) -> Locator:
    """The one card among `cards` whose title contains `title_part`."""
    card = cards.filter(has=cards.page.locator("h4", has_text=title_part))
    expect(card).to_have_count(1)
    return card


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
        expect(page.locator("#sources details.more-sources > summary")).to_contain_text("다이제스트의 다른 항목")


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
    similar = page.locator("#similar-cards .src-card")
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
    # Vega labels each bar "week: ...; entries: n": together they count every #rl entry.
    labels = bars.evaluate_all("bars => bars.map(b => b.getAttribute('aria-label'))")
    counts = [int(re.search(r"entries: (\d+)", label)[1]) for label in labels]
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
    page.wait_for_timeout(1000)  # give any injected handler (onerror, onload) time to fire
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
    page.wait_for_timeout(1000)  # let the browser fetch whatever the answer asks for

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
