"""Optional second stage: a cross-encoder reads the query with each of the best fused
passages and reorders them (`RAG_RERANK_MODEL`, off by default: no reranker is bundled)."""

from __future__ import annotations

import threading
from typing import Any

from .errors import ModelLoadError, first_line

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()  # guards loading, and the tokenizer, which is not thread-safe


def rerank(model: str, query: str, rows: list[int], texts: list[str]) -> list[int]:
    """`rows` reordered by the cross-encoder's score of (query, text), best first; rows
    that score the same keep their order."""
    if not rows:
        return []
    with _LOCK:
        encoder = _load(model)
        scores = encoder.predict([(query, text) for text in texts], show_progress_bar=False)
    order = sorted(range(len(rows)), key=lambda i: (-float(scores[i]), i))
    return [rows[i] for i in order]


def _load(model: str) -> Any:
    if model not in _MODELS:
        try:
            from sentence_transformers import CrossEncoder

            _MODELS[model] = CrossEncoder(model, device="cpu")
        except (OSError, ValueError, ImportError) as error:
            raise ModelLoadError(
                f"cannot load the rerank model {model!r} ({first_line(error)}): set "
                "RAG_RERANK_MODEL to a local cross-encoder folder or a model name that can be "
                "downloaded, or unset it"
            ) from None
    return _MODELS[model]
