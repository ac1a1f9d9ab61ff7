"""Relative URLs of our own source routes: the readable view of an article, and its raw file."""

from __future__ import annotations

from urllib.parse import quote

SOURCE_ROUTE = "/source"
RAW_ROUTE = "/raw"
CITED_ANCHOR = "cited"
"""The id of the first highlighted element in the source view; links jump to it."""


def source_url(source: str, start: int | None = None, end: int | None = None) -> str:
    """The readable view of article `source`, scrolled to `text[start:end]` highlighted.

    >>> source_url("news/a b.txt", 10, 42)
    '/source/news/a%20b.txt?start=10&end=42#cited'
    """
    url = f"{SOURCE_ROUTE}/{quote(source, safe='/')}"
    if start is None or end is None:
        return url
    return f"{url}?start={start}&end={end}#{CITED_ANCHOR}"


def raw_url(source: str, page: int | None = None) -> str:
    """The original file of article `source`; for a PDF, `page` opens it at that page."""
    url = f"{RAW_ROUTE}/{quote(source, safe='/')}"
    return f"{url}#page={page}" if page else url
