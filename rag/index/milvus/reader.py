"""One committed build of a Milvus store, open for questions (the `Index` of `MilvusStore`).

Rows live in the engine; what a question touches is fetched once and kept: a document's
record and sentence spans by document, a chunk's span from the search that found it. Only
the committed documents are visible: rows a running build has written (ids from the head's
`next_doc` on) and rows of documents the commit retired are filtered out.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import IndexCorruptError
from ...types import Document
from ..store import Span
from .client import MAX_ROWS, Connection
from .schema import ID_BITS, lexical_text

_KEEP = 256  # documents kept in memory (records, sentence spans)
_CHUNK_FIELDS = ["start", "end", "first", "stop"]


@dataclass(frozen=True)
class Visible:
    """Which documents a committed build holds: ids below `next_doc`, except `retired`."""

    next_doc: int
    retired: tuple[int, ...] = ()

    def filter(self, extra: str = "") -> str:
        """A Milvus filter for the visible rows (and `extra`)."""
        terms = [f"doc < {self.next_doc}"]
        if self.retired:
            terms.append(f"doc not in {list(self.retired)}")
        return " and ".join([*terms, *([extra] if extra else [])])


def doc_of(row: int) -> int:
    """The document id of a chunk or sentence id."""
    return row >> ID_BITS


def first_row(doc: int) -> int:
    """The id of document `doc`'s first chunk or sentence."""
    return doc << ID_BITS


