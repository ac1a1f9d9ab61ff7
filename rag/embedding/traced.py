"""The torch backend without sentence-transformers: the transformer traced once, then loaded.

Importing sentence-transformers and building the model takes about 5.5 s on two cores;
loading the same transformer traced by TorchScript takes 1.2 s with `import torch`
included, and runs the same operations (cosine 0.9999999 with the model's own vectors).
The trace is made the first time the model is loaded anyway, and cached beside the ONNX
export, keyed by the model folder's fingerprint.

On a CPU that computes bfloat16 natively (AVX512-BF16 or AMX), the same traced model runs
its matrix products in bfloat16 (`torch.autocast`; layer norms and softmax stay fp32):
about twice as fast, at cosine >= 0.9999 with the fp32 vectors (README, Performance).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .cache import cache_path, cached
from .files import ModelFiles
from .pooling import pool
from .tokenizer import INPUTS, Inputs
from .torch_model import example_inputs, precision, token_model


def traced_path(files: ModelFiles) -> Path:
    """Where the traced transformer of `files` is (or will be) cached."""
    return cache_path("torchscript", files, "model.pt")


def trace(model: Any, files: ModelFiles) -> Path | None:
    """Trace a loaded SentenceTransformer's transformer into the cache; None if that fails."""
    return cached(traced_path(files), lambda path: _trace(model, path))


def _trace(model: Any, target: Path) -> None:
    import torch
    from transformers.utils import logging as transformers_logging

    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # tracing reads attributes that warn
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(token_model(model), example_inputs(), check_trace=False)
        traced.save(str(target))
    finally:
        transformers_logging.set_verbosity(verbosity)


class TracedEncoder:
    """Token vectors and pooled vectors of the traced transformer, in fp32 or bf16."""

    def __init__(self, files: ModelFiles, path: Path, bf16: bool = False) -> None:
        import torch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._module = torch.jit.load(str(path), map_location="cpu").eval()
        self._pooling = files.pooling
        self._bf16 = bf16

    def __call__(self, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
        """(pooled vectors (n, dim), token vectors (n, length, dim)), not normalized."""
        import torch

        with precision(self._bf16):
            tokens = self._module(*(torch.from_numpy(inputs[name]) for name in INPUTS))
        tokens = tokens.float().numpy()
        return pool(tokens, inputs["attention_mask"], self._pooling), tokens
