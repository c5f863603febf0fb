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
    "Encodes the time axis as striped positional codes so frame order survives in hour-long videos.",
    abstract="We introduce Zebra-Tokens, striped positional codes that let video transformers keep frame order "
             "across hour-long clips without extra parameters. https://arxiv.org/abs/3106.01234",
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
    assert news(digest) == {"decoding": [], "video": [], "zebra": []}  # nothing already indexed counts
    add_new_day(digest)
    proc = run_rag("reindex", "--json", env=digest)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["added"] == 2  # stdout stays one JSON document
    assert news(digest) == {"decoding": [], "video": [ZEBRA], "zebra": [ZEBRA]}
    assert news(digest, "--since", "2031-06-03") == {"decoding": [], "video": [], "zebra": []}
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
