"""The interfaces of an index: `Store` (where it lives and how builds change it), `Update`
(one build's writes) and `Index` (what questions read).

The rest of the package talks to these only. Chunks, sentences and documents are named by
integer ids: each document's chunks and sentences have consecutive ids (a `range`), in text
order, so a sentence's neighbours are the ids beside it within its document. The folder
store (`folder.py`) is the first implementation.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..types import Document
from .manifest import Manifest

if TYPE_CHECKING:
    from .data import DocumentPart

Span = tuple[int, int, int]
"""(document id, start, end): a piece of a document's text."""


class Index(Protocol):
    """One committed build, open for questions: search, and fetch by id."""

    def document_ids(self) -> Sequence[int]:
        """The ids of the indexed documents, in index order."""
        ...

    def document(self, doc: int) -> Document:
        """Document `doc`."""
        ...

    def find_document(self, source: str) -> int | None:
        """The id of the document with this source, or None."""
        ...

    @property
    def chunk_count(self) -> int:
        """How many chunks are indexed."""
        ...

    @property
    def sentence_count(self) -> int:
        """How many sentences are indexed."""
        ...

    def chunk_span(self, row: int) -> Span:
        """(document id, start, end) of chunk `row`."""
        ...

    def chunk_sentences(self, row: int) -> range:
        """The sentence ids of chunk `row`."""
        ...

    def document_of_chunk(self, row: int) -> int:
        """The document id of chunk `row`."""
        ...

    def document_chunks(self, doc: int) -> range:
        """The chunk ids of document `doc`."""
        ...

    def sentence_span(self, row: int) -> Span:
        """(document id, start, end) of sentence `row`."""
        ...

    def document_of_sentence(self, row: int) -> int:
        """The document id of sentence `row`."""
        ...

    def document_sentences(self, doc: int) -> range:
        """The sentence ids of document `doc`."""
        ...

    def chunk_text(self, row: int) -> str:
        """The text of chunk `row`."""
        ...

    def sentence_text(self, row: int) -> str:
        """The text of sentence `row`."""
        ...

    def dense_search(self, vector: np.ndarray, k: int) -> np.ndarray:
        """The ids of the (at most) `k` chunks nearest to a unit `vector`, best first."""
        ...

    def lexical_search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores of the best `k` chunks sharing a term with `query`."""
        ...

    def idf(self, term: str) -> float:
        """How rare an analyzed term is among the chunks (BM25's idf; unknown: rarest)."""
        ...

    def chunk_vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The unit vectors of chunks `rows`, float32, one row each."""
        ...

    def sentence_vectors(self, rows: Sequence[int] | range) -> np.ndarray:
        """The unit vectors of sentences `rows`, float32, one row each."""
        ...


class Update(Protocol):
    """One build's changes to a store, invisible to readers until `commit`."""

    def put(self, part: DocumentPart) -> None:
        """Add a document, or replace the one with the same source."""
        ...

    def delete(self, source: str) -> None:
        """Remove the document with this source, if present."""
        ...

    def commit(self, manifest: Manifest) -> Manifest:
        """Make the changes visible with `manifest` (its counts and dimension filled in
        here), and return the manifest as committed."""
        ...


class Store(Protocol):
    """Where an index lives: its committed manifest, opening it, and changing it."""

    @property
    def location(self) -> str:
        """The store as named in messages (a folder, or a URI without credentials)."""
        ...

    def committed(self) -> Manifest | None:
        """The committed manifest, or None if nothing was ever built here."""
        ...

    def revision(self) -> Hashable:
        """A token that is cheap to read and changes whenever a build commits (it may also
        change when nothing was committed)."""
        ...

    def check(self, manifest: Manifest, model: str | None) -> None:
        """Raise `IndexMismatchError` if this code cannot read `manifest`'s index, or it was
        built with another model than `model` (None: any)."""
        ...

    def open(self, model: str | None = None) -> tuple[Manifest, Index]:
        """The committed index and its manifest, checked (see `check`).

        Raises:
            IndexNotFoundError, IndexMismatchError, IndexCorruptError
        """
        ...

    def damage(self, manifest: Manifest, *, full: bool = False) -> str:
        """What is wrong with the stored data of `manifest` ('' if nothing): missing or
        changed files, rows lost. `full` checks every byte, however long it takes."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Hold the build lock; raises `IndexBusyError` if another build holds it."""
        ...

    def update(self, base: Manifest | None) -> Update:
        """Start a build's changes on top of the committed build `base` (None: empty)."""
        ...

    def touch(self, manifest: Manifest) -> None:
        """Commit `manifest` for the same data (new file times, nothing re-indexed)."""
        ...
