"""Hybrid retrieval: dense and BM25 rankings fused by reciprocal rank, near-duplicates collapsed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Settings
from .index import Index, Span

_SAME_PASSAGE = 0.5  # chunks of one article overlapping by more than this share are one passage


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk row, its fused score and its cosine similarity with the query."""

    row: int
    score: float
    similarity: float


def fuse(rankings: list[np.ndarray], weights: list[float], k: int) -> dict[int, float]:
    """Reciprocal rank fusion: each ranking adds weight / (k + rank) to every row it holds."""
    fused: dict[int, float] = {}
    for rows, weight in zip(rankings, weights):
        for rank, row in enumerate(rows.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def candidates(
    data: Index, query: str, query_vector: np.ndarray, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """Chunk rows ranked by the dense and by the lexical retriever, best first, `depth` each."""
    lexical, _ = data.lexical_search(query, depth)
    return data.dense_search(query_vector, depth), lexical


def ranking(
    data: Index,
    query: str,
    query_vector: np.ndarray,
    settings: Settings,
    depth: int,
    also: tuple[str, np.ndarray] | None = None,
) -> tuple[list[int], dict[int, float]]:
    """Chunk rows best first, fused from `depth` candidates of each retriever, and their fused
    scores. `also` is a second query (text, vector) whose rankings join the fusion, as a
    follow-up question does beside the conversation it follows. With a rerank model, its
    order replaces the fused one in the top rows."""
    queries = [(query, query_vector), *([also] if also else [])]
    weights = [settings.dense_weight, settings.lexical_weight]
    fused = fuse(
        [rows for text, vector in queries for rows in candidates(data, text, vector, depth)],
        weights * len(queries),
        settings.rrf_k,
    )
    rows = sorted(fused, key=lambda row: (-fused[row], row))
    if settings.rerank_model:
        from .rerank import rerank

        head, tail = rows[: settings.rerank_depth], rows[settings.rerank_depth :]
        texts = [data.chunk_text(row) for row in head]
        rows = rerank(settings.rerank_model, query, head, texts) + tail
    return rows, fused


def search(
    data: Index,
    query: str,
    query_vector: np.ndarray,
    settings: Settings,
    top_k: int,
    also: tuple[str, np.ndarray] | None = None,
) -> list[Hit]:
    """The `top_k` best distinct passages for a query (and `also`, see `ranking`), best first."""
    depth = max(settings.candidates, top_k)
    ranked, fused = ranking(data, query, query_vector, settings, depth, also)
    rows = _distinct(data, ranked, top_k)
    similarity = data.chunk_vectors(rows) @ query_vector
    return [Hit(row, fused[row], float(sim)) for row, sim in zip(rows, similarity)]


def _distinct(data: Index, rows: list[int], limit: int) -> list[int]:
    """Keep rows in order, dropping any that mostly repeats a kept chunk of the same article
    (overlapping windows) or has the very same text as a kept chunk (a copied article)."""
    kept: list[int] = []
    texts: set[str] = set()
    for row in rows:
        doc, start, end = data.chunk_span(row)
        text = " ".join(data.chunk_text(row).split())
        if text in texts or any(
            _overlaps(data.chunk_span(other), doc, start, end) for other in kept
        ):
            continue
        kept.append(row)
        texts.add(text)
        if len(kept) == limit:
            break
    return kept


def _overlaps(other: Span, doc: int, start: int, end: int) -> bool:
    other_doc, other_start, other_end = other
    if other_doc != doc:
        return False
    shared = min(end, other_end) - max(start, other_start)
    shorter = min(end - start, other_end - other_start)
    return shared > _SAME_PASSAGE * shorter
