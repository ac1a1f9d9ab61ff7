"""Encoder backends: ONNX Runtime gives the torch vectors, and `rag ask` then needs no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rag.embedding import THIS_CPU, ChunkToEmbed, Embedder
from rag.embedding.onnx import exported_path
from rag.embedding.traced import traced_path
from rag.errors import RagError

TEXT = (
    "NATO refused a no-fly zone. Zelensky asked for it again and again. "
    "The alliance feared a wider war."
)
SPANS = [(0, 27), (28, 66), (67, len(TEXT))]


@pytest.fixture(scope="module")
def backends(embedder):
    return {name: Embedder(backend=name) for name in ("torch", "torch-bf16", "onnx", "onnx-int8")}


def test_onnx_gives_the_torch_vectors(backends):
    torch_vectors, torch_sentences = backends["torch"].embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    onnx_vectors, onnx_sentences = backends["onnx"].embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    assert float(torch_vectors[0] @ onnx_vectors[0]) > 0.9999
    assert np.all(np.sum(torch_sentences[0] * onnx_sentences[0], axis=1) > 0.9999)
    question = "Who asked for a no-fly zone?"
    assert (
        float(backends["torch"].embed_query(question) @ backends["onnx"].embed_query(question))
        > 0.9999
    )


def test_the_traced_model_gives_sentence_transformers_vectors(backends):
    """The torch backend runs the transformer traced into the cache; padded batches of
    different lengths give what sentence-transformers' own encode gives."""
    texts = [TEXT, "A short one.", TEXT + " " + TEXT]
    chunks = [ChunkToEmbed(text, [(0, len(text))]) for text in texts]
    ours, _ = backends["torch"].embed_chunks(chunks)
    theirs = backends["torch"].model.encode(texts, normalize_embeddings=True)
    assert np.all(np.sum(ours * theirs, axis=1) > 0.9999)
    assert "TracedEncoder" in type(backends["torch"]._forward("torch")).__name__


@pytest.mark.slow  # quantizes the exported model
def test_int8_stays_close_to_fp32(backends):
    reference, sentences = backends["torch"].embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    quantized, quantized_sentences = backends["onnx-int8"].embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    assert float(reference[0] @ quantized[0]) > 0.99
    assert quantized_sentences[0].shape == (3, 384)
    assert np.all(np.sum(sentences[0] * quantized_sentences[0], axis=1) > 0.98)


def test_bf16_stays_close_to_fp32(backends):
    """The traced model with bfloat16 matrix products: what `auto` embeds chunks with on a
    CPU that computes bfloat16 natively."""
    reference, sentences = backends["torch"].embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    bf16, bf16_sentences = backends["torch-bf16"].embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    assert not np.array_equal(reference, bf16)  # really computed in bfloat16
    assert float(reference[0] @ bf16[0]) > 0.999
    assert np.all(np.sum(sentences[0] * bf16_sentences[0], axis=1) > 0.999)
    assert "TracedEncoder" in type(backends["torch-bf16"]._forward("torch-bf16")).__name__
    assert Embedder()._backend("build") == ("torch-bf16" if THIS_CPU.native_bf16 else "torch")


def test_unknown_backend_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("RAG_EMBED_BACKEND", "tensorrt")
    with pytest.raises(RagError, match="RAG_EMBED_BACKEND to one of auto, torch"):
        Embedder()


def test_ask_from_a_cold_process_does_not_import_torch(seed_index):
    script = (
        "import sys, rag; a = rag.load_index(sys.argv[1]); "
        "found = a.ask('Who asked NATO to close the airspace?').found; "
        "print(found, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(seed_index)], capture_output=True, text=True
    )
    assert out.stdout.split() == ["True", "False", "False"], out.stderr


def test_a_damaged_traced_model_in_the_cache_is_not_fatal(tmp_path, monkeypatch):
    """A cache file cut short (a full disk, say) makes the build run the model untraced."""
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    embedder = Embedder(backend="torch")
    path = traced_path(embedder._files)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 not a model")
    vectors, _ = embedder.embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    expected = embedder.model.encode([TEXT], normalize_embeddings=True)
    assert float(vectors[0] @ expected[0]) > 0.9999


@pytest.mark.slow  # exports the model to ONNX in a fresh cache
def test_the_onnx_export_is_a_step_of_its_own(tmp_path, monkeypatch):
    """`auto` embeds chunks in torch and questions on ONNX Runtime: embedding chunks exports
    nothing, `prepare_query_backend` (a step of the build) exports the model for questions."""
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    embedder = Embedder(backend="auto")
    embedder.embed_chunks([ChunkToEmbed(TEXT, SPANS)])
    exported = exported_path(embedder._files, quantized=False)
    assert not exported.exists()
    embedder.prepare_query_backend()
    assert exported.is_file()
