"""Turn a file's bytes into a `Document`: one loader per format, chosen by file extension."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..boilerplate import is_boilerplate
from ..sentences import split_sentences
from ..types import Document
from .errors import SkipFile
from .extracted import Extracted, drop_unbroken_runs

__all__ = ["SUPPORTED_SUFFIXES", "SkipFile", "load_document"]


def _load_text(data: bytes) -> Extracted:
    from .text import load_text

    return load_text(data)


def _load_markdown(data: bytes) -> Extracted:
    from .markdown import load_markdown

    return load_markdown(data)


def _load_html(data: bytes) -> Extracted:
    from .html import load_html

    return load_html(data)


def _load_pdf(data: bytes) -> Extracted:
    from .pdf import load_pdf

    return load_pdf(data)


# Loaders import their parsers lazily, so a folder of .txt files never pays for lxml or pypdf.
_LOADERS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": _load_text,
    ".text": _load_text,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
}
SUPPORTED_SUFFIXES = frozenset(_LOADERS)
TITLE_CHARS = 100  # a longer first line is a paragraph, not a title


def content_hash(data: bytes) -> str:
    """The fingerprint that tells whether a file changed since it was indexed."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def load_document(source: str, data: bytes) -> Document:
    """Extract the article in `data`, the content of the file at relative path `source`.

    Raises:
        SkipFile: the file is empty, binary, unreadable or holds no text; the message says why.
    """
    suffix = "." + source.rsplit(".", 1)[-1].lower() if "." in source else ""
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise SkipFile(f"unsupported file type {suffix or '(no extension)'}")
    if not data.strip():
        raise SkipFile("empty file")
    extracted = loader(data)
    text, removed = drop_unbroken_runs(extracted.text)
    if not text.strip():
        if removed:
            raise SkipFile(f"no prose: only {removed:,} characters without a space (encoded data?)")
        raise SkipFile("no text found in the file")
    own = " ".join(extracted.title.split())
    title = own if own and not is_boilerplate(own) else _title_line(text) or source
    return Document(
        source=source,
        title=title,
        text=text,
        content_hash=content_hash(data),
        page_starts=extracted.page_starts,
    )


def _title_line(text: str) -> str:
    """The first line of prose, as a title: a caption or byline above it is skipped, and a
    line that is a whole paragraph gives its first sentence, cut at a word to TITLE_CHARS."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    line = next((line for line in lines if line and not is_boilerplate(line)), "")
    if len(line) <= TITLE_CHARS:
        return line
    first = split_sentences(line)[0]
    line = line[first[0] : first[1]]
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"
