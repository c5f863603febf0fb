"""Following the digest, end to end: `rag follow` and `rag news` as real processes, matching after
`rag reindex` and after the watcher, the app's Atom feeds (parsed with feedparser) and their
tokens, the MCP tools, and a state file that is locked or damaged."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import feedparser
import pytest
from conftest import REPO, SEEDS, clean_env, run_rag
from mcp.client.stdio import StdioServerParameters
from test_mcp import connect
from servers import stop_process
from test_watch import SETTLE_S, day_text, entry
from ui_support import running_app

from rag.config import load_settings
from rag.state.db import state_file
from rag.state.tokens import new_feed_token

pytestmark = pytest.mark.slow

NEW_DAY = date(2031, 6, 2)
ON_TOPIC = entry(
    "Zebra-Tokens: Striped Positional Codes for Long Video", "Mina Park, Jonas Weber",
    "시간 축을 줄무늬 패턴의 위치 코드로 표현해 긴 비디오에서도 프레임 순서를 유지하는 방법.",
    # The paper's own link stands alone on a commentary line (links inside sentences cite others).
    "Encodes the time axis as striped positional codes so frame order survives in hour-long videos.\n"
    "https://arxiv.org/abs/3106.01234",
    tags="#video #long-context",
)
OFF_TOPIC = entry(
    "Saltmarsh: Curriculum Learning from Tide Tables", "Ines Varga",
    "조수 간만표로 커리큘럼 순서를 정하는 학습법.", "A curriculum for training ordered by tide tables.",
    tags="#curriculum",
)
ZEBRA = "Zebra-Tokens: Striped Positional Codes for Long Video"
SALTMARSH = "Saltmarsh: Curriculum Learning from Tide Tables"


@pytest.fixture
def digest(tmp_path: Path, seed_index_copy) -> dict[str, str]:
    """A copy of the seed days and index, with its own state folder: the environment for `rag`."""
    data = tmp_path / "data"
    shutil.copytree(SEEDS, data)
    return clean_env(RAG_DATA_DIR=str(data), RAG_INDEX_DIR=str(seed_index_copy()), RAG_STATE_DIR=str(tmp_path / "state"))


def rag(env: dict[str, str], *args: str) -> str:
    proc = run_rag(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fails(env: dict[str, str], *args: str) -> str:
    proc = run_rag(*args, env=env)
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: "), proc.stderr
    return proc.stderr


def news(env: dict[str, str], *args: str) -> dict[str, list[str]]:
    """follow name -> the titles it picked up, from `rag news --json`."""
    got = json.loads(rag(env, "news", "--json", *args))
    assert set(got) == {"follows"}
    for f in got["follows"]:
        assert set(f) == {"name", "query", "entries"}
    return {f["name"]: [e["title"] for e in f["entries"]] for f in got["follows"]}


def add_new_day(env: dict[str, str]) -> None:
    Path(env["RAG_DATA_DIR"], "new-day.txt").write_text(day_text(NEW_DAY, ON_TOPIC, OFF_TOPIC), encoding="utf-8")


def test_follows_are_added_listed_and_removed_and_bad_ones_are_one_clear_error(digest):
    assert "as zebra" in rag(digest, "follow", "add", "striped positional codes for long video", "--name", "zebra")
    rag(digest, "follow", "add", "#video")
    assert "already exists" in fails(digest, "follow", "add", "anything", "--name", "zebra")
    assert "empty" in fails(digest, "follow", "add", "   ")
    assert "only letters" in fails(digest, "follow", "add", "x", "--name", "a/b")
    listed = json.loads(rag(digest, "follow", "list", "--json"))
    assert [(f["name"], f["query"]) for f in listed] == [("video", "#video"),
                                                         ("zebra", "striped positional codes for long video")]
    unknown = fails(digest, "follow", "remove", "nope")
    assert "no follow is named 'nope'" in unknown and "video, zebra" in unknown
    rag(digest, "follow", "remove", "video")
    assert [f["name"] for f in json.loads(rag(digest, "follow", "list", "--json"))] == ["zebra"]


def test_a_reindex_picks_up_the_on_topic_entry_of_a_new_day_and_not_the_off_topic_one(digest):
    rag(digest, "follow", "add", "striped positional codes for long video", "--name", "zebra")
    rag(digest, "follow", "add", "#video")
    rag(digest, "follow", "add", "speculative decoding for faster sampling", "--name", "decoding")
    rag(digest, "follow", "add", "papers by Mina Park", "--name", "park")
    assert news(digest) == {"decoding": [], "park": [], "video": [], "zebra": []}  # nothing already indexed counts
    add_new_day(digest)
    proc = run_rag("reindex", "--json", env=digest)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["added"] == 2  # stdout stays one JSON document
    assert news(digest) == {"decoding": [], "park": [ZEBRA], "video": [ZEBRA], "zebra": [ZEBRA]}
    assert news(digest, "--since", "2031-06-03") == {"decoding": [], "park": [], "video": [], "zebra": []}
    rag(digest, "reindex")  # nothing new: nothing picked up twice
    assert news(digest)["zebra"] == [ZEBRA]
    assert "zebra (striped positional codes for long video): 1 new" in rag(digest, "news")


def test_the_watcher_matches_follows_after_the_reindex_it_runs(digest, tmp_path):
    rag(digest, "follow", "add", "striped positional codes for long video", "--name", "zebra")
    rag(digest, "follow", "add", "curriculum ordered by tide tables", "--name", "tides")
    log = tmp_path / "watch.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "rag", "watch", "--settle", str(SETTLE_S)], cwd=REPO,
                                env={**digest, "PYTHONUNBUFFERED": "1"}, stderr=out)
    try:
        deadline = time.monotonic() + 180
        while "for day files" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        add_new_day(digest)
        while (found := news(digest)) != {"tides": [SALTMARSH], "zebra": [ZEBRA]}:
            assert proc.poll() is None and time.monotonic() < deadline, (found, log.read_text())
            time.sleep(0.5)
    finally:
        stop_process(proc, 30)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_the_app_serves_each_follow_as_an_atom_feed_that_validates(digest, tmp_path):
    rag(digest, "follow", "add", "striped positional codes for long video", "--name", "zebra")
    rag(digest, "follow", "add", "curriculum ordered by tide tables", "--name", "tides")
    add_new_day(digest)
    rag(digest, "reindex")
    with running_app(tmp_path, Path(digest["RAG_INDEX_DIR"]), RAG_STATE_DIR=digest["RAG_STATE_DIR"]) as app:
        status, body = fetch(app.url + "feeds/zebra.atom")
        assert status == 200
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == "atom10"
        [item] = feed.entries
        assert item.title == ZEBRA
        assert item.link == "https://arxiv.org/abs/3106.01234"  # the paper's own link
        assert {t.term for t in item.tags} == {"video", "long-context"}
        assert item.updated.startswith("2031-06-02")
        assert "frame order survives" in item.content[0].value  # the digest author's take
        everything = feedparser.parse(fetch(app.url + "feeds/all.atom")[1])
        assert not everything.bozo and {e.title for e in everything.entries} == {ZEBRA, SALTMARSH}
        assert fetch(app.url + "feeds/nope.atom")[0] == 404


def test_with_a_login_feeds_need_the_users_token_and_a_wrong_one_is_the_same_404(digest, tmp_path):
    rag(digest, "follow", "add", "#video")
    settings = load_settings(index_dir=digest["RAG_INDEX_DIR"], state_dir=digest["RAG_STATE_DIR"])
    token = new_feed_token(settings)
    with running_app(tmp_path, Path(digest["RAG_INDEX_DIR"]), RAG_STATE_DIR=digest["RAG_STATE_DIR"],
                     RAG_APP_TOKEN="app-password-123") as app:
        feed = app.url + "feeds/video.atom"
        assert fetch(feed + f"?token={token}")[0] == 200
        assert fetch(app.url + f"feeds/all.atom?token={token}")[0] == 200
        no_token, wrong, unknown = fetch(feed), fetch(feed + "?token=guess"), fetch(app.url + f"feeds/x.atom?token={token}")
        assert no_token == wrong == unknown == (404, b"no such feed")
        fresh = new_feed_token(settings)  # a new token revokes the old one
        assert fetch(feed + f"?token={token}")[0] == 404 and fetch(feed + f"?token={fresh}")[0] == 200


def test_mcp_lists_follows_gives_news_and_bibtex_for_an_entry(digest):
    rag(digest, "follow", "add", "striped positional codes for long video", "--name", "zebra")
    add_new_day(digest)
    rag(digest, "reindex")
    params = StdioServerParameters(command=sys.executable, args=["-m", "rag", "mcp"], env=digest, cwd=str(REPO))
    with connect(params) as mcp:
        follows = mcp.data("list_follows")["follows"]
        assert [(f["name"], f["query"]) for f in follows] == [("zebra", "striped positional codes for long video")]
        [item] = mcp.data("news")["follows"]
        assert item["name"] == "zebra" and [e["title"] for e in item["entries"]] == [ZEBRA]
        assert mcp.data("news", since="2031-07-01")["follows"][0]["entries"] == []
        assert "not a day" in mcp.error("news", since="June")
        got = mcp.data("get_entry", id=item["entries"][0]["id"])
        assert got["bibtex"].startswith("@misc{park2031zebra,") and "eprint = {3106.01234}" in got["bibtex"]


def test_a_damaged_or_locked_state_file_is_one_line_and_the_index_keeps_answering(digest):
    rag(digest, "follow", "add", "#video")
    path = state_file(load_settings(index_dir=digest["RAG_INDEX_DIR"], state_dir=digest["RAG_STATE_DIR"]))
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert "is locked by another process" in fails(digest, "follow", "add", "#rl")
        add_new_day(digest)
        assert "added 2" in rag(digest, "reindex")  # the reindex stands; its follows wait
    finally:
        holder.rollback()
        holder.close()
    path.write_bytes(b"this is not a database" * 100)
    assert "is damaged" in fails(digest, "follow", "list")
    assert "is damaged" in fails(digest, "news")
    answer = json.loads(rag(digest, "ask", "Which paper uses striped positional codes for long video?", "--json"))
    assert answer["citations"][0]["title"] == ZEBRA
