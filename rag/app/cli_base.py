"""What every `rag` command shares: user errors as one sentence, settings from flags, JSON out."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rag.config import Settings


# Exceptions that mean "the user asked for something impossible": one sentence, no traceback.
def _user_errors() -> tuple[type[BaseException], ...]:
    from rag.ask.llm import LLMError
    from rag.ask.prepare import QuestionError
    from rag.digest import ParseError
    from rag.index.locks import IndexLockedError
    from rag.index.manifest import ManifestError
    from rag.index.store import StoreUnavailableError
    from rag.state.db import StateError

    # AuthError is a ValueError: a refused binding or a bad auth file is one sentence too.
    return (QuestionError, ParseError, IndexLockedError, LLMError, StoreUnavailableError, ManifestError, StateError,
            FileNotFoundError, NotADirectoryError, ValueError)


def friendly(fn: Callable) -> Callable:
    """Turn user errors into `Error: <sentence>` on stderr and exit status 1."""
    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _user_errors() as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(1)
    return run


def settings_for(data: str | None = None, index: str | None = None, **overrides: object) -> Settings:
    """A command's settings: its flags over the environment. Imported here, not at the top:
    reading the settings costs pydantic's start-up, which `rag --help` need not pay."""
    from rag.config import load_settings

    return load_settings(data_dir=data, index_dir=index, **overrides)


def emit(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))
