"""Specification of the data-folder watcher (`rag watch`, `rag serve --watch`).

The slow cases run the real `python -m rag watch` on a copy of the seed days and index, change
the folder the way people and sync tools do, and read the index from this process (another
process than the watcher), as the app and `rag ask` would. The fast ones check the settling
rule with a clock of our own over real files, and the watcher's thread in this process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import watchfiles
from click.testing import CliRunner
from conftest import REPO, SEEDS, clean_env, run_rag, seed_settings_for

from rag.app.cli import main
from rag.app.watch import Backoff, Batch, Watcher, signature
from rag.config import load_settings
from rag.index.commit import read_committed
from rag.index.locks import reindex_lock
from rag.index.manifest import Manifest

SETTLE_S = 0.8  # the watcher's --settle in the process tests: short, with room for slow machines
REPORT = re.compile(r"reindexed after changes to (?P<what>.+?): .*added (?P<added>\d+), changed (?P<changed>\d+), "
                    r"removed (?P<removed>\d+), unchanged \d+, skipped (?P<skipped>\d+)")
SEED_DAY_0424 = "004_b3da5940e7ac1eb3.txt"  # 2025-04-24: 5 entries


# --- invented day files ----------------------------------------------------------------------


def entry(title: str, authors: str, ko: str, en: str, abstract: str = "", tags: str = "") -> str:
    """One entry in the day-file format."""
    return "\n".join([title, f"({authors})", *([abstract] if abstract else []), ko, en, *([tags] if tags else [])])


def day_text(day: date, *entries: str) -> str:
    """A day file: the Korean date on line 1, then the entries."""
    return "\n".join([f"{day.year}년 {day.month}월 {day.day}일", *entries]) + "\n"


HERON = entry(
    "Heronlattice: Routing Tokens Through a Lattice of Tiny Experts", "Mira Okonkwo-Lind, Tavi Rasmussen",
    "토큰이 작은 전문가들로 이루어진 격자를 한 층에 한 칸씩 걸어가는 MoE 구조. "
    "라우터가 거의 필요 없다는 점이 재미있네요.",
    "An MoE layer where each token walks a lattice of tiny experts, one step per layer; it needs almost no router.",
    "We introduce Heronlattice, a mixture-of-experts layer in which every token walks a two-dimensional lattice "
    "of tiny experts, moving one step per layer instead of being dispatched by a learned router.",
    "#moe #routing",
)
HERON_QUESTION = "Which paper has each token walk a lattice of tiny experts, one step per layer?"
HERON_DAY = date(2031, 3, 5)

SLOW_PARTS = [  # a day written in four parts; every prefix of whole entries parses
    entry("Saltmarsh: Curriculum Learning from Tide Tables", "Ines Varga",
          "조수 간만표로 커리큘럼 순서를 정하는 학습법.", "A curriculum ordered by tide tables.", tags="#curriculum"),
    entry("Kettle Probes: Measuring Heat in Attention Maps", "Bo-ra Han, Lucas Ferreira",
          "어텐션 맵의 온도를 재는 프로브.", "Probes that measure the temperature of attention maps.", tags="#interpretability"),
    entry("Driftwood: Recycling Discarded Checkpoints", "Nadia Quispe",
          "버려진 체크포인트를 다시 쓰는 방법.", "Reusing checkpoints that training runs throw away.", tags="#efficiency"),
    entry("Lanternfish: Sparse Light Fields for Robots", "Theo Anand, Yuna Sato",
          "로봇을 위한 희소 광장 표현.", "Sparse light-field representations for robot navigation.", tags="#robotics"),
]
SLOW_DAY = date(2031, 4, 9)


def invented_days(n: int, start: date = date(2031, 1, 1)) -> dict[str, str]:
    """n day files of one invented entry each, by file name."""
    days = {}
    for k in range(n):
        day = start + timedelta(days=k)
        days[f"{day.isoformat()}.txt"] = day_text(day, entry(
            f"Invented Method {k}: Folding Ledgers of Synthetic Tokens", f"Author {k}, Coauthor {k}",
            f"{k}번째로 지어낸 방법: 합성 토큰의 장부를 접어서 기억을 줄입니다.",
            f"Invented method number {k}: folding ledgers of synthetic tokens to save memory.",
            tags="#invented",
        ))
    return days


# --- the watcher process ---------------------------------------------------------------------


class WatchProcess:
    """`python -m rag watch` on a data folder and an index; its stderr lines are collected."""

    def __init__(self, data: Path, index: Path, settle_s: float = SETTLE_S) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "watch", "--data", str(data), "--index", str(index),
             "--settle", str(settle_s)],
            cwd=REPO, env=clean_env(PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def reports(self) -> list[re.Match]:
        """The report line of each reindex so far."""
        return [m for line in list(self.lines) if (m := REPORT.search(line))]

    def wait_for_reports(self, n: int, timeout: float = 60) -> list[re.Match]:
        """Wait until n reindexes have been reported."""
        deadline = time.monotonic() + timeout
        while len(self.reports()) < n:
            assert self.proc.poll() is None, "the watcher died:\n" + "\n".join(self.lines)
            assert time.monotonic() < deadline, f"no report {n} within {timeout} s:\n" + "\n".join(self.lines)
            time.sleep(0.05)
        return self.reports()

    def stop(self) -> None:
        """SIGTERM, as a service manager would; the watcher must end cleanly."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(5)
        self.proc.stdout.close()


