"""The MCP server over streamable HTTP: a real `python -m rag mcp --http` process on a free
loopback port, driven by the SDK's client; the bearer token and where the server may bind."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from conftest import REPO, clean_env, run_rag
from mcp.client.streamable_http import streamable_http_client
from servers import free_port, stop_process
from test_mcp import TOOLS, connect

pytestmark = pytest.mark.slow

TOKEN = "mcp-test-TOKEN-8f3a91c2"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


class Served:
    """A running `rag mcp --http` process, its URL and its output so far."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(tmp: Path, index: Path, host: str, *flags: str, token: str | None = None) -> Served:
    port = free_port(host)
    log = tmp / f"mcp-{port}.log"
    env = clean_env(**({"RAG_MCP_TOKEN": token} if token else {}))
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rag", "mcp", "--http", "--host", host, "--port", str(port), "--index", str(index), *flags],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection((host, port), timeout=1).close()
            return Served(process, f"http://{host}:{port}/mcp", log)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"rag mcp --http did not listen within 120 s:\n{log.read_text()}")


def stop(served: Served) -> None:
    stop_process(served.process, 20)


@pytest.fixture(scope="module")
def guarded(seed_index_copy, tmp_path_factory) -> Iterator[Served]:
    """The server on 127.0.0.1 with RAG_MCP_TOKEN set."""
    served = start(tmp_path_factory.mktemp("mcp-http"), seed_index_copy(), "127.0.0.1", token=TOKEN)
    yield served
    stop(served)


def client_with(url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return connect(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=120)))


def test_with_the_token_the_sdk_client_lists_the_tools_and_calls_them(guarded):
    with client_with(guarded.url, TOKEN) as mcp:
        assert set(mcp.tools()) == TOOLS
        hits = mcp.data("search", question="Token-Shuffle pixel shuffle for image tokens", k=1)["hits"]
        assert hits[0]["title"].startswith("Token-Shuffle")
        assert {"tag": "reward-model", "count": 3} in mcp.data("list_tags")["tags"]
        assert "k\n  Input should be less than or equal to 100" in mcp.error("search", question="x", k=101)
        assert mcp.read("digest://day/2025-05-21").startswith("# 2025-05-21: 6 entries")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}"])
def test_a_request_without_the_right_bearer_token_gets_401(guarded, authorization):
    headers = MCP_HEADERS | ({"Authorization": authorization} if authorization else {})
    response = httpx2.post(guarded.url, json=INITIALIZE, headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert TOKEN not in response.text


def test_the_right_token_is_let_through_on_a_plain_request(guarded):
    headers = MCP_HEADERS | {"Authorization": f"Bearer {TOKEN}"}
    response = httpx2.post(guarded.url, json=INITIALIZE, headers=headers, timeout=30)
    assert response.status_code == 200
    assert '"name":"digest-rag"' in response.text


def test_the_token_never_appears_in_the_servers_output(guarded):
    with client_with(guarded.url, TOKEN) as mcp:
        mcp.data("list_tags")
    httpx2.post(guarded.url, json=INITIALIZE, headers=MCP_HEADERS | {"Authorization": "Bearer wrong"}, timeout=30)
    output = guarded.output()
    assert "bearer token required" in output
    assert TOKEN not in output and "wrong" not in output


def test_binding_beyond_loopback_names_without_a_token_refuses_to_start_in_one_line(seed_settings):
    result = run_rag("mcp", "--http", "--host", "0.0.0.0", "--port", str(free_port()),
                     "--index", str(seed_settings.index_dir), env=clean_env())
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: refusing to serve MCP on 0.0.0.0 without a token: set RAG_MCP_TOKEN")
    assert "--insecure-no-auth" in result.stderr


def test_insecure_no_auth_serves_another_host_without_a_token(seed_index_copy, tmp_path):
    # 127.0.0.2 is still this machine's loopback, but not a name the server trusts by itself.
    served = start(tmp_path, seed_index_copy(), "127.0.0.2", "--insecure-no-auth")
    try:
        with client_with(served.url, None) as mcp:
            assert set(mcp.tools()) == TOOLS
        assert "no authentication" in served.output()
    finally:
        stop(served)


def test_another_host_with_a_token_needs_no_flag_and_checks_the_token(seed_index_copy, tmp_path):
    served = start(tmp_path, seed_index_copy(), "127.0.0.2", token=TOKEN)
    try:
        assert httpx2.post(served.url, json=INITIALIZE, headers=MCP_HEADERS, timeout=30).status_code == 401
        with client_with(served.url, TOKEN) as mcp:
            assert mcp.data("get_entry", id=mcp.data("list_entries", limit=1)["entries"][0]["id"])["title"]
    finally:
        stop(served)


@pytest.mark.parametrize("flags", [["--port", "9999"], ["--host", "0.0.0.0"], ["--insecure-no-auth"]])
def test_http_options_without_http_are_a_usage_error(flags):
    result = run_rag("mcp", *flags, env=clean_env())
    assert result.returncode == 2
    assert "need" in result.stderr and "--http" in result.stderr
