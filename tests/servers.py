"""Real servers started by the tests and the benchmarks: free loopback ports, stopping a
server process, and a `chroma run` (shared by the server-mode tests and the scale benchmark)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMA = Path(sys.executable).with_name("chroma")  # chromadb's CLI, installed beside the interpreter


class ServerStartError(RuntimeError):
    """`chroma run` is missing, exited, or did not answer its heartbeat."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (on loopback unless told another address)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout_s: float) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it is still there after timeout_s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ChromaServer:
    """A `chroma run` process over one store directory, restartable on the same port and data."""

    def __init__(self, path: Path) -> None:
        self.path, self.port, self.proc = Path(path), free_port(), None
        self.log = self.path.with_name(f"{self.path.name}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout_s: float = 60) -> None:
        """Start the server and return once it answers its heartbeat."""
        if not CHROMA.exists():
            raise ServerStartError(f"{CHROMA} missing: chromadb should install the `chroma` command")
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:  # a file, not a pipe: an unread pipe fills up and blocks the server
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT,
            )
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(f"chroma run exited with status {self.proc.returncode}; the end of "
                                       f"{self.log}:\n{self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.2)
        self.stop()
        raise ServerStartError(f"chroma run did not answer {self.url}/api/v2/heartbeat within {timeout_s:.0f} s "
                               f"(log: {self.log})")

    def stop(self) -> None:
        """Stop the server if it runs: politely, then for good after 30 s."""
        if self.proc is not None:
            stop_process(self.proc, 30)
