"""Logins beside everyone else: how long a cheap page request takes while N clients log in.

Starts the app with a shared token (`RAG_APP_TOKEN`), then for `--seconds` one prober fetches
`/config` (a logged-in request the event loop serves itself) as fast as it can, first alone,
then while `--loops` clients log in over and over with the right token (successful logins are
never rate-limited, so each one costs a full password hash). Prints the prober's p50/p95/max in
both phases: with the hash off the event loop, logging in barely moves the others' latency.

    uv run python benchmarks/bench_login.py --seconds 20 --loops 16
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import click
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import start_app  # noqa: E402
from servers import stop_process  # noqa: E402

TOKEN = "bench-login-token-3f1c"


def probe(url: str, cookies: httpx.Cookies, seconds: float) -> list[float]:
    """Latencies (ms) of /config requests for `seconds`."""
    times, stop = [], time.monotonic() + seconds
    with httpx.Client(cookies=cookies, timeout=60) as http:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            http.get(url + "config").raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
    return times


def login_loop(url: str, n: int, stop: threading.Event, count: list[int]) -> None:
    """Log in as user n with the right token until told to stop."""
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            http.post(url + "login", data={"username": f"loop{n}", "password": TOKEN}).raise_for_status()
            count.append(1)


def summary(times: list[float]) -> str:
    q = statistics.quantiles(times, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, max {max(times):.1f} ms over {len(times)} requests"


@click.command()
@click.option("--seconds", default=20, show_default=True, help="Length of each phase.")
@click.option("--loops", default=16, show_default=True, help="Clients logging in at once in the second phase.")
def main(seconds: int, loops: int) -> None:
    """Print a page request's latency alone and beside `loops` clients logging in."""
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp:
        proc, url, _ = start_app(Path(tmp), RAG_APP_TOKEN=TOKEN)
        try:
            cookies = httpx.post(url + "login", data={"username": "prober", "password": TOKEN}, timeout=60).cookies
            alone = probe(url, cookies, seconds)
            stop, count = threading.Event(), []
            threads = [threading.Thread(target=login_loop, args=(url, n, stop, count), daemon=True)
                       for n in range(loops)]
            for t in threads:
                t.start()
            beside = probe(url, cookies, seconds)
            stop.set()
            for t in threads:
                t.join(timeout=60)
        finally:
            stop_process(proc, 15)
    click.echo(f"alone: {summary(alone)}")
    click.echo(f"beside {loops} login loops ({len(count)} logins, {len(count) / seconds:.1f}/s): {summary(beside)}")


if __name__ == "__main__":
    main()
