"""How likely it is that the articles answer a question: a fitted, calibrated probability.

A logistic model reads what the ranked candidate sentences show about the question: how
close the best ones are in meaning and in words, which of the question's rare words, names
and numbers no retrieved sentence holds, word pairs kept in order, a negation one side
lacks, and what kind of thing is asked for. It was fitted on SQuAD 2.0, where about half of
the questions are written to look answerable but are not, with cross-validation by article
(`benchmarks/reader/fit.py`, which writes `confidence.json` and reports its calibration).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .answering import Candidate, question_kind, support
from .errors import RagError
from .index import Index
from .lexical import FUNCTION_TERMS, analyze
from .synonyms import same_as, term_weights

MODEL_FILE = Path(__file__).with_name("confidence.json")
KINDS = ("cause", "number", "date", "speech", "name", "which", "what")
NAMES = (
    "best_score", "score_gap", "best_dense", "most_dense", "best_coverage", "most_coverage",
    "best_context", "most_context", "best_answer_type", "best_passage", "most_passage",
    "support", "retrieved_coverage", "rarest_missing", "names_missing", "numbers_missing",
    "question_terms", "question_negated", "negation_mismatch", "pairs_best", "pairs_most",
    *(f"asks_{kind}" for kind in KINDS),
)  # fmt: skip
_COLUMNS = ("mean", "scale", "weight")  # of each feature in the model file
_WORD = re.compile(r"[\w’'-]+")
_NEGATION = re.compile(  # "no" but not "no-fly"
    r"\b(not|never|no(?![-‐])|none|nothing|neither|nor|without|cannot)\b|n[’']t\b", re.I
)
_WHICH_WHAT = (("which", re.compile(r"\bwhich\b", re.I)), ("what", re.compile(r"\bwhat\b", re.I)))


@dataclass(frozen=True)
class Model:
    """Standardised logistic regression over `NAMES`, and the probability under which an
    answer is given with a caveat (the articles may not answer it directly)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    hedge_below: float

    def probability(self, features: np.ndarray) -> float:
        """The fitted probability that the articles answer, from one row of `features`."""
        z = float(((features - self.mean) / self.scale) @ self.weights) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def save(self, path: Path) -> None:
        """Write the model as readable JSON: each feature's name beside its numbers (to 8
        decimals, so that a refit on the same data writes the same file)."""
        columns = zip(*(np.round(a, 8).tolist() for a in (self.mean, self.scale, self.weights)))
        record = {
            "features": {name: dict(zip(_COLUMNS, c)) for name, c in zip(self.names, columns)},
            "intercept": round(self.intercept, 8),
            "hedge_below": round(self.hedge_below, 8),
        }
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Model:
        """Read a model written by `save`.

        Raises:
            RagError: the file is unreadable, damaged, or fitted on other features.
        """
        refit = "refit it with benchmarks/reader/fit.py --write"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            features = record["features"]
            if tuple(features) != NAMES:
                raise RagError(f"{path} was fitted on other features than these: {refit}")
            mean, scale, weights = (
                np.array([f[k] for f in features.values()], float) for k in _COLUMNS
            )
            intercept, hedge_below = float(record["intercept"]), float(record["hedge_below"])
            return cls(NAMES, mean, scale, weights, intercept, hedge_below)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RagError(f"cannot read the confidence model {path} ({error}): {refit}") from None


@lru_cache(maxsize=1)
def shipped() -> Model:
    """The model that ships with the package."""
    return Model.load()


def features(data: Index, question: str, ranked: list[Candidate]) -> np.ndarray:
    """One row of `NAMES` for a question and its candidates, best first (none: all zero)."""
    if not ranked:
        return np.zeros(len(NAMES))
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else best
    texts = [data.sentence_text(c.row) for c in ranked]
    terms = [analyze(text) for text in texts]
    retrieved = set().union(*terms)
    asked = [t for t in analyze(question) if t not in FUNCTION_TERMS]
    missing = [t for t in set(asked) if not same_as(t) & retrieved]
    weights = term_weights(set(asked), data)
    pairs = set(itertools.pairwise(asked))
    in_order = [_share(pairs, set(itertools.pairwise(t))) for t in terms]
    words = _WORD.findall(question)
    names = set(analyze(" ".join(w for w in words[1:] if w[:1].isupper()))) - FUNCTION_TERMS
    numbers = {t for t in asked if t.isdigit()}
    negated = bool(_NEGATION.search(question))
    kind = _kind(question)
    row = [
        best.score, best.score - runner_up.score, best.dense, max(c.dense for c in ranked),
        best.coverage, max(c.coverage for c in ranked), best.context,
        max(c.context for c in ranked), best.answer_type, best.passage_similarity,
        max(c.passage_similarity for c in ranked), support(ranked),
        sum(w for t, w in weights.items() if t not in missing),
        max((_rarity(t, data) for t in missing), default=0.0),
        _share_missing(names, retrieved), _share_missing(numbers, retrieved),
        len(set(asked)), float(negated), float(negated != bool(_NEGATION.search(texts[0]))),
        in_order[0], max(in_order), *(float(kind == k) for k in KINDS),
    ]  # fmt: skip
    return np.array(row, dtype=np.float64)


def _kind(question: str) -> str | None:
    kind = question_kind(question)
    if kind is not None:
        return kind
    return next((k for k, pattern in _WHICH_WHAT if pattern.search(question)), None)


def _rarity(term: str, data: Index) -> float:
    """A term's idf as a share of the highest idf this collection gives (a term no chunk has)."""
    highest = math.log(1.0 + (data.chunk_count + 0.5) / 0.5)
    return min(data.idf(t) for t in same_as(term)) / highest


def _share(wanted: set[tuple[str, str]], found: set[tuple[str, str]]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def _share_missing(wanted: set[str], found: set[str]) -> float:
    return sum(not same_as(t) & found for t in wanted) / len(wanted) if wanted else 0.0
