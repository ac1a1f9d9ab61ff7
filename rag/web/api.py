"""The chat's API endpoints, also its MCP tools: `ask` (a cited answer) and `search`
(passages), both JSON; and `/chat`, the answer as the chat shows it (Markdown)."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..errors import RagError
from . import render
from .links import source_url
from .problems import as_gradio_errors

if TYPE_CHECKING:
    from ..assistant import Assistant
    from ..types import Answer, Citation, Passage
    from .library import Library

MAX_TOP_K = 20


def add_endpoints(library: Library, concurrency: int, slots: threading.Semaphore) -> None:
    """Register the endpoints on the `gr.Blocks` being built. `ask` and `search` skip the
    queue, so that MCP calls run directly; `/chat` shares the chat's concurrency group. Each
    works only while it holds one of `slots`, the questions answered at once, which the
    chat's answers hold too."""

    def answer(question: str) -> str:
        """Answer a question from the articles: Markdown with [n] markers, then the sources."""
        with as_gradio_errors(), slots:
            assistant = library.assistant
            reply = assistant.ask(question)
            return render.answer_markdown(reply, related_of(assistant, reply))

    def ask(question: str, top_k: int = 5, request: gr.Request | None = None) -> str:
        """Answer a question from the indexed articles. Every sentence of the answer is quoted
        from an article and cited with a marker [n]. Returns JSON: "answer" (the text),
        "found" (false when the articles do not answer: then "related" lists the closest
        sentences instead), "outcome" ("answered", "hedged" or "not found"), "confidence"
        (0-1: the probability that the articles answer it), "citations" (each with "number",
        "quote", "source" file, "title", "start" and "end" character offsets such that quote
        == the article's text[start:end], "page" for PDFs, "score", and "link", a URL that
        opens the article at the quote), "search_query" and "note".

        Args:
            question: The question, in words (only its first 2,000 characters are searched).
            top_k: How many passages the answer may draw on (1 to 20).
        """
        with as_gradio_errors(), slots:
            assistant = library.assistant
            reply = assistant.ask(question, top_k=_checked_top_k(top_k))
            record = answer_record(reply, related_of(assistant, reply), _base_url(request))
            return json.dumps(record, ensure_ascii=False)

    def search(query: str, top_k: int = 5, request: gr.Request | None = None) -> str:
        """Search the indexed articles for the passages closest to a query, best first.
        Returns a JSON list of passages, each with "rank", "score", "similarity", "source"
        file, "title", "text", "start" and "end" character offsets (text == the article's
        text[start:end]), "page" for PDFs, and "link", a URL that opens the article there.

        Args:
            query: What to look for, in words.
            top_k: How many passages to return (1 to 20).
        """
        with as_gradio_errors(), slots:
            passages = library.assistant.search(query, _checked_top_k(top_k))
            base = _base_url(request)
            return json.dumps([passage_record(p, base) for p in passages], ensure_ascii=False)

    gr.api(
        answer, api_name="chat", api_visibility="undocumented", concurrency_limit=concurrency,
        concurrency_id="answer",
    )  # fmt: skip
    gr.api(ask, api_name="ask", queue=False)
    gr.api(search, api_name="search", queue=False)


def related_of(assistant: Assistant, answer: Answer) -> list[Citation]:
    """For an answer that found nothing: its related passages' closest sentences."""
    if answer.found or not answer.passages:
        return []
    return assistant.closest_sentences(answer.passages, answer.search_query or answer.question)


def answer_record(answer: Answer, related: list[Citation], base_url: str) -> dict[str, Any]:
    """An answer as JSON-ready data, each citation with an absolute `link` to its passage."""
    record: dict[str, Any] = {"question": answer.question, "answer": answer.text}
    record["found"] = answer.found
    record["outcome"] = answer.outcome
    record["confidence"] = round(answer.confidence, 4)
    record["citations"] = [_citation_record(c, base_url) for c in answer.citations]
    record["related"] = [_citation_record(c, base_url) for c in related]
    record["search_query"], record["note"] = answer.search_query, answer.note
    return record


def passage_record(passage: Passage, base_url: str) -> dict[str, Any]:
    """A retrieved passage as JSON-ready data, with an absolute `link` to it."""
    chunk = passage.chunk
    return {
        "rank": passage.rank, "score": round(passage.score, 4),
        "similarity": round(passage.similarity, 4), "source": chunk.source, "title": chunk.title,
        "text": chunk.text, "start": chunk.start, "end": chunk.end, "page": chunk.page,
        "link": base_url + source_url(chunk.source, chunk.start, chunk.end),
    }  # fmt: skip


def _citation_record(citation: Citation, base_url: str) -> dict[str, Any]:
    link = base_url + source_url(citation.source, citation.start, citation.end)
    return {**asdict(citation), "link": link}


def _checked_top_k(top_k: Any) -> int:
    if not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise RagError(f"top_k must be a whole number from 1 to {MAX_TOP_K}, not {top_k!r}")
    return top_k


def _base_url(request: gr.Request | None) -> str:
    """`scheme://host:port` as the client reached us, so links work from its side."""
    url = getattr(request, "url", None) if request is not None else None
    return f"{url.scheme}://{url.netloc}" if url is not None else ""
