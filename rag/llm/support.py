"""Does a shown sentence say what the model claims? A fitted probability, and the quote.

Every sentence of the passages the model was shown is a candidate quote, and so is every
pair of adjacent sentences (for a claim that joins two). Each candidate is described by a
few numbers (`NAMES`): how close it is in meaning to the claim (cosine of the question-time
vector of the claim and the late-pooled vectors of the index), which of the claim's rare
terms, numbers and names it holds or lacks (and whether the lacking ones are elsewhere in
the passages), whether one of them is negated or says the opposite in one word, whether
only one of the two holds a negation cue at all, how many of the claim's adjacent term
pairs the candidate lacks, and how much of the candidate the claim shares. Two logistic
models fitted on labelled claims (`benchmarks/support/fit.py`, weights in `support.json`)
use them: the ranker picks the quote among the candidates, the verifier gives the
probability that this quote supports the claim, from its features and its lead over the
runner-up. A claim below the fitted threshold is unsupported. numpy only: no torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RagError
from ..index import Index
from ..injection import addresses_an_ai
from ..synonyms import same_as, term_weights
from .prompt import Shown
from .terms import Words, antonym_clash, bigrams, contradicted, negates

MODEL_FILE = Path(__file__).with_name("support.json")
NAMES = (
    "cosine", "cosine_gap", "coverage", "coverage_gap", "passage_coverage", "missing_max",
    "missing_count", "missing_elsewhere", "missing_shown", "numbers_missing",
    "numbers_missing_shown", "names_missing", "names_missing_any", "names_missing_passage",
    "negation_claim", "negation_quote", "antonym", "pair", "pair_weaker", "claim_terms",
    "quote_terms", "negation_cue_claim", "negation_cue_quote", "bigrams_missing",
    "quote_shared",
)  # fmt: skip
VERIFIER_NAMES = (*NAMES, "ranker", "ranker_lead")
_MAX_LEAD = 10.0  # the ranker's lead over another text, capped (a lone candidate has it all)
Span = tuple[int, int, int]  # (document row, start, end) of a quote's text


@dataclass(frozen=True)
class Quote:
    """A candidate quote: one sentence row of the index, or two adjacent ones, in the shown
    passage at index `passage` (0-based)."""

    rows: tuple[int, ...]
    passage: int


@dataclass(frozen=True)
class Support:
    """The best quote for a claim and the probability that it supports the claim."""

    probability: float
    quote: Quote
    passes: bool


@dataclass(frozen=True)
class Logistic:
    """A logistic regression over standardized features."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, features: np.ndarray) -> np.ndarray:
        logits: np.ndarray = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return logits

    def record(self) -> dict[str, Any]:
        """The weights as JSON-ready lists."""
        fields = {k: getattr(self, k).round(6).tolist() for k in ("mean", "scale", "weights")}
        return {**fields, "bias": round(self.bias, 6)}

    @classmethod
    def from_record(cls, record: dict[str, Any], names: tuple[str, ...]) -> Logistic:
        if tuple(record.get("features", ())) != names:
            raise RagError(
                f"{MODEL_FILE} does not match the support features of this version: "
                "refit it with benchmarks/support/fit.py"
            )
        mean, scale, weights = (
            np.asarray(record[k], dtype=np.float64) for k in ("mean", "scale", "weights")
        )
        return cls(mean, scale, weights, float(record["bias"]))


@dataclass(frozen=True)
class SupportModel:
    """The ranker (which candidate is the quote), the verifier (does it support the claim)
    and the verifier's keep threshold."""

    ranker: Logistic
    verifier: Logistic
    threshold: float

    def judge(self, features: np.ndarray, spans: Sequence[Span]) -> tuple[int, float]:
        """The best candidate among `features` rows and the probability that it supports the
        claim; `spans` are the candidates' texts."""
        best, row = self.pick(features, spans)
        return best, float(1.0 / (1.0 + np.exp(-self.verifier.logit(row))))

    def pick(self, features: np.ndarray, spans: Sequence[Span]) -> tuple[int, np.ndarray]:
        """The ranker's best candidate and the verifier's input for it: its features, its
        score and its lead over the best candidate quoting another text."""
        scores = self.ranker.logit(features)
        best = int(np.argmax(scores))
        doc, start, end = spans[best]
        other = [s for s, (d, a, b) in zip(scores, spans) if d != doc or b <= start or a >= end]
        lead = min(_MAX_LEAD, float(scores[best] - max(other, default=-np.inf)))
        return best, np.r_[features[best], scores[best], lead]

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> SupportModel:
        return cls(
            Logistic.from_record(record["ranker"], NAMES),
            Logistic.from_record(record["verifier"], VERIFIER_NAMES),
            float(record["threshold"]),
        )


@lru_cache(maxsize=1)
def fitted_model() -> SupportModel:
    """The shipped model (`support.json`)."""
    return SupportModel.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))


