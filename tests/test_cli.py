"""Specification of the `rag` command: click in-process, and the real entry point in a subprocess."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import SEEDS, clean_env, run_rag

from rag.app.cli import main

EN_QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"
REPORT_KEYS = {"added", "changed", "removed", "unchanged", "skipped", "errors", "seconds"}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_json(stdout: str):
    """stdout must be exactly one JSON document, nothing before or after it."""
    return json.loads(stdout)


# --- reindex -------------------------------------------------------------------------------


def test_reindex_json_reports_what_it_added_then_a_second_run_changes_nothing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEEDS / "004_b3da5940e7ac1eb3.txt", data / "day.txt")  # 2025-04-24: 5 entries
    index = tmp_path / "index"

    first = invoke("reindex", "--data", str(data), "--index", str(index), "--json")
    assert first.exit_code == 0, first.output
    report = one_json(first.stdout)
    assert set(report) == REPORT_KEYS
    assert (report["added"], report["changed"], report["removed"], report["unchanged"]) == (5, 0, 0, 0)
    assert report["skipped"] == 0 and report["errors"] == []
    assert isinstance(report["seconds"], (int, float))

    second = one_json(invoke("reindex", "--data", str(data), "--index", str(index), "--json").stdout)
    assert (second["added"], second["changed"], second["removed"], second["unchanged"]) == (0, 0, 0, 5)


def test_reindex_of_the_unchanged_seed_index_is_a_no_op_over_33_entries(seed_index_copy):
    index = seed_index_copy()
    result = invoke("reindex", "--data", str(SEEDS), "--index", str(index), "--json")
    assert result.exit_code == 0, result.output
    report = one_json(result.stdout)
    assert set(report) == REPORT_KEYS
    assert report["unchanged"] == 33
    assert report["added"] == report["changed"] == report["removed"] == report["skipped"] == 0


def test_reindex_reports_a_removed_day_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SEEDS / "004_b3da5940e7ac1eb3.txt", data / "a.txt")
    shutil.copy(SEEDS / "002_9070b1aff5c3be1b.txt", data / "b.txt")  # 2025-04-25: 6 entries
    index = tmp_path / "index"
    assert one_json(invoke("reindex", "--data", str(data), "--index", str(index), "--json").stdout)["added"] == 11
    (data / "b.txt").unlink()
    report = one_json(invoke("reindex", "--data", str(data), "--index", str(index), "--json").stdout)
    assert (report["added"], report["removed"], report["unchanged"]) == (0, 6, 5)


# --- search and ask ------------------------------------------------------------------------


def test_search_json_lists_k_hits_each_the_whole_entry_and_its_score(seed_settings):
    result = invoke("search", EN_QUESTION, "-k", "5", "--index", str(seed_settings.index_dir), "--json")
    assert result.exit_code == 0, result.output
    hits = one_json(result.stdout)
    assert isinstance(hits, list) and len(hits) == 5
    for hit in hits:
        assert set(hit) == {"id", "day", "title", "authors", "tags", "comment_ko", "comment_en", "abstract",
                            "links", "score"}  # as the MCP search tool gives it
        assert isinstance(hit["score"], float) and isinstance(hit["tags"], list)
    assert hits[0]["title"].startswith("Token-Shuffle")
    assert hits[0]["day"] == "2025-04-25"
    assert len({h["id"] for h in hits}) == 5


def test_ask_json_gives_text_citations_and_abstained(seed_settings):
    result = invoke("ask", EN_QUESTION, "--index", str(seed_settings.index_dir), "--json")
    assert result.exit_code == 0, result.output
    answer = one_json(result.stdout)
    assert set(answer) == {"text", "citations", "abstained"}
    assert answer["abstained"] is False
    assert answer["citations"]
    for c in answer["citations"]:
        assert set(c) == {"n", "id", "title", "day"}
        assert f"[{c['n']}]" in answer["text"]
    assert answer["citations"][0]["title"].startswith("Token-Shuffle")


def test_ask_without_json_prints_the_answer_and_its_sources(seed_settings):
    result = invoke("ask", EN_QUESTION, "--index", str(seed_settings.index_dir))
    assert result.exit_code == 0, result.output
    assert "[1]" in result.stdout
    assert "Token-Shuffle" in result.stdout


def test_ask_with_an_empty_question_fails_with_one_sentence(seed_settings):
    result = CliRunner().invoke(main, ["ask", "", "--index", str(seed_settings.index_dir)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().startswith("Error:")
    assert len(result.stderr.strip().splitlines()) == 1


# --- the real entry point ------------------------------------------------------------------


@pytest.mark.slow
def test_entry_point_search_prints_exactly_one_json_document(seed_settings):
    proc = run_rag("search", EN_QUESTION, "-k", "5", "--json", env=clean_env(RAG_INDEX_DIR=str(seed_settings.index_dir)))
    assert proc.returncode == 0, proc.stderr
    hits = one_json(proc.stdout)
    assert len(hits) == 5
    assert hits[0]["title"].startswith("Token-Shuffle")


@pytest.mark.slow
def test_entry_point_ask_prints_exactly_one_json_document(seed_settings):
    proc = run_rag("ask", "이미지 토큰의 공간 축을 임베딩 차원으로 접어 넣어 시퀀스를 줄이는 논문은?", "--json",
                   env=clean_env(RAG_INDEX_DIR=str(seed_settings.index_dir)))
    assert proc.returncode == 0, proc.stderr
    answer = one_json(proc.stdout)
    assert answer["abstained"] is False
    assert answer["citations"][0]["title"].startswith("Token-Shuffle")
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("reindex", "--data", "/nonexistent"), "/nonexistent"),
        (("ask", ""), "empty"),
        (("search", "x", "--bogus"), "--bogus"),
    ],
    ids=["missing-data-dir", "empty-question", "unknown-flag"],
)
def test_entry_point_error_is_one_clear_sentence_on_stderr_and_a_failing_status(tmp_path, args, names):
    proc = run_rag(*args, env=clean_env(RAG_INDEX_DIR=str(tmp_path / "index")))
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    assert names in errors[0]
