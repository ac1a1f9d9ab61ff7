"""The folder index in memory, and the only code that knows its row layout.

Chunk rows are (document row, start, end, first sentence row, stop sentence row); sentence
rows are (document row, start, end). Offsets index into the document text. Rows are in
document order, so each document's chunks and sentences are consecutive rows.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..lexical import LexicalIndex
from ..types import Document
from .store import Span
from .vectors import Int8Rows, stored_vectors


@dataclass
class IndexData:
    """Everything a search needs, in memory (arrays may be memory-mapped): the `Index` of
    a folder store.

    Vector row i belongs to chunk row i; sentence vector row j to sentence row j.
    """

    documents: list[Document]
    chunk_rows: np.ndarray
    sentence_rows: np.ndarray
    chunk_index: Any  # a faiss.Index over normalized chunk vectors (inner product)
    sentence_matrix: np.ndarray | Int8Rows
    lexical: LexicalIndex

    def document_ids(self) -> range:
        """The document rows."""
        return range(len(self.documents))

    def document(self, doc: int) -> Document:
        """Document row `doc`."""
        return self.documents[doc]

    def find_document(self, source: str) -> int | None:
        """The row of the document with this source, or None."""
        return self._rows_by_source.get(source)

    @functools.cached_property
    def _rows_by_source(self) -> dict[str, int]:
        return {doc.source: row for row, doc in enumerate(self.documents)}

    @property
    def chunk_count(self) -> int:
        """How many chunks are indexed."""
        return len(self.chunk_rows)

    @property
    def sentence_count(self) -> int:
        """How many sentences are indexed."""
        return len(self.sentence_rows)

    def chunk_span(self, row: int) -> Span:
        """(document row, start, end) of chunk row `row`."""
        doc, start, end = self.chunk_rows[row, :3].tolist()
        return doc, start, end

    def chunk_sentences(self, row: int) -> range:
        """The sentence rows of chunk row `row`."""
        first, stop = self.chunk_rows[row, 3:5].tolist()
        return range(first, stop)

    def document_of_chunk(self, row: int) -> int:
        """The document row of chunk row `row`."""
        return int(self.chunk_rows[row, 0])

    def document_chunks(self, doc: int) -> range:
        """The chunk rows of document row `doc`."""
        return _rows_of(self.chunk_rows[:, 0], doc)

    def sentence_span(self, row: int) -> Span:
        """(document row, start, end) of sentence row `row`."""
        doc, start, end = self.sentence_rows[row].tolist()
        return doc, start, end

    def document_of_sentence(self, row: int) -> int:
        """The document row of sentence row `row`."""
        return int(self.sentence_rows[row, 0])

    def document_sentences(self, doc: int) -> range:
        """The sentence rows of document row `doc`."""
        return _rows_of(self.sentence_rows[:, 0], doc)

    def chunk_text(self, row: int) -> str:
        """The text of chunk row `row`."""
        doc, start, end = self.chunk_span(row)
        return self.documents[doc].text[start:end]

    def sentence_text(self, row: int) -> str:
        """The text of sentence row `row`."""
        doc, start, end = self.sentence_span(row)
        return self.documents[doc].text[start:end]

    def dense_search(self, vector: np.ndarray, k: int) -> np.ndarray:
        """The chunk rows nearest to a unit `vector` by cosine, best first, at most `k`
        (the application sets FAISS's threads: `runtime.faiss_threads`)."""
        k = min(k, self.chunk_index.ntotal)
        if k == 0:
            return np.zeros(0, np.int64)
        rows: np.ndarray = self.chunk_index.search(vector.reshape(1, -1), k)[1][0]
        return rows[rows >= 0]

    def lexical_search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk rows and BM25 scores of the best `k` chunks sharing a term with `query`."""
        return self.lexical.search(query, k)

    def idf(self, term: str) -> float:
        """How rare an analyzed term is among the chunks (BM25's idf)."""
        return self.lexical.idf(term)

    def chunk_vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The unit vectors of chunk rows `rows`, as float32 rows."""
        if not len(rows):
            return np.zeros((0, self.chunk_index.d), np.float32)
        return np.vstack([self.chunk_index.reconstruct(int(row)) for row in rows])

    def sentence_vectors(self, rows: Sequence[int] | range) -> np.ndarray:
        """The unit vectors of sentence rows `rows`, as float32 rows."""
        picked = rows if isinstance(rows, range) else np.asarray(rows, dtype=np.int64)
        if isinstance(picked, range):
            return np.asarray(self.sentence_matrix[picked.start : picked.stop], np.float32)
        return np.asarray(self.sentence_matrix[picked], np.float32)

    def part(self, doc: int, vectors: np.ndarray) -> DocumentPart:
        """Document row `doc` as a part to write again, given all chunk vectors in row order."""
        chunk_rows, sentence_rows = self.document_chunks(doc), self.document_sentences(doc)
        chunks = np.array(self.chunk_rows[chunk_rows.start : chunk_rows.stop, 1:], np.int64)
        chunks[:, 2:] -= sentence_rows.start if sentence_rows else 0
        sentences = self.sentence_rows[sentence_rows.start : sentence_rows.stop, 1:]
        return DocumentPart(
            self.documents[doc],
            DocumentRows(chunks, np.array(sentences, dtype=np.int64)),
            vectors[chunk_rows.start : chunk_rows.stop],
            self.sentence_vectors(sentence_rows),
        )

    def all_chunk_vectors(self) -> np.ndarray:
        """Every chunk vector, in row order."""
        return stored_vectors(self.chunk_index)


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


@dataclass(frozen=True)
class DocumentPart:
    """One article as a build writes it: its rows, chunk vectors and sentence vectors (unit
    float32 rows, in row order)."""

    document: Document
    rows: DocumentRows
    vectors: np.ndarray
    sentence_vectors: np.ndarray


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
