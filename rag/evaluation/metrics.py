"""Ranking metrics, computed by ir-measures (trec_eval underneath, as the BEIR paper does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10")
"""The reported metrics, by the names used in tables and JSON."""


def score(
    qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """The mean of each metric over the judged queries (a query missing from `run` scores 0).

    Args:
        qrels: relevance grades, `qrels[query][doc]`.
        run: for each query, document ids best first.
    """
    import ir_measures

    measures = {
        "ndcg@10": ir_measures.nDCG @ 10,
        "recall@10": ir_measures.R @ 10,
        "recall@100": ir_measures.R @ 100,
        "mrr@10": ir_measures.RR @ 10,
    }
    # trec_eval orders by score and breaks ties by doc id, so scores encode our order alone.
    scored = {
        query: {doc: float(len(docs) - rank) for rank, doc in enumerate(docs)}
        for query, docs in run.items()
    }
    judged = {query: dict(grades) for query, grades in qrels.items()}
    totals = ir_measures.calc_aggregate(list(measures.values()), judged, scored)
    return {name: float(totals.get(measure, 0.0)) for name, measure in measures.items()}
