"""The clients of the concurrency benchmark: closed loops of questions, each client with its
own session, through Gradio's HTTP API (as the chat page asks) or through gradio_client."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


@dataclass
class Load:
    """`clients` asking `questions` in turn at `url`, back to back, for `seconds`, through
    the HTTP API with one session each; `run` gives the latencies."""

    url: str
    clients: int
    seconds: float
    questions: list[str]

    def run(self, started: Callable[[], None]) -> list[float]:
        """Warm up (a question per session), call `started`, then ask for `seconds`."""
        return asyncio.run(self._run(started))

    async def _run(self, started: Callable[[], None]) -> list[float]:
        latencies: list[float] = []
        limits = httpx.Limits(max_connections=2 * self.clients + 2)
        async with httpx.AsyncClient(base_url=self.url, timeout=120, limits=limits) as http:
            sessions = [f"client-{i}" for i in range(self.clients)]
            await asyncio.gather(*(_ask(http, self.questions[0], s) for s in sessions))
            started()
            stop = time.monotonic() + self.seconds

            async def client(number: int) -> None:
                turn = number
                while time.monotonic() < stop:
                    began = time.monotonic()
                    question = self.questions[turn % len(self.questions)]
                    await _ask(http, question, sessions[number])
                    latencies.append(time.monotonic() - began)
                    turn += 1

            await asyncio.gather(*(client(i) for i in range(self.clients)))
        return latencies


class GradioClientLoad(Load):
    """The same through gradio_client, one `Client` (its own session) per thread."""

    def run(self, started: Callable[[], None]) -> list[float]:
        from gradio_client import Client

        latencies: list[float] = []
        clients = [Client(self.url, verbose=False) for _ in range(self.clients)]
        for client in clients:
            client.predict(self.questions[0], api_name="/chat")
        started()
        stop = time.monotonic() + self.seconds

        def ask(number: int) -> None:
            turn = number
            while time.monotonic() < stop:
                began = time.monotonic()
                question = self.questions[turn % len(self.questions)]
                clients[number].predict(question, api_name="/chat")
                latencies.append(time.monotonic() - began)
                turn += 1

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return latencies


LOADS = {"http": Load, "gradio_client": GradioClientLoad}


async def _ask(http: httpx.AsyncClient, question: str, session: str) -> str:
    """One question through the queue, as a chat tab would ask it: join, then read the
    event's stream until it completes."""
    joined = await http.post(
        "/gradio_api/call/chat", json={"data": [question], "session_hash": session}
    )
    joined.raise_for_status()
    event = ""
    async with http.stream("GET", f"/gradio_api/call/chat/{joined.json()['event_id']}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"{question!r}: {line}")
                return json.loads(line[5:])[0]
    raise RuntimeError(f"{question!r}: the stream ended without an answer")
