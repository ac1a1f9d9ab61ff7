"""Figure 2 (quality): the int8 backend against fp32 (torch), on the same SciFact chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import Figure, scifact_qrels, scifact_queries


def measure(index: Path, int8: Path) -> list[Figure]:
    """The int8 index against the fp32 (torch) one: vectors and SciFact train nDCG@10."""
    import rag
    from rag import store

    _, a = store.load(index)
    _, b = store.load(int8)
    if not np.array_equal(np.asarray(a.chunks), np.asarray(b.chunks)):
        raise RuntimeError("the two indexes hold different chunks")
    chunk_cos = np.sum(store.stored_vectors(a.vectors) * store.stored_vectors(b.vectors), axis=1)
    rows = np.arange(len(a.sentences))
    sentence_cos = np.sum(
        a.sentence_vectors[rows] * b.sentence_vectors[rows], axis=1, dtype=np.float32
    )
    indexed = {Path(doc.source).stem for doc in a.documents}
    qrels = {q: r for q, r in scifact_qrels("train").items() if indexed & set(r)}
    queries = {q: t for q, t in scifact_queries("train").items() if q in qrels}
    scores = {}
    for name, path, data in (("fp32", index, a), ("onnx-int8", int8, b)):
        assistant = rag.load_index(path)
        scores[name] = _ndcg(assistant, data, queries, qrels)
    figures = [
        Figure(
            "2",
            "onnx-int8 vs fp32: chunk vector cosine (min / mean)",
            f"{chunk_cos.min():.4f} / {chunk_cos.mean():.4f}",
            "",
            "min >= 0.99",
            bool(chunk_cos.min() >= 0.99),
            {
                "sentence_cos_min": float(sentence_cos.min()),
                "sentence_cos_mean": float(sentence_cos.mean()),
            },
        ),
        Figure("2", "onnx-int8 vs fp32: sentence vector cosine (min / mean)",
               f"{sentence_cos.min():.4f} / {sentence_cos.mean():.4f}", "", "min >= 0.99",
               bool(sentence_cos.min() >= 0.99)),
    ]  # fmt: skip
    for system in ("dense", "hybrid"):
        delta = scores["onnx-int8"][system] - scores["fp32"][system]
        figures.append(
            Figure(
                "2",
                f"SciFact train nDCG@10 {system}: fp32 / onnx-int8 ({len(queries)} queries)",
                f"{scores['fp32'][system]:.4f} / {scores['onnx-int8'][system]:.4f}",
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
    from ranx import Qrels, Run, evaluate

    from rag import store

    vectors = store.stored_vectors(data.vectors)
    doc_of = np.asarray(data.chunks[:, 0])
    names = [Path(doc.source).stem for doc in data.documents]
    dense, hybrid = {}, {}
    for qid, text in queries.items():
        similarity = vectors @ assistant._embed(text)
        best = np.full(len(names), -np.inf, dtype=np.float32)
        np.maximum.at(best, doc_of, similarity)
        top = np.argsort(-best)[:10]
        dense[qid] = {names[d]: float(best[d]) for d in top}
        ranked: dict[str, float] = {}
        for passage in assistant.search(text, top_k=20):
            ranked.setdefault(Path(passage.chunk.source).stem, float(20 - len(ranked)))
        hybrid[qid] = dict(list(ranked.items())[:10]) or {"none": 0.0}
    truth = Qrels(qrels)
    return {
        "dense": float(evaluate(truth, Run(dense), "ndcg@10")),
        "hybrid": float(evaluate(truth, Run(hybrid), "ndcg@10")),
    }
