"""HTML: the main text of the page (trafilatura drops navigation, scripts and boilerplate)."""

from __future__ import annotations

import logging

from .errors import SkipFile
from .extracted import Extracted, clean_text
from .text import decode

# Block elements end a paragraph when a page is flattened to text.
_BLOCKS = (
    "p", "div", "section", "article", "li", "tr", "br", "blockquote", "pre", "table",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "figcaption",
)  # fmt: skip
_NOT_TEXT = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "svg")


def load_html(data: bytes) -> Extracted:
    """An HTML page: its main text and its own title (<title>, else the first <h1>)."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    markup = decode(data)
    try:
        text = trafilatura.extract(markup, include_comments=False, include_tables=True) or ""
    except Exception:  # noqa: BLE001 - a page the extractor chokes on still gets the plain fallback
        text = ""
    title, fallback = html_to_text(markup)
    return Extracted(text=clean_text(text or fallback), title=title)


def html_to_text(markup: str) -> tuple[str, str]:
    """Flatten HTML to (title, text), with a blank line after each block element."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError) as error:
        raise SkipFile(f"malformed HTML ({error})") from None
    title = _first_text(root, "//title") or _first_text(root, "//h1")
    for element in list(root.iter(*_NOT_TEXT)):
        if element.getparent() is not None:
            element.drop_tree()  # keeps the element's tail text
    for element in root.iter(*_BLOCKS):
        element.tail = "\n\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n\n"))
    return title, "\n\n".join(line for line in lines if line)


def _first_text(root: object, xpath: str) -> str:
    found = root.xpath(xpath)  # type: ignore[attr-defined]
    return " ".join(found[0].text_content().split()) if found else ""
