"""Serving beyond one machine, safely (issue #19, part 4), against the real app over HTTP and in
Chromium: a login from an auth file (or a shared token) before anything is shown or answered,
Reindex only for the admins of RAG_ADMINS (the button and its API), no secret in the log, no
start beyond loopback without a login unless `--insecure-no-auth` says so, and `rag passwd`.

One guarded app serves the module, on loopback: a configured login is required wherever the
app binds. The tests that start or refuse other processes start their own.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import REPO, SEEDS, clean_env, seed_settings_for
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError
from playwright.sync_api import Browser, Page, expect
from servers import free_port, stop_process
from ui_support import DESKTOP, LIVE_MS, App, one_added, reindex_from_ui, running_app, zebra_moved

from rag.app.auth import hash_password, login, read_users
from rag.app.cli import main
from rag.app.guard import ADDRESS_FAILURES, USER_FAILURES, WINDOW_S
from rag.config import Settings
from rag.index.commit import read_committed

pytestmark = pytest.mark.slow

ADMIN, ADMIN_PASSWORD = "ada", "ada-correct-horse-71c9"
READER, READER_PASSWORD = "bob", "bob-battery-staple-4e02"
ROOT = "root"  # an admin with no line in the auth file
TOKEN = "app-token-SHARED-5d7a1f93"
WRONG_PASSWORD = "not-the-password-0b3e"
NOT_ADMIN = "Only administrators can reindex."
START_S = 120  # a process of our own: Gradio's import and the index open take seconds on two cores


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An auth file of two users, hashed by the project's own hash_password."""
    path = tmp_path_factory.mktemp("auth") / "users"
    path.write_text(f"# the app's users\n{ADMIN}:{hash_password(ADMIN_PASSWORD)}\n\n"
                    f"{READER}:{hash_password(READER_PASSWORD)}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, seed_index_copy, users: Path) -> Iterator[App]:
    """`rag serve` with the auth file, the shared token, and two admins: one of the file, one not."""
    with running_app(tmp_path_factory.mktemp("ui-auth"), seed_index_copy(), args=("--host", "127.0.0.1"),
                     RAG_AUTH_FILE=str(users), RAG_APP_TOKEN=TOKEN, RAG_ADMINS=f"{ADMIN},{ROOT}") as running:
        yield running


# --- logging in, in a browser ------------------------------------------------------------------


@contextmanager
def login_page(browser: Browser, app: App) -> Iterator[Page]:
    """A fresh browser context on the app, before any login (open_page expects the Ask tab)."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app.url)
        expect(page.get_by_role("button", name="Login")).to_be_visible()
        yield page
    finally:
        context.close()


def submit_login(page: Page, user: str, password: str) -> None:
    """Fill Gradio's login form and press Login (a refused login empties both boxes)."""
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def logged_in(browser: Browser, app: App, user: str, password: str):
    """A page logged in as user, on the Ask tab once the page's first look is done."""
    @contextmanager
    def session() -> Iterator[Page]:
        with login_page(browser, app) as page:
            submit_login(page, user, password)
            expect(page.locator("#question textarea")).to_be_visible()
            # The opening brief and the Reindex button's visibility arrive in the same update.
            expect(page.locator("#brief")).to_contain_text("What's new on")
            yield page
    return session()


def post_login(url: str, user: str, password: str) -> httpx.Response:
    """Gradio's login form, posted as the browser does: 200 and a session cookie, or 400."""
    return httpx.post(url + "login", data={"username": user, "password": password}, timeout=30)


# --- without a login --------------------------------------------------------------------------


def test_without_a_login_the_page_is_the_login_form_and_not_the_ask_ui(browser: Browser, guarded: App):
    with login_page(browser, guarded) as page:
        expect(page.get_by_label("username")).to_be_visible()
        expect(page.get_by_label("password")).to_be_visible()
        expect(page.get_by_text("Digest RAG", exact=True)).to_be_visible()  # the login page's message
        # The login page is the whole page: its config has no components to draw later.
        assert page.evaluate("() => window.gradio_config && window.gradio_config.components.length") == 0
        expect(page.locator("#question")).to_have_count(0)
        expect(page.locator("#tab-index-button")).to_have_count(0)
    # The page sent to a stranger carries none of the app's components or entries.
    html = httpx.get(guarded.url, timeout=30).text.replace(" ", "")
    assert '"auth_required":true' in html and '"components":[]' in html
    assert "Token-Shuffle" not in html and "What's new on" not in html


def test_the_login_page_names_none_of_the_digests_days_or_tags(guarded: App):
    html = httpx.get(guarded.url, timeout=30).text
    assert "2025-05-21" not in html and "reward-model" not in html


@pytest.mark.parametrize("method, route", [
    ("GET", "config"), ("GET", "gradio_api/info"), ("POST", "gradio_api/call/ask"),
    ("POST", "gradio_api/call/reindex"), ("POST", "gradio_api/queue/join"),
])
def test_without_a_login_the_api_routes_answer_401(guarded: App, method: str, route: str):
    response = httpx.request(method, guarded.url + route, json={"data": ["Token-Shuffle?"]}, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json()["detail"]["error"] == "Not authenticated"


def test_the_api_client_without_credentials_cannot_connect(guarded: App):
    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        Client(guarded.url, verbose=False)


def test_a_wrong_password_stays_on_the_login_form_with_an_error_then_the_right_one_gets_in(
        browser: Browser, guarded: App):
    with login_page(browser, guarded) as page:
        submit_login(page, ADMIN, WRONG_PASSWORD)
        expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
        expect(page.get_by_role("button", name="Login")).to_be_visible()
        expect(page.locator("#question")).to_have_count(0)
        submit_login(page, ADMIN, ADMIN_PASSWORD)
        expect(page.locator("#question textarea")).to_be_visible()
    with pytest.raises(ValueError, match="Could not login"):
        Client(guarded.url, auth=(READER, ADMIN_PASSWORD), verbose=False)  # another user's password


# --- the admin and the reader -----------------------------------------------------------------


def test_the_admin_logs_in_sees_reindex_and_indexes_a_new_day(browser: Browser, guarded: App):
    (guarded.data_dir / "930_okapi.txt").write_text(zebra_moved(date(2025, 5, 28), "Okapi"), encoding="utf-8")
    with logged_in(browser, guarded, ADMIN, ADMIN_PASSWORD) as page:
        page.locator("#tab-index-button").click()
        expect(page.locator("#reindex")).to_be_visible()
        reindex_from_ui(page, one_added(guarded))
        expect(page.locator("#index-status")).to_contain_text("2025-05-28", timeout=LIVE_MS)
    assert "2025-05-28" in guarded.committed_days()


def test_a_reader_sees_no_reindex_button_and_the_reindex_api_refuses_and_indexes_nothing(
        browser: Browser, guarded: App):
    day = guarded.data_dir / "931_quagga.txt"
    day.write_text(zebra_moved(date(2025, 5, 27), "Quagga"), encoding="utf-8")
    try:
        with logged_in(browser, guarded, READER, READER_PASSWORD) as page:
            page.locator("#tab-index-button").click()
            expect(page.locator("#index-status")).to_contain_text("entries over")
            expect(page.locator("#reindex")).to_be_hidden()
        version = read_committed(seed_settings_for(guarded.index_dir, guarded.data_dir))[0].version

        # The button only hides the action: its endpoint must refuse a reader too.
        reader = Client(guarded.url, auth=(READER, READER_PASSWORD), verbose=False)
        with pytest.raises(AppError, match=re.escape(NOT_ADMIN)):
            reader.predict(api_name="/reindex")
        assert read_committed(seed_settings_for(guarded.index_dir, guarded.data_dir))[0].version == version
        assert "2025-05-27" not in guarded.committed_days()
        cited = [c["title"] for c in reader.predict("Which paper uses striped positional codes for long video?",
                                                   api_name="/ask")["citations"]]
        assert not [t for t in cited if t.startswith("Quagga")], cited
    finally:
        day.unlink()


@pytest.mark.parametrize("user", ["guest", "someone else"])
def test_the_shared_token_logs_in_under_a_name_of_ones_own_as_a_reader(guarded: App, user: str):
    client = Client(guarded.url, auth=(user, TOKEN), verbose=False)
    hits = client.predict("Token-Shuffle pixel shuffle for image tokens", api_name="/ask")["citations"]
    assert hits and hits[0]["title"].startswith("Token-Shuffle")
    with pytest.raises(AppError, match=re.escape(NOT_ADMIN)):
        client.predict(api_name="/reindex")


@pytest.mark.parametrize("user", [ADMIN, READER, ROOT])
def test_the_shared_token_cannot_log_in_as_a_user_of_the_auth_file_or_an_admin(guarded: App, user: str):
    # Otherwise every holder of the token could type the admin's name and reindex.
    assert post_login(guarded.url, user, TOKEN).status_code == 400
    with pytest.raises(ValueError, match="Could not login"):
        Client(guarded.url, auth=(user, TOKEN), verbose=False)


def test_no_password_token_or_hash_ever_appears_in_the_app_log(guarded: App, users: Path):
    for user, password in [(ADMIN, ADMIN_PASSWORD), (READER, READER_PASSWORD), ("guest", TOKEN),
                           (ADMIN, WRONG_PASSWORD), (ADMIN, TOKEN)]:
        post_login(guarded.url, user, password)
    Client(guarded.url, auth=(READER, READER_PASSWORD), verbose=False).predict("Token-Shuffle?", api_name="/ask")
    output = guarded.output()
    assert "Running on local URL" in output  # the log is the app's, and it is being written
    hashes = [line.split(":", 1)[1] for line in users.read_text().splitlines() if line and not line.startswith("#")]
    for secret in [ADMIN_PASSWORD, READER_PASSWORD, TOKEN, WRONG_PASSWORD, *hashes]:
        assert secret not in output


# --- where the app may bind -------------------------------------------------------------------


def serve(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """`rag serve ARGS` that is expected to refuse at once (killed after timeout if it does not)."""
    return subprocess.run([sys.executable, "-m", "rag", "serve", "--port", str(free_port()), *args], cwd=REPO,
                          env=clean_env(RAG_DATA_DIR=str(SEEDS), **env), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_serving_beyond_loopback_without_a_login_refuses_to_start_in_one_line(tmp_path, how: str):
    args, env = (("--host", "0.0.0.0"), {}) if how == "flag" else ((), {"RAG_HOST": "0.0.0.0"})
    result = serve(*args, RAG_INDEX_DIR=str(tmp_path / "index"), **env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: refusing to serve the app on 0.0.0.0 without a login: set RAG_AUTH_FILE")
    assert "--insecure-no-auth" in result.stderr
    assert result.stdout == ""


def test_an_auth_file_line_without_a_hash_refuses_to_start_naming_the_line(tmp_path):
    users = tmp_path / "users"
    users.write_text(f"{ADMIN}:{hash_password(ADMIN_PASSWORD)}\n{READER}:{READER_PASSWORD}\n", encoding="utf-8")
    result = serve(RAG_INDEX_DIR=str(tmp_path / "index"), RAG_AUTH_FILE=str(users))
    assert result.returncode == 1
    assert result.stderr == f"Error: {users}:2: expected 'user:pbkdf2_sha256$...' (make lines with `rag passwd USER`)\n"
    assert READER_PASSWORD not in result.stderr


@contextmanager
def serving(host: str, index: Path, log: Path, *flags: str, **env: str) -> Iterator[str]:
    """`rag serve --host HOST FLAGS` until it listens; its URL; stopped afterwards."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--host", host, "--port", str(port), *flags], cwd=REPO,
            env=clean_env(RAG_DATA_DIR=str(SEEDS), RAG_INDEX_DIR=str(index), PYTHONUNBUFFERED="1", **env),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert proc.poll() is None, f"rag serve exited with {proc.returncode}:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"rag serve did not listen within {START_S} s:\n{log.read_text()}"
            try:
                httpx.get(f"http://{host}:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield f"http://{host}:{port}/"
    finally:
        stop_process(proc, 15)


# 127.0.0.2 is still this machine's loopback, but not a name the app trusts by itself.
@pytest.mark.parametrize("flags, env, config_status", [
    (("--insecure-no-auth",), {}, 200),
    ((), {"RAG_APP_TOKEN": TOKEN}, 401),
], ids=["insecure-no-auth-serves-without-login", "a-login-needs-no-flag-and-is-required"])
def test_another_host_is_served_with_a_login_or_when_told_the_exposure_is_meant(
        seed_index_copy, tmp_path, flags, env, config_status):
    with serving("127.0.0.2", seed_index_copy(), tmp_path / "app.log", *flags, **env) as url:
        config = httpx.get(url + "config", timeout=30)
        assert config.status_code == config_status
        if config_status == 200:  # the whole app, to anyone, but nobody may reindex from it
            assert "question" in [c["props"].get("elem_id") for c in config.json()["components"]]
            with pytest.raises(AppError, match=NOT_ADMIN):
                Client(url, verbose=False).predict(api_name="/reindex")
        else:
            assert post_login(url, "anyone", TOKEN).status_code == 200
    assert "Error" not in (tmp_path / "app.log").read_text()


# --- abuse: uploads, password guessing, old sessions --------------------------------------------


def session_cookies(url: str, user: str, password: str) -> httpx.Cookies:
    response = post_login(url, user, password)
    assert response.status_code == 200, response.text
    return response.cookies


def test_failed_logins_for_one_user_are_limited_with_429_and_retry_after(guarded: App):
    for _ in range(USER_FAILURES):
        assert post_login(guarded.url, "mallory", WRONG_PASSWORD).status_code == 400
    refused = post_login(guarded.url, "mallory", WRONG_PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= WINDOW_S
    assert "Too many failed logins" in refused.text
    # Another user from the same address still gets in.
    assert post_login(guarded.url, READER, READER_PASSWORD).status_code == 200


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, seed_index_copy) -> Iterator[App]:
    """An app of its own (its address gets locked out): short sessions, Gradio's temporary
    folder where the test can look."""
    root = tmp_path_factory.mktemp("ui-strict")
    with running_app(root, seed_index_copy(), args=("--host", "127.0.0.1"), RAG_APP_TOKEN=TOKEN,
                     RAG_SESSION_TTL_S="3", GRADIO_TEMP_DIR=str(root / "gradio-tmp")) as running:
        yield running


def test_uploads_are_refused_and_nothing_is_written(strict: App):
    cookies = session_cookies(strict.url, "carol", TOKEN)
    payload = b"x" * 2_000_000
    response = httpx.post(strict.url + "gradio_api/upload", cookies=cookies,
                          files={"files": ("big.bin", payload)}, timeout=30)
    assert response.status_code == 403
    written = [p for p in Path(strict.env["GRADIO_TEMP_DIR"]).rglob("*") if p.is_file()]
    assert not [p for p in written if p.stat().st_size >= len(payload)], written


def test_a_session_ends_after_its_lifetime_and_asks_for_a_login_again(strict: App):
    cookies = session_cookies(strict.url, "dave", TOKEN)
    check = strict.url + "gradio_api/login_check"
    assert httpx.get(check, cookies=cookies, timeout=30).status_code == 200
    deadline = time.monotonic() + 60
    while httpx.get(check, cookies=cookies, timeout=30).status_code == 200:
        assert time.monotonic() < deadline, "the 3 s session was still valid after a minute"
        time.sleep(0.5)
    assert httpx.get(check, cookies=cookies, timeout=30).status_code == 401
    assert post_login(strict.url, "dave", TOKEN).status_code == 200  # a new login works


def test_failed_logins_from_one_address_are_limited_across_user_names(strict: App):
    for n in range(ADDRESS_FAILURES):
        assert post_login(strict.url, f"guess{n}", WRONG_PASSWORD).status_code == 400
    refused = post_login(strict.url, "someone-new", TOKEN)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


# --- rag passwd -------------------------------------------------------------------------------


def test_passwd_refuses_an_empty_password():
    result = CliRunner().invoke(main, ["passwd", "frank", "--password", ""])
    assert result.exit_code == 2
    assert "an empty password would let anyone in" in result.output
    with pytest.raises(ValueError, match="empty"):
        hash_password("")



def test_passwd_prints_a_line_the_login_accepts_and_never_echoes_the_password(tmp_path):
    password = "carol-Pa55-phrase-9d21"
    result = CliRunner().invoke(main, ["passwd", "carol"], input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    assert password not in result.output
    line = result.output.splitlines()[-1]
    assert re.fullmatch(r"carol:pbkdf2_sha256\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+", line), result.output

    users = tmp_path / "users"
    users.write_text(line + "\n", encoding="utf-8")
    assert list(read_users(users)) == ["carol"]
    check = login(Settings(auth_file=users))
    assert check("carol", password)
    assert not check("carol", password + "x") and not check("dave", password)


def test_passwd_from_the_real_entry_point_prints_one_line_and_no_password(tmp_path):
    password = "erin-entry-point-63aa"
    # A session of its own: no terminal to read from, so the prompt reads the piped stdin.
    result = subprocess.run([sys.executable, "-m", "rag", "passwd", "erin"], cwd=REPO, env=clean_env(),
                            input=f"{password}\n{password}\n", capture_output=True, text=True, timeout=60,
                            start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("erin:")]
    users = tmp_path / "users"
    users.write_text(line + "\n", encoding="utf-8")
    assert login(Settings(auth_file=users))("erin", password)


@pytest.mark.parametrize("user", ["a:b", " "])
def test_passwd_refuses_a_user_name_the_auth_file_cannot_hold(user: str):
    result = CliRunner().invoke(main, ["passwd", user, "--password", "whatever"])
    assert result.exit_code == 2
    assert "a user name is non-empty and has no ':'" in result.output
