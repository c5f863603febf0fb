"""A tag the digest spells two ways is one tag from parsing on: filters, counts, chips and search
all see one, and the cards keep the spelling the day file wrote."""

from __future__ import annotations

import json
import sqlite3

from conftest import seed_settings_for

import rag
from rag.index.commit import read_committed
from rag.index.catalog import catalog_path
from rag.index.reader import Index

# Invented days (not digest text).
UNDERSCORE = """2031년 3월 4일
Sparse Widgets: Scaling Widget Models
(Ada Park)
위젯을 크게 키우는 효율적인 학습 방법.
#Efficient_Training #widgets
"""
HYPHEN = """2031년 3월 5일
Gadget Transformers
(Cy Lee)
가젯 트랜스포머를 빠르게 학습하는 방법.
#efficient-training #gadgets
"""


def _index(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text(UNDERSCORE, encoding="utf-8")
    (data / "b.txt").write_text(HYPHEN, encoding="utf-8")
    settings = seed_settings_for(tmp_path / "index", data)
    rag.reindex(settings=settings)
    return settings


def test_two_spellings_of_a_tag_count_and_filter_as_one(tmp_path):
    settings = _index(tmp_path)
    index = Index(settings)
    try:
        assert index.tags["efficient-training"] == 2 and "efficient_training" not in index.tags
    finally:
        index.close()
    a = rag.answer("#efficient_training 논문 목록", settings=settings)
    assert {c.entry.title for c in a.citations} == {"Sparse Widgets: Scaling Widget Models", "Gadget Transformers"}
    assert a.filters.tags == ("efficient-training",)


def test_the_cards_and_lists_keep_the_spelling_the_day_file_wrote(tmp_path):
    settings = _index(tmp_path)
    a = rag.answer("#efficient-training 논문 목록", settings=settings)
    assert "#Efficient_Training" in a.text and "#efficient-training" in a.text
    widgets = next(c.entry for c in a.citations if c.entry.title.startswith("Sparse"))
    assert widgets.tags == ("efficient-training", "widgets") and widgets.labels == ("Efficient_Training", "widgets")


def test_an_index_parsed_before_tags_had_one_spelling_is_read_again_without_embedding(tmp_path):
    settings = _index(tmp_path)
    db = sqlite3.connect(catalog_path(settings.index_dir))
    with db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'parser'")  # as the previous version wrote it
        for eid, raw in db.execute("SELECT id, entry FROM entries").fetchall():
            entry = json.loads(raw)  # it kept each spelling
            entry["tags"] = [t.replace("-", "_") for t in entry["tags"]]
            entry.pop("tag_labels", None)
            db.execute("UPDATE entries SET entry = ? WHERE id = ?", (json.dumps(entry), eid))
    db.close()
    report = rag.reindex(settings=settings)
    assert report.embedded_chunks == 0
    manifest, _ = read_committed(settings)
    assert {t for rec in manifest.entries.values() for t in rec.entry.tags} == {"efficient-training", "widgets", "gadgets"}
