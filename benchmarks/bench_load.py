"""Load test: N simulated users asking the running app at once, for a fixed time.

Starts `python app.py` over a copy of the seeds (offline: no LLM key) on a free port, then
runs `--users` threads for `--seconds`, each asking QUESTIONS in turn: with `--api client`
each user is one gradio_client.Client (one session), with `--api raw` (the default) each call
is a bare `POST /gradio_api/call/ask` as curl would send it, so every call is a new session:
the case that grew memory by the call before the app bounded its sessions. Prints requests
served, errors, latency percentiles and the app's resident memory (VmRSS), with the growth
after `--warmup` seconds of load: flat after warm-up means per-session state is bounded.

    uv run python benchmarks/bench_load.py --seconds 600 --warmup 120

Latency here is end to end through Gradio's queue (which runs 4 events at a time), so with
20 users it is mostly queueing: compare runs on the same machine, under the same load.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import httpx
from gradio_client import Client
from gradio_client.exceptions import AppError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # servers.py: ports and process teardown the tests use too

from servers import free_port, stop_process  # noqa: E402

SEEDS = REPO / "seeds"
STARTUP_TIMEOUT_S = 300
# Variables that would point the app at another index, a chat model or a Chroma server.
ISOLATED_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "RAG_CHROMA_URL", "RAG_INDEX_DIR", "RAG_DATA_DIR",
    "RAG_LLM_MODEL", "RAG_EMBEDDER", "RAG_HOST", "RAG_PORT",
)

# About the seed entries, in both languages, so both tokenizers and answer templates run.
QUESTIONS = [
    "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?",
    "이미지 토큰을 채널 차원으로 접어 시퀀스 길이를 줄이는 논문은?",
    "What did the digest author think about model-based verifiers for RL?",
    "인터넷 포럼 데이터로 보상 모델을 학습한 논문은?",
    "How does the optimal weight decay scale with batch size?",
    "트랜스포머가 깊은 레이어를 제대로 활용하지 못한다고 분석한 논문은?",
    "Which paper studies scaling laws for quantization-aware training?",
    "2025년 5월 20일에 올라온 #rl 논문을 모두 알려줘.",
    "What are the trade-offs of sparse attention for long sequences?",
    "추론 과정을 작은 모델과 큰 모델로 나누어 처리하는 논문은?",
]


@dataclass
class Results:
    """What the users saw, shared by their threads (list.append is atomic, so no lock)."""

    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    uncited: list[str] = field(default_factory=list)


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def start_app(workdir: Path, **extra_env: str) -> tuple[subprocess.Popen, str, Path]:
    """`python app.py` over a copy of the seeds, as the UI tests start it; (process, url, log)."""
    data_dir = workdir / "data"
    data_dir.mkdir()
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, data_dir)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(RAG_DATA_DIR=str(data_dir), RAG_INDEX_DIR=str(workdir / "index"),
               RAG_PORT=str(port), RAG_HOST="127.0.0.1", PYTHONUNBUFFERED="1", **extra_env)
    log = workdir / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, f"http://127.0.0.1:{port}/", log
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"app.py did not listen within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


def user(n: int, url: str, start: threading.Barrier, stop_at: list[float], results: Results) -> None:
    """One simulated user: its own client, asking the questions in turn until time is up."""
    try:
        client = Client(url, verbose=False)
    except Exception as err:  # noqa: BLE001 - a user who cannot connect is a result, not a crash
        results.errors.append(f"connect: {type(err).__name__}: {err}")
        start.wait()
        return
    start.wait()
    i = n
    while time.monotonic() < stop_at[0]:
        question = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        t0 = time.perf_counter()
        try:
            reply = client.predict(question, api_name="/ask")
        except Exception as err:  # noqa: BLE001 - count every failure the user would see
            results.errors.append(f"{type(err).__name__}: {err}")
            time.sleep(0.1)  # a dead server fails fast: do not spin
            continue
        results.latencies_s.append(time.perf_counter() - t0)
        if not (isinstance(reply, dict) and reply.get("citations")):
            results.uncited.append(question)


def raw_user(n: int, url: str, start: threading.Barrier, stop_at: list[float], results: Results) -> None:
    """One simulated API client without a session: each question a bare call, a session of its own."""
    start.wait()
    i = n
    with httpx.Client(base_url=url, timeout=300) as http:
        while time.monotonic() < stop_at[0]:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            t0 = time.perf_counter()
            try:
                event = http.post("gradio_api/call/ask", json={"data": [question]}).json()["event_id"]
                stream = http.get(f"gradio_api/call/ask/{event}").text
            except (httpx.HTTPError, KeyError, ValueError) as err:
                results.errors.append(f"{type(err).__name__}: {err}")
                time.sleep(0.1)
                continue
            if "event: complete" not in stream:
                results.errors.append(stream[:200])
                continue
            results.latencies_s.append(time.perf_counter() - t0)
            if '"citations": [{' not in stream:
                results.uncited.append(question)


def first_answer(url: str) -> None:
    """Ask once before the users start. The app serves at once and builds its first index in
    the background, so this waits for that; the first answer also loads what the app loads
    lazily, a one-off cost that is not growth under load."""
    client = Client(url, verbose=False)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            client.predict(QUESTIONS[0], api_name="/ask")
            return
        except AppError:  # "the index is still being built"
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def percentile(values: list[float], p: int) -> float | None:
    """The p-th percentile (inclusive method), or None without enough data."""
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@click.command()
@click.option("--seconds", default=120, show_default=True, help="How long the users keep asking.")
@click.option("--users", default=20, show_default=True, help="Concurrent simulated users.")
@click.option("--api", type=click.Choice(["raw", "client"]), default="raw", show_default=True,
              help="raw: every call a new session (curl); client: one gradio_client session per user.")
@click.option("--warmup", default=60, show_default=True, help="Seconds of load before growth is measured.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def main(seconds: int, users: int, api: str, warmup: int, as_json: bool) -> None:
    """Run the load test and print requests served, errors, latency and memory growth."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        proc, url, log = start_app(Path(tmp))
        try:
            rss_start = rss_kib(proc.pid)
            first_answer(url)
            rss_warm = rss_kib(proc.pid)
            results, samples = Results(), [rss_warm]
            start = threading.Barrier(users + 1)
            stop_at = [float("inf")]
            target = raw_user if api == "raw" else user
            threads = [threading.Thread(target=target, args=(n, url, start, stop_at, results), daemon=True)
                       for n in range(users)]
            for t in threads:
                t.start()
            start.wait()
            began = time.monotonic()
            stop_at[0] = began + seconds
            while time.monotonic() < stop_at[0]:
                time.sleep(1)
                samples.append(rss_kib(proc.pid))
            for t in threads:
                t.join(timeout=300)  # requests in flight at the deadline still finish
            elapsed = time.monotonic() - began
            if proc.poll() is not None:
                raise RuntimeError(f"app.py died under load ({proc.returncode}):\n{log.read_text()[-4000:]}")
            rss_end = rss_kib(proc.pid)
        finally:
            stop_process(proc, 15)

    lat = results.latencies_s
    report = {
        "users": users, "api": api, "seconds": seconds, "warmup_s": warmup, "elapsed_s": round(elapsed, 1), "cpus": os.cpu_count(),
        "served": len(lat), "errors": len(results.errors), "uncited": len(results.uncited),
        "throughput_rps": round(len(lat) / elapsed, 2),
        "latency_s": {k: (round(v, 2) if v is not None else None) for k, v in {
            "p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": max(lat, default=None)}.items()},
        "rss_mib": {"start": round(rss_start / 1024, 1), "after_first_answer": round(rss_warm / 1024, 1),
                    "peak": round(max(samples) / 1024, 1), "end": round(rss_end / 1024, 1)},
        "rss_growth_pct": {"from_start": round(100 * (rss_end - rss_start) / rss_start, 1),
                           "from_first_answer": round(100 * (rss_end - rss_warm) / rss_warm, 1),
                           "after_warmup": round(100 * (rss_end - samples[min(warmup, len(samples) - 1)])
                                                 / samples[min(warmup, len(samples) - 1)], 1)},
        # Every 10 s: a plateau is warm-up (caches, allocator arenas), a steady climb a leak.
        "rss_every_10s_mib": [round(kib / 1024, 1) for kib in samples[::10]],
        "first_errors": sorted(set(results.errors))[:5],
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    lat_s = report["latency_s"]
    rss, growth = report["rss_mib"], report["rss_growth_pct"]
    click.echo(f"{users} {api} users for {seconds} s ({elapsed:.0f} s with the last replies) on {os.cpu_count()} CPUs")
    click.echo(f"served {report['served']} requests ({report['throughput_rps']}/s), "
               f"{report['errors']} errors, {report['uncited']} answers without a citation")
    click.echo(f"latency p50 {lat_s['p50']} s, p95 {lat_s['p95']} s, max {lat_s['max']} s")
    click.echo(f"RSS {rss['start']} MiB at start, {rss['after_first_answer']} MiB after the first answer, "
               f"{rss['peak']} MiB peak, {rss['end']} MiB at the end")
    click.echo(f"RSS growth {growth['from_start']}% from start, {growth['from_first_answer']}% from the first answer, "
               f"{growth['after_warmup']}% after {warmup} s of warm-up")
    click.echo(f"RSS every 10 s (MiB): {' '.join(str(m) for m in report['rss_every_10s_mib'])}")
    for err in report["first_errors"]:
        click.echo(f"error: {err}")


if __name__ == "__main__":
    main()
