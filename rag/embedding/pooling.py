"""From token vectors to text vectors: the model's pooling, sentence spans pooled late, and
L2 normalization (inner product is then cosine similarity)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pool(tokens: np.ndarray, attention_mask: np.ndarray, pooling: str) -> np.ndarray:
    """The pooled vectors (n, dim) of token vectors (n, length, dim), by `pooling`."""
    if pooling == "cls":
        return tokens[:, 0]
    mask = attention_mask[..., None].astype(np.float32)
    pooled: np.ndarray = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    return pooled


def pool_spans(
    tokens: np.ndarray,
    offsets: np.ndarray,
    mask: np.ndarray,
    spans: Sequence[tuple[int, int]],
    fallback: np.ndarray,
) -> np.ndarray:
    """Mean of the token vectors inside each character span, normalized; `fallback` for a
    span that holds no whole token."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = mask & (ends > starts)  # special tokens and padding have empty offsets
    weights = np.array(
        [real & (starts >= a) & (ends <= b) for a, b in spans], dtype=np.float32
    ).reshape(len(spans), len(tokens))
    counts = weights.sum(axis=1, keepdims=True)
    pooled = (weights @ tokens) / np.maximum(counts, 1.0)
    pooled[counts[:, 0] == 0] = fallback
    return normalize(pooled)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """`vectors` scaled to unit length along their last axis, as float32."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit
