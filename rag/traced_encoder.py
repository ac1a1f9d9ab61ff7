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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .config import cache_dir
from .onnx_encoder import INPUTS, ModelFiles, cached, example_inputs, pool, token_model


def traced_path(files: ModelFiles) -> Path:
    """Where the traced transformer of `files` is (or will be) cached."""
    return cache_dir() / "torchscript" / files.fingerprint() / "model.pt"


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


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


@contextmanager
def precision(bf16: bool) -> Iterator[None]:
    """Inference, with matrix products in bfloat16 if `bf16`."""
    import torch

    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        yield


class TracedEncoder:
    """Token vectors and pooled vectors of the traced transformer, in fp32 or bf16."""

    def __init__(self, files: ModelFiles, path: Path, bf16: bool = False) -> None:
        import torch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._module = torch.jit.load(str(path), map_location="cpu").eval()
        self._pooling = files.pooling
        self._bf16 = bf16

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(pooled vectors (n, dim), token vectors (n, length, dim)), not normalized."""
        import torch

        with precision(self._bf16):
            tokens = self._module(*(torch.from_numpy(inputs[name]) for name in INPUTS))
        tokens = tokens.float().numpy()
        return pool(tokens, inputs["attention_mask"], self._pooling), tokens
