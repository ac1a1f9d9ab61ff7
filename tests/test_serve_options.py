"""The options of `rag serve` beyond sign-in: read from the environment, and passed on to the
page that Gradio serves."""

from __future__ import annotations

import pytest
from conftest import SEEDS
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
