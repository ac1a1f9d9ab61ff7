"""The embedding model: chunk, sentence and query vectors from one sentence-transformers model.

A chunk goes through the model once. Its vector is the model's own pooled output; the
vector of each sentence inside it is the mean of that sentence's token outputs (late
pooling), so sentence-level answers cost no extra model passes at build or query time.
All vectors are L2-normalized: inner product is cosine similarity. Which backend runs the
model for chunks and for questions is `backend.choose_backend`'s decision; a model that
`ModelFiles` cannot read runs in sentence-transformers whatever the backend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..chunking import Budget
from ..config import DEFAULT_MODEL, embed_backend
from . import torch_model
from .backend import THIS_CPU, Purpose, choose_backend
from .files import ModelFiles, model_location
from .onnx import OnnxEncoder, export, exported_path
from .pooling import normalize, pool_spans
from .tokenizer import HubTokenizer, Inputs, Tokenizer
from .traced import TracedEncoder, trace, traced_path

Progress = Callable[[int], object]
"""Called with the number of chunks just embedded."""

Forward = Callable[[Inputs], tuple[np.ndarray, np.ndarray]]
"""Model inputs -> (pooled vectors, token vectors), before normalization."""


@dataclass(frozen=True)
class ChunkToEmbed:
    """A chunk's text and the (start, end) offsets of its sentences within that text."""

    text: str
    segments: Sequence[tuple[int, int]]


class _Loaded:
    """Models loaded on first use, shared by every copy of an Embedder."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.torch: Any = None
        self.encoders: dict[str, Forward | None] = {}  # by backend; None: use `torch`


class Embedder:
    """One embedding model: its tokenizer at once, its weights on first use, per backend."""

    def __init__(
        self, name: str = DEFAULT_MODEL, batch_size: int = 16, backend: str | None = None
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.backend = backend.strip() if backend else embed_backend()
        self._query_backend = self._backend("query")  # an unknown backend fails here
        self._location = model_location(name)
        self._files = ModelFiles.read(self._location)
        self._loaded = _Loaded()
        tokenizer: Tokenizer | HubTokenizer
        if self._files is not None:
            tokenizer = Tokenizer(self._files)
            prompts, default = self._files.prompts, self._files.default_prompt
            max_length = self._files.max_seq_length
        else:  # a hub name or an unusual folder: sentence-transformers does everything
            model = self.model
            max_length = int(model.max_seq_length)
            tokenizer = HubTokenizer(model.tokenizer, max_length)
            prompts, default = model.prompts or {}, ""
        self.count_tokens = _counting(tokenizer.count)
        self._tokenize = tokenizer
        self._query_prompt = prompts.get("query", default)
        self._prompt = prompts.get("document", default)
        inputs, _ = self._tokenize([self._prompt])
        self.budget = Budget(self.count_tokens, max_length - inputs["input_ids"].shape[1])
        self.dim = self._dimension()

    @property
    def model(self) -> Any:
        """The sentence-transformers model (torch), loaded on first use."""
        with self._loaded.lock:
            if self._loaded.torch is None:
                self._loaded.torch = torch_model.load_sentence_transformer(
                    self.name, self._location
                )
            return self._loaded.torch

    @property
    def tokenizer(self) -> Any:
        """The model's transformers tokenizer (loads the torch model)."""
        return self.model.tokenizer

    def preload(self) -> None:
        """Load what embedding chunks needs now, e.g. in a thread while files are chunked."""
        self._forward(self._backend("build"))

    def embed_query(self, text: str) -> np.ndarray:
        """The normalized vector of a question, shape (dim,)."""
        inputs, _ = self._tokenize([self._query_prompt + text])
        pooled, _ = self._forward(self._query_backend)(inputs)
        vector: np.ndarray = normalize(np.asarray(pooled, dtype=np.float32))[0]
        return vector

    def embed_chunks(
        self, chunks: Sequence[ChunkToEmbed], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for chunks, shape (n, dim), and for each chunk its sentences' vectors.

        Chunks are batched longest first, so that each batch pads little.
        """
        forward = self._forward(self._backend("build"))
        order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].text))
        vectors = np.zeros((len(chunks), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(chunks)
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            pooled, parts = self._embed_batch([chunks[i] for i in batch], forward)
            vectors[batch] = pooled
            for i, part in zip(batch, parts):
                sentences[i] = part
            if progress:
                progress(len(batch))
        return vectors, sentences

    def prepare_query_backend(self) -> None:
        """Export the model for questions to ONNX now, if it is not yet: a step of the build
        after `embed_chunks`, so that questions need no torch. Nothing to do when questions
        run in torch, or the build ran on ONNX Runtime (which exported it)."""
        files = self._files
        if files is None or self._query_backend != "onnx":
            return
        if self._backend("build").startswith("onnx"):
            return  # the build's own backend exported it
        if not exported_path(files, False).is_file():
            export(self.model, files, quantized=False)

    def _backend(self, purpose: Purpose) -> str:
        return choose_backend(self.backend, purpose, THIS_CPU)

    def _embed_batch(
        self, chunks: list[ChunkToEmbed], forward: Forward
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        inputs, offsets = self._tokenize([self._prompt + chunk.text for chunk in chunks])
        offsets = offsets - len(self._prompt)
        pooled, tokens = forward(inputs)
        pooled = normalize(np.asarray(pooled, dtype=np.float32))
        tokens = np.asarray(tokens, dtype=np.float32)
        mask = inputs["attention_mask"].astype(bool)
        parts = [
            pool_spans(tokens[i], offsets[i], mask[i], chunk.segments, pooled[i])
            for i, chunk in enumerate(chunks)
        ]
        return pooled, parts

    def _forward(self, backend: str) -> Forward:
        """The model run by `backend`, falling back to sentence-transformers where ONNX or
        the traced transformer cannot run it."""
        encoder = None
        if self._files is None:
            self.model  # noqa: B018 - loaded now, not in the middle of the first batch
        else:
            with self._loaded.lock:
                if backend not in self._loaded.encoders:
                    self._loaded.encoders[backend] = self._encoder(backend)
                encoder = self._loaded.encoders[backend]
        return encoder or partial(self._torch_forward, bf16=backend == "torch-bf16")

    def _encoder(self, backend: str) -> Forward | None:
        assert self._files is not None
        if backend in ("torch", "torch-bf16"):
            cached = traced_path(self._files)
            path = cached if cached.is_file() else trace(self.model, self._files)
            try:
                return TracedEncoder(self._files, path, backend == "torch-bf16") if path else None
            except (RuntimeError, OSError):  # a damaged cache file: run the model as it is
                return None
        return self._onnx(backend == "onnx-int8")

    def _onnx(self, quantized: bool) -> Forward | None:
        assert self._files is not None
        cached = exported_path(self._files, quantized)
        try:
            path: Path | None = cached
            if not cached.is_file():  # the one time torch is needed: export the model
                path = export(self.model, self._files, quantized)
            return OnnxEncoder(self._files, path) if path else None
        except ImportError:  # onnxruntime is not installed
            return None

    def _torch_forward(self, inputs: Inputs, bf16: bool) -> tuple[np.ndarray, np.ndarray]:
        return torch_model.forward(self.model, inputs, bf16)

    def _dimension(self) -> int:
        if self._files is not None and self._files.dim:
            return self._files.dim
        return int(self.model.get_embedding_dimension())


def _counting(count: Callable[[list[str]], list[int]]) -> Callable[[list[str]], list[int]]:
    """A token counter that accepts an empty batch."""
    return lambda texts: count(texts) if texts else []