@pytest.fixture
def watched(tmp_path, seed_index_copy):
    """A watcher on a copy of the seed days and index, past its start-up catch-up run."""
    data = tmp_path / "data"
    shutil.copytree(SEEDS, data)
    index = seed_index_copy()
    watcher = WatchProcess(data, index)
    try:
        first = watcher.wait_for_reports(1)[0]
        assert first["what"] == "the data folder (catching up)"
        yield data, seed_settings_for(index, data), watcher
        assert "Traceback" not in "\n".join(watcher.lines)
    finally:
        watcher.stop()
    assert watcher.proc.returncode == 0, "\n".join(watcher.lines)
    assert any("stopped watching" in line for line in watcher.lines)


def committed(settings) -> Manifest:
    return read_committed(settings)[0]


def on_day(manifest: Manifest, day: date) -> list[str]:
    return sorted(eid for eid in manifest.entries if eid.startswith(day.isoformat() + "/"))


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)
    return result


@pytest.mark.slow
def test_a_new_day_is_answered_from_another_process_within_10_seconds(watched):
    data, settings, watcher = watched
    dropped = time.monotonic()
    (data / "new-day.txt").write_text(day_text(HERON_DAY, HERON), encoding="utf-8")
    wait_until(lambda: on_day(committed(settings), HERON_DAY), 10, "the new day in the committed index")
    proc = run_rag("ask", HERON_QUESTION, "--json", env=clean_env(RAG_INDEX_DIR=str(settings.index_dir)))
    answered = time.monotonic() - dropped
    assert proc.returncode == 0, proc.stderr
    cited = [c["title"] for c in json.loads(proc.stdout)["citations"]]
    assert cited and cited[0].startswith("Heronlattice"), proc.stdout
    assert answered < 10, f"answered {answered:.1f} s after the file was dropped"
    report = watcher.reports()[-1]
    assert (report["what"], report["added"], report["skipped"]) == ("new-day.txt", "1", "0")


@pytest.mark.slow
def test_thirty_days_copied_at_once_are_one_reindex(watched, tmp_path):
    data, settings, watcher = watched
    staging = tmp_path / "staging"
    staging.mkdir()
    for name, text in invented_days(30).items():
        (staging / name).write_text(text, encoding="utf-8")
    version = committed(settings).version
    for path in sorted(staging.iterdir()):
        shutil.copy(path, data / path.name)
    report = watcher.wait_for_reports(2)[1]
    assert (report["added"], report["changed"], report["removed"]) == ("30", "0", "0")
    time.sleep(3 * SETTLE_S)  # nothing left over for a second run
    assert len(watcher.reports()) == 2, "\n".join(watcher.lines)
    assert committed(settings).version == version + 1


@pytest.mark.slow
def test_a_day_written_slowly_is_indexed_only_once_complete(watched):
    data, settings, watcher = watched
    seen: list[int] = []
    writing = threading.Event()

    def poll() -> None:  # a reader in another process than the watcher, polling the commits
        while writing.is_set():
            seen.append(len(on_day(committed(settings), SLOW_DAY)))
            time.sleep(0.01)

    writing.set()
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        with open(data / "slow.txt", "w", encoding="utf-8") as fh:
            fh.write(day_text(SLOW_DAY, SLOW_PARTS[0]))
            for part in SLOW_PARTS[1:]:
                fh.flush()
                time.sleep(SETTLE_S / 3)  # each pause is shorter than the settle time
                fh.write(part + "\n")
        watcher.wait_for_reports(2)
        time.sleep(3 * SETTLE_S)
    finally:
        writing.clear()
        poller.join()
    assert set(seen) <= {0, len(SLOW_PARTS)}, f"partial days were committed: {sorted(set(seen))}"
    assert seen[-1] == len(SLOW_PARTS)
    assert [r["added"] for r in watcher.reports()[1:]] == [str(len(SLOW_PARTS))]


