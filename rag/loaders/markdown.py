"""Markdown: rendered, then flattened to text, so quotes carry no `#`, `**` or link syntax."""

from __future__ import annotations

import re

from .extracted import Extracted, clean_text
from .html import html_to_text
from .text import decode

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.DOTALL)


def load_markdown(data: bytes) -> Extracted:
    """A Markdown article: its text without markup; the title is its first heading."""
    from markdown_it import MarkdownIt

    source = _FRONT_MATTER.sub("", clean_text(decode(data)))
    rendered = MarkdownIt("commonmark", {"html": False}).enable("table").render(source)
    _, text = html_to_text(f"<html><body>{rendered}</body></html>")
    heading = _HEADING.search(rendered)
    title = html_to_text(f"<p>{heading.group(1)}</p>")[1] if heading else ""
    return Extracted(text=text, title=title)
