"""The MCP tools of `rag serve` (here turned on by RAG_MCP=1), used by the real `mcp` Python
client over streamable HTTP, as an agent or editor would: list them, call both, check that
every citation quotes its article exactly and links to it."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from app_server import ARTIFACTS, running_app
from conftest import SEEDS
from mcp_client import mcp_session
from pdfs import make_pdf

from rag.loaders import load_document

pytestmark = pytest.mark.slow  # starts the chat server, which first builds its index

PDF = make_pdf(
    ["Epsilon loop report, page one: the plant.", "The epsilon loop runs at 300 kelvin."],
    title="Epsilon loop",
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("mcp")
    source = root / "articles"
    shutil.copytree(SEEDS, source)
    (source / "epsilon.pdf").write_bytes(PDF)
    ARTIFACTS.mkdir(exist_ok=True)
    args = ("--source", str(source), "--index", str(root / "index"))
    with running_app(*args, log=ARTIFACTS / "mcp-app.log", env={"RAG_MCP": "1"}) as url:
        yield url, source


def article_text(source: Path, name: str) -> str:
    return load_document(name, (source / name).read_bytes()).text


def check_quotes(records: list[dict[str, Any]], source: Path, field: str) -> None:
    """Each record's `field` is exactly its article's text[start:end], and its link opens
    the article there."""
    for record in records:
        text = article_text(source, record["source"])
        assert record[field] == text[record["start"] : record["end"]], record
        with urllib.request.urlopen(record["link"], timeout=30) as page:
            assert page.status == 200 and "<mark" in page.read().decode()


def test_tools_are_listed_with_typed_documented_parameters(served):
    tools, _ = mcp_session(served[0], [])
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == {"ask", "search"}, "the chat's own endpoints are not tools"
    ask, search = by_name["ask"].inputSchema, by_name["search"].inputSchema
    assert ask["required"] == ["question"] and search["required"] == ["query"]
    assert ask["properties"]["question"]["type"] == "string"
    assert ask["properties"]["top_k"] == {
        "type": "integer", "description": "How many passages the answer may draw on (1 to 20).",
        "default": 5,
    }  # fmt: skip
    assert "cited" in by_name["ask"].description and "link" in by_name["search"].description


def test_ask_gives_a_cited_answer_with_exact_quotes_and_links(served):
    url, source = served
    _, results = mcp_session(
        url,
        [
            ("ask", {"question": "Where has NATO closed an airspace before?"}),
            ("ask", {"question": "How cold does the epsilon loop run?", "top_k": 3}),
            ("ask", {"question": "What is the capital of Australia?"}),
        ],
    )
    assert not any(r.isError for r in results), results
    nato, epsilon, declined = (json.loads(r.content[0].text) for r in results)
    assert nato["found"] and "Bosnia" in nato["answer"] and len(nato["citations"]) >= 2
    assert [c["number"] for c in nato["citations"]] == list(range(1, len(nato["citations"]) + 1))
    assert all(f"[{c['number']}]" in nato["answer"] for c in nato["citations"])
    assert all(c["link"].startswith(f"{url}/source/") for c in nato["citations"])
    check_quotes(nato["citations"], source, "quote")
    pdf_citation = next(c for c in epsilon["citations"] if c["source"] == "epsilon.pdf")
    assert pdf_citation["page"] == 2 and "300 kelvin" in pdf_citation["quote"]
    assert not declined["found"] and declined["citations"] == [] and declined["related"]
    check_quotes(declined["related"], source, "quote")
    assert 0 <= declined["confidence"] < nato["confidence"] <= 1
    assert (nato["outcome"], declined["outcome"]) == ("answered", "not found")


def test_search_returns_ranked_passages_quoting_their_articles(served):
    url, source = served
    _, [result] = mcp_session(url, [("search", {"query": "no-fly zone Bosnia", "top_k": 3})])
    passages = json.loads(result.content[0].text)
    assert [p["rank"] for p in passages] == [1, 2, 3]
    assert passages[0]["score"] >= passages[1]["score"] >= passages[2]["score"]
    check_quotes(passages, source, "text")


def test_bad_calls_are_tool_errors_with_one_line_reasons(served):
    _, results = mcp_session(
        served[0],
        [("ask", {"question": "  "}), ("search", {"query": "?!"}),
         ("ask", {"question": "Why?", "top_k": 0})],
    )  # fmt: skip
    messages = [r.content[0].text for r in results]
    assert all(r.isError for r in results), messages
    assert messages == [
        "the question is empty: ask something about the articles",
        "the question has no words to search for: ask it in words",
        "top_k must be a whole number from 1 to 20, not 0",
    ]
    log = (ARTIFACTS / "mcp-app.log").read_text()
    assert "Traceback" not in log and log.count("refused:") >= 3
    assert "MCP tools ask and search: http://127.0.0.1:" in log
