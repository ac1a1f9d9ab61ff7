"""The embedding model and how it runs.

`embedder` (the `Embedder`: chunk, sentence and query vectors) runs the model by the backend
that `backend` chooses: `traced` (torch), `onnx` (ONNX Runtime) or `torch_model`
(sentence-transformers itself). They share the model's `files`, its `tokenizer`, its
`pooling` and the `cache` of its exports.
"""

from __future__ import annotations

from .backend import BACKENDS, THIS_CPU, Cpu, choose_backend
from .embedder import ChunkToEmbed, Embedder
from .files import model_location

__all__ = [
    "BACKENDS",
    "THIS_CPU",
    "ChunkToEmbed",
    "Cpu",
    "Embedder",
    "choose_backend",
    "model_location",
]
