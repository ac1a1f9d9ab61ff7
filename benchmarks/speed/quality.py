"""Figure 2 (quality): each faster backend against fp32 (torch), on the same SciFact chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.evaluation import beir

from .common import Figure, scifact


def measure(index: Path, candidates: dict[str, Path]) -> list[Figure]:
    """Each candidate's index (by backend) against the fp32 torch one: chunk and sentence
    vector cosines, and SciFact train nDCG@10 of dense and hybrid retrieval."""
    import rag
    from rag.index import open_store

    _, reference = open_store(index).open()
    indexed = {beir.doc_id(reference.document(d).source) for d in reference.document_ids()}
    train = scifact("train")
    qrels = {q: r for q, r in train.qrels.items() if indexed & set(r)}
    queries = {q: t for q, t in train.queries.items() if q in qrels}
    fp32 = _ndcg(rag.load_index(index), reference, queries, qrels)
    figures = []
    for backend, path in candidates.items():
        _, data = open_store(path).open()
        chunks, sentences = range(data.chunk_count), range(data.sentence_count)
        if [data.chunk_span(r) for r in chunks] != [reference.chunk_span(r) for r in chunks]:
            raise RuntimeError(f"the {backend} index holds other chunks than the fp32 one")
        chunk_cos = np.sum(reference.chunk_vectors(chunks) * data.chunk_vectors(chunks), axis=1)
        sentence_cos = np.sum(
            reference.sentence_vectors(sentences) * data.sentence_vectors(sentences), axis=1
        )
        for kind, cos in (("chunk", chunk_cos), ("sentence", sentence_cos)):
            figures.append(
                Figure("2", f"{backend} vs fp32: {kind} vector cosine (min / mean)",
                       f"{cos.min():.4f} / {cos.mean():.4f}", "", "min >= 0.99",
                       bool(cos.min() >= 0.99))
            )  # fmt: skip
        scores = _ndcg(rag.load_index(path), data, queries, qrels)
        for system in ("dense", "hybrid"):
            delta = scores[system] - fp32[system]
            figures.append(
                Figure(
                    "2",
                    f"SciFact train nDCG@10 {system}: fp32 / {backend} ({len(queries)} queries)",
                    f"{fp32[system]:.4f} / {scores[system]:.4f}",
                    "",
                    "|delta| <= 0.005",
                    abs(delta) <= 0.005,
                    {"delta": delta},
                )
            )
    return figures


def _ndcg(
    assistant, data, queries: dict[str, str], qrels: dict[str, dict[str, int]]
) -> dict[str, float]:
    """nDCG@10 of exact dense retrieval (a document at the rank of its best chunk) and of the
    hybrid search."""
    from rag.evaluation.benchmark import documents
    from rag.evaluation.metrics import score

    vectors = data.chunk_vectors(range(data.chunk_count))
    dense, hybrid = {}, {}
    for qid, text in queries.items():
        rows = np.argsort(-(vectors @ assistant.embed(text)), kind="stable")
        dense[qid] = documents(data, rows.tolist(), limit=10)
        found = dict.fromkeys(beir.doc_id(p.chunk.source) for p in assistant.search(text, top_k=20))
        hybrid[qid] = list(found)[:10]
    return {"dense": score(qrels, dense)["ndcg@10"], "hybrid": score(qrels, hybrid)["ndcg@10"]}
