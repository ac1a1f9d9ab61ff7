"""A stand-in for an OpenAI-compatible chat server, for tests: real HTTP on 127.0.0.1 speaking
the Chat Completions wire format (a JSON completion, or SSE chunks when `stream` is true),
with each reply scripted by the test.

    with FakeLLM() as llm:
        url = llm.url(lambda request: Reply(f"Bosnia [{request.passage('Bosnia')}]."))
        # point RAG_LLM_BASE_URL at url; llm.requests(url) holds what the server received
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_BLOCK = re.compile(r"^\[(\d+)\] .*\n((?:>.*\n?)+)", re.MULTILINE)


@dataclass
class Reply:
    """What the server sends back to one request."""

    text: str = ""  # the completion's content (or the error message when status >= 400)
    status: int = 200
    body: bytes | None = None  # sent as is, instead of a completion (garbage)
    content_type: str = "application/json"  # of `body`
    delay: float = 0.0  # seconds of silence before the response
    pause: float = 0.0  # seconds between streamed pieces
    stall_at: int | None = None  # stop sending, connection open, after this many characters
    gate: threading.Event | None = None  # with stall_at: wait for it (at most 20 s), then go on
    piece: int = 3  # characters per streamed chunk: markers arrive split, as tokens do


@dataclass
class Request:
    """A request the server received."""

    body: dict[str, Any]
    received: float = field(default_factory=time.monotonic)

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.body["messages"] if m["role"] == "system"), "")

    @property
    def user(self) -> str:
        return [m["content"] for m in self.body["messages"] if m["role"] == "user"][-1]

    @property
    def is_rewrite(self) -> bool:
        return "standalone search query" in self.system

    def passages(self) -> dict[int, str]:
        """The quoted passages of an answer prompt, by number, without the "> " prefixes."""
        return {
            int(number): "\n".join(line[2:] for line in quoted.splitlines())
            for number, quoted in _BLOCK.findall(self.user)
        }

    def passage(self, phrase: str) -> int:
        """The number of the first passage quoting `phrase`."""
        return next(n for n, text in self.passages().items() if phrase in text)


Script = Callable[[Request], Reply]


class FakeLLM:
    """The server, running in a thread until `close()`."""

    def __init__(self) -> None:
        self._scripts: dict[str, Script] = {}
        self._requests: dict[str, list[Request]] = {}
        self._ids = itertools.count(1)
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, script: Script | Reply | str) -> str:
        """A base URL (ending in /v1) at which the server answers with `script`."""
        key = f"s{next(self._ids)}"
        self._scripts[key] = script if callable(script) else (lambda _r, s=script: _reply(s))
        self._requests[key] = []
        return f"http://127.0.0.1:{self._server.server_address[1]}/{key}/v1"

    def requests(self, url: str) -> list[Request]:
        """What the server received at `url`, oldest first."""
        return self._requests[url.rstrip("/").split("/")[-2]]

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _reply(script: Reply | str) -> Reply:
    return script if isinstance(script, Reply) else Reply(script)


def _handler(server: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            _, key, *rest = self.path.split("/")
            if rest != ["v1", "chat", "completions"] or key not in server._scripts:
                return self._send(404, b'{"error": {"message": "no such route"}}')
            request = Request(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            server._requests[key].append(request)
            try:
                reply = _reply(server._scripts[key](request))
            except Exception as error:  # a broken script shows up in the test, not as a hang
                reply = Reply(f"test script failed: {error!r}", status=500)
            if server.stopping.wait(reply.delay):
                return None
            if reply.body is not None:
                return self._send(reply.status, reply.body, reply.content_type)
            if reply.status >= 400:
                error = {"error": {"message": reply.text, "type": "server_error"}}
                return self._send(reply.status, json.dumps(error).encode())
            if request.stream:
                return self._stream(reply)
            message = {"role": "assistant", "content": reply.text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return self._send(200, json.dumps(_completion("chat.completion", choice)).encode())

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: fine
                pass

        def _stream(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            cut = len(reply.text) if reply.stall_at is None else reply.stall_at
            pieces = [
                *_split(reply.text[:cut], reply.piece),
                None,
                *_split(reply.text[cut:], reply.piece),
            ]
            try:
                self._event({"role": "assistant", "content": ""}, None)
                for piece in pieces:
                    if piece is None:  # the stall, if any
                        if reply.stall_at is not None:
                            (reply.gate or server.stopping).wait(20)
                    elif server.stopping.wait(reply.pause):
                        return
                    else:
                        self._event({"content": piece}, None)
                self._event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: fine
                return

        def _event(self, delta: dict[str, str], finish: str | None) -> None:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            chunk = json.dumps(_completion("chat.completion.chunk", choice))
            self.wfile.write(f"data: {chunk}\n\n".encode())
            self.wfile.flush()

    return Handler


def _split(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _completion(kind: str, choice: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": kind,
        "created": 0,
        "model": "fake",
        "choices": [choice],
    }
