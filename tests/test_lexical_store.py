"""The lexical index lives in the segments as raw term counts; the tokens behind it are a
cache. A damaged copy is found and repaired, never trusted; another tokenizer version makes
the statistics again without embedding."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import seed_settings_for

from rag.ask.retrieve import search_index
from rag.index import tokens
from rag.index.catalog import catalog_path
from rag.index.commit import read_committed
from rag.index.compaction import compact
from rag.index.doctor import repair
from rag.index.postings import VOCAB_NAME
from rag.index.reader import Index
from rag.index.reindex import reindex
from rag.index.segments import segments_dir
from rag.index.store import StoreUnavailableError

QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"


def _first_title(settings) -> str:
    index = Index(settings)
    try:
        return search_index(index, QUESTION, 3).hits[0].entry.title
    finally:
        index.close()


def test_a_reindex_saves_the_term_statistics_in_its_segment_a_reader_then_loads(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    [name] = read_committed(settings)[0].segments
    assert (segments_dir(settings.index_dir) / name / VOCAB_NAME).is_file()
    assert _first_title(settings).startswith("Token-Shuffle")


def test_damaged_term_statistics_are_refused_then_repaired_from_chroma(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    [name] = read_committed(settings)[0].segments
    (segments_dir(settings.index_dir) / name / VOCAB_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreUnavailableError, match="rag doctor --repair"):
        Index(settings).refresh()
    assert repair(settings)[0].startswith(f"rebuilt segment {name}")
    assert _first_title(settings).startswith("Token-Shuffle")


def _token_rows(settings) -> list[tuple[int, dict]]:
    db = sqlite3.connect(settings.index_dir / tokens.TOKENS_NAME)
    try:
        return [(version, json.loads(fields)) for version, fields in db.execute("SELECT version, fields FROM tokens")]
    finally:
        db.close()


def test_segments_of_another_tokenizer_version_are_made_again_without_embedding(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    db = sqlite3.connect(settings.index_dir / tokens.TOKENS_NAME)
    with db:
        db.execute("UPDATE tokens SET fields = '{\"title\": [\"x\"], \"abstract\": [], \"comment\": []}', version = 0")
    db.close()
    db = sqlite3.connect(catalog_path(settings.index_dir))
    with db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'tokenizer'")  # as an older tokenizer left it
    db.close()
    stale = _token_rows(settings)
    report = reindex(settings)
    assert report.embedded_chunks == 0
    assert read_committed(settings)[0].tokenizer == tokens.TOKENIZER_VERSION
    assert _first_title(settings).startswith("Token-Shuffle")
    # Tokenized again and stored under this version: no row is read as ["x"] any more.
    fresh = [row for row in _token_rows(settings) if row[0] == tokens.TOKENIZER_VERSION]
    assert len(fresh) == len(stale)
    assert all(fields["title"] != ["x"] for _, fields in fresh)


def test_a_merge_that_counts_no_words_again_keeps_the_tokenizer_version_it_had(seed_index_copy):
    settings = seed_settings_for(seed_index_copy())
    db = sqlite3.connect(catalog_path(settings.index_dir))
    with db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'tokenizer'")
    db.close()
    committed = read_committed(settings, with_entries=False)[0]
    compact(settings, committed, list(committed.segments))  # term statistics merged, not made again
    assert read_committed(settings)[0].tokenizer == 0, "still due to be made again by the next reindex"
    assert reindex(settings).embedded_chunks == 0
    assert read_committed(settings)[0].tokenizer == tokens.TOKENIZER_VERSION
