"""The index data in memory, and the only code that knows its row layout.

Chunk rows are (document row, start, end, first sentence row, stop sentence row); sentence
rows are (document row, start, end). Offsets index into the document text. Rows are in
document order, so each document's chunks and sentences are consecutive rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..lexical import LexicalIndex
from ..types import Document

Span = tuple[int, int, int]
"""(document row, start, end): a piece of a document's text."""


@dataclass
class IndexData:
    """Everything a search needs, in memory (arrays may be memory-mapped).

    Vector row i belongs to chunk row i; sentence vector row j to sentence row j.
    Read rows through the accessors, never by column number.
    """

    documents: list[Document]
    chunks: np.ndarray
    sentences: np.ndarray
    vectors: Any  # a faiss.Index over normalized chunk vectors (inner product)
    sentence_vectors: np.ndarray
    lexical: LexicalIndex

    def chunk_span(self, row: int) -> Span:
        """(document row, start, end) of chunk row `row`."""
        doc, start, end = self.chunks[row, :3].tolist()
        return doc, start, end

    def chunk_sentences(self, row: int) -> range:
        """The sentence rows of chunk row `row`."""
        first, stop = self.chunks[row, 3:5].tolist()
        return range(first, stop)

    def document_of_chunk(self, row: int) -> int:
        """The document row of chunk row `row`."""
        return int(self.chunks[row, 0])

    def chunk_documents(self) -> np.ndarray:
        """The document row of every chunk, in chunk order."""
        return np.asarray(self.chunks[:, 0])

    def document_chunks(self, doc: int) -> range:
        """The chunk rows of document row `doc`."""
        return _rows_of(self.chunks[:, 0], doc)

    def sentence_span(self, row: int) -> Span:
        """(document row, start, end) of sentence row `row`."""
        doc, start, end = self.sentences[row].tolist()
        return doc, start, end

    def document_of_sentence(self, row: int) -> int:
        """The document row of sentence row `row`."""
        return int(self.sentences[row, 0])

    def document_sentences(self, doc: int) -> range:
        """The sentence rows of document row `doc`."""
        return _rows_of(self.sentences[:, 0], doc)

    def chunk_text(self, row: int) -> str:
        """The text of chunk row `row`."""
        doc, start, end = self.chunk_span(row)
        return self.documents[doc].text[start:end]

    def sentence_text(self, row: int) -> str:
        """The text of sentence row `row`."""
        doc, start, end = self.sentence_span(row)
        return self.documents[doc].text[start:end]

    def document_rows(self, doc: int) -> DocumentRows:
        """Document row `doc`'s chunk and sentence rows, relative to the document."""
        chunk_rows, sentence_rows = self.document_chunks(doc), self.document_sentences(doc)
        chunks = np.array(self.chunks[chunk_rows.start : chunk_rows.stop, 1:], dtype=np.int64)
        chunks[:, 2:] -= sentence_rows.start if sentence_rows else 0
        sentences = self.sentences[sentence_rows.start : sentence_rows.stop, 1:]
        return DocumentRows(chunks, np.array(sentences, dtype=np.int64))


@dataclass(frozen=True)
class DocumentRows:
    """One document's rows, relative to it: chunks (start, end, first, stop) with sentence
    rows counted from the document's first sentence, and sentences (start, end)."""

    chunks: np.ndarray
    sentences: np.ndarray

    @classmethod
    def build(
        cls,
        chunk_spans: Sequence[tuple[int, int]],
        chunk_sentences: Sequence[tuple[int, int]],
        sentence_spans: Sequence[tuple[int, int]],
    ) -> DocumentRows:
        """Rows from each chunk's (start, end) and (first, stop) sentence, and each
        sentence's (start, end)."""
        chunks = np.array(
            [(*span, *rows) for span, rows in zip(chunk_spans, chunk_sentences)], dtype=np.int64
        ).reshape(-1, 4)
        return cls(chunks, np.array(sentence_spans, dtype=np.int64).reshape(-1, 2))

    def __len__(self) -> int:
        return len(self.chunks)

    def chunk_texts(self, text: str) -> list[str]:
        """The text of each chunk, `text` being the document's."""
        return [text[start:end] for start, end in self.chunks[:, :2].tolist()]


def stack(parts: Sequence[DocumentRows]) -> tuple[np.ndarray, np.ndarray]:
    """Chunk and sentence rows of the documents `parts`, in that order (document row i is
    `parts[i]`)."""
    chunk_rows, sentence_rows, offset = [], [], 0
    for row, part in enumerate(parts):
        chunks = part.chunks.copy()
        chunks[:, 2:] += offset
        chunk_rows.append(np.column_stack([np.full(len(chunks), row), chunks]))
        sentence_rows.append(np.column_stack([np.full(len(part.sentences), row), part.sentences]))
        offset += len(part.sentences)
    return (
        np.concatenate(chunk_rows).astype(np.int64),
        np.concatenate(sentence_rows).astype(np.int64),
    )


def _rows_of(column: np.ndarray, doc: int) -> range:
    """The rows whose (sorted) document column holds `doc`."""
    first, stop = np.searchsorted(column, [doc, doc + 1]).tolist()
    return range(first, stop)
