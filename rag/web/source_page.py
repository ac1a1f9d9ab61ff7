"""The readable view of an article: its extracted text, the cited span marked, PDF pages shown.

The page is static HTML: every piece of article text is escaped, and it carries no script
(the link's `#cited` fragment does the scrolling), so the server can forbid scripts outright.
"""

from __future__ import annotations

import itertools
from html import escape
from typing import TYPE_CHECKING

from .links import CITED_ANCHOR, raw_url

if TYPE_CHECKING:
    from ..types import Document

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Response headers of the view: no scripts, images, fonts or frames, whatever the text holds."""

_STYLE = """
body { font: 17px/1.6 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { position: sticky; top: 0; background: #f6f8fa; border-bottom: 1px solid #d0d7de;
         padding: .6rem 1.2rem; }
header h1 { font-size: 1.15rem; margin: 0 0 .2rem; }
header p { margin: 0; font-size: .9rem; color: #57606a; }
main { max-width: 46rem; margin: 1.5rem auto 40vh; padding: 0 1.2rem; white-space: pre-wrap; }
mark { background: #ffe066; padding: .1em 0; scroll-margin-top: 35vh; }
.page { display: block; margin: 1.2rem 0 .4rem; color: #57606a; font-size: .85rem;
        border-top: 1px dashed #d0d7de; scroll-margin-top: 6rem; }
"""


def render_source_page(doc: Document, start: int | None, end: int | None) -> str:
    """The article `doc` as an HTML page, with `doc.text[start:end]` in `<mark>` when both are
    given and delimit a non-empty span of the text (otherwise nothing is marked). The title
    heads the page once: a first line that repeats it is left out of the text below, unless
    the span marks it."""
    span = _span(len(doc.text), start, end)
    page = doc.page_at(span[0]) if span else None
    facts = [escape(doc.source)]
    if page:
        facts.append(f"cited passage on page {page}")
    facts.append(f'<a href="{escape(raw_url(doc.source, page))}">original file</a>')
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(doc.title or doc.source)}</title><style>{_STYLE}</style></head>\n"
        f"<body><header><h1>{escape(doc.title or doc.source)}</h1>"
        f"<p>{' · '.join(facts)}</p></header>\n"
        f"<main>{_body(doc, span)}</main></body></html>\n"
    )


def _span(length: int, start: int | None, end: int | None) -> tuple[int, int] | None:
    if start is None or end is None or not 0 <= start < end <= length:
        return None
    return start, end


def _title_end(doc: Document, span: tuple[int, int] | None) -> int:
    """Where the text starts below its first line, if that line is the title the header
    shows and the span does not begin in it; else 0."""
    text = doc.text
    first = len(text) - len(text.lstrip())
    line_end = text.find("\n", first)
    line_end = len(text) if line_end < 0 else line_end
    if " ".join(text[first:line_end].split()) != " ".join(doc.title.split()):
        return 0
    if span and span[0] < line_end:
        return 0
    return len(text) - len(text[line_end:].lstrip())


def _body(doc: Document, span: tuple[int, int] | None) -> str:
    """The escaped text below any title line, cut at page starts and at the span's ends; a
    span that crosses a page break is marked on each side of it, and only its first part
    carries the anchor."""
    top = _title_end(doc, span)
    pages = [p for p in doc.page_starts if top < p < len(doc.text)]
    cuts = sorted({top, len(doc.text), *pages, *(c for c in span or () if c > top)})
    out, anchored = [], False
    if doc.page_starts:
        out.append('<span class="page" id="page-1">Page 1</span>')
    for a, b in itertools.pairwise(cuts):
        if a in pages:
            number = doc.page_at(a)
            out.append(f'<span class="page" id="page-{number}">Page {number}</span>')
        text = escape(doc.text[a:b])
        if span and span[0] <= a and b <= span[1]:
            anchor = "" if anchored else f' id="{CITED_ANCHOR}"'
            anchored = True
            text = f"<mark{anchor}>{text}</mark>"
        out.append(text)
    return "".join(out)