@pytest.mark.slow
def test_a_malformed_file_is_reported_by_name_while_the_good_one_beside_it_is_indexed(watched):
    data, settings, watcher = watched
    (data / "good.txt").write_text(day_text(HERON_DAY, HERON), encoding="utf-8")
    (data / "broken.txt").write_text("the fifth of March\n" + HERON + "\n", encoding="utf-8")
    report = watcher.wait_for_reports(2)[1]
    assert (report["added"], report["skipped"]) == ("1", "1")
    assert on_day(committed(settings), HERON_DAY)
    skipped = [line for line in watcher.lines if "skipped: " in line]
    assert len(skipped) == 1 and f"{data / 'broken.txt'}:1:" in skipped[0], watcher.lines


@pytest.mark.slow
def test_a_deleted_day_loses_its_entries(watched):
    data, settings, watcher = watched
    day = date(2025, 4, 24)
    assert len(on_day(committed(settings), day)) == 5
    (data / SEED_DAY_0424).unlink()
    report = watcher.wait_for_reports(2)[1]
    assert (report["added"], report["removed"]) == ("0", "5")
    assert on_day(committed(settings), day) == []
    proc = run_rag("brief", "--day", day.isoformat(), env=clean_env(RAG_INDEX_DIR=str(settings.index_dir)))
    assert proc.returncode == 1 and "2025-04-24" in proc.stderr


@pytest.mark.slow
def test_a_folder_of_days_moved_in_and_out_is_indexed_then_removed(watched, tmp_path):
    # A moved folder is one event for the folder: the files inside it have none of their own.
    data, settings, watcher = watched
    folder = tmp_path / "2031-01"
    folder.mkdir()
    for name, text in invented_days(3).items():
        (folder / name).write_text(text, encoding="utf-8")
    os.rename(folder, data / "2031-01")
    assert watcher.wait_for_reports(2)[1]["added"] == "3"
    os.rename(data / "2031-01", tmp_path / "away")
    assert watcher.wait_for_reports(3)[2]["removed"] == "3"


@pytest.mark.slow
def test_while_another_reindex_holds_the_lock_the_watcher_waits_then_runs(watched):
    data, settings, watcher = watched
    with reindex_lock(settings.index_dir):  # what `rag reindex` or the app's button holds
        (data / "new-day.txt").write_text(day_text(HERON_DAY, HERON), encoding="utf-8")
        wait_until(lambda: any("waiting for another reindex" in line for line in watcher.lines), 10,
                   "the watcher noticing the lock")
        time.sleep(1.5)
        assert len(watcher.reports()) == 1 and not on_day(committed(settings), HERON_DAY)
    report = watcher.wait_for_reports(2, timeout=10)[1]
    assert report["added"] == "1" and on_day(committed(settings), HERON_DAY)


# --- the settling rule, with our own clock over real files ------------------------------------


def test_a_changed_file_is_ready_once_unchanged_for_the_settle_time(tmp_path):
    path = tmp_path / "day.txt"
    path.write_text("part one\n", encoding="utf-8")
    batch = Batch(settle_s=1.0, max_wait_s=10)
    batch.add(path, now=0.0)
    assert batch.ready(0.5) is None
    assert batch.ready(1.0) == [path]
    with open(path, "a", encoding="utf-8") as fh:  # written again, its event not yet seen
        fh.write("part two\n")
    assert batch.ready(1.1) is None  # it changed between the two reads: settle again from now
    assert batch.ready(2.0) is None
    assert batch.ready(2.1) == [path]
    batch.done([path])
    assert batch.ready(5.0) is None and not batch.paths


