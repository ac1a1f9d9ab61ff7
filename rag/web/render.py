"""Markdown for the chat: answers with linked markers and sources, the passages panel, the status.

Everything taken from articles or users is escaped, so it shows as text: no HTML, no links or
images of its own, nothing fetched. Only the links built here (to our own routes) are live.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .links import raw_url, source_url

if TYPE_CHECKING:
    from ..assistant import IndexInfo
    from ..types import Answer, BuildReport, Citation, Passage

_INLINE = re.compile(r"([\\`*_\[\]<>&~|$!])")  # inline Markdown, HTML and entity syntax
_LINE_START = re.compile(r"^(\s*\d*)([#=+\-.)])")  # a heading, list or rule if it began a line
_MARKER = re.compile(r"\[(\d+)\]")
PASSAGE_CHARS = 600  # longer passages are cut in the panel (the link shows them whole)
EMPTY_PANEL = "#### Retrieved passages\n\nAsk a question: the passages it draws on show here."


def escape(text: str) -> str:
    """`text` as literal Markdown: it renders exactly as written, line by line
    (`<b>` stays `<b>`, `![x](url)` stays text, `1. ` at a line start is no list)."""
    lines = (_LINE_START.sub(r"\1\\\2", _INLINE.sub(r"\\\1", line)) for line in text.split("\n"))
    return "\n".join(lines)


def one_line(text: str) -> str:
    """`text` with every run of whitespace made one space, escaped."""
    return escape(" ".join(text.split()))


def question_markdown(question: str) -> str:
    """The user's message as shown in the chat: literally what they typed."""
    return escape(question.strip())


def partial_markdown(text: str) -> str:
    """An answer still streaming in: its text so far, markers shown but not yet linked."""
    return escape(text)


def answer_markdown(answer: Answer) -> str:
    """The finished answer: text with each `[n]` linked to its passage, then the sources
    (or the related passages, when the articles do not answer), then any note."""
    if answer.found:
        lines = [_linked_markers(answer.text, answer.citations), "", "**Sources**", ""]
        for c in answer.citations:
            lines.append(f"{c.number}. {_citation_heading(c)}")
            lines.append(f"   “{one_line(c.quote)}”")
    else:
        lines = [escape(answer.text), "", "**Related passages**", ""]
        lines += [f"- {_passage_heading(p)}" for p in answer.passages]
    if answer.note:
        lines += ["", f"*Note: {one_line(answer.note)}*"]
    return "\n".join(lines)


def panel_markdown(answer: Answer) -> str:
    """The side panel: what was searched for, and the retrieved passages with their scores."""
    lines = [f"**Searched for:** {one_line(answer.search_query or answer.question)}"]
    if answer.search_query and answer.search_query != answer.question.strip():
        lines += ["", "*A follow-up: searched together with the question before it.*"]
    if answer.found:
        lines += ["", "#### Retrieved passages"]
    else:
        lines += ["", "#### Related passages", "", "The articles do not answer this. Closest:"]
    for p in answer.passages:
        text = " ".join(p.chunk.text.split())
        cut = text[:PASSAGE_CHARS] + ("…" if len(text) > PASSAGE_CHARS else "")
        lines += [
            "",
            f"{p.rank}. {_passage_heading(p)}",
            f"   score {p.score:.4f} · similarity {p.similarity:.2f}",
            f"   > {escape(cut)}",
        ]
    return "\n".join(lines)


def status_markdown(info: IndexInfo, report: BuildReport | None = None) -> str:
    """Index status: articles and passages indexed, the model, when it was built."""
    status = (
        f"**{info.documents} articles · {info.chunks} passages** indexed from "
        f"{one_line(info.source_dir)} · model {one_line(info.model)} · built {_when(info.built_at)}"
    )
    if report is None:
        return status
    if report.up_to_date:
        change = "Re-indexed: nothing had changed."
    else:
        change = (
            f"Re-indexed: {report.added} added, {report.changed} changed, "
            f"{report.removed} removed, {report.unchanged} unchanged."
        )
    skipped = f" {len(report.skipped)} files skipped." if report.skipped else ""
    return f"{status}\n\n{change}{skipped}"


def _linked_markers(text: str, citations: list[Citation]) -> str:
    """Escaped `text` in which each `[n]` of a real citation links to its passage."""
    by_number = {c.number: c for c in citations}
    parts, last = [], 0
    for match in _MARKER.finditer(text):
        citation = by_number.get(int(match.group(1)))
        if citation is None:
            continue
        parts.append(escape(text[last : match.start()]))
        url = source_url(citation.source, citation.start, citation.end)
        parts.append(f"[\\[{citation.number}\\]]({url})")
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def _citation_heading(c: Citation) -> str:
    return _heading(c.title, c.source, c.page, source_url(c.source, c.start, c.end))


def _passage_heading(p: Passage) -> str:
    chunk = p.chunk
    url = source_url(chunk.source, chunk.start, chunk.end)
    return _heading(chunk.title, chunk.source, chunk.page, url)


def _heading(title: str, source: str, page: int | None, url: str) -> str:
    """`[Title](view) · [file](raw) · page N`."""
    name = source.rsplit("/", 1)[-1]
    page_part = f" · page {page}" if page else ""
    label = one_line(title) or escape(name)
    return f"[{label}]({url}) · [{escape(name)}]({raw_url(source)}){page_part}"


def _when(built_at: str) -> str:
    try:
        moment = datetime.fromisoformat(built_at)
    except ValueError:
        return one_line(built_at) or "at an unknown time"
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
