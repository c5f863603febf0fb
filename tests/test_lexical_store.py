"""The lexical index and the tokens behind it are derived data: saved for a fast start, and
rebuilt, never trusted, when they are missing, damaged or from another tokenizer version."""

from __future__ import annotations

import json
import shutil
import sqlite3

from conftest import seed_settings_for

from rag.ask.retrieve import search_index
from rag.index import tokens
from rag.index.commit import read_committed
from rag.index.lexical import LEXICAL_DIR, lexical_path
from rag.index.reader import Index
from rag.index.reindex import reindex

QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"


def _first_title(settings) -> str:
    index = Index(settings)
    try:
        return search_index(index, QUESTION, 3).hits[0].entry.title
    finally:
        index.close()


def test_a_reindex_saves_the_lexical_index_a_reader_then_loads(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    manifest, _ = read_committed(settings)
    assert lexical_path(settings.index_dir, manifest.hashes()).is_dir()
    assert _first_title(settings).startswith("Token-Shuffle")


def test_a_damaged_lexical_index_is_rebuilt_by_the_reader(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    manifest, _ = read_committed(settings)
    saved = lexical_path(settings.index_dir, manifest.hashes())
    (saved / "title" / "vocab.index.json").write_text("{not json", encoding="utf-8")
    assert _first_title(settings).startswith("Token-Shuffle")
    assert (saved / "title" / "vocab.index.json").read_text(encoding="utf-8").startswith("{\"")


def test_a_lost_lexical_index_is_made_again_by_a_reindex_with_nothing_to_embed(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    shutil.rmtree(settings.index_dir / LEXICAL_DIR)
    report = reindex(settings)
    assert report.embedded_chunks == 0 and report.added == 0
    manifest, _ = read_committed(settings)
    assert lexical_path(settings.index_dir, manifest.hashes()).is_dir()


def _token_rows(settings) -> list[tuple[int, dict]]:
    db = sqlite3.connect(settings.index_dir / tokens.TOKENS_NAME)
    try:
        return [(version, json.loads(fields)) for version, fields in db.execute("SELECT version, fields FROM tokens")]
    finally:
        db.close()


def test_tokens_of_another_tokenizer_version_are_not_used(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    db = sqlite3.connect(settings.index_dir / tokens.TOKENS_NAME)
    with db:
        db.execute("UPDATE tokens SET fields = '{\"title\": [\"x\"], \"abstract\": [], \"comment\": []}', version = 0")
    db.close()
    stale = _token_rows(settings)
    assert stale and all(version == 0 and fields["title"] == ["x"] for version, fields in stale)
    shutil.rmtree(settings.index_dir / LEXICAL_DIR)
    assert _first_title(settings).startswith("Token-Shuffle")
    # Tokenized again and stored under this version: no row is read as ["x"] any more.
    fresh = _token_rows(settings)
    assert len(fresh) == len(stale)
    assert all(version == tokens.TOKENIZER_VERSION and fields["title"] != ["x"] for version, fields in fresh)
