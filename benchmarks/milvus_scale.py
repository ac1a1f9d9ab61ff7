"""The Milvus store beside the folder index at scale (issue 16), in one run on the same
synthetic collection: `python benchmarks/milvus_scale.py [--chunks 100000] [--json]`.

Articles of 100 chunks (3 sentences each, ~120 words drawn from a Zipf vocabulary, random
unit vectors of 384 dimensions) go through each store's `Update`, as `rag build` writes
them. Measured: ingest rate, hybrid query p50/p95 (dense + BM25 fused by rag's RRF, as
`retrieval.ranking` runs it, query embedding excluded), the time to add one article and
to delete one (a whole build's update and commit), and disk. Not a timed test: figures
depend on the machine, and are reported in the README's "Scaling out".
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.index import DocumentPart, DocumentRows, FolderStore, Manifest, Store
from rag.index.milvus import MilvusStore
from rag.lexical import ANALYZER
from rag.retrieval import ranking
from rag.types import Document

DIM, CHUNKS_PER_ARTICLE, SENTENCES_PER_CHUNK, WORDS_PER_SENTENCE = 384, 100, 3, 40


def article(n: int, rng: np.random.Generator, vocabulary: list[str]) -> DocumentPart:
    """Synthetic article `n`."""
    words = rng.zipf(1.3, CHUNKS_PER_ARTICLE * SENTENCES_PER_CHUNK * WORDS_PER_SENTENCE)
    words = np.minimum(words, len(vocabulary)) - 1
    sentences = [
        " ".join(vocabulary[w] for w in words[i : i + WORDS_PER_SENTENCE]) + "."
        for i in range(0, len(words), WORDS_PER_SENTENCE)
    ]
    text, spans, start = " ".join(sentences), [], 0
    for sentence in sentences:
        spans.append((start, start + len(sentence)))
        start += len(sentence) + 1
    k = SENTENCES_PER_CHUNK
    chunk_spans = [(spans[i][0], spans[i + k - 1][1]) for i in range(0, len(spans), k)]
    rows = DocumentRows.build(chunk_spans, [(i, i + k) for i in range(0, len(spans), k)], spans)
    vectors = _unit(rng, len(chunk_spans))
    document = Document(f"a{n:07d}.txt", f"Article {n}", text, f"hash{n}")
    return DocumentPart(document, rows, vectors, _unit(rng, len(spans)))


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _manifest() -> Manifest:
    return Manifest(model="synthetic", dim=DIM, documents=0, chunks=0, analyzer=ANALYZER)


def measure(store: Store, articles: int, queries: int, seed: int = 0) -> dict[str, float]:
    """Ingest `articles`, time `queries` hybrid queries, then add and delete one article."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(20_000)]
    began = time.perf_counter()
    update = store.update(None)
    for n in range(articles):
        update.put(article(n, rng, vocabulary))
    manifest = update.commit(_manifest())
    ingest = time.perf_counter() - began
    _, index = store.open()
    settings = Settings()
    times = []
    for _ in range(queries):
        text = " ".join(vocabulary[w] for w in rng.integers(0, 2_000, 4))
        vector = _unit(rng, 1)[0]
        t = time.perf_counter()
        ranking(index, text, vector, settings, settings.candidates)
        times.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    update = store.update(store.committed())
    update.put(article(articles, rng, vocabulary))
    update.commit(_manifest())
    add = time.perf_counter() - t
    t = time.perf_counter()
    update = store.update(store.committed())
    update.delete(f"a{articles:07d}.txt")
    update.commit(_manifest())
    delete = time.perf_counter() - t
    times.sort()
    return {
        "chunks": manifest.chunks,
        "ingest_chunks_per_s": round(manifest.chunks / ingest),
        "hybrid_p50_ms": round(statistics.median(times), 1),
        "hybrid_p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "add_article_s": round(add, 2),
        "delete_article_s": round(delete, 2),
    }


def _disk(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 2**20, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", default="/tmp/rag-milvus-bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    articles = max(1, args.chunks // CHUNKS_PER_ARTICLE)
    results = {}
    folder = FolderStore(work / "index")
    results["folder"] = {
        **measure(folder, articles, args.queries),
        "disk_mb": _disk(folder.index_dir),
    }
    lite = MilvusStore(str(work / "bench.db"), "bench")
    results["milvus-lite"] = measure(lite, articles, args.queries)
    lite.close()
    results["milvus-lite"]["disk_mb"] = _disk(work / "bench.db")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        keys = list(results["folder"])
        print("| store | " + " | ".join(keys) + " |")
        print("|---" * (len(keys) + 1) + "|")
        for name, figures in results.items():
            print(f"| {name} | " + " | ".join(str(figures[k]) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
