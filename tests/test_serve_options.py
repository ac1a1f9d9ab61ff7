"""The options of `rag serve` beyond sign-in: read from the environment, and passed on to the
page that Gradio serves."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from conftest import SEEDS
from gradio.state_holder import SessionState
from starlette.routing import Mount

from rag.errors import RagError
from rag.web.library import Library
from rag.web.options import ServeOptions
from rag.web.server import create_app


def test_options_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_AUTH", "alice:a, bob:b")
    monkeypatch.setenv("RAG_READ_ONLY", "yes")
    monkeypatch.setenv("RAG_MCP", "0")
    options = ServeOptions.from_env()
    assert options.read_only and not options.mcp and options.accounts.check("bob", "b")
    assert not ServeOptions.from_env(auth=["carol:c"]).accounts.check("alice", "a")
    assert options.answer_concurrency == 4
    monkeypatch.setenv("RAG_ANSWER_CONCURRENCY", "2")
    assert ServeOptions.from_env().answer_concurrency == 2
    monkeypatch.setenv("RAG_ANSWER_CONCURRENCY", "0")
    with pytest.raises(RagError, match="RAG_ANSWER_CONCURRENCY='0' is not a whole number above 0"):
        ServeOptions.from_env()
    monkeypatch.setenv("RAG_ANSWER_CONCURRENCY", "")
    monkeypatch.setenv("RAG_MCP", "maybe")
    with pytest.raises(RagError, match="RAG_MCP='maybe' is not a yes/no value: use 1 or 0"):
        ServeOptions.from_env()


@pytest.mark.slow  # builds the chat's page twice
@pytest.mark.parametrize(
    ("options", "limit", "panel"),
    [(ServeOptions(), 4, True), (ServeOptions(read_only=True, answer_concurrency=2), 2, False)],
)
def test_the_answer_concurrency_and_read_only_reach_the_page(seed_index, options, limit, panel):
    library = Library(SEEDS, seed_index)
    library.refresh()
    app = create_app(library, options)
    blocks = next(r.app for r in app.routes if isinstance(r, Mount)).get_blocks()
    limits = {fn.name: fn.concurrency_limit for fn in blocks.fns.values()}
    assert limits["respond"] == limits["answer"] == limit, limits
    assert ("add" in limits) == panel and ("drop" in limits) == panel


class Counting:
    """An assistant that counts the questions it is answering at once (each takes a while)."""

    def __init__(self, assistant: object) -> None:
        self.assistant, self.now, self.most = assistant, 0, 0
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        method = getattr(self.assistant, name)
        if name not in ("ask", "search"):
            return method

        def counted(*args: object, **kwargs: object) -> object:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.05)
                return method(*args, **kwargs)
            finally:
                with self.lock:
                    self.now -= 1

        return counted


def test_mcp_tools_and_the_api_answer_no_more_at_once_than_the_limit(seed_index, monkeypatch):
    """The MCP tools call `ask` and `search` directly, past Gradio's queue (its fast path for
    unqueued endpoints, `Blocks.process_api`): they and `/chat` still share the limit."""
    library = Library(SEEDS, seed_index)
    library.refresh()
    counting = Counting(library.assistant)
    monkeypatch.setattr(Library, "assistant", property(lambda _: counting))
    app = create_app(library, ServeOptions(answer_concurrency=2, mcp=True))
    blocks = next(r.app for r in app.routes if isinstance(r, Mount)).get_blocks()
    by_name = {fn.name: fn for fn in blocks.fns.values()}
    calls = [("ask", ["Who asked NATO to close Ukraine's airspace?", 5])] * 4
    calls += [("search", ["no-fly zone", 5])] * 4 + [("answer", ["What is the capital?"])] * 2

    async def call_all() -> list[dict]:
        return await asyncio.gather(*(
            blocks.process_api(block_fn=by_name[name], inputs=inputs, state=SessionState(blocks))
            for name, inputs in calls
        ))  # fmt: skip

    outputs = asyncio.run(call_all())
    assert all(output["data"][0] for output in outputs)
    assert counting.most == 2, f"{counting.most} questions answered at once, the limit is 2"
