"""The `Store` contract: what every index store must do, run against each implementation.

Vectors are made by hand (one axis per topic), so the contract is checked without a model.
A second store (an engine) joins by adding its factory to `STORES`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError
from rag.index import DocumentPart, DocumentRows, FolderStore, Index, Manifest, Store
from rag.lexical import ANALYZER
from rag.types import Document

DIM = 8


def _milvus_lite(folder: Path) -> Store:
    from rag.index.milvus import MilvusStore

    return MilvusStore(str(folder.with_suffix(".db")), "contract")


STORES: dict[str, Callable[[Path], Store]] = {"folder": FolderStore, "milvus-lite": _milvus_lite}
HAS_MILVUS = importlib.util.find_spec("pymilvus") is not None
# Each article: sentences, and the topic axis its vectors point along.
ARTICLES = {
    "bees.txt": (["Bees make honey.", "A hive has one queen."], 0),
    "tram.txt": (["The tram climbs the hill.", "It was electrified in 1914."], 1),
    "oil.txt": (["Oil prices rose in 1973.", "Queues formed at petrol stations."], 2),
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param.startswith("milvus") and not HAS_MILVUS:
        pytest.skip('needs the milvus extra: pip install ".[milvus]"')
    made = STORES[request.param](tmp_path / "index")
    yield made
    close = getattr(made, "close", None)
    if close:
        close()


def _unit(axis: int, jitter: float = 0.0) -> np.ndarray:
    vector = np.zeros(DIM, np.float32)
    vector[axis], vector[-1] = 1.0, jitter
    return vector / np.linalg.norm(vector)


def _part(source: str, sentences: list[str] | None = None, axis: int | None = None) -> DocumentPart:
    """An article of two chunks, one sentence each."""
    default_sentences, default_axis = ARTICLES[source]
    sentences = sentences or default_sentences
    axis = default_axis if axis is None else axis
    text = " ".join(sentences)
    spans, start = [], 0
    for sentence in sentences:
        spans.append((start, start + len(sentence)))
        start += len(sentence) + 1
    rows = DocumentRows.build(spans, [(n, n + 1) for n in range(len(spans))], spans)
    vectors = np.vstack([_unit(axis, 0.1 * n) for n in range(len(spans))])
    document = Document(source, source.removesuffix(".txt").title(), text, f"hash-{text}")
    return DocumentPart(document, rows, vectors, vectors.copy())


def _manifest(model: str = "test-model") -> Manifest:
    return Manifest(model=model, dim=0, documents=0, chunks=0, analyzer=ANALYZER)


def _build(store: Store, *sources: str) -> Manifest:
    update = store.update(store.committed())
    for source in sources:
        update.put(_part(source))
    return update.commit(_manifest())


def _doc_id(index: Index, source: str) -> int:
    doc = index.find_document(source)
    assert doc is not None and index.document(doc).source == source
    return doc


def _sources(index: Index) -> list[str]:
    return sorted(index.document(doc).source for doc in index.document_ids())


def test_an_empty_store_has_no_index(store: Store) -> None:
    assert store.committed() is None
    with pytest.raises(IndexNotFoundError):
        store.open()


def test_a_committed_build_is_counted_and_fetched_by_id(store: Store) -> None:
    committed = _build(store, "bees.txt", "tram.txt")
    assert (committed.documents, committed.chunks, committed.dim) == (2, 4, DIM)
    manifest, index = store.open("test-model")
    assert manifest == committed == store.committed()
    assert (index.chunk_count, index.sentence_count) == (4, 4)
    tram = _doc_id(index, "tram.txt")
    chunks, sentences = index.document_chunks(tram), index.document_sentences(tram)
    assert len(chunks) == len(sentences) == 2
    assert [index.chunk_text(row) for row in chunks] == ARTICLES["tram.txt"][0]
    assert [index.sentence_text(row) for row in sentences] == ARTICLES["tram.txt"][0]
    second = chunks[1]
    assert index.document_of_chunk(second) == tram and index.chunk_sentences(second) == range(
        sentences[1], sentences[1] + 1
    )
    doc, start, end = index.sentence_span(sentences[1])
    assert index.document(doc).text[start:end] == "It was electrified in 1914."
    assert index.find_document("nowhere.txt") is None
    assert index.document_of_sentence(sentences[1]) == tram
    assert not store.damage(manifest)


def test_dense_and_lexical_search_find_the_right_chunks(store: Store) -> None:
    _build(store, *ARTICLES)
    _, index = store.open()
    oil = _doc_id(index, "oil.txt")
    dense = index.dense_search(_unit(2), 3)
    assert index.document_of_chunk(int(dense[0])) == oil and len(dense) == 3
    assert len(index.dense_search(_unit(2), 100)) == 6, "k beyond the count returns all"
    rows, scores = index.lexical_search("When did petrol queues form?", 5)
    assert index.chunk_text(int(rows[0])) == "Queues formed at petrol stations."
    assert list(scores) == sorted(scores, reverse=True) and len(rows) == 1
    assert len(index.lexical_search("zeppelin", 5)[0]) == 0
    assert index.idf("zeppelin") > index.idf("queue") > 0


def test_vectors_are_fetched_as_unit_float32_rows(store: Store) -> None:
    _build(store, "bees.txt", "tram.txt")
    _, index = store.open()
    tram = _doc_id(index, "tram.txt")
    chunks = list(index.document_chunks(tram))
    vectors = index.chunk_vectors(chunks)
    assert vectors.dtype == np.float32 and vectors.shape == (2, DIM)
    assert np.allclose(vectors, [_unit(1), _unit(1, 0.1)], atol=1e-3)
    sentences = index.sentence_vectors(index.document_sentences(tram))
    assert np.allclose(sentences, vectors, atol=1e-3)
    assert np.allclose(index.sentence_vectors(list(index.document_sentences(tram))), sentences)


def test_an_update_replaces_and_deletes_documents_and_keeps_the_rest(store: Store) -> None:
    _build(store, *ARTICLES)
    update = store.update(store.committed())
    update.delete("bees.txt")
    update.put(_part("tram.txt", ["The tram was closed.", "Buses replaced it.", "In 2020."], 3))
    committed = update.commit(_manifest())
    assert (committed.documents, committed.chunks) == (2, 5)
    _, index = store.open()
    assert _sources(index) == ["oil.txt", "tram.txt"]
    tram = _doc_id(index, "tram.txt")
    assert index.chunk_text(index.document_chunks(tram)[1]) == "Buses replaced it."
    assert index.document_of_chunk(int(index.dense_search(_unit(3), 1)[0])) == tram
    assert len(index.lexical_search("honey hive", 5)[0]) == 0, "a deleted article is gone"
    oil = _doc_id(index, "oil.txt")
    assert index.chunk_text(index.document_chunks(oil)[0]) == "Oil prices rose in 1973."


def test_readers_see_the_old_build_until_the_update_commits(store: Store) -> None:
    _build(store, "bees.txt")
    before = store.revision()
    update = store.update(store.committed())
    update.put(_part("tram.txt"))
    _, index = store.open()
    assert _sources(index) == ["bees.txt"]
    update.commit(_manifest())
    assert store.revision() != before
    assert _sources(store.open()[1]) == ["bees.txt", "tram.txt"]


def test_touch_commits_a_manifest_for_the_same_data(store: Store) -> None:
    committed = _build(store, "bees.txt")
    store.touch(committed.replace(built_at="later"))
    manifest, index = store.open()
    assert manifest.built_at == "later" and index.chunk_count == 2


def test_another_model_is_refused(store: Store) -> None:
    _build(store, "bees.txt")
    with pytest.raises(IndexMismatchError, match="other-model"):
        store.open("other-model")


def test_a_second_build_is_refused_while_one_holds_the_lock(store: Store) -> None:
    with store.lock(), pytest.raises(IndexBusyError), store.lock():
        pass
    with store.lock():  # released
        pass
