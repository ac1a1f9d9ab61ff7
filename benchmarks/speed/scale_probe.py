"""One synthetic collection (argv: chunks, work dir): build, disk, memory and query latency.

Random text (Zipf-distributed pseudo-words, 10 chunks per document) and random unit vectors:
fine for timing and sizes, not for recall (that is measured on real embeddings)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from rag import retrieval, runtime, store
from rag.config import Settings
from rag.embedding import Embedder
from rag.index import Manifest
from rag.lexical import LexicalIndex
from rag.types import Document

WORDS_PER_CHUNK = 60
CHUNKS_PER_DOC = 10
DIM = 384


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def collection(n: int, rng: np.random.Generator) -> tuple[list[Document], np.ndarray, list[str]]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gi", "be", "fu"]
    vocab = np.array(
        ["".join(rng.choice(syllables, size=rng.integers(2, 5))) + "n" for _ in range(30000)]
    )
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    words = rng.choice(len(vocab), size=(n, WORDS_PER_CHUNK), p=weights / weights.sum())
    texts = [" ".join(vocab[row]) + "." for row in words]
    documents, chunks = [], []
    for d, first in enumerate(range(0, n, CHUNKS_PER_DOC)):
        parts = texts[first : first + CHUNKS_PER_DOC]
        text = "\n".join(parts)
        documents.append(Document(f"doc{d}.txt", f"Document {d}", text, f"{d:032x}", ()))
        start = 0
        for part in parts:
            chunks.append((d, start, start + len(part), len(chunks), len(chunks) + 1))
            start += len(part) + 1
    return documents, np.array(chunks, dtype=np.int64), texts


def main(n: int, work: Path) -> dict:
    rng = np.random.default_rng(n)
    result: dict = {"chunks": n, "words_per_chunk": WORDS_PER_CHUNK}
    began = time.perf_counter()
    documents, chunks, texts = collection(n, rng)
    vectors = rng.standard_normal((n, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    result["generate_s"] = time.perf_counter() - began
    exact = store.make_vector_index(vectors, exact_limit=n)
    runtime.faiss_threads()  # searches on one thread, as `rag ask` and the chat do
    queries = rng.standard_normal((20, DIM), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    flat = []
    for q in queries:
        t = time.perf_counter()
        exact.search(q.reshape(1, -1), 50)
        flat.append((time.perf_counter() - t) * 1000)
    result["exact_search_p50_ms"] = float(np.median(flat))
    del exact
    runtime.faiss_threads(None)  # training the approximate index on every core, as `rag build`
    t = time.perf_counter()
    index = store.make_vector_index(vectors)
    result["vector_index"] = type(index).__name__
    result["vector_index_build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    result["lexical_build_s"] = time.perf_counter() - t
    data = store.IndexData(documents, chunks, chunks[:, [0, 1, 2]], index, vectors, lexical)
    target = work / f"scale-{n}"
    shutil.rmtree(target, ignore_errors=True)
    manifest = Manifest(model="synthetic", dim=DIM, documents=len(documents), chunks=n)
    store.save(target, data, manifest)
    generation = target / json.loads((target / "manifest.json").read_text())["generation"]
    result["disk_mb"] = {
        p.name: round(
            sum(f.stat().st_size for f in ([p] if p.is_file() else p.rglob("*"))) / 2**20, 1
        )
        for p in generation.iterdir()
    }
    queries_file = target / "queries.json"
    queries_file.write_text(
        json.dumps([" ".join(t.split()[:6]) for t in texts[:: max(1, n // 200)]])
    )
    return result


def measure(target: Path) -> dict:
    """In a fresh process: memory after loading the index, and latency of 200 queries."""
    runtime.faiss_threads()
    embedder = Embedder()
    embedder.embed_query("warm up")
    before = rss_mb()
    _, loaded = store.load(target)
    result = {"rss_after_load_mb": rss_mb() - before}
    settings = Settings()
    latencies = []
    for text in json.loads((target / "queries.json").read_text())[:200]:
        t = time.perf_counter()
        retrieval.search(loaded, text, embedder.embed_query(text), settings, settings.top_k)
        latencies.append((time.perf_counter() - t) * 1000)
    result["query_p50_ms"] = float(np.median(latencies))
    result["query_p95_ms"] = float(np.percentile(latencies, 95))
    result["rss_after_queries_mb"] = rss_mb() - before
    return result


if __name__ == "__main__":
    if sys.argv[1] == "measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
    else:
        print(json.dumps(main(int(sys.argv[1]), Path(sys.argv[2]))))
