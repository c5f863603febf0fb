"""What a user waits for from a cold process, on the full corpus index: best of N runs each.

    uv run python benchmarks/bench_startup.py [--runs 3] [--workdir DIR] [--json]

- `rag ask` in a fresh process, an English and a Korean question: wall time and peak RSS;
- the app (`python app.py`) from start to serving its page, then its first answer and RSS;
- `rag reindex` with nothing new, and with one new day, each a fresh process.

The corpus (../shared/corpus) is copied into --workdir without one later day and indexed once
(minutes; kept for later runs). Each one-new-day run works on a fresh copy of that index and
adds the held-back day, so every run does the same work. Numbers are wall-clock seconds on this
machine as it is: compare against a baseline measured in the same run or shortly before.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
HELD_BACK = "2025/2025-12-02.txt"
QUESTIONS = {
    "en": "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
    "ko": "이미지 토큰을 채널 차원으로 접어서 시퀀스를 줄이는 논문은?",
}


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of a command in a fresh process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd[2:5])} failed ({proc.returncode}): {err.read()[-800:].decode()}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def rag(*args: str) -> list[str]:
    return [sys.executable, "-m", "rag", *args]


def prepare(workdir: Path) -> tuple[Path, Path]:
    """The data folder without the held-back day, and its index (built once)."""
    data, index = workdir / "data", workdir / "index"
    if not (index / "manifest.json").exists() and not (index / "manifest.sqlite").exists():
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(CORPUS, data, ignore=shutil.ignore_patterns("README.md"))
        (data / HELD_BACK).unlink()
        print("building the corpus index once (a few minutes)...", file=sys.stderr)
        subprocess.run(rag("reindex", "--data", str(data), "--index", str(index)), cwd=REPO, check=True,
                       env=env_for(data, index))
    return data, index


def env_for(data: Path, index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(RAG_DATA_DIR=str(data), RAG_INDEX_DIR=str(index), **extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def app_run(data: Path, index: Path) -> dict:
    """Start the app, time until its page is served, then its first answer (API), and RSS."""
    port = free_port()
    env = env_for(data, index, RAG_PORT=str(port), PYTHONUNBUFFERED="1")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            if proc.poll() is not None:
                raise RuntimeError("app.py exited before serving")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        serving = time.perf_counter() - started
        rss_serving = rss_mb(proc.pid)
        from gradio_client import Client

        client = Client(url, verbose=False)
        out = {}
        for lang, question in QUESTIONS.items():
            t = time.perf_counter()
            client.predict(question, api_name="/ask")
            out[f"first_{lang}_s"] = time.perf_counter() - t
        return {"serving_s": serving, "rss_serving_mb": rss_serving, **out, "rss_after_mb": rss_mb(proc.pid)}
    finally:
        proc.terminate()
        proc.wait(30)


@click.command()
@click.option("--runs", default=3, show_default=True)
@click.option("--workdir", type=click.Path(path_type=Path), default=REPO / "benchmarks" / "out" / "startup",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
def main(runs: int, workdir: Path, as_json: bool) -> None:
    """Time the cold paths a user runs; print the best of `runs` for each."""
    workdir.mkdir(parents=True, exist_ok=True)
    data, index = prepare(workdir)
    env = env_for(data, index)
    results: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for lang, question in QUESTIONS.items():
            wall, rss, _ = timed(rag("ask", question, "--json"), env)
            results.setdefault(f"ask_{lang}", []).append((wall, rss))
        wall, rss, _ = timed(rag("reindex", "--json"), env)
        results.setdefault("reindex_noop", []).append((wall, rss))
        copy = workdir / "index-copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(index, copy)
        shutil.copy(CORPUS / HELD_BACK, data / Path(HELD_BACK).name)
        try:
            wall, rss, out = timed(rag("reindex", "--json"), env_for(data, copy))
            assert json.loads(out)["added"] > 0, out
            results.setdefault("reindex_one_day", []).append((wall, rss))
        finally:
            (data / Path(HELD_BACK).name).unlink()
            shutil.rmtree(copy, ignore_errors=True)
    apps = [app_run(data, index) for _ in range(runs)]
    best = {name: min(v, key=lambda x: x[0]) for name, v in results.items()}
    report = {name: {"wall_s": round(w, 2), "peak_rss_mb": round(r)} for name, (w, r) in best.items()}
    report["app"] = {key: round(min(a[key] for a in apps), 2) for key in apps[0]}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for name, value in report.items():
        click.echo(f"{name:<18} {value}")


if __name__ == "__main__":
    main()