def test_a_same_size_rewrite_in_the_same_mtime_tick_is_still_a_change(tmp_path):
    path = tmp_path / "day.txt"
    path.write_text("aaaa\n", encoding="utf-8")
    before = signature(path)
    stat = path.stat()
    path.write_text("bbbb\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert signature(path) != before


def test_a_folder_that_never_goes_quiet_is_reindexed_after_the_cap(tmp_path):
    batch = Batch(settle_s=1.0, max_wait_s=5.0)
    files = []
    for k in range(40):  # a new complete file every half second, for 20 s
        now = k * 0.5
        path = tmp_path / f"{k}.txt"
        path.write_text(f"day {k}\n", encoding="utf-8")
        files.append(path)
        batch.add(path, now)
        ready = batch.ready(now + 0.25)
        if ready is not None:
            break
    # The batch closed at 5 s: the files that came before then, once each had settled.
    assert ready == files[:11] and now == 6.0
    batch.done(ready)
    assert list(batch.paths) == files[11:]


def test_only_day_files_and_folders_count_as_changes(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "kept.txt").write_text("x", encoding="utf-8")
    watcher = Watcher(load_settings(data_dir=data, index_dir=tmp_path / "index"), warm_up=False)
    watcher._known = {data / "sub" / "kept.txt"}
    added, deleted = watchfiles.Change.added, watchfiles.Change.deleted
    counts = {name: watcher._counts(added, data / name) for name in (
        "day.txt", ".hidden.txt", ".day.txt.swp", "day.txt~", ".day.txt.Ab12Cd", "notes.md", "sub")}
    assert counts == {"day.txt": True, ".hidden.txt": True, ".day.txt.swp": False, "day.txt~": False,
                      ".day.txt.Ab12Cd": False, "notes.md": False, "sub": True}
    assert watcher._counts(deleted, data / "sub") is True  # it held a day file
    assert watcher._counts(deleted, data / "other") is False
    assert watcher._counts(added, tmp_path / "index" / "x.txt") is False


# --- the watcher's thread in this process ----------------------------------------------------


def test_watcher_thread_reports_goes_on_after_a_failing_callback_and_stops(tmp_path, seed_index_copy):
    data = tmp_path / "data"
    shutil.copytree(SEEDS, data)
    settings = seed_settings_for(seed_index_copy(), data)
    reports = []

    def on_report(report) -> None:
        reports.append(report)
        raise RuntimeError("the app's callback broke")

    watcher = Watcher(settings, on_report=on_report, settle_s=0.3, warm_up=False).start()
    try:
        wait_until(lambda: len(reports) == 1, 30, "the catch-up run")
        assert watcher.ready.is_set() and reports[0].unchanged == 33
        (data / "new.txt").write_text(day_text(HERON_DAY, HERON), encoding="utf-8")
        (data / "broken.txt").write_text("no date here\n", encoding="utf-8")
        wait_until(lambda: len(reports) == 2, 30, "the run for the new day")
        assert (reports[1].added, reports[1].skipped) == (1, 1)
        assert reports[1].errors[0].startswith(f"{data / 'broken.txt'}:1:")
        assert watcher.batch.paths == {}
    finally:
        watcher.stop(timeout=30)
    assert not watcher._thread.is_alive()
    assert len(reports) == 2


def test_backoff_doubles_after_each_failure_up_to_its_cap_and_starts_over_after_a_success():
    backoff = Backoff(first_s=5, cap_s=30)
    assert [backoff.failed() for _ in range(5)] == [5, 10, 20, 30, 30]
    backoff.succeeded()
    assert backoff.failed() == 5


def test_a_failing_reindex_is_retried_with_growing_waits_then_runs_once_fixed(tmp_path, seed_index_copy, caplog):
    data = tmp_path / "data"
    shutil.copytree(SEEDS, data)
    settings = seed_settings_for(seed_index_copy(), data)
    [name] = read_committed(settings)[0].segments
    store = Path(settings.index_dir) / "segments" / name / "vectors.npy"
    intact = store.read_bytes()
    store.write_bytes(b"")  # every reindex now refuses to commit
    reports = []
    caplog.set_level("ERROR", logger="rag.app.watch")
    watcher = Watcher(settings, on_report=reports.append, settle_s=0.1, warm_up=False, retry_s=0.2,
                      retry_cap_s=0.8).start()
    try:
        (data / "new.txt").write_text(day_text(HERON_DAY, HERON), encoding="utf-8")
        wait_until(lambda: watcher.backoff.failures >= 5, 60, "five failed reindexes")
        waits = [re.search(r"retrying in ([0-9.]+) s", r.getMessage()).group(1) for r in caplog.records]
        assert waits[:5] == ["0.2", "0.4", "0.8", "0.8", "0.8"]
        assert all("rag doctor --repair" in r.getMessage() for r in caplog.records)
        assert reports == []
        store.write_bytes(intact)
        wait_until(lambda: reports, 30, "the reindex once the store is sound")
        assert reports[0].added == 1 and watcher.backoff.failures == 0
    finally:
        watcher.stop(timeout=30)


# --- the command -----------------------------------------------------------------------------


def test_watch_of_a_missing_data_folder_is_one_clear_sentence(tmp_path):
    result = CliRunner().invoke(main, ["watch", "--data", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: data directory {tmp_path / 'nope'} does not exist"


def test_watch_settle_time_must_be_positive(tmp_path, monkeypatch):
    result = CliRunner().invoke(main, ["watch", "--data", str(SEEDS), "--settle", "0"])
    assert result.exit_code == 2 and "--settle" in result.stderr
    monkeypatch.setenv("RAG_WATCH_SETTLE_S", "soon")
    with pytest.raises(ValueError, match="RAG_WATCH_SETTLE_S"):
        load_settings()
    monkeypatch.setenv("RAG_WATCH_SETTLE_S", "2.5")
    assert load_settings().watch_settle_s == 2.5
    assert load_settings(watch_settle_s=0.5).watch_settle_s == 0.5  # the flag beats the environment
