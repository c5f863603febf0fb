"""The Korean<->English term bridge, learned from an invented digest whose entries carry both
commentaries: mined at reindex, incrementally, inspectable with `rag terms`, and used to cross
languages offline (an English question finds an entry that has only Korean commentary)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import clean_env

import rag
from rag.config import load_settings
from rag.index.bridge import BridgeStore, glossary
from rag.index.tokens import tokenize

# Invented entries: the Korean commentary says 전정 where the English says "pruning" (the
# glossary has 가지치기 for it, not 전정), so only mining can learn the pair.
_PARALLEL = [
    ("Sparse Widgets", "전정 기법으로 위젯 모델을 작게 만든 연구.", "A study that makes widget models small with pruning."),
    ("Lean Gadgets", "가젯 네트워크의 전정 비율을 탐색.", "Explores the pruning ratio of gadget networks."),
    ("Trimmed Gizmos", "전정 이후의 재학습이 필요 없다는 결과.", "Shows that no retraining is needed after pruning."),
    ("Pruned Doohickeys", "구조적 전정과 비구조적 전정 비교.", "Compares structured and unstructured pruning."),
]


def _day(path: Path, heading: str, entries: list[tuple[str, str, str]]) -> None:
    lines = [heading]
    for title, ko, en in entries:
        lines += [title, "(Ada Example, Bob Sample)", ko] + ([en] if en else []) + ["#efficiency"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _index(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    _day(data / "a.txt", "2024년 3월 4일", _PARALLEL)
    # An older entry with Korean commentary only: what an English question must still find.
    _day(data / "b.txt", "2019년 6월 1일", [("Old Hedge Trimmer", "정원 가위 모델의 전정 실험.", "")])
    settings = load_settings(data_dir=data, index_dir=tmp_path / "index")
    rag.reindex(settings=settings)
    return settings, data


def test_pairs_are_mined_from_the_parallel_commentary_and_shown_by_rag_terms(tmp_path):
    settings, _ = _index(tmp_path)
    pairs = rag.api.terms("전정", settings=settings)
    assert any(p.translation == "prune" and p.origin == "digest" and p.together == 4 for p in pairs), pairs
    out = subprocess.run(
        [sys.executable, "-m", "rag", "terms", "전정", "--json", "--index", str(settings.index_dir)],
        capture_output=True, text=True, env=clean_env(), timeout=300,
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert {"korean": "전정", "english": "prune", "origin": "digest"}.items() <= shown[0].items()


def test_an_english_question_finds_an_entry_with_only_korean_commentary(tmp_path):
    settings, _ = _index(tmp_path)
    hits = rag.search("pruning experiments on garden shears", k=10, settings=settings)
    assert "Old Hedge Trimmer" in [h.entry.title for h in hits]
    a = rag.answer("Which entries discuss pruning?", settings=settings)
    assert "Old Hedge Trimmer" in {c.entry.title for c in a.citations}, a.text


def test_the_bridge_follows_the_index_incrementally(tmp_path):
    settings, data = _index(tmp_path)
    rag.api.terms("전정", settings=settings)
    store = BridgeStore(settings.index_dir)
    (data / "a.txt").unlink()  # the parallel day is gone: its counts go with it
    rag.reindex(settings=settings)
    assert not [p for p in rag.api.terms("전정", settings=settings) if p.origin == "digest"]
    assert not [p for p in store.pairs() if p.source_word == "전정"]


def test_the_glossarys_korean_side_is_written_as_the_tokenizer_splits_it():
    for pair in glossary():
        assert tokenize(pair.source_word) == pair.source_word.split(), pair
