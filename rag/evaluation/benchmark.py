"""Retrieval quality on a BEIR dataset: index its corpus with the product's own build, rank
documents for every judged query (dense only, lexical only, fused as the product does), score.

A document's rank is that of its best chunk. The fused ranking the product uses (its
`candidates` per retriever) orders the first documents; documents past those follow in the
order of a deeper fusion, so that Recall@100 has 100 documents to look at.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import indexer, retrieval
from ..config import Settings
from ..embedding import Embedder
from ..errors import RagError
from ..index import Index, Store, open_store
from . import beir
from .metrics import score

DOCUMENTS_RANKED = 100  # the deepest cutoff of the reported metrics
SYSTEMS = ("dense", "lexical", "fused")


@dataclass(frozen=True)
class BeirReport:
    """Metrics of each system, and what indexing and searching cost."""

    dataset: str
    split: str
    queries: int
    documents: int
    chunks: int
    systems: dict[str, dict[str, float]]  # system -> metric -> mean over the queries
    index_seconds: float
    embedded_chunks: int
    latency_ms: dict[str, float]  # "p50", "p95" of embedding the query + fused search
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def default(self) -> dict[str, float]:
        """The metrics of the configuration the product uses: fused, reranked if configured."""
        return self.systems["fused"]


@dataclass(frozen=True)
class Rankings:
    """Document ids best first, for each system and judged query; and the fused search times."""

    runs: dict[str, dict[str, list[str]]]
    seconds: list[float]


def evaluate(
    dataset_dir: str | Path,
    split: str = "test",
    *,
    index_dir: str | Path | None = None,
    settings: Settings | None = None,
    progress: indexer.ProgressFactory | None = None,
    store: str | None = None,
) -> BeirReport:
    """Index the dataset's corpus (into `index_dir`, else a temporary folder; or into the
    Milvus `store`) and score retrieval.

    A named `index_dir` or `store` is reused by later runs: only changed documents are
    embedded again.

    Raises:
        RagError: the dataset is malformed, or `index_dir` holds something else than this corpus.
    """
    dataset = beir.load(dataset_dir, split)
    settings = settings or Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as folder:
        temporary = Path(folder)
        count = beir.write_corpus(dataset, temporary / "corpus")
        target = Path(index_dir) if index_dir is not None else temporary / "index"
        settings = dataclasses.replace(
            settings, source_dir=str(temporary / "corpus"), index_dir=str(target),
            store_uri=store or settings.store_uri,
        )  # fmt: skip
        if settings.store_uri:
            _check_store(open_store(settings.location, settings), temporary / "corpus")
        else:
            _check_index_dir(target, temporary / "corpus")
        embedder = Embedder(settings.embed_model, settings.batch_size)
        built = indexer.build_index(settings, progress=progress, embedder=embedder)
        _, data = open_store(settings.location, settings).open(settings.embed_model)
        ranked = rank(data, embedder.embed_query, dataset.queries, settings)
    return BeirReport(
        dataset=Path(dataset_dir).resolve().name,
        split=split,
        queries=len(dataset.queries),
        documents=count,
        chunks=built.chunks,
        systems={name: score(dataset.qrels, run) for name, run in ranked.runs.items()},
        index_seconds=round(built.seconds, 1),
        embedded_chunks=built.embedded_chunks,
        latency_ms=_percentiles(ranked.seconds),
        settings=_tuned(settings),
    )


def rank(
    data: Index, embed: Callable[[str], np.ndarray], queries: dict[str, str],
    settings: Settings,
) -> Rankings:  # fmt: skip
    """Rank documents for every query with each system, timing embedding + fused search."""
    deep = _depth(data)
    shallow = dataclasses.replace(settings, rerank_model="")
    runs: dict[str, dict[str, list[str]]] = {name: {} for name in SYSTEMS}
    seconds = []
    for query_id, text in queries.items():
        began = time.perf_counter()
        vector = embed(text)
        rows, _ = retrieval.ranking(data, text, vector, settings, settings.candidates)
        seconds.append(time.perf_counter() - began)
        deeper, _ = retrieval.ranking(data, text, vector, shallow, deep)
        dense, lexical = retrieval.candidates(data, text, vector, deep)
        runs["fused"][query_id] = documents(data, [*rows, *deeper])
        runs["dense"][query_id] = documents(data, dense.tolist())
        runs["lexical"][query_id] = documents(data, lexical.tolist())
    return Rankings(runs, seconds)


def documents(data: Index, rows: Iterable[int], limit: int = DOCUMENTS_RANKED) -> list[str]:
    """The document ids of chunk rows, each at the rank of its first (best) chunk."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(beir.doc_id(data.document(data.document_of_chunk(row)).source), None)
        if len(seen) == limit:
            break
    return list(seen)


def _depth(data: Index) -> int:
    """Chunks to fetch from each retriever so that, as a rule, 100 documents are ranked:
    three times the mean number of chunks per document, per document wanted."""
    per_document = data.chunk_count / max(len(data.document_ids()), 1)
    return int(np.ceil(3 * per_document * DOCUMENTS_RANKED))


def _check_store(store: Store, corpus: Path) -> None:
    """Refuse to build into a store that holds an index of other articles."""
    manifest = store.committed()
    names = {path.name for path in corpus.iterdir()}
    if manifest is not None and not set(manifest.files) <= names:
        raise RagError(
            f"{store.location} holds an index of other articles: give --store another "
            "file, or another collection (RAG_STORE_COLLECTION)"
        )


def _check_index_dir(target: Path, corpus: Path) -> None:
    """Refuse to build over anything but an index of this very corpus."""
    if not target.exists():
        return
    if not target.is_dir():
        raise RagError(f"{target} is a file, not an index folder: give --index a folder")
    manifest = open_store(target).committed()
    if manifest is None:
        if any(not _leftover_of_build(path.name) for path in target.iterdir()):
            raise RagError(f"{target}/ is not empty and holds no index: give --index a new folder")
        return
    names = {path.name for path in corpus.iterdir()}
    if not set(manifest.files) <= names:
        raise RagError(
            f"{target}/ holds an index of other articles: "
            "give --index a new folder for the evaluation"
        )


def _leftover_of_build(name: str) -> bool:
    """What a killed build leaves in an index folder before its first commit."""
    return name == ".lock" or name.startswith("gen-")


def _percentiles(seconds: list[float]) -> dict[str, float]:
    values = np.asarray(seconds or [0.0]) * 1000
    return {
        "p50": round(float(np.percentile(values, 50)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
    }


def _tuned(settings: Settings) -> dict[str, Any]:
    names = ("embed_model", "chunk_tokens", "chunk_overlap", "candidates", "rrf_k",
             "dense_weight", "lexical_weight", "rerank_model", "rerank_depth")  # fmt: skip
    return {name: getattr(settings, name) for name in names}
