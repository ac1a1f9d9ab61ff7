"""HTML: the main text of the page (trafilatura drops navigation, scripts and boilerplate)."""

from __future__ import annotations

from html.parser import HTMLParser

from .extracted import Extracted, clean_text
from .text import decode

# Block elements end a paragraph when a page is flattened to text.
_BLOCKS = frozenset(
    "p div section article main li tr br blockquote pre table h1 h2 h3 h4 h5 h6 ul ol dl dt "
    "dd figcaption header footer nav aside hr".split()
)
_NOT_TEXT = frozenset("script style noscript template nav header footer aside svg head".split())
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def load_html(data: bytes) -> Extracted:
    """An HTML page: its main text and its own title (<title>, else the first <h1>)."""
    import trafilatura

    markup = decode(data)
    try:
        text = trafilatura.extract(markup, include_comments=False, include_tables=True) or ""
    except Exception:
        text = ""
    title, fallback = html_to_text(markup)
    return Extracted(text=clean_text(text or fallback), title=title)


def html_to_text(markup: str) -> tuple[str, str]:
    """Flatten HTML to (title, text), a blank line after each block element.

    Python's own tolerant parser: no depth limit, so absurdly nested or broken markup
    still gives its text.
    """
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n\n"))
    return " ".join(parser.title.split()), "\n\n".join(line for line in lines if line)


class _TextParser(HTMLParser):
    """Collects visible text, the <title> and the first <h1>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._hidden = 0  # depth inside elements whose text is not shown
        self._capture: str | None = None  # "title" or "h1" while inside one
        self._captured: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _NOT_TEXT and tag not in _VOID:
            self._hidden += 1
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag in ("title", "h1") and not self.title and self._capture is None:
            self._capture, self._captured = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag in _NOT_TEXT and self._hidden:
            self._hidden -= 1
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == self._capture:
            self.title = "".join(self._captured).strip() or self.title
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._captured.append(data)
        if not self._hidden:
            self.parts.append(data)
