"""All configuration in one place: a flag beats the environment, which beats the default.

Every field is settable from the environment as `RAG_<FIELD>` (`RAG_DATA_DIR`, `RAG_CHUNK_CHARS`);
the OpenAI client's own `OPENAI_API_KEY` and `OPENAI_BASE_URL` work as well. Secrets are
`SecretStr`: they print as stars, and a bad value is reported without them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The repository root: defaults are relative to it so `python app.py` works from anywhere.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Chroma phones home unless told not to; set before chromadb is imported anywhere.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Gradio does the same.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

MAX_QUESTION_CHARS = 2000
Seconds = Annotated[float, Field(gt=0, le=3600)]


class Settings(BaseSettings):
    """Everything the library, CLI and app may be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_",
        env_ignore_empty=True,
        str_strip_whitespace=True,
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
    )

    data_dir: Path = PROJECT_ROOT / "seeds"
    index_dir: Path = PROJECT_ROOT / ".rag"
    chroma_url: str | None = None
    chroma_token: SecretStr | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: Seconds = 60.0
    llm_max_retries: int = Field(default=2, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=7860, gt=0, lt=65536)
    mcp_token: SecretStr | None = None  # the bearer token `rag mcp --http` requires
    auth_file: Path | None = None  # user:password-hash lines: the app's login (rag.app.auth)
    app_token: SecretStr | None = None  # or one shared password
    # Users who may reindex from the app when it has a login; RAG_ADMINS="ann, bob".
    admins: Annotated[tuple[str, ...], NoDecode] = ()
    session_ttl_s: float = Field(default=12 * 3600.0, gt=0)  # an app login lasts this long
    embedder: str = "use-m3"
    embed_batch: int = Field(default=64, gt=0)
    # Chunking: bump `chunk_version` when the chunking code changes meaningfully, so old
    # indexes are rebuilt instead of mixed.
    chunk_chars: int = Field(default=1200, gt=0)
    chunk_overlap: int = Field(default=200, ge=0)
    chunk_version: int = 2
    collection: str = "digest"
    top_k: int = Field(default=5, gt=0)
    # The watcher (`rag watch`, `rag serve --watch`): a changed day file is indexed once it has
    # not changed for watch_settle_s; a folder that never goes quiet is reindexed anyway after
    # watch_max_wait_s (rag/app/watch.py says how).
    watch_settle_s: Seconds = 1.0
    watch_max_wait_s: Seconds = 10.0
    # User state (follows, feedback, saved conversations): apart from the index, which can be
    # deleted and rebuilt; None means a `state/` folder beside the index folder.
    state_dir: Path | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """RAG_HOST="  " is unset, as RAG_HOST= is."""
        if isinstance(value, str) and not value.strip():
            raise PydanticUseDefault()
        return value

    @field_validator("data_dir", "index_dir", "auth_file", "state_dir", mode="after")
    @classmethod
    def _home(cls, path: Path | None) -> Path | None:
        return path.expanduser() if path is not None else None

    @field_validator("admins", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """A comma-separated list from the environment, or any sequence of names."""
        names = value.split(",") if isinstance(value, str) else value
        return tuple(name.strip() for name in names if name.strip())

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible chat model should write the answers."""
        return self.openai_api_key is not None

    @property
    def state_path(self) -> Path:
        """The user-state folder: RAG_STATE_DIR, else `state/` beside the index folder."""
        return self.state_dir or Path(self.index_dir).parent / "state"

    def with_overrides(self, **overrides: object) -> Settings:
        """Copy with the given non-None values replaced (flags beat the environment)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        values.update({key: value for key, value in overrides.items() if value is not None})
        return _validated(lambda: type(self).model_validate(values))


def secret(value: SecretStr | None) -> str | None:
    """A secret's text, for the one place that hands it on (a header, a client)."""
    return value.get_secret_value() if value is not None else None


def _variable(field: str) -> str:
    """The environment variable a field is read from."""
    alias = Settings.model_fields[field].validation_alias
    return str(alias.choices[-1]) if isinstance(alias, AliasChoices) else f"RAG_{field.upper()}"


def _validated(make: Any) -> Settings:
    """Settings from `make`, or a one-line ValueError naming the variable that is wrong."""
    try:
        return make()
    except ValidationError as err:
        error = err.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        name = _variable(field) if field in Settings.model_fields else field
        shown = "" if "token" in field or "key" in field else f", got {error.get('input')!r}"
        raise ValueError(f"{name}: {error['msg'][:1].lower()}{error['msg'][1:]}{shown}") from None


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then apply explicit overrides (from flags or arguments)."""
    chosen: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
    return _validated(lambda: Settings(**chosen))
