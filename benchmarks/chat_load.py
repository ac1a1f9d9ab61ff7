"""The clients of the concurrency benchmark: closed loops of questions, back to back, over
HTTP as the chat page asks (`page`), through the `/chat` API (`chat`), through the direct
`/ask` API that the MCP tools share (`ask`), or through gradio_client (`gradio_client`)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class Load:
    """`clients` asking `questions` in turn at `url`, back to back, for `seconds`; `run` gives
    the latencies and `events` the messages the server sent for each answer. This one asks
    through the `/chat` API: one queued event per question, read from its event stream, one
    session per client."""

    url: str
    clients: int
    seconds: float
    questions: list[str]
    events: list[int] = field(default_factory=list)

    def run(self, started: Callable[[], None]) -> list[float]:
        """Warm up (a question per client), call `started`, then ask for `seconds`."""
        return asyncio.run(self._run(started))

    async def _run(self, started: Callable[[], None]) -> list[float]:
        latencies: list[float] = []
        limits = httpx.Limits(max_connections=2 * self.clients + 2)
        async with httpx.AsyncClient(base_url=self.url, timeout=120, limits=limits) as http:
            await self.prepare(http)
            warm_up = (self.ask(http, self.questions[0], i) for i in range(self.clients))
            await asyncio.gather(*warm_up)
            self.events.clear()
            started()
            stop = time.monotonic() + self.seconds

            async def client(number: int) -> None:
                turn = number
                while time.monotonic() < stop:
                    began = time.monotonic()
                    question = self.questions[turn % len(self.questions)]
                    self.events.append(await self.ask(http, question, number))
                    latencies.append(time.monotonic() - began)
                    turn += 1

            await asyncio.gather(*(client(i) for i in range(self.clients)))
        return latencies

    async def prepare(self, http: httpx.AsyncClient) -> None:
        """Anything to learn from the server before the first question."""

    async def ask(self, http: httpx.AsyncClient, question: str, client: int) -> int:
        """One question, answered; returns the number of messages the server sent for it."""
        joined = await http.post(
            "/gradio_api/call/chat", json={"data": [question], "session_hash": f"client-{client}"}
        )
        joined.raise_for_status()
        url = f"/gradio_api/call/chat/{joined.json()['event_id']}"
        event, count = "", 0
        async with http.stream("GET", url) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event, count = line[6:].strip(), count + 1
                elif line.startswith("data:") and event in ("complete", "error"):
                    if event == "error":
                        raise RuntimeError(f"{question!r}: {line}")
                    return count
        raise RuntimeError(f"{question!r}: the stream ended without an answer")


class PageLoad(Load):
    """As chat tabs ask: the question box's submit joins Gradio's queue with the conversation
    so far, and the answer streams back on the session's event stream, a message per update
    of the chat. Each client is a tab that asks `TAB_QUESTIONS` questions in one conversation,
    then is opened anew (a new session)."""

    TAB_QUESTIONS = 10
    fn_index: int = 0
    trigger: int = 0
    tabs: dict[int, tuple[str, list[object], int]]  # client: (session, conversation, asked)

    async def prepare(self, http: httpx.AsyncClient) -> None:
        config = (await http.get("/config")).raise_for_status().json()
        box = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == "question")
        submit = next(d for d in config["dependencies"] if [box, "submit"] in d["targets"])
        self.fn_index, self.trigger, self.tabs = submit["id"], box, {}

    async def ask(self, http: httpx.AsyncClient, question: str, client: int) -> int:
        session, chat, asked = self.tabs.get(client) or ("", [], self.TAB_QUESTIONS)
        if asked == self.TAB_QUESTIONS:
            session, chat, asked = uuid.uuid4().hex[:12], [], 0
        body = {"data": [question, chat, None], "event_data": None, "fn_index": self.fn_index,
                "trigger_id": self.trigger, "session_hash": session}  # fmt: skip
        (await http.post("/gradio_api/queue/join", json=body)).raise_for_status()
        count, params = 0, {"session_hash": session}
        async with http.stream("GET", "/gradio_api/queue/data", params=params) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                count += 1
                if message["msg"] == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(f"{question!r}: {line}")
                    self.tabs[client] = (session, message["output"]["data"][1], asked + 1)
                    return count
        raise RuntimeError(f"{question!r}: the stream ended without an answer")


class AskLoad(Load):
    """Through the `/ask` API, one plain POST per question, as `ask` runs for an MCP tool call."""

    async def ask(self, http: httpx.AsyncClient, question: str, client: int) -> int:
        reply = await http.post("/gradio_api/run/ask", json={"data": [question, 5]})
        reply.raise_for_status()
        json.loads(reply.json()["data"][0])
        return 1


class GradioClientLoad(Load):
    """The `/chat` API through gradio_client, one `Client` (its own session) per thread."""

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
                self.events.append(0)  # not seen through the library
                turn += 1

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return latencies


LOADS: dict[str, type[Load]] = {
    "page": PageLoad, "chat": Load, "ask": AskLoad, "gradio_client": GradioClientLoad,
}  # fmt: skip
