"""Markdown for the chat: answers with linked markers and sources, the passages panel, the status.

Everything taken from articles or users is escaped, so it shows as text: no HTML, no links or
images of its own, nothing fetched. Only the links built here (to our own routes) are live.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..assistant import MAX_QUESTION_CHARS
from .links import raw_url, source_url

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..assistant import IndexInfo
    from ..types import Answer, BuildReport, Citation, Document, Passage
    from .uploads import Outcome

_INLINE = re.compile(r"([\\`*_\[\]<>&~|$!])")  # inline Markdown, HTML and entity syntax
_LINE_START = re.compile(r"^(\s*\d*)([#=+\-.)])")  # a heading, list or rule if it began a line
_MARKER = re.compile(r"\[(\d+)\]")
PASSAGE_CHARS = 600  # longer passages are cut in the panel (the link shows them whole)
SEARCHED_CHARS = 300  # the panel shows at most this much of what was searched
RELATED_CHARS = 200  # a related sentence is cut to one line of this length
LISTED_FILES = 12  # files named in an upload's result; the rest are counted
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
    """The user's message as shown in the chat: literally what they typed, up to what is
    searched of it."""
    text = question.strip()
    if len(text) <= MAX_QUESTION_CHARS:
        return escape(text)
    return f"{escape(text[:MAX_QUESTION_CHARS])}…\n\n*{shortened_notice(text)}*"


def shortened_notice(question: str) -> str:
    """What the user is told when `question` is longer than what is searched ('' if not)."""
    size = len(question.strip())
    if size <= MAX_QUESTION_CHARS:
        return ""
    return (
        f"Shortened: the question has {size:,} characters and only its first "
        f"{MAX_QUESTION_CHARS:,} were searched. Ask it in fewer words to search all of it."
    )


def problem_markdown(message: str) -> str:
    """A problem with what the user asked or did, as one line shown beside the question box."""
    return f"⚠ {one_line(message)}"


def partial_markdown(text: str) -> str:
    """An answer still streaming in: its text so far, markers shown but not yet linked."""
    return escape(text)


def answer_markdown(answer: Answer, related: Sequence[Citation] = ()) -> str:
    """The finished answer: text with each `[n]` linked to its passage, then the sources,
    then any note. When the articles do not answer, `related` holds each related passage's
    closest sentence (`Assistant.closest_sentences`), one linked line each."""
    if answer.found:
        lines = [_linked_markers(answer.text, answer.citations), "", "**Sources**", ""]
        for c in answer.citations:
            lines.append(f"{c.number}. {_citation_heading(c)}")
            lines.append(f"   “{one_line(c.quote)}”")
    else:
        lines = [escape(answer.text)]
        if related:
            lines += ["", "**Related passages**", ""]
            lines += [f"- {_related_line(c)}" for c in related]
    lines += ["", f"*Confidence that the articles answer this: {answer.confidence:.0%}*"]
    if answer.note:
        lines += ["", f"*Note: {one_line(answer.note)}*"]
    return "\n".join(lines)


def panel_markdown(answer: Answer) -> str:
    """The side panel: what was searched for, and the retrieved passages with their scores."""
    searched = " ".join((answer.search_query or answer.question).split())
    cut = searched[:SEARCHED_CHARS] + ("…" if len(searched) > SEARCHED_CHARS else "")
    lines = [f"**Searched for:** {escape(cut)}"]
    if is_follow_up(answer):
        lines += ["", "*A follow-up: searched together with the question before it.*"]
    if notice := shortened_notice(answer.question):
        lines += ["", f"*{notice}*"]
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


def is_follow_up(answer: Answer) -> bool:
    """Whether the question was searched together with the conversation before it."""
    own = answer.question.strip()[:MAX_QUESTION_CHARS]
    return bool(answer.search_query) and answer.search_query != own


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
    count = len(report.skipped)
    skipped = f" {count} file{'s' if count > 1 else ''} skipped." if count else ""
    return f"{status}\n\n{change}{skipped}"


def library_result_markdown(outcomes: Sequence[Outcome], problem: str = "") -> str:
    """What an upload or removal did: a line per file (the first few), or one line when
    every file was refused for the same reason; then any problem indexing them."""
    done = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    if not done and len(refused) > 1 and len({o.message for o in refused}) == 1:
        lines = [f"**Nothing changed:** {one_line(refused[0].message)}."]
    else:
        rows = [f"- ✓ {one_line(o.saved_as or o.name)}: {one_line(o.message)}" for o in done]
        rows += [f"- ✗ {one_line(o.name)}: {one_line(o.message)}" for o in refused]
        lines = rows[:LISTED_FILES]
        if len(rows) > LISTED_FILES:
            lines.append(f"- … and {len(rows) - LISTED_FILES:,} more")
    if problem:
        lines += ["", problem_markdown(problem)]
    return "\n".join(lines)


def article_choices(documents: Sequence[Document]) -> list[tuple[str, str]]:
    """(label, source) of each indexed article for the library list: "Title · file"."""
    return [(f"{' '.join(d.title.split()) or d.source} · {d.source}", d.source) for d in documents]


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


def _related_line(c: Citation) -> str:
    """`[“closest sentence”](view) — Title · [file](raw) · page N`, on one line."""
    text = " ".join(c.quote.split())
    cut = text[:RELATED_CHARS] + ("…" if len(text) > RELATED_CHARS else "")
    link = f"[“{escape(cut)}”]({source_url(c.source, c.start, c.end)})"
    return f"{link} — {_heading(c.title, c.source, c.page, None)}"


def _passage_heading(p: Passage) -> str:
    chunk = p.chunk
    url = source_url(chunk.source, chunk.start, chunk.end)
    return _heading(chunk.title, chunk.source, chunk.page, url)


def _heading(title: str, source: str, page: int | None, url: str | None) -> str:
    """`[Title](view) · [file](raw, at the page) · page N`; the title plain without `url`."""
    name = source.rsplit("/", 1)[-1]
    page_part = f" · page {page}" if page else ""
    label = one_line(title) or escape(name)
    title_part = f"[{label}]({url})" if url else label
    return f"{title_part} · [{escape(name)}]({raw_url(source, page)}){page_part}"


def _when(built_at: str) -> str:
    try:
        moment = datetime.fromisoformat(built_at)
    except ValueError:
        return one_line(built_at) or "at an unknown time"
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
