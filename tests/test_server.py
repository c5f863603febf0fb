"""Server mode against a real `chroma run` on a loopback port: shared state, outages, restarts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import SEEDS, seed_settings_for
from servers import CHROMA, ChromaServer, free_port

from rag.ask.retrieve import search_index
from rag.index.locks import IndexLockedError, server_lease
from rag.index.reader import REMOTE_POLL_S, Index
from rag.index.reindex import reindex
from rag.index.remote import LEASE_ID, manifest_collection
from rag.index.store import StoreUnavailableError, close_client, connect

pytestmark = pytest.mark.slow

QUESTION = "Which paper folds neighbouring image tokens into the channel dimension?"
NEW_DAY = """2025년 5월 22일
Quokka-Net: Marsupial Attention for Tabular Forecasting
(Ada Example, Ben Sample)
We introduce Quokka-Net, a pouch-shaped attention mechanism for tabular time series forecasting.
표 형식 시계열 예측을 위한 주머니 모양 어텐션이라니 재미있네요.
A pouch-shaped attention for tabular forecasting; fun.
#forecasting #attention
"""


def wait_until(condition, what: str, timeout_s: float = 30.0) -> None:
    """Return once condition() holds (the reader polls the server every REMOTE_POLL_S), or fail
    saying what never happened."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout_s} s"
        time.sleep(REMOTE_POLL_S / 10)


def search_fails(reader: Index) -> bool:
    try:
        search_index(reader, QUESTION, 3)
    except StoreUnavailableError:
        return True
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert CHROMA.exists(), f"{CHROMA} missing: chromadb should install the `chroma` command"
    srv = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("server-data")
    for day in SEEDS.glob("*.txt"):
        shutil.copy(day, target)
    return target


@pytest.fixture(scope="module")
def indexed(server, data_dir, tmp_path_factory):
    settings = seed_settings_for(tmp_path_factory.mktemp("writer") / "index", data_dir).with_overrides(chroma_url=server.url)
    report = reindex(settings)
    assert report.added == 33
    return settings


def settings_for(server, tmp_path, name: str):
    return seed_settings_for(tmp_path / name, SEEDS).with_overrides(chroma_url=server.url)


def test_a_process_with_an_empty_index_dir_reads_the_servers_state(indexed, server, tmp_path):
    reader = Index(settings_for(server, tmp_path, "other-app"))
    try:
        assert len(reader.entries) == 33
        hits = search_index(reader, QUESTION, 3).hits
        assert hits[0].entry.title.startswith("Token-Shuffle")
    finally:
        reader.close()


def test_each_app_sees_the_others_reindex_within_seconds(indexed, server, data_dir, tmp_path):
    reader = Index(settings_for(server, tmp_path, "app-a"))
    try:
        (data_dir / "2025-05-22.txt").write_text(NEW_DAY, encoding="utf-8")
        writer = settings_for(server, tmp_path, "app-b").with_overrides(data_dir=data_dir)
        assert reindex(writer).added == 1
        wait_until(reader.refresh, "the reader saw the other app's reindex")
        hits = search_index(reader, "pouch-shaped attention for tabular forecasting", 3).hits
        assert hits[0].entry.title.startswith("Quokka-Net")
        assert len(reader.view().lexical.entry_ids) == 34  # the lexical index follows the server
    finally:
        reader.close()
        (data_dir / "2025-05-22.txt").unlink()
        reindex(settings_for(server, tmp_path, "app-b").with_overrides(data_dir=data_dir))


def test_server_down_at_start_is_a_clear_error_not_a_crash(tmp_path):
    settings = seed_settings_for(tmp_path / "index").with_overrides(chroma_url=f"http://127.0.0.1:{free_port()}")
    index = Index(settings)  # must not raise: the app starts and says what is wrong
    assert "Chroma server" in index.unavailable
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        search_index(index, QUESTION, 3)
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        reindex(settings)


def test_server_restarted_mid_session_next_request_recovers(indexed, server, tmp_path):
    reader = Index(settings_for(server, tmp_path, "app-c"))
    try:
        assert search_index(reader, QUESTION, 3).hits[0].entry.title.startswith("Token-Shuffle")
        server.stop()
        wait_until(lambda: search_fails(reader), "a search said the server is unavailable")
        server.start()
        hits = search_index(reader, QUESTION, 3).hits
        assert hits[0].entry.title.startswith("Token-Shuffle")
    finally:
        reader.close()


def machines(server, data_dir, tmp_path) -> tuple:
    """Settings of two app processes sharing the server, each with its own index directory
    (as on two machines: their local file locks never meet)."""
    return tuple(settings_for(server, tmp_path, name).with_overrides(data_dir=data_dir) for name in ("m-a", "m-b"))


def test_a_reindex_elsewhere_refuses_while_the_server_lease_is_held(indexed, server, data_dir, tmp_path):
    holder, other = machines(server, data_dir, tmp_path)
    with server_lease(holder):
        with pytest.raises(IndexLockedError, match=rf"process {os.getpid()} on .+ is updating the index on the Chroma server"):
            reindex(other)
    assert reindex(other).message.startswith("Nothing changed")


def test_a_reindex_elsewhere_waits_for_the_server_lease_when_asked(indexed, server, data_dir, tmp_path):
    holder, other = machines(server, data_dir, tmp_path)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with server_lease(holder):
            held.set()
            release.wait(20)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(20)
        threading.Timer(1.5, release.set).start()
        started = time.monotonic()
        assert reindex(other, lock_wait_s=20).message.startswith("Nothing changed")
        assert time.monotonic() - started >= 1.0
    finally:
        release.set()
        thread.join()


def test_the_lease_of_a_killed_reindex_expires(indexed, server, data_dir, tmp_path):
    holder, other = machines(server, data_dir, tmp_path)
    code = (
        "import sys, time\n"
        "from rag.config import load_settings\n"
        "from rag.index.locks import server_lease\n"
        "s = load_settings(index_dir=sys.argv[1]).with_overrides(chroma_url=sys.argv[2])\n"
        "with server_lease(s, lease_s=3):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(holder.index_dir), server.url], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        with pytest.raises(IndexLockedError, match=rf"process {proc.pid} on"):
            reindex(other)
        assert reindex(other, lock_wait_s=15).message.startswith("Nothing changed")
    finally:
        proc.kill()


def test_a_reindex_that_lost_its_lease_commits_nothing(indexed, server, data_dir, tmp_path):
    holder, _ = machines(server, data_dir, tmp_path)
    with server_lease(holder) as still_held:
        still_held()
        client = connect(holder)
        try:
            manifest_collection(client, holder).delete(ids=[LEASE_ID])  # as if it had expired and been taken
        finally:
            close_client(client)
        with pytest.raises(IndexLockedError, match="lost its lease"):
            still_held()
