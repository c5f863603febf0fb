"""What the browser tests share: the app as a real process (`python app.py` on copies of the seeds
and their index), Debian's Chromium driven by Playwright, and what a user does with them.

Each test module starts one app and one browser; every test opens its own page. Tests that add
day files use days of their own, so they do not disturb the others. Screenshots of the main
views land in tests/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, SEEDS, clean_env, seed_settings_for
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from servers import free_port, stop_process

from rag.index.commit import read_committed

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Debian's chromium: Playwright's own browser download is not reachable from CI.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# The first start embeds the seeds on CPU: ~20 s on an idle laptop, much more on a busy CI box.
STARTUP_TIMEOUT_S = 300
# Milliseconds, for Playwright: an answer embeds the question on CPU; a reindex embeds entries.
ANSWER_MS = 90_000
REINDEX_MS = 180_000
# The pages look at the index every 2 s; a CLI process or the watcher needs a few to reindex.
LIVE_MS = 15_000

# An invented day after the seeds' last one, so it also becomes the newest day of the index.
ZEBRA_DAY = """2025년 5월 22일
Zebra-Tokens: Striped Positional Codes for Long Video
(Mina Park, Jonas Weber, Priya Raman)
We introduce Zebra-Tokens, striped positional codes that let video transformers keep frame order across hour-long clips without extra parameters.
시간 축을 줄무늬 패턴의 위치 코드로 표현해 긴 비디오에서도 프레임 순서를 유지하는 방법이네요. 추가 파라미터가 없다는 점이 좋습니다.
Encodes the time axis as striped positional codes so frame order survives in long videos. Nice that it needs no extra parameters.
#video #long-context
"""

def zebra_moved(day: date, name: str) -> str:
    """ZEBRA_DAY's entry moved to another day under another name, so it is one test's own."""
    return (ZEBRA_DAY.replace("2025년 5월 22일", f"{day.year}년 {day.month}월 {day.day}일")
            .replace("Zebra-Tokens", f"{name}-Tokens"))


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
    """The running app: its address, the data folder it indexes, its index and its log."""

    url: str
    data_dir: Path
    index_dir: Path
    log: Path
    env: dict[str, str]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def committed_count(self) -> int:
        """How many entries the app's committed index holds, read from disk."""
        return len(read_committed(seed_settings_for(self.index_dir, self.data_dir))[0].entries)

    def committed_days(self) -> set[str]:
        """The days of the app's committed index, read from disk (as another process would)."""
        manifest = read_committed(seed_settings_for(self.index_dir, self.data_dir))[0]
        return {eid.split("/")[0] for eid in manifest.entries}


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


@contextmanager
def running_app(root: Path, index_dir: Path, args: tuple[str, ...] = (), days: Iterable[Path] = (),
                **env: str) -> Iterator[App]:
    """`python app.py` (or `rag serve ARGS`) over a copy of the day files given (the seeds by
    default) and the given index, offline (no LLM key), on a free loopback port; stopped
    afterwards whatever happens."""
    data_dir = root / "data"
    data_dir.mkdir(exist_ok=True)
    for day in list(days) or SEEDS.glob("*.txt"):
        shutil.copy(day, data_dir)
    port = free_port()
    full_env = clean_env(RAG_DATA_DIR=str(data_dir), RAG_INDEX_DIR=str(index_dir), RAG_PORT=str(port),
                         RAG_HOST="127.0.0.1", PYTHONUNBUFFERED="1", **env)
    log = root / "app.log"
    command = [sys.executable, "-m", "rag", "serve", *args] if args else [sys.executable, "app.py"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(proc, port, log)
        yield App(f"http://127.0.0.1:{port}/", data_dir, index_dir, log, full_env)
    finally:
        if proc.poll() is None:
            stop_process(proc, 15)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, seed_index_copy) -> Iterator[App]:
    """The app over private copies of the seeds and their index, one per test module. (A first
    start on an empty index has a test of its own.)"""
    with running_app(tmp_path_factory.mktemp("ui"), seed_index_copy()) as running:
        yield running


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
def open_page(browser: Browser, app: App, viewport: dict[str, int], locale: str = "en-US",
              **context_options) -> Iterator[Visit]:
    """A fresh browser context on the app, closed afterwards whatever happens."""
    context = browser.new_context(viewport=viewport, locale=locale, **context_options)
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
    answer = page.locator("#sources .cited-sources").get_attribute("data-answer")
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    expect(bots).to_have_count(before + 1, timeout=ANSWER_MS)
    page.wait_for_function(
        "old => { const s = document.querySelector('#sources .cited-sources');"
        " return s && s.getAttribute('data-answer') !== old; }", arg=answer, timeout=ANSWER_MS,
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


def reindex_from_ui(page: Page, done: re.Pattern = re.compile(r"added \d+")) -> str:
    """Press Reindex on the Index tab and return the report (matching `done`) once it arrives."""
    page.locator("#tab-index-button").click()
    report = page.locator("#reindex-report textarea")
    # The page's first look fills the status and the last report together: wait for it, so a
    # report it brings late is not taken for this run's.
    expect(page.locator("#index-status")).to_contain_text(re.compile(r"\d"))
    before = report.input_value()
    page.locator("#reindex").click()
    # The run says it started, then reports: a report already shown is not this run's.
    expect(report).not_to_have_value(before, timeout=REINDEX_MS)
    expect(report).to_have_value(done, timeout=REINDEX_MS)
    return report.input_value()


def one_added(app: App) -> re.Pattern:
    """The report of a run that adds one entry to what is committed now: no earlier run's report
    (a late page refresh can still bring one) reads the same."""
    return re.compile(rf"^added 1, changed 0, removed 0, unchanged {app.committed_count()}\b")


def add_day_from_ui(app: App, page: Page, name: str, text: str) -> None:
    """Drop a day file into the app's data folder and reindex it from the UI: one entry added."""
    done = one_added(app)
    (app.data_dir / name).write_text(text, encoding="utf-8")
    reindex_from_ui(page, done)


def dropdown_options(page: Page, dropdown: str) -> list[str]:
    """The options a Gradio dropdown offers, once its list is open (then closed again)."""
    page.locator(f"{dropdown} input").click()
    expect(page.get_by_role("option").first).to_be_visible()
    texts = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return [t.strip() for t in texts]


def card_titled(cards: Locator, title_part: str) -> Locator:
    """The one card among `cards` whose title contains `title_part`."""
    card = cards.filter(has=cards.page.locator("h4", has_text=title_part))
    expect(card).to_have_count(1)
    return card


