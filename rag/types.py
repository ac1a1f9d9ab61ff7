"""The data that flows through the pipeline: documents, chunks, passages and answers."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One article, as extracted from one file of the source folder.

    `source` is the file's path relative to the source folder (with `/` separators) and
    doubles as the document id. `text` is the extracted text every offset refers to.
    `page_starts` holds the offset where each PDF page begins (empty for other formats).
    """

    source: str
    title: str
    text: str
    content_hash: str
    page_starts: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page holding `offset`, or None when the document has no pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)


@dataclass(frozen=True)
class Chunk:
    """A window of consecutive sentences of a document, the unit that is embedded and retrieved.

    Invariant: `text == document.text[start:end]`.
    """

    id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    page: int | None = None


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: its rank (1-based), fused retrieval score (higher is better), and
    cosine similarity with the question."""

    chunk: Chunk
    score: float
    rank: int
    similarity: float = 0.0


@dataclass(frozen=True)
class Citation:
    """The exact span of an article that supports a part of an answer.

    `quote == document.text[start:end]`, where `document` is the article at `source`.
    """

    number: int
    source: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    page: int | None = None


@dataclass(frozen=True)
class Answer:
    """What the assistant says to a question.

    `text` is Markdown in which every `[n]` marker refers to `citations[n - 1]`. When the
    articles do not hold the answer, `found` is False, `citations` is empty and `passages`
    holds the closest passages, to be shown as related rather than as an answer.
    `search_query` is the text that was actually searched (it differs from `question` for a
    follow-up question that leans on the conversation). `note` is one line for the user
    when something did not go as configured (e.g. why the LLM answer was not used).
    `confidence` is the fitted probability that the articles answer the question at all
    (`confidence.py`). `hedged` marks an answer given with a caveat: the articles may not
    answer it directly, and the text says so before the closest sentences.
    """

    question: str
    text: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    search_query: str = ""
    note: str = ""
    confidence: float = 0.0
    hedged: bool = False

    @property
    def outcome(self) -> str:
        """ "answered", "hedged" (the articles may not answer it directly) or "not found"."""
        if not self.found:
            return "not found"
        return "hedged" if self.hedged else "answered"


@dataclass(frozen=True)
class SkippedFile:
    """A file of the source folder that was not indexed, and why (one line)."""

    source: str
    reason: str


@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts of articles by fate, the chunks embedded, and the skipped files."""

    index_dir: str
    documents: int
    chunks: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """True when nothing had changed, so the index was left as it was."""
        return not (self.added or self.changed or self.removed)
