"""Hybrid retrieval on tiny hand-made indexes: the fusion rule, its tie-break, and the
collapse of chunks that repeat a kept one (`rag.retrieval`)."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from rag import retrieval
from rag.config import Settings
from rag.index import DocumentRows, IndexData, stack
from rag.lexical import LexicalIndex
from rag.retrieval import fuse
from rag.types import Document

TEXT = " ".join(f"w{i:03d}" for i in range(80))  # 399 characters, no two windows alike
COPY = TEXT.replace(" ", "\n")  # the same words in another article, with other line breaks
BEES = "Bees make honey from nectar. A hive holds one queen."
TRAM = "The Lisbon tram climbs through the Alfama district."
AXES = np.eye(3, dtype=np.float32)  # chunk i's vector is axis i


def _index(texts: list[str], spans: list[tuple[int, int, int]], vectors=None) -> IndexData:
    """An index of `texts` whose chunks are `spans` (document, start, end) in document order,
    each one sentence, with chunk vectors `vectors` (default: all zero)."""
    documents = [Document(f"{n}.txt", f"Doc {n}", text, str(n)) for n, text in enumerate(texts)]
    parts = []
    for doc in range(len(texts)):
        own = [(start, end) for d, start, end in spans if d == doc]
        parts.append(DocumentRows.build(own, [(i, i + 1) for i in range(len(own))], own))
    chunks, sentences = stack(parts)
    vectors = np.zeros((len(spans), 3), np.float32) if vectors is None else vectors
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    lexical = LexicalIndex.build([texts[doc][start:end] for doc, start, end in spans])
    return IndexData(documents, chunks, sentences, index, vectors, lexical)


def _bees_and_tram() -> IndexData:
    """Chunks 0 and 1: the two sentences of BEES; chunk 2: TRAM."""
    return _index([BEES, TRAM], [(0, 0, 28), (0, 29, 52), (1, 0, len(TRAM))], AXES)


def test_fuse_adds_each_rankings_weight_over_k_plus_rank():
    fused = fuse([np.array([3, 1]), np.array([1, 7])], [1.0, 0.5], k=10)
    assert fused == pytest.approx({3: 1 / 11, 1: 1 / 12 + 0.5 / 11, 7: 0.5 / 12})
    assert all(type(row) is int for row in fused), "rows are plain ints, not numpy's"


def test_fuse_of_no_rows_is_empty():
    assert fuse([], [], k=10) == {}
    assert fuse([np.zeros(0, np.int64), np.zeros(0, np.int64)], [1.0, 1.0], k=10) == {}


def test_a_row_both_rankings_hold_beats_one_ranked_first_by_one():
    fused = fuse([np.array([1, 2]), np.array([2, 3])], [1.0, 1.0], k=10)
    assert max(fused, key=fused.__getitem__) == 2


def test_mirrored_rankings_tie_exactly():
    fused = fuse([np.array([5, 6]), np.array([6, 5])], [1.0, 1.0], k=10)
    assert fused[5] == fused[6]


def test_a_zero_weight_leaves_the_order_to_the_other_ranking():
    fused = fuse([np.array([1, 2]), np.array([2, 1])], [1.0, 0.0], k=10)
    assert fused == {1: 1 / 11, 2: 1 / 12}


@pytest.mark.parametrize(("k", "ratio"), [(0, 2.0), (10, 12 / 11), (60, 62 / 61)])
def test_a_larger_k_flattens_the_gap_between_ranks(k, ratio):
    fused = fuse([np.array([1, 2])], [1.0], k=k)
    assert fused[1] / fused[2] == pytest.approx(ratio)


def test_rows_tied_in_the_fusion_are_ranked_by_row():
    data, settings = _bees_and_tram(), Settings()
    # dense finds only chunk 2 and lexical only chunk 0 at depth 1: one rank 1 each
    rows, fused = retrieval.ranking(data, "honey", AXES[2], settings, depth=1)
    assert rows == [0, 2] and fused[0] == fused[2]


def test_a_second_query_joins_the_fusion():
    data, settings = _bees_and_tram(), Settings()
    alone, _ = retrieval.ranking(data, "honey", AXES[0], settings, depth=1)
    both, _ = retrieval.ranking(
        data, "honey", AXES[0], settings, depth=1, also=("Lisbon tram", AXES[2])
    )
    assert alone == [0] and both == [0, 2]


def test_search_gives_distinct_passages_with_their_cosine():
    data = _bees_and_tram()
    vector = np.array([0.6, 0.8, 0.0], np.float32)
    hits = retrieval.search(data, "queen", vector, Settings(), top_k=2)
    assert [(hit.row, hit.similarity) for hit in hits] == [
        (1, pytest.approx(0.8)),  # first by both retrievers
        (0, pytest.approx(0.6)),
    ]
    assert hits[0].score > hits[1].score


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ((0, 0, 100), (0, 40, 140), False),  # shares 60% of the shorter chunk
        ((0, 0, 100), (0, 50, 150), True),  # exactly half: another passage
        ((0, 0, 100), (0, 100, 200), True),  # the next window
        ((0, 0, 200), (0, 50, 90), False),  # inside a kept chunk
        ((0, 0, 100), (1, 0, 100), False),  # the same words in a copied article
        ((0, 0, 100), (1, 40, 140), True),  # overlapping offsets of another article
    ],
)
def test_a_chunk_that_mostly_repeats_a_kept_one_is_dropped(first, second, kept):
    spans = sorted([first, second])
    data = _index([TEXT, COPY], spans)
    rows = [spans.index(first), spans.index(second)]
    assert retrieval._distinct(data, rows, limit=5) == (rows if kept else rows[:1])


def test_distinct_keeps_the_given_order_up_to_the_limit():
    data = _index([TEXT], [(0, 0, 100), (0, 100, 200), (0, 200, 300)])
    assert retrieval._distinct(data, [2, 0, 1], limit=2) == [2, 0]
    assert retrieval._distinct(data, [], limit=2) == []