@dataclass
class _Cache:
    documents: OrderedDict[int, Document] = field(default_factory=OrderedDict)
    counts: dict[int, tuple[int, int]] = field(default_factory=dict)  # doc -> chunks, sentences
    chunks: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    sentences: OrderedDict[int, np.ndarray] = field(default_factory=OrderedDict)
    idf: dict[str, float] = field(default_factory=dict)
    order: list[int] | None = None
    sentence_count: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class MilvusIndex:
    """The `Index` of one committed build in the generation `prefix`, of `counts` (chunks,
    vector dimension)."""

    def __init__(
        self, conn: Connection, prefix: str, visible: Visible, counts: tuple[int, int],
        location: str,
    ) -> None:  # fmt: skip
        self._conn = conn
        self._chunks, self._sentences = f"{prefix}_chunks", f"{prefix}_sentences"
        self._documents = f"{prefix}_documents"
        self._visible = visible
        self._chunk_count, self._dim = counts
        self._location = location
        self._cache = _Cache()

    def document_ids(self) -> list[int]:
        """The document ids, in source order (as the folder store lists them)."""
        if self._cache.order is None:
            rows = self._query(self._documents, self._visible.filter("piece == 0"),
                               ["doc", "source", "chunks", "sentences"])  # fmt: skip
            for row in rows:
                self._cache.counts[row["doc"]] = (row["chunks"], row["sentences"])
            self._cache.order = [row["doc"] for row in sorted(rows, key=lambda r: r["source"])]
        return self._cache.order

    def document(self, doc: int) -> Document:
        """Document `doc`, from its pieces."""
        cache = self._cache
        with cache.lock:
            if doc in cache.documents:
                cache.documents.move_to_end(doc)
                return cache.documents[doc]
        rows = self._query(self._documents, f"doc == {doc}", ["piece", "body"])
        if not rows:
            raise IndexCorruptError(self._location, f"document {doc} is missing")
        body = "".join(row["body"] for row in sorted(rows, key=lambda r: r["piece"]))
        record = json.loads(body)
        document = Document(
            source=record["source"], title=record["title"], text=record["text"],
            content_hash=record["hash"], page_starts=tuple(record["page_starts"]),
        )  # fmt: skip
        with cache.lock:
            cache.documents[doc] = document
            if len(cache.documents) > _KEEP:
                cache.documents.popitem(last=False)
        return document

    def find_document(self, source: str) -> int | None:
        """The id of the document with this source, or None."""
        rows = self._query(
            self._documents,
            self._visible.filter(f"piece == 0 and source == {json.dumps(source)}"),
            ["doc", "chunks", "sentences"],
        )
        if not rows:
            return None
        self._cache.counts[rows[0]["doc"]] = (rows[0]["chunks"], rows[0]["sentences"])
        return int(rows[0]["doc"])

    @property
    def chunk_count(self) -> int:
        """How many chunks are indexed (from the manifest)."""
        return self._chunk_count

    @property
    def sentence_count(self) -> int:
        """How many sentences are indexed (counted once)."""
        if self._cache.sentence_count is None:
            self._cache.sentence_count = self.count(self._sentences)
        return self._cache.sentence_count

    def count(self, collection: str, extra: str = "") -> int:
        """How many visible rows `collection` holds."""
        result = self._conn.call(
            "query", collection, filter=self._visible.filter(extra), output_fields=["count(*)"]
        )
        return int(result[0]["count(*)"])

    def chunk_span(self, row: int) -> Span:
        """(document id, start, end) of chunk `row`."""
        start, end, _, _ = self._chunk(row)
        return doc_of(row), start, end

    def chunk_sentences(self, row: int) -> range:
        """The sentence ids of chunk `row`."""
        _, _, first, stop = self._chunk(row)
        return range(first, stop)

    def document_of_chunk(self, row: int) -> int:
        """The document id of chunk `row`."""
        return doc_of(row)

    def document_chunks(self, doc: int) -> range:
        """The chunk ids of document `doc`."""
        return range(first_row(doc), first_row(doc) + self._counts(doc)[0])

    def sentence_span(self, row: int) -> Span:
        """(document id, start, end) of sentence `row`."""
        doc = doc_of(row)
        start, end = self._sentence_spans(doc)[row - first_row(doc)].tolist()
        return doc, start, end

    def document_of_sentence(self, row: int) -> int:
        """The document id of sentence `row`."""
        return doc_of(row)

    def document_sentences(self, doc: int) -> range:
        """The sentence ids of document `doc`."""
        return range(first_row(doc), first_row(doc) + self._counts(doc)[1])

    def chunk_text(self, row: int) -> str:
        """The text of chunk `row`."""
        doc, start, end = self.chunk_span(row)
        return self.document(doc).text[start:end]

    def sentence_text(self, row: int) -> str:
        """The text of sentence `row`."""
        doc, start, end = self.sentence_span(row)
        return self.document(doc).text[start:end]

    def dense_search(self, vector: np.ndarray, k: int) -> np.ndarray:
        """The ids of the (at most) `k` chunks nearest to a unit `vector`, best first."""
        hits = self._search([np.asarray(vector, np.float32).ravel().tolist()], "vector", "IP", k)
        return np.array([hit["id"] for hit in hits], dtype=np.int64)

    def lexical_search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores (the engine's) of the best `k` chunks sharing a term with
        `query`."""
        text = lexical_text(query)
        hits = self._search([text], "sparse", "BM25", k) if text.strip() else []
        hits = [hit for hit in hits if hit["distance"] > 0]
        rows = np.array([hit["id"] for hit in hits], dtype=np.int64)
        return rows, np.array([hit["distance"] for hit in hits], dtype=np.float32)

    def idf(self, term: str) -> float:
        """BM25's idf of an analyzed term: its document frequency counted by a search for it
        alone (exact up to `MAX_ROWS` chunks holding it), cached."""
        if term not in self._cache.idf:
            # the term is analyzed already: with rag's terms the engine only splits on spaces
            hits = self._search([term], "sparse", "BM25", MAX_ROWS, prime=False) if term else []
            found = len(hits)
            n = self._chunk_count
            self._cache.idf[term] = math.log(1.0 + (n - found + 0.5) / (found + 0.5))
        return self._cache.idf[term]

    def chunk_vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The unit vectors of chunks `rows`, float32, one row each."""
        return self._vectors(self._chunks, list(rows))

    def sentence_vectors(self, rows: Sequence[int] | range) -> np.ndarray:
        """The unit vectors of sentences `rows`, float32, one row each."""
        return self._vectors(self._sentences, list(rows))

    def _search(
        self, data: list[Any], field: str, metric: str, k: int, prime: bool = True
    ) -> list[dict[str, Any]]:
        k = min(k, MAX_ROWS, self._chunk_count)
        if k <= 0:
            return []
        result = self._conn.call(
            "search", self._chunks, data=data, anns_field=field, limit=k,
            filter=self._visible.filter(), output_fields=_CHUNK_FIELDS if prime else ["id"],
            search_params={"metric_type": metric},
        )  # fmt: skip
        hits: list[dict[str, Any]] = list(result[0])
        if prime:
            for hit in hits:
                e = hit["entity"]
                self._cache.chunks[hit["id"]] = (e["start"], e["end"], e["first"], e["stop"])
        return hits

    def _chunk(self, row: int) -> tuple[int, int, int, int]:
        cached = self._cache.chunks.get(row)
        if cached is None:
            doc = doc_of(row)
            for r in self._query(self._chunks, f"doc == {doc}", ["id", *_CHUNK_FIELDS]):
                self._cache.chunks[r["id"]] = (r["start"], r["end"], r["first"], r["stop"])
            cached = self._cache.chunks.get(row)
            if cached is None:
                raise IndexCorruptError(self._location, f"chunk {row} is missing")
        return cached

    def _counts(self, doc: int) -> tuple[int, int]:
        if doc not in self._cache.counts:
            rows = self._query(self._documents, f"doc == {doc} and piece == 0",
                               ["chunks", "sentences"])  # fmt: skip
            self._cache.counts[doc] = (rows[0]["chunks"], rows[0]["sentences"]) if rows else (0, 0)
        return self._cache.counts[doc]

    def _sentence_spans(self, doc: int) -> np.ndarray:
        cache = self._cache
        with cache.lock:
            if doc in cache.sentences:
                cache.sentences.move_to_end(doc)
                return cache.sentences[doc]
        rows = self._query(self._sentences, f"doc == {doc}", ["id", "start", "end"])
        spans = np.zeros((len(rows), 2), np.int64)
        for r in rows:
            spans[r["id"] - first_row(doc)] = (r["start"], r["end"])
        with cache.lock:
            cache.sentences[doc] = spans
            if len(cache.sentences) > _KEEP:
                cache.sentences.popitem(last=False)
        return spans

    def _vectors(self, collection: str, rows: list[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self._dim), np.float32)
        wanted = sorted(set(rows))
        found: dict[int, Any] = {}
        for i in range(0, len(wanted), MAX_ROWS):
            part = wanted[i : i + MAX_ROWS]
            dense = part[-1] - part[0] + 1 == len(part)
            where = f"id >= {part[0]} and id <= {part[-1]}" if dense else f"id in {part}"
            for r in self._conn.call("query", collection, filter=where,
                                     output_fields=["vector"], limit=len(part)):  # fmt: skip
                found[r["id"]] = r["vector"]
        missing = [row for row in wanted if row not in found]
        if missing:
            raise IndexCorruptError(self._location, f"the vector of row {missing[0]} is missing")
        return np.asarray([found[row] for row in rows], dtype=np.float32)

    def _query(self, collection: str, where: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every row of `collection` matching `where` (paged past `MAX_ROWS`)."""
        rows: list[dict[str, Any]] = self._conn.call(
            "query", collection, filter=where, output_fields=fields, limit=MAX_ROWS
        )
        if len(rows) < MAX_ROWS:
            return rows
        pager = self._conn.call(
            "query_iterator", collection, batch_size=4096, filter=where, output_fields=fields
        )
        rows = []
        try:
            while batch := pager.next():
                rows.extend(batch)
        finally:
            pager.close()
        return rows
