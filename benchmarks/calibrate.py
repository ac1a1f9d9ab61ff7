"""Fit the extractive answer's sentence weights and abstention threshold on held-out data.

The data (`benchmarks/data/heldout*/`) are articles and questions written for this purpose on
other topics than the bundled articles, so the seed questions stay an honest test: `heldout`
has eight articles on eight subjects, `heldout2` three stories told by three outlets each.

    python benchmarks/calibrate.py                # fit on heldout, report on every set
    python benchmarks/calibrate.py --check        # scores the shipped rag.answering.WEIGHTS only

The shipped weights were fitted on `heldout` alone; `heldout2` was written afterwards and only
tests them.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

import rag
from rag import answering, retrieval
from rag.answering import Candidate, Weights

HELDOUT_SETS = sorted((Path(__file__).parent / "data").glob("heldout*"))
GRID = {
    "coverage": [0.0, 0.2, 0.35, 0.5],
    "context": [0.0, 0.15, 0.3],
    "novelty": [0.0, 0.1, 0.2],
    "answer_type": [0.0, 0.05, 0.1, 0.15],
    "passage": [0.0, 0.15],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only score the shipped weights")
    parser.add_argument("--fit", default="heldout", help="the set to fit on (default: heldout)")
    args = parser.parse_args()
    sets = {folder.name: _cases(folder) for folder in HELDOUT_SETS}
    candidates = {"shipped": answering.WEIGHTS}
    if not args.check:
        fit = sets[args.fit]
        print(f"{args.fit}: ranking weights, 5-fold cross-validated accuracy {_cross_validated(fit):.3f}")
        candidates["fitted"] = _fit_abstention(_fit_ranking(fit), fit)
    for label, weights in candidates.items():
        print(f"{label}: {weights}")
        for name, set_cases in sets.items():
            _report(name, weights, set_cases)


def _cases(folder: Path) -> list:
    """The questions of one held-out set, with their features on an index of its articles."""
    questions = [json.loads(line) for line in open(folder / "questions.jsonl", encoding="utf-8")]
    with tempfile.TemporaryDirectory() as index_dir:
        rag.build_index(folder / "articles", index_dir)
        assistant = rag.load_index(index_dir)
        return [_features(assistant, q) for q in questions]


def _fit_ranking(cases: list, folds: range | None = None) -> Weights:
    """The grid point whose chosen sentences answer the most answerable questions."""
    answerable = [c for i, c in enumerate(cases) if c[0]["answerable"] and (folds is None or i % 5 in folds)]
    return max(_grid(), key=lambda w: _answer_accuracy(w, answerable))


def _cross_validated(cases: list) -> float:
    """Accuracy of the sentence choice on each fifth of the questions, fitted on the rest."""
    correct = total = 0
    for fold in range(5):
        weights = _fit_ranking(cases, folds=[f for f in range(5) if f != fold])
        held = [c for i, c in enumerate(cases) if c[0]["answerable"] and i % 5 == fold]
        correct += _answer_accuracy(weights, held) * len(held)
        total += len(held)
    return correct / total


def _fit_abstention(weights: Weights, cases: list) -> Weights:
    """Logistic regression of answerable against off-topic questions on the support features.

    On-topic unanswerable questions are left out of the fit: their retrieved sentences
    are as close to the question as real answers are, which no similarity can tell apart.
    """
    rows = [(_support_features(r), q["answerable"]) for q, r, _, _ in cases if q.get("negative") != "on-topic"]
    x = np.array([f for f, _ in rows])
    y = np.array([float(a) for _, a in rows])
    balance = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(20000):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        grad = (p - y) * balance
        w -= 0.5 * (x.T @ grad / len(y) + 1e-3 * w)
        b -= 0.5 * grad.mean()
    dense, passage, coverage = w
    return dataclasses.replace(
        weights,
        support_passage=round(float(passage / dense), 3),
        support_coverage=round(float(coverage / dense), 3),
        abstain_below=round(float(-b / dense), 3),
    )


def _support_features(ranked: list[Candidate]) -> list[float]:
    return [
        max(c.dense for c in ranked),
        max(c.passage_similarity for c in ranked),
        max(c.coverage for c in ranked),
    ]


def _features(assistant: rag.Assistant, question: dict) -> tuple[dict, list[Candidate], list[str], list[str]]:
    """A question with its scored candidate sentences, their texts and their sources."""
    data = assistant._data  # noqa: SLF001 - a calibration tool reads the internals on purpose
    vector = assistant._embed(question["question"])  # noqa: SLF001
    hits = retrieval.search(data, question["question"], vector, assistant.settings, assistant.settings.top_k)
    ranked = answering.candidates(data, hits, question["question"], vector)
    texts = {c.row: answering._sentence_text(data, c.row) for c in ranked}  # noqa: SLF001
    sources = {c.row: data.documents[int(data.sentences[c.row][0])].source for c in ranked}
    return question, ranked, texts, sources  # type: ignore[return-value]


def _grid() -> list[Weights]:
    keys = list(GRID)
    return [Weights(**dict(zip(keys, values))) for values in itertools.product(*GRID.values())]


def _choose(weights: Weights, ranked: list[Candidate], texts: dict[int, str]) -> list[Candidate]:
    """Like answering.choose, without the threshold and with text equality for redundancy."""
    rescored = sorted((c.scored(weights) for c in ranked), key=lambda c: -c.score)
    return rescored[: answering.MAX_SENTENCES]


def _correct(question: dict, chosen: list[Candidate], texts: dict, sources: dict) -> bool:
    answer = " ".join(texts[c.row] for c in chosen).lower()
    phrases_ok = all(any(p.lower() in answer for p in group) for group in question["expect_all_of_any"])
    cited_ok = not question["sources_any"] or any(sources[c.row] in question["sources_any"] for c in chosen)
    return phrases_ok and cited_ok


def _answer_accuracy(weights: Weights, cases: list) -> float:
    answerable = [case for case in cases if case[0]["answerable"]]
    hits = sum(_correct(q, _choose(weights, r, t), t, s) for q, r, t, s in answerable)
    return hits / len(answerable)


def _report(label: str, weights: Weights, cases: list) -> None:
    groups: dict[str, list[bool]] = {"answered correctly": [], "off-topic abstained": [], "on-topic abstained": []}
    for question, ranked, texts, sources in cases:
        found = bool(ranked) and answering.support(ranked, weights) >= weights.abstain_below
        if question["answerable"]:
            groups["answered correctly"].append(found and _correct(question, _choose(weights, ranked, texts), texts, sources))
        else:
            groups[f"{question['negative']} abstained"].append(not found)
    print(f"  {label}: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in groups.items()))


if __name__ == "__main__":
    main()
