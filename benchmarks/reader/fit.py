"""Fit the answer confidence on SQuAD 2.0 and measure it on articles it was not fitted on.

    python benchmarks/reader/fit.py --work /tmp/reader            # cross-validated report
    python benchmarks/reader/fit.py --work /tmp/reader --write    # then refit on all, ship it

The 18 SQuAD 2.0 dev articles of `../shared/bench/squad2` (see its SOURCE.md) are indexed
together and every question is read by the product's own retrieval and sentence ranking
(`Assistant.read`). Cross-validation is by article: the articles are dealt into FOLDS
groups, and each group's questions are judged by a model fitted on the other groups only,
with the caveat threshold chosen on those other groups too (the probability under which at
most HEDGED_ANSWERABLE of their answerable questions fall). The answer of each question is
what the product answers (`answering.choose`), judged as `rag eval --questions` judges it.
A logistic model over the ranked sentences' own features (standardised, each sentence's
label: it holds a gold answer) is fitted beside the hand-tuned score, as the sentence ranker
it would replace. `--write` fits on all 18 articles and writes `rag/confidence.json`.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy and scikit-learn start threads
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import rag
from rag import answering, confidence
from rag.evaluation import questions as judging
from rag.evaluation.report import questions_table

SQUAD = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "squad2"
FOLDS = 6
HEDGED_ANSWERABLE = 0.15  # of the questions the articles answer, given with a caveat at most
SENTENCE_FEATURES = ("dense", "coverage", "context", "novelty", "answer_type", "passage_similarity")


@dataclass(frozen=True)
class Read:
    """One question as the product reads it: its candidates, features, and answer."""

    question: judging.Question
    article: str
    features: np.ndarray  # confidence.NAMES
    sentences: np.ndarray  # SENTENCE_FEATURES of each candidate, best first
    holds: np.ndarray  # each candidate holds a gold answer
    hand_first: bool  # the hand-tuned score's best sentence holds a gold answer
    found: bool
    text: str
    first_quote: str
    sources: list[str]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=SQUAD, help="the SQuAD-style folder")
    parser.add_argument("--work", type=Path, required=True, help="folder for the index")
    parser.add_argument(
        "--write", action="store_true", help=f"refit on all, write {confidence.MODEL_FILE.name}"
    )
    args = parser.parse_args()
    started = time.time()
    rag.build_index(args.squad / "articles", args.work / "index")
    assistant = rag.load_index(args.work / "index")
    questions = judging.load(args.squad / "questions.jsonl")
    read = [_read(assistant, q) for q in questions]
    print(f"read {len(read):,} questions in {time.time() - started:.0f} s\n", flush=True)
    articles = sorted({r.article for r in read})
    fold = np.array([articles.index(r.article) % FOLDS for r in read])
    probability = np.zeros(len(read))
    outcomes: list[judging.Outcome] = []
    learned_first = 0
    for f in range(FOLDS):
        model = fit([r for r, g in zip(read, fold) if g != f])
        ranker = _fit_ranker([r for r, g in zip(read, fold) if g != f])
        for i in np.flatnonzero(fold == f):
            probability[i] = model.probability(read[i].features)
            outcomes.append(_judged(read[i], probability[i], model.hedge_below))
            learned_first += _learned_first(ranker, read[i])
        print(f"fold {f + 1}/{FOLDS}: caveat below {model.hedge_below:.3f}", flush=True)
    answerable = np.array([r.question.answerable for r in read])
    print(f"\nanswerability AUC (cross-validated): {roc_auc_score(answerable, probability):.3f}")
    hand_first = sum(r.hand_first for r in read if r.question.answerable) / answerable.sum()
    print(
        f"best sentence holds the answer, of {answerable.sum():,} answerable: hand-tuned score "
        f"{hand_first:.3f}, logistic sentence model {learned_first / answerable.sum():.3f}\n"
    )
    report = judging.QuestionReport(outcomes)
    print(questions_table(report))
    print("\n" + ", ".join(f"{k}: {v:.3f}" for k, v in report.totals.items() if v is not None))
    if args.write:
        model = fit(read)
        model.save(confidence.MODEL_FILE)
        print(f"\nwrote {confidence.MODEL_FILE}: caveat below {model.hedge_below:.3f}")


def fit(training: list[Read]) -> confidence.Model:
    """The logistic model on `training`, and its caveat threshold."""
    x = np.array([r.features for r in training])
    y = np.array([r.question.answerable for r in training])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
    model = confidence.Model(
        confidence.NAMES, mean, scale, regression.coef_[0], float(regression.intercept_[0]), 0.0
    )
    answered = [model.probability(r.features) for r in training if r.question.answerable]
    hedge_below = float(np.quantile(answered, HEDGED_ANSWERABLE))
    return confidence.Model(model.names, mean, scale, model.weights, model.intercept, hedge_below)


def _fit_ranker(training: list[Read]) -> LogisticRegression:
    rows = [r for r in training if r.question.answerable and len(r.holds)]
    x = np.vstack([r.sentences for r in rows])
    return LogisticRegression(C=1.0, max_iter=5000).fit(x, np.concatenate([r.holds for r in rows]))


def _learned_first(ranker: LogisticRegression, r: Read) -> bool:
    if not r.question.answerable or not len(r.holds):
        return False
    return bool(r.holds[int(np.argmax(ranker.decision_function(r.sentences)))])


def _read(assistant: rag.Assistant, question: judging.Question) -> Read:
    reading = assistant.read(question.question)
    quotes = [reading.quote(c) for c in reading.chosen]
    holds = np.array([question.holds_answer(reading.quote(c)) for c in reading.ranked], bool)
    return Read(
        question, question.sources_any[0] if question.sources_any else "",
        reading.features, _sentence_rows(reading.ranked),
        holds, bool(len(holds) and holds[0]), bool(reading.chosen), " ".join(quotes),
        quotes[0] if quotes else "", [reading.source(c) for c in reading.chosen],
    )  # fmt: skip


def _sentence_rows(ranked: list[answering.Candidate]) -> np.ndarray:
    rows = [[getattr(c, name) for name in SENTENCE_FEATURES] for c in ranked]
    return np.array(rows, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURES))


def _judged(r: Read, probability: float, hedge_below: float) -> judging.Outcome:
    hedged = r.found and probability < hedge_below
    return judging.judge(r.question, r.found, r.text, r.sources, r.first_quote, probability, hedged)


if __name__ == "__main__":
    main()
