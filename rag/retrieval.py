"""Hybrid retrieval: dense and BM25 rankings fused by reciprocal rank, near-duplicates collapsed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Settings
from .store import IndexData

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


def search(
    data: IndexData, query: str, query_vector: np.ndarray, settings: Settings, top_k: int
) -> list[Hit]:
    """The `top_k` best distinct passages for a query, best first."""
    n = data.vectors.ntotal
    depth = min(max(settings.candidates, top_k), n)
    if depth == 0:
        return []
    _, dense = data.vectors.search(query_vector.reshape(1, -1), depth)
    lexical, _ = data.lexical.search(query, depth)
    fused = fuse(
        [dense[0][dense[0] >= 0], lexical],
        [settings.dense_weight, settings.lexical_weight],
        settings.rrf_k,
    )
    ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    rows = _distinct(data, [row for row, _ in ranked], top_k)
    vectors = np.vstack([data.vectors.reconstruct(row) for row in rows]) if rows else None
    similarity = vectors @ query_vector if vectors is not None else []
    return [Hit(row, fused[row], float(sim)) for row, sim in zip(rows, similarity)]


def _distinct(data: IndexData, rows: list[int], limit: int) -> list[int]:
    """Keep rows in order, dropping any that mostly repeats a kept chunk of the same article
    (overlapping windows) or has the very same text as a kept chunk (a copied article)."""
    kept: list[int] = []
    texts: set[str] = set()
    for row in rows:
        doc, start, end = (int(v) for v in data.chunks[row, :3])
        text = " ".join(data.documents[doc].text[start:end].split())
        if text in texts or any(_overlaps(data.chunks[other], doc, start, end) for other in kept):
            continue
        kept.append(row)
        texts.add(text)
        if len(kept) == limit:
            break
    return kept


def _overlaps(other: np.ndarray, doc: int, start: int, end: int) -> bool:
    if int(other[0]) != doc:
        return False
    shared = min(end, int(other[2])) - max(start, int(other[1]))
    shorter = min(end - start, int(other[2]) - int(other[1]))
    return shared > _SAME_PASSAGE * shorter
