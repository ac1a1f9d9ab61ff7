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
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import rag
from rag import answering
from rag.answering import Candidate, Reading, Weights
from rag.evaluation import questions as judging

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
        print(
            f"{args.fit}: ranking weights, 5-fold cross-validated accuracy "
            f"{_cross_validated(fit):.3f}"
        )
        candidates["fitted"] = _fit_abstention(_fit_ranking(fit), fit)
    for label, weights in candidates.items():
        print(f"{label}: {weights}")
        for name, set_cases in sets.items():
            _report(name, weights, set_cases)


def _cases(folder: Path) -> list[Case]:
    """The questions of one held-out set, with their features on an index of its articles."""
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    with tempfile.TemporaryDirectory() as index_dir:
        rag.build_index(folder / "articles", index_dir)
        assistant = rag.load_index(index_dir)
        return [
            Case(q, judging.parse(q, folder.name), assistant.read(q["question"])) for q in questions
        ]


@dataclass(frozen=True)
class Case:
    """A question (its record, with the kind of `negative`, and as `rag eval` judges it) and
    how the product reads it: its candidate sentences (features only, scored under the shipped
    weights) and what it takes to judge those an answer would hold."""

    question: dict
    expected: judging.Question
    reading: Reading

    @property
    def ranked(self) -> list[Candidate]:
        """The candidate sentences, best first."""
        return self.reading.ranked

    def chosen(self, weights: Weights) -> list[Candidate]:
        """The sentences the answer would hold under `weights`, ignoring abstention."""
        rescored = sorted(
            (c.scored(weights) for c in self.ranked), key=lambda c: (-c.score, c.passage, c.row)
        )
        return answering.select(self.reading.data, rescored)

    def correct(self, weights: Weights) -> bool:
        """Whether those sentences, as an answer, pass the question (`judge`): they hold the
        expected phrases and cite an expected source."""
        chosen = self.chosen(weights)
        text = " ".join(self.reading.quote(c) for c in chosen)
        sources = [self.reading.source(c) for c in chosen]
        return judging.judge(self.expected, True, text, sources).passed

    def found(self, weights: Weights) -> bool:
        return (
            bool(self.ranked) and answering.support(self.ranked, weights) >= weights.abstain_below
        )


def _grid() -> list[Weights]:
    keys = list(GRID)
    return [Weights(**dict(zip(keys, values))) for values in itertools.product(*GRID.values())]


def _answer_accuracy(weights: Weights, cases: list[Case]) -> float:
    answerable = [case for case in cases if case.question["answerable"]]
    return sum(case.correct(weights) for case in answerable) / len(answerable)


def _fit_ranking(cases: list[Case], folds: list[int] | None = None) -> Weights:
    """The grid point whose chosen sentences answer the most answerable questions."""
    used = [c for i, c in enumerate(cases) if folds is None or i % 5 in folds]
    return max(_grid(), key=lambda w: _answer_accuracy(w, used))


def _cross_validated(cases: list[Case]) -> float:
    """Accuracy of the sentence choice on each fifth of the questions, fitted on the rest."""
    correct = total = 0
    for fold in range(5):
        weights = _fit_ranking(cases, folds=[f for f in range(5) if f != fold])
        held = [c for i, c in enumerate(cases) if c.question["answerable"] and i % 5 == fold]
        correct += sum(case.correct(weights) for case in held)
        total += len(held)
    return correct / total


def _fit_abstention(weights: Weights, cases: list[Case]) -> Weights:
    """Logistic regression of answerable against off-topic questions on the support features.

    On-topic unanswerable questions are left out of the fit: their retrieved sentences
    are as close to the question as real answers are, which no similarity can tell apart.
    """
    used = [c for c in cases if c.question.get("negative") != "on-topic" and c.ranked]
    x = np.array([_support_features(c.ranked) for c in used])
    y = np.array([float(c.question["answerable"]) for c in used])
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


def _report(label: str, weights: Weights, cases: list[Case]) -> None:
    groups: dict[str, list[bool]] = {
        "answered correctly": [],
        "off-topic abstained": [],
        "on-topic abstained": [],
    }
    for case in cases:
        if case.question["answerable"]:
            groups["answered correctly"].append(case.found(weights) and case.correct(weights))
        else:
            groups[f"{case.question['negative']} abstained"].append(not case.found(weights))
    print(f"  {label}: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in groups.items()))


if __name__ == "__main__":
    main()
