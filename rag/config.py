"""All configuration in one place: a flag beats the environment, which beats the default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# The repository root: defaults are relative to it so `python app.py` works from anywhere.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Chroma phones home unless told not to; set before chromadb is imported anywhere.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Gradio does the same.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Settings:
    """Everything the library, CLI and app may be configured with."""

    data_dir: Path = PROJECT_ROOT / "seeds"
    index_dir: Path = PROJECT_ROOT / ".rag"
    chroma_url: str | None = None
    chroma_token: str | None = field(default=None, repr=False)  # never printed
    openai_api_key: str | None = field(default=None, repr=False)  # never printed
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    host: str = "127.0.0.1"
    port: int = 7860
    # The bearer token `rag mcp --http` requires (never printed or logged).
    mcp_token: str | None = field(default=None, repr=False)
    auth_file: Path | None = None  # user:password-hash lines: the app's login (rag.app.auth)
    app_token: str | None = field(default=None, repr=False)  # or one shared password; never printed
    admins: tuple[str, ...] = ()  # users who may reindex from the app when it has a login
    embedder: str = "use-m3"
    embed_batch: int = 64
    # Chunking: bump `chunk_version` when the chunking code changes meaningfully, so old
    # indexes are rebuilt instead of mixed.
    chunk_chars: int = 1200
    chunk_overlap: int = 200
    chunk_version: int = 2
    collection: str = "digest"
    top_k: int = 5
    # The watcher (`rag watch`, `rag serve --watch`): a changed day file is indexed once it has
    # not changed for watch_settle_s; a folder that never goes quiet is reindexed anyway after
    # watch_max_wait_s (rag/app/watch.py says how).
    watch_settle_s: float = 1.0
    watch_max_wait_s: float = 10.0

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible chat model should write the answers."""
        return bool(self.openai_api_key)

    def with_overrides(self, **overrides: object) -> "Settings":
        """Copy with the given non-None values replaced (flags beat the environment)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        for key in ("data_dir", "index_dir", "auth_file"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser()  # type: ignore[arg-type]
        return replace(self, **clean)


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:  # NaN fails too
        raise ValueError(f"{name} must be a number of seconds above 0 (at most 3600), got {value!r}")
    return seconds


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then apply explicit overrides (from flags or arguments)."""
    env: dict[str, object] = {
        "data_dir": _env("RAG_DATA_DIR"),
        "index_dir": _env("RAG_INDEX_DIR"),
        "chroma_url": _env("RAG_CHROMA_URL"),
        "chroma_token": _env("RAG_CHROMA_TOKEN"),
        "openai_api_key": _env("OPENAI_API_KEY"),
        "openai_base_url": _env("OPENAI_BASE_URL"),
        "llm_model": _env("RAG_LLM_MODEL"),
        "host": _env("RAG_HOST"),
        "mcp_token": _env("RAG_MCP_TOKEN"),
        "auth_file": _env("RAG_AUTH_FILE"),
        "app_token": _env("RAG_APP_TOKEN"),
        "admins": tuple(a.strip() for a in (_env("RAG_ADMINS") or "").split(",") if a.strip()) or None,
        "embedder": _env("RAG_EMBEDDER"),
    }
    port = _env("RAG_PORT")
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"RAG_PORT must be a port number, got {port!r}")
        env["port"] = int(port)
    settle = _env("RAG_WATCH_SETTLE_S")
    if settle is not None:
        env["watch_settle_s"] = _seconds("RAG_WATCH_SETTLE_S", settle)
    return Settings().with_overrides(**env).with_overrides(**overrides)
