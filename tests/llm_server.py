"""A real OpenAI-compatible chat-completions endpoint on a loopback port, scripted by tests.

It speaks just enough of the API for `langchain-openai`: `POST /v1/chat/completions`,
streamed as server-sent events when the request asks for `stream: true`. Every request is
recorded (path, headers, JSON body) so tests can check what the app sent. Replies are
scripted per test; a request with no scripted reply gets HTTP 500, so an unexpected call
shows up as a failure instead of passing silently.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHAT_PATH = "/v1/chat/completions"


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) closes the socket mid-reply: not an error here."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Reply:
    """One scripted response: streamed text pieces, or a raw HTTP status and body."""

    pieces: tuple[str, ...] = ()
    status: int = 200
    body: bytes | None = None  # raw body instead of a well-formed stream
    content_type: str = "text/event-stream"
    delay_s: float = 0.0  # wait this long before answering (a slow endpoint)

    @classmethod
    def stream(cls, text: str, piece_chars: int = 7, delay_s: float = 0.0) -> "Reply":
        """A well-formed streamed completion of `text`, cut into small deltas."""
        return cls(pieces=tuple(text[i : i + piece_chars] for i in range(0, len(text), piece_chars)), delay_s=delay_s)

    @classmethod
    def raw(cls, body: str, status: int = 200, content_type: str = "text/event-stream") -> "Reply":
        """Whatever bytes the test wants, e.g. a body that is not JSON."""
        return cls(status=status, body=body.encode(), content_type=content_type)

    @classmethod
    def error(cls, status: int, message: str) -> "Reply":
        """An OpenAI-style JSON error, e.g. HTTP 500 or 401."""
        payload = {"error": {"message": message, "type": "server_error", "code": None}}
        return cls(status=status, body=json.dumps(payload).encode(), content_type="application/json")


@dataclass
class Recorded:
    """A request the server received."""

    path: str
    headers: dict[str, str]  # names lowercased
    body: dict

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    def message(self, role: str) -> str:
        """The text of the first message with this role ('' when there is none)."""
        for m in self.messages:
            if m.get("role") == role:
                content = m.get("content")
                if isinstance(content, list):  # content parts
                    return "".join(p.get("text", "") for p in content if isinstance(p, dict))
                return content or ""
        return ""


def _chunk(model: str, delta: dict, finish: str | None) -> bytes:
    payload = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


@dataclass
class FakeChatServer:
    """The server, its recorded requests and its queue of scripted replies."""

    requests: list[Recorded] = field(default_factory=list)
    replies: deque = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeChatServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def script(self, *replies: Reply) -> None:
        """Replace the queue of replies with these, answered in order."""
        with self._lock:
            self.replies.clear()
            self.replies.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.replies.clear()

    def _next(self, recorded: Recorded) -> Reply | None:
        with self._lock:
            self.requests.append(recorded)
            return self.replies.popleft() if self.replies else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0: the connection closes after each response, which ends the stream.
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = server._next(Recorded(self.path, headers, body))
                if self.path != CHAT_PATH:
                    self._send(404, b'{"error": {"message": "not found"}}', "application/json")
                    return
                if reply is None:
                    self._send(500, b'{"error": {"message": "no scripted reply"}}', "application/json")
                    return
                time.sleep(reply.delay_s)
                if reply.body is not None:
                    self._send(reply.status, reply.body, reply.content_type)
                    return
                model = body.get("model", "fake-model")
                if not body.get("stream"):
                    payload = {
                        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": "".join(reply.pieces)}}],
                    }
                    self._send(200, json.dumps(payload).encode(), "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.write(_chunk(model, {"role": "assistant", "content": ""}, None))
                for piece in reply.pieces:
                    self.wfile.write(_chunk(model, {"content": piece}, None))
                    self.wfile.flush()
                self.wfile.write(_chunk(model, {}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
