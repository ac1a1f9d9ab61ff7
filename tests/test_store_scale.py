"""Large-index storage: the approximate vector index and int8 sentence vectors."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from rag.index import vectors as storage


def _clustered(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((64, 384)).astype(np.float32)
    vectors = centres[rng.integers(0, 64, n)] + 0.5 * rng.standard_normal((n, 384)).astype(
        np.float32
    )
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_small_collections_get_exact_search():
    assert isinstance(storage.make_vector_index(_clustered(500)), faiss.IndexFlatIP)


@pytest.mark.slow
def test_large_collections_get_ivf_that_finds_what_exact_search_finds(tmp_path):
    vectors = _clustered(6000)
    index = storage.make_vector_index(vectors, exact_limit=5000)
    assert (
        isinstance(index, faiss.IndexIVFFlat) and index.nprobe >= 16 and index.nlist <= 6000 // 39
    )
    faiss.write_index(index, str(tmp_path / "v.faiss"))
    loaded = storage.read_vector_index(tmp_path / "v.faiss")
    assert loaded.nprobe == index.nprobe
    assert np.allclose(storage.stored_vectors(loaded), vectors, atol=1e-6), (
        "rows read back in order"
    )
    queries = _clustered(200, seed=1)
    _, exact = storage.make_vector_index(vectors).search(queries, 10)
    _, approximate = loaded.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approximate)])
    assert recall >= 0.9, recall


def test_int8_sentence_vectors_read_back_close_to_the_originals():
    vectors = _clustered(300)
    assert storage.sentence_storage(vectors, chunks=10).dtype == np.float16
    codes = storage.sentence_storage(vectors, chunks=storage.EXACT_LIMIT + 1)
    rows = storage.Int8Rows(codes)
    assert codes.dtype == np.int8 and len(rows) == 300
    assert np.all(np.sum(rows[np.arange(300)] * vectors, axis=1) > 0.9999)
    assert np.allclose(rows[7], rows[np.array([7])][0])


@pytest.mark.slow
def test_a_large_index_answers_like_a_small_one(tmp_path, monkeypatch, seed_index):
    from conftest import SEEDS

    import rag

    question = "Who asked NATO to close Ukraine's airspace?"
    expected = rag.load_index(seed_index).ask(question)
    monkeypatch.setattr(storage, "EXACT_LIMIT", 4)  # the seed articles make 10 chunks
    rag.build_index(SEEDS, tmp_path / "index")
    assistant = rag.load_index(tmp_path / "index")
    assert isinstance(assistant._data.chunk_index, faiss.IndexIVFFlat)
    assert isinstance(assistant._data.sentence_matrix, storage.Int8Rows)
    answer = assistant.ask(question)
    assert (answer.found, answer.text) == (expected.found, expected.text)
