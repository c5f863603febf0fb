"""End to end: `python app.py` as a real server, asked over HTTP with gradio_client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HANGUL, MARKER, REPO, clean_env
from gradio_client import Client
from servers import free_port, stop_process

pytestmark = pytest.mark.slow

STARTUP_LIMIT_S = 180  # a generous bound on waiting, never asserted as a duration

EN_QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"
KO_QUESTION = "이미지 토큰의 공간 축을 임베딩 차원으로 접어 넣어 시퀀스를 줄이는 논문은?"


def accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class AppProcess:
    def __init__(self, proc: subprocess.Popen, port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def app_server(seed_index_copy, tmp_path_factory) -> Iterator[AppProcess]:
    """app.py on a free loopback port over a private copy of the seed index."""
    index = seed_index_copy()
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = clean_env(RAG_INDEX_DIR=str(index), RAG_PORT=str(port), RAG_HOST="127.0.0.1")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = AppProcess(proc, port, log)
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not accepts("127.0.0.1", port):
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with status {proc.returncode}:\n{app.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not listen on port {port}:\n{app.output()}")
            time.sleep(0.25)
        yield app
    finally:
        stop_process(proc, 20)


@pytest.fixture(scope="module")
def client(app_server: AppProcess) -> Client:
    return Client(app_server.url, verbose=False)


def test_app_serves_its_page(app_server):
    with urllib.request.urlopen(app_server.url, timeout=30) as resp:
        assert resp.status == 200
        assert "Digest RAG" in resp.read().decode("utf-8", "replace")


def test_app_listens_on_loopback_only(app_server):
    assert accepts("127.0.0.1", app_server.port)
    # Bound to 127.0.0.1 itself, not 0.0.0.0: another loopback address is refused.
    assert not accepts("127.0.0.2", app_server.port)


@pytest.mark.parametrize("question", [EN_QUESTION, KO_QUESTION], ids=["en", "ko"])
def test_ask_api_returns_a_cited_answer_naming_token_shuffle(client, question):
    result = client.predict(question, api_name="/ask")
    assert set(result) == {"text", "citations", "abstained"}
    assert result["abstained"] is False
    assert "Token-Shuffle" in result["text"]
    first = result["citations"][0]
    assert first["title"].startswith("Token-Shuffle") and first["day"] == "2025-04-25"
    assert {int(n) for n in MARKER.findall(result["text"])} == {c["n"] for c in result["citations"]}
    assert bool(HANGUL.search(result["text"])) == (question == KO_QUESTION)


def test_ask_api_abstains_on_a_question_the_digest_does_not_cover(client):
    result = client.predict("What is the capital of France?", api_name="/ask")
    assert result["abstained"] is True
