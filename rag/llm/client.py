"""A minimal Chat Completions client: JSON or SSE streaming, one deadline per call.

Plain `httpx` rather than the `openai` package: httpx is already installed with gradio,
imports quickly, and lets each call have one overall deadline (checked between network
reads, with the read timeout as the bound on a silent server) and no hidden retries.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import RagError, first_line
from .settings import LLMSettings

if TYPE_CHECKING:
    import httpx

Messages = list[dict[str, str]]
_MAX_BODY = 2_000_000  # bytes of a response we are willing to read
_MAX_DETAIL = 160  # characters of a server's error message quoted to the user
_HINTS = {
    401: " (check RAG_LLM_API_KEY)",
    403: " (check RAG_LLM_API_KEY)",
    404: " (check that RAG_LLM_BASE_URL ends with /v1 and RAG_LLM_MODEL names a model it serves)",
}


class LLMError(RagError):
    """The LLM gave no usable answer; the message says why in one line."""


class ChatClient:
    """Calls `POST {base_url}/chat/completions`. Thread-safe; connections are reused."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self._url = settings.base_url.rstrip("/") + "/chat/completions"
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def complete(self, messages: Messages, max_tokens: int) -> str:
        """The whole reply to `messages`, asked for without streaming."""
        deadline = time.monotonic() + self.settings.timeout
        with self._post(messages, max_tokens, False, deadline) as response:
            body = b"".join(_chunks(response, deadline, self.settings.timeout))
        return _required(_content(_json(body), "message"))

    def stream(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        """The reply to `messages` in pieces as the server sends them (SSE)."""
        deadline = time.monotonic() + self.settings.timeout
        sent = False
        with self._post(messages, max_tokens, True, deadline) as response:
            if "json" in response.headers.get("content-type", ""):  # a server that ignored stream
                body = b"".join(_chunks(response, deadline, self.settings.timeout))
                yield _required(_content(_json(body), "message"))
                return
            for data in _sse_events(_chunks(response, deadline, self.settings.timeout)):
                if data == "[DONE]":
                    break
                piece = _content(_json(data.encode()), "delta")
                if piece:
                    sent = True
                    yield piece
        if not sent:
            raise LLMError("the LLM returned an empty answer")

    @contextmanager
    def _post(
        self, messages: Messages, max_tokens: int, stream: bool, deadline: float
    ) -> Iterator[httpx.Response]:
        import httpx

        body = {
            "model": self.settings.model,
            "messages": messages,
            "stream": stream,
            "max_tokens": max_tokens,
            "temperature": self.settings.temperature,
        }
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        try:
            with self._client().stream("POST", self._url, json=body, headers=headers) as response:
                if response.status_code >= 400:
                    raise LLMError(_status_message(response, deadline, self.settings.timeout))
                yield response
        except httpx.TimeoutException:
            raise LLMError(_late(self.settings.timeout)) from None
        except httpx.ConnectError:
            raise LLMError(f"cannot reach the LLM server at {self.settings.base_url}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise LLMError(
                f"the connection to the LLM server failed: {first_line(error)}"
            ) from None

    def _client(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._http is None:
                limit = self.settings.timeout
                self._http = httpx.Client(timeout=httpx.Timeout(limit, connect=min(limit, 10.0)))
            return self._http


def _chunks(response: httpx.Response, deadline: float, timeout: float) -> Iterator[bytes]:
    """The body as it arrives, stopping at the deadline or at an absurd size."""
    size = 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise LLMError(_late(timeout))
        size += len(chunk)
        if size > _MAX_BODY:
            raise LLMError("the LLM server sent a malformed response (far too long)")
        yield chunk


def _sse_events(chunks: Iterator[bytes]) -> Iterator[str]:
    """The `data` of each server-sent event."""
    data: list[str] = []
    for line in _lines(chunks):
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line.startswith((":", "event:", "id:", "retry:")):
            raise LLMError("the LLM server sent a malformed response (not server-sent events)")


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """The lines of a body as they complete, then an empty line to end the last event."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        yield from (line.rstrip(b"\r").decode("utf-8", "replace") for line in lines)
    yield from (buffer.rstrip(b"\r").decode("utf-8", "replace"), "")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise LLMError("the LLM server sent a malformed response (not JSON)") from None


def _content(payload: Any, key: str) -> str:
    """The text of the first choice of a completion (`message`) or of a chunk (`delta`)."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), (dict, str)):
        raise LLMError(f"the LLM server reported an error: {_error_detail(payload)}")
    try:
        choices = payload["choices"]
        if not choices and key == "delta":  # e.g. a final chunk carrying only usage
            return ""
        content = choices[0][key].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise LLMError("the LLM server sent a malformed response (no choices)") from None
    if not isinstance(content, str):
        raise LLMError("the LLM server sent a malformed response (content is not text)")
    return content


def _required(text: str) -> str:
    if not text.strip():
        raise LLMError("the LLM returned an empty answer")
    return text


def _status_message(response: httpx.Response, deadline: float, timeout: float) -> str:
    try:
        body = b"".join(_chunks(response, deadline, timeout))
        detail = _error_detail(json.loads(body)) if body else ""
    except (ValueError, LLMError):
        detail = ""
    code = response.status_code
    detail = f": {detail}" if detail else ""
    return f"the LLM server answered HTTP {code}{detail}{_HINTS.get(code, '')}"


def _error_detail(payload: Any) -> str:
    error = payload.get("error") if isinstance(payload, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return " ".join(str(message).split())[:_MAX_DETAIL] if message else ""


def _late(timeout: float) -> str:
    return f"the LLM server did not answer within {timeout:g} s (see RAG_LLM_TIMEOUT)"
