"""Faults a reindex meets: bad file names, symlinks out of the data folder, a read-only index
folder, a full disk, a damaged Chroma file. Each is one sentence that says what to do and
leaves nothing behind, or a skipped file named (escaped) while the rest is indexed; after
each, the LangChain vector store agrees with our own search.

The read-only and full-disk cases mount a small tmpfs (CI runs as root) and skip with the
reason where mounting is not allowed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.app.reindexing import report_text
from rag.config import Settings, load_settings
from rag.index.faults import IndexFaultError
from rag.index.commit import read_committed
from rag.index.reader import Index
from rag.index.reindex import reindex
from rag.index.segments import VECTORS_NAME, segments_dir
from rag.index.store import store_path

from conftest import SEEDS

NEW_DAY = "2031년 3월 4일\nLattice Routing: Mixture-of-Experts on a Grid\n(Mina Park)\n격자 위의 전문가 라우팅.\n"
SECRET = "root:x:0:0:a line that must never reach a report"


def data_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SEEDS, data)
    return data


def settings_over(index_dir: Path, data: Path) -> Settings:
    return load_settings(index_dir=index_dir, data_dir=data)


def assert_vectorstore_agrees(settings: Settings) -> None:
    """LangChain's view of the store holds the committed chunks, and its nearest chunk is
    the one our own dense search ranks first."""
    index = Index(settings)
    try:
        view = index.view()
        store = index.vectorstore
        assert store._collection.count() == len(view.manifest.chunk_ids())
        question = "Mixture-of-Experts routing on a lattice"
        [(doc, _)] = store.similarity_search_with_score(question, k=1)
        [(top, _)] = view.dense(index.embedder.embed_query(question), 1)
        assert doc.metadata["entry_id"] == top
    finally:
        index.close()


def load_manifest(index_dir: Path):
    return read_committed(load_settings(index_dir=index_dir))[0]


def generations(settings: Settings) -> list[str]:
    """The segment directories (a failed run leaves none of its own)."""
    return sorted(p.name for p in segments_dir(settings.index_dir).iterdir())


def test_bad_file_names_are_skipped_and_named_escaped_while_the_rest_indexes(seed_index_copy, tmp_path):
    data = data_copy(tmp_path)
    (data / "new.txt").write_text(NEW_DAY, encoding="utf-8")
    bad_bytes = os.fsencode(str(data)) + b"/\xff\xfe.txt"
    with open(bad_bytes, "w", encoding="utf-8") as fh:
        fh.write(NEW_DAY.replace("4일", "5일"))
    (data / "forged\nINFO done.txt").write_text(NEW_DAY.replace("4일", "6일"), encoding="utf-8")
    settings = settings_over(seed_index_copy(), data)
    report = reindex(settings)
    assert (report.added, report.skipped) == (1, 2)
    assert all("\n" not in err for err in report.errors)
    assert any("\\xff\\xfe.txt:0: file name is not valid UTF-8" in err for err in report.errors)
    assert any("forged\\nINFO done.txt:0: file name holds a control character" in err for err in report.errors)
    assert_vectorstore_agrees(settings)


def test_symlinks_are_followed_only_inside_the_data_folder(seed_index_copy, tmp_path):
    data = data_copy(tmp_path)
    outside = tmp_path / "passwd"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    (data / "passwd.txt").symlink_to(outside)
    (data / "drafts").mkdir()
    (data / "drafts" / "new-day.md").write_text(NEW_DAY, encoding="utf-8")
    (data / "new-day.txt").symlink_to(data / "drafts" / "new-day.md")
    settings = settings_over(seed_index_copy(), data)
    report = reindex(settings)
    assert (report.added, report.skipped) == (1, 1)
    [error] = report.errors
    assert error == f"{data / 'passwd.txt'}:0: symbolic link to a file outside the data folder; only links inside it are followed"
    assert "root:x" not in report_text(report)  # what the Index tab shows every user
    assert_vectorstore_agrees(settings)


def test_a_report_of_a_file_that_is_not_a_day_never_echoes_its_lines(seed_index_copy, tmp_path):
    data = data_copy(tmp_path)
    (data / "notes.txt").write_text(SECRET + "\n", encoding="utf-8")
    report = reindex(settings_over(seed_index_copy(), data))
    [error] = report.errors
    assert error.startswith(f"{data / 'notes.txt'}:1: line 1 must be the day")
    assert "root:x" not in error


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs: room for the seed index (2.5 MB); tests fill the rest when they need a full disk."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def index_in(tmpfs: Path, seed_index_copy) -> Path:
    index_dir = tmpfs / "index"
    shutil.copytree(seed_index_copy(), index_dir)
    return index_dir


def test_a_full_disk_is_one_sentence_and_leaves_nothing_behind(seed_index_copy, tmp_path, tmpfs):
    data = data_copy(tmp_path)
    (data / "new.txt").write_text(NEW_DAY, encoding="utf-8")
    settings = settings_over(index_in(tmpfs, seed_index_copy), data)
    before, kept = load_manifest(settings.index_dir), generations(settings)
    filler = tmpfs / "filler"
    with open(filler, "wb", buffering=0) as fh:  # the disk full to the last block
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    with pytest.raises(IndexFaultError) as caught:
        reindex(settings)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"the disk holding the index folder {settings.index_dir} is full: free some space")
    assert generations(settings) == kept
    assert load_manifest(settings.index_dir).version == before.version
    filler.unlink()
    assert_vectorstore_agrees(settings)
    assert reindex(settings).added == 1


def test_a_read_only_index_folder_is_one_sentence_and_changes_nothing(seed_index_copy, tmp_path, tmpfs):
    data = data_copy(tmp_path)
    (data / "new.txt").write_text(NEW_DAY, encoding="utf-8")
    settings = settings_over(index_in(tmpfs, seed_index_copy), data)
    before, kept = load_manifest(settings.index_dir), generations(settings)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    with pytest.raises(IndexFaultError) as caught:
        reindex(settings)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write to the index folder {settings.index_dir}")
    assert "--index or RAG_INDEX_DIR" in message
    assert generations(settings) == kept
    assert load_manifest(settings.index_dir).version == before.version
    subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)  # Chroma writes when it opens
    assert_vectorstore_agrees(settings)


DAMAGE = {"zero-length": lambda raw: b"", "truncated": lambda raw: raw[: len(raw) // 3], "garbage": lambda raw: b"x" * 4096}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_chroma_file_is_rebuilt_from_the_segments_and_nothing_is_lost(seed_index_copy, tmp_path, damage):
    data = data_copy(tmp_path)
    (data / "new.txt").write_text(NEW_DAY, encoding="utf-8")
    settings = settings_over(seed_index_copy(), data)
    store = store_path(settings) / "chroma.sqlite3"
    store.write_bytes(DAMAGE[damage](store.read_bytes()))
    report = reindex(settings)
    assert report.added == 1 and report.embedded_chunks < 10, "only the new day is embedded"
    manifest = load_manifest(settings.index_dir)
    assert len(manifest.entries) == 34
    assert_vectorstore_agrees(settings)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_segment_stops_the_commit_and_says_to_run_doctor(seed_index_copy, tmp_path, damage):
    data = data_copy(tmp_path)
    (data / "new.txt").write_text(NEW_DAY, encoding="utf-8")
    settings = settings_over(seed_index_copy(), data)
    before = load_manifest(settings.index_dir)
    [name] = before.segments
    path = segments_dir(settings.index_dir) / name / VECTORS_NAME
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with pytest.raises(IndexFaultError, match=r"damaged .*run `rag doctor --repair`; nothing was changed") as caught:
        reindex(settings)
    assert "\n" not in str(caught.value)
    assert load_manifest(settings.index_dir).version == before.version
    assert generations(settings) == [name]
