"""The model on ONNX Runtime: same weights, no torch import, exported once and cached.

The transformer of a folder that `ModelFiles` can read is exported to ONNX by an explicit
step of the build, while torch is loaded anyway (`Embedder.prepare_query_backend`), and
runs on ONNX Runtime: `rag ask` then starts without importing torch or sentence-transformers.
The int8 variant quantizes the weights per output channel (dynamic quantization).
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .cache import cache_path, cached
from .files import ModelFiles
from .pooling import pool
from .tokenizer import INPUTS, Inputs
from .torch_model import example_inputs, token_model


class OnnxEncoder:
    """Token vectors and pooled vectors of the model's transformer, run by ONNX Runtime."""

    def __init__(self, files: ModelFiles, model_path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only, for this session
        options.intra_op_num_threads = os.cpu_count() or 1
        # Idle threads sleep rather than spin: a spinning thread keeps a core busy after each
        # short question, a core the chat server needs (benchmarks/concurrency.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._names = [i.name for i in self._session.get_inputs()]
        self._pooling = files.pooling

    def __call__(self, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
        """(pooled vectors (n, dim), token vectors (n, length, dim)), not normalized."""
        tokens = self._session.run(None, {name: inputs[name] for name in self._names})[0]
        return pool(tokens, inputs["attention_mask"], self._pooling), tokens


def exported_path(files: ModelFiles, quantized: bool) -> Path:
    """Where the ONNX export of `files` is (or will be) cached."""
    return cache_path("onnx", files, "model-int8.onnx" if quantized else "model.onnx")


def export(model: Any, files: ModelFiles, quantized: bool) -> Path | None:
    """Export a loaded SentenceTransformer's transformer to the cache; None if that fails
    (no `onnx` package, an architecture the exporter cannot trace...)."""
    plain = cached(exported_path(files, False), lambda path: _export_fp32(model, path))
    if plain is None or not quantized:
        return plain
    return cached(exported_path(files, True), lambda path: _quantize(plain, path))


def _quantize(source: Path, target: Path) -> None:
    """Int8 weights per output channel, except the feed-forward output layers, whose
    inputs have outliers: quantizing them too costs cosine 0.989 instead of 0.995."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = [node.name for node in onnx.load(str(source), load_external_data=False).graph.node]
    keep = [name for name in names if re.search(r"layer\.\d+/output/dense/MatMul$", name)]
    root = logging.getLogger()
    muffle = logging.NullHandler()  # it warns through the root logger, which would print it
    root.addHandler(muffle)
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep
        )
    finally:
        logging.disable(disabled)
        root.removeHandler(muffle)


def _export_fp32(model: Any, target: Path) -> None:
    import torch

    example = example_inputs()
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "tokens")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            token_model(model), example, str(target),
            input_names=list(INPUTS), output_names=["tokens"], dynamic_axes=axes,
            opset_version=17, dynamo=False,
        )  # fmt: skip
