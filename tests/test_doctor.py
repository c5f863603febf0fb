"""`rag doctor` finds each corruption we can make, one line each, and `--repair` fixes what
it says it can; after each repair the index answers as before and LangChain's vector store
agrees with our own search."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_faults import NEW_DAY, assert_vectorstore_agrees, data_copy

from rag.app.cli import main
from rag.ask.retrieve import search_index
from rag.config import Settings, load_settings
from rag.index.commit import read_committed
from rag.index.doctor import check, last_check, repair
from rag.index.mirror import MARK_NAME
from rag.index.reader import Index
from rag.index.reindex import reindex
from rag.index.segments import VECTORS_NAME, segments_dir
from rag.index.store import close_client, connect, store_path

QUESTIONS = ["retrieval augmented generation", "강화학습으로 추론 능력을 높이는 방법", "image generation with diffusion"]


@pytest.fixture
def index(seed_index_copy, tmp_path) -> Settings:
    return load_settings(index_dir=seed_index_copy(), data_dir=data_copy(tmp_path))


def top5(settings: Settings) -> list[list[str]]:
    reader = Index(settings)
    try:
        return [[hit.entry.id for hit in search_index(reader, q, 5).hits] for q in QUESTIONS]
    finally:
        reader.close()


def store_dir(settings: Settings) -> Path:
    return store_path(settings)


def segment_dir(settings: Settings) -> Path:
    [name] = read_committed(settings)[0].segments
    return segments_dir(settings.index_dir) / name


def assert_repaired(settings: Settings, answers: list[list[str]]) -> None:
    assert check(settings) == []
    assert top5(settings) == answers
    assert_vectorstore_agrees(settings)
    (Path(settings.data_dir) / "new.txt").write_text(NEW_DAY, encoding="utf-8")
    assert reindex(settings).added == 1  # the repaired store takes the next day
    assert check(settings) == []


def test_a_sound_index_has_no_problems_and_the_app_can_say_when_it_was_checked(index):
    assert last_check(index) is None
    assert check(index) == []
    at, problems = last_check(index)
    assert problems == [] and at.startswith("20")


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100])
def test_a_damaged_chroma_file_is_found_and_rebuilt_from_the_segments(index, damage):
    answers = top5(index)
    (store_dir(index) / "chroma.sqlite3").write_bytes(damage)
    [problem] = check(index)
    assert problem.startswith("Chroma: ")
    assert last_check(index)[1] == [problem]
    [done] = repair(index)
    assert done.startswith("rebuilt the Chroma store from the segments")
    assert_repaired(index, answers)


def test_a_chroma_write_cut_short_is_found_and_rebuilt(index):
    answers = top5(index)
    (Path(index.index_dir) / MARK_NAME).touch()
    [problem] = check(index)
    assert "was cut short" in problem
    repair(index)
    assert not (Path(index.index_dir) / MARK_NAME).exists()
    assert_repaired(index, answers)


def test_chunks_in_chroma_that_the_manifest_does_not_name_are_found_and_cleared(index):
    answers = top5(index)
    manifest = read_committed(index)[0]
    client = connect(index)
    try:
        client.get_collection(manifest.collection).add(ids=["stray"], embeddings=[[0.1] * 512], documents=["x"])
    finally:
        close_client(client)
    assert check(index) == ["Chroma: holds 1 chunks the manifest does not name"]
    repair(index)
    assert_repaired(index, answers)


@pytest.mark.parametrize("damage", ["lost", "zero-length", "changed"])
def test_a_damaged_segment_is_found_and_rebuilt_from_chroma(index, damage):
    answers = top5(index)
    path = segment_dir(index) / VECTORS_NAME
    if damage == "lost":
        path.unlink()
    elif damage == "zero-length":
        path.write_bytes(b"")
    else:
        raw = bytearray(path.read_bytes())
        raw[-1] ^= 1  # one bit of one vector: only the checksum can tell
        path.write_bytes(bytes(raw))
    [problem] = check(index)
    assert problem.startswith("segment ") and ("checksum" in problem if damage == "changed" else "unreadable" in problem)
    [done] = repair(index)
    assert done.startswith("rebuilt segment ") and done.endswith("from the Chroma store")
    assert_repaired(index, answers)


def test_with_both_copies_of_the_vectors_lost_repair_clears_the_way_for_a_reindex(index):
    (segment_dir(index) / VECTORS_NAME).unlink()
    (store_dir(index) / "chroma.sqlite3").write_bytes(b"")
    assert len(check(index)) == 2
    done = repair(index)
    assert "run `rag reindex` to embed them again" in done[0]
    report = reindex(index)
    assert report.added == 33
    assert check(index) == []


def test_leftovers_of_killed_runs_are_found_and_deleted(index):
    shutil.copytree(segment_dir(index), segments_dir(index.index_dir) / ".tmp-s000009-deadbe")
    shutil.copytree(segment_dir(index), segments_dir(index.index_dir) / "s000008-deadbe")
    assert check(index) == ["2 leftovers of killed or failed runs or of an older layout (--repair deletes them)"]
    assert len(repair(index)) == 2
    assert check(index) == []
    assert [p.name for p in segments_dir(index.index_dir).iterdir()] == list(read_committed(index)[0].segments)


def test_the_command_exits_1_on_a_problem_and_0_once_repaired(index):
    (store_dir(index) / "chroma.sqlite3").write_bytes(b"")
    found = CliRunner().invoke(main, ["doctor", "--index", str(index.index_dir), "--json"])
    assert found.exit_code == 1
    assert json.loads(found.stdout)["problems"][0].startswith("Chroma: ")
    fixed = CliRunner().invoke(main, ["doctor", "--index", str(index.index_dir), "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stdout.splitlines()[-1] == "The index is sound."


def test_with_a_chroma_server_the_doctor_says_it_checks_local_indexes_only(tmp_path):
    result = CliRunner().invoke(main, ["doctor", "--index", str(tmp_path / "i")],
                                env={"RAG_CHROMA_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: `rag doctor` checks a local index; the Chroma server at http://127.0.0.1:9")
