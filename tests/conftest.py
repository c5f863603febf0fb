"""Shared fixtures: one real seed index per session, a clean environment, loopback servers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import FakeChatServer

from rag.config import Settings, load_settings
from rag.digest import parse_dir
from rag.index.reindex import reindex
from rag.model import Entry, ReindexReport

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
# The real corpus sits beside a clone in CI (../shared); a clone with nothing beside it skips
# the tests that read it, with this reason.
CORPUS = REPO.parent / "shared" / "corpus"
NO_CORPUS = f"needs the real digest corpus at {CORPUS} (present in CI, not in a bare clone)"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real corpus folder; the test is skipped when it is not beside the clone."""
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)
    return CORPUS

# Everything in the developer's environment that would change what the library does.
ISOLATED_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "RAG_CHROMA_URL", "RAG_CHROMA_TOKEN", "RAG_INDEX_DIR", "RAG_DATA_DIR",
    "RAG_LLM_MODEL", "RAG_EMBEDDER", "RAG_HOST", "RAG_PORT", "RAG_MCP_TOKEN", "RAG_AUTH_FILE", "RAG_APP_TOKEN",
    "RAG_ADMINS", "RAG_WATCH_SETTLE_S", "RAG_STATE_DIR", "RAG_SESSION_TTL_S",
)

HANGUL = re.compile(r"[\uac00-\ud7a3]")
MARKER = re.compile(r"\[(\d+)\]")
API_KEY = "sk-test-SECRET123456"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline path is the default: no LLM key, no Chroma server, no index/data dirs."""
    for name in ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: this one minus our variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(extra)
    return env


def run_rag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The real entry point, `python -m rag ...`, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300,
    )


def seed_settings_for(index_dir: Path, data_dir: Path = SEEDS) -> Settings:
    """Settings for an index directory, read with our variables out of the environment."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ISOLATED_ENV:
            mp.delenv(name, raising=False)
        return load_settings(index_dir=index_dir, data_dir=data_dir)


@pytest.fixture(scope="session")
def seed_entries() -> list[Entry]:
    """The seed entries as the parser reads them (the expected side of index tests)."""
    report = parse_dir(SEEDS)
    assert report.errors == []
    return report.entries


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, ReindexReport]:
    """The seed index, built once per session with the real embedder and Chroma on disk."""
    settings = seed_settings_for(tmp_path_factory.mktemp("seed-index"))
    return settings, reindex(settings)


@pytest.fixture(scope="session")
def seed_settings(seed_build: tuple[Settings, ReindexReport]) -> Settings:
    """Offline settings over the shared seed index. Read only: never reindex it."""
    return seed_build[0]


@pytest.fixture(scope="session")
def seed_index_copy(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """A factory of private copies of the seed index, for tests that write to theirs."""
    def copy() -> Path:
        target = tmp_path_factory.mktemp("seed-index-copy") / "index"
        shutil.copytree(seed_settings.index_dir, target)
        return target

    return copy


def entry_titled(entries, prefix: str) -> Entry:
    """The one entry whose title starts with prefix."""
    matches = [e for e in entries if e.title.startswith(prefix)]
    assert len(matches) == 1, f"{len(matches)} entries start with {prefix!r}"
    return matches[0]


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeChatServer]:
    """A real OpenAI-compatible chat endpoint on a loopback port, for the whole session."""
    server = FakeChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm(fake_llm: FakeChatServer) -> Iterator[FakeChatServer]:
    """The fake endpoint with no requests recorded and no replies scripted."""
    fake_llm.reset()
    yield fake_llm
    fake_llm.reset()


@pytest.fixture
def llm_settings(seed_settings: Settings, llm: FakeChatServer) -> Settings:
    """The seed index, answered by the fake endpoint (no retries, short timeout)."""
    return seed_settings.with_overrides(
        openai_api_key=API_KEY, openai_base_url=llm.base_url, llm_max_retries=0, llm_timeout_s=5,
    )


# The browser tests' fixtures (a real app process, Chromium, pages on it), for every UI module.
from ui_support import app, browser, page, visit  # noqa: E402, F401