class SupportCheck:
    """Candidate quotes from the shown passages, and the best one for each claim."""

    def __init__(
        self, data: Index, shown: Sequence[Shown], embed: Callable[[str], np.ndarray],
        model: SupportModel | None = None,
    ) -> None:  # fmt: skip
        self._data = data
        self._embed = embed
        self._model = model
        quotes: list[Quote] = []
        words: list[Words] = []
        texts: list[str] = []
        passage_words: list[Words] = []
        for index, passage in enumerate(shown):
            rows = [r for r in passage.rows if not addresses_an_ai(data.sentence_text(r))]
            single = {r: Words.of(data.sentence_text(r)) for r in rows}
            for r in rows:
                quotes.append(Quote((r,), index))
                words.append(single[r])
                texts.append(data.sentence_text(r))
                if r + 1 in single:
                    quotes.append(Quote((r, r + 1), index))
                    words.append(single[r] | single[r + 1])
                    texts.append(f"{texts[-1]} {data.sentence_text(r + 1)}")
            passage_words.append(_union(list(single.values())))
        self.quotes = quotes
        self._words = words
        self._cued = [negates(t) for t in texts]
        self._bigrams = [bigrams(t) for t in texts]
        self._passage_words = [passage_words[q.passage] for q in quotes]
        self._shown_words = _union(passage_words)
        self._single = {q.rows[0]: w for q, w in zip(quotes, words) if len(q.rows) == 1}
        vectors = [data.sentence_vectors(list(q.rows)).sum(0) for q in quotes]
        matrix = np.asarray(vectors, np.float32).reshape(len(quotes), -1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._vectors = matrix / np.where(norms > 0, norms, 1.0)
        self.spans = [self.span(q) for q in quotes]

    def features(self, claim: str) -> np.ndarray:
        """One row of `NAMES` features for each candidate quote (shape (quotes, features))."""
        rows = np.zeros((len(self.quotes), len(NAMES)), dtype=np.float64)
        if not self.quotes:
            return rows
        said = Words.of(claim)
        weights = term_weights(said.terms, self._data)
        options = {t: same_as(t) | {t} for t in weights}
        cosines = self._vectors @ np.asarray(self._embed(claim), np.float32)

        def covered(words: Words) -> float:
            return sum(w for t, w in weights.items() if not options[t].isdisjoint(words.terms))

        def missing(words: Words) -> list[float]:
            return [w for t, w in weights.items() if options[t].isdisjoint(words.terms)]

        shown_missing = sum(missing(self._shown_words))
        cued, pairs = negates(claim), bigrams(claim)
        numbers_shown = len(said.numbers - self._shown_words.numbers)
        coverage = [covered(w) for w in self._words]
        for i, (quote, words, context) in enumerate(
            zip(self.quotes, self._words, self._passage_words)
        ):
            weaker = 0.0
            if len(quote.rows) == 2:
                first, second = (self._single[r] for r in quote.rows)
                weaker = coverage[i] - max(covered(first), covered(second))
            gone = missing(words)
            names_gone = said.names - words.terms
            rows[i] = (
                cosines[i], 0.0, coverage[i], 0.0, covered(context), max(gone, default=0.0),
                min(4, len(gone)), sum(gone) - shown_missing, shown_missing,
                min(2, len(said.numbers - words.numbers)), min(2, numbers_shown),
                len(names_gone) / len(said.names) if said.names else 0.0, float(bool(names_gone)),
                _share_missing(said.names, context.terms), float(contradicted(said.negated, words)),
                float(contradicted(words.negated, said)),
                float(antonym_clash(said.terms, words.terms)), float(len(quote.rows) == 2), weaker,
                math.log1p(len(weights)), math.log1p(len(words.terms)),
                float(cued and not self._cued[i]), float(self._cued[i] and not cued),
                len(pairs - self._bigrams[i]) / len(pairs) if pairs else 0.0,
                len(said.terms & words.terms) / max(1, len(words.terms)),
            )  # fmt: skip
        rows[:, 1] = rows[:, 0] - rows[:, 0].max()
        rows[:, 3] = rows[:, 2] - rows[:, 2].max()
        return rows

    def best(self, claim: str, cited: Sequence[int] = ()) -> Support | None:
        """The quote that best supports `claim`, None when nothing is shown. Of quotes with
        the same text (overlapping passages), one in a passage the claim cites (0-based
        `cited`) is preferred."""
        if not self.quotes:
            return None
        model = self._model or fitted_model()
        top, probability = model.judge(self.features(claim), self.spans)
        same = [i for i, q in enumerate(self.quotes) if q.passage in cited]
        chosen = next((i for i in same if self.spans[i] == self.spans[top]), top)
        return Support(probability, self.quotes[chosen], probability >= model.threshold)

    def span(self, quote: Quote) -> Span:
        """(document row, start, end) of a quote's text."""
        doc, start, _ = self._data.sentence_span(quote.rows[0])
        return doc, start, self._data.sentence_span(quote.rows[-1])[2]


def _union(words: list[Words]) -> Words:
    total = Words(*[frozenset[str]()] * 5)
    for w in words:
        total = total | w
    return total


def _share_missing(names: frozenset[str], present: frozenset[str]) -> float:
    return len(names - present) / len(names) if names else 0.0
