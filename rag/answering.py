"""Extractive answers: the retrieved sentences that best answer the question, each one cited.

A sentence's score adds its cosine similarity with the question (late-pooled sentence
vectors, computed at build time), the share of the question's rare words it and its
neighbours contain (or common paraphrases of them), and whether it holds the kind of thing
the question asks for (a reason, a number, a date, a name, a quote). The answer is the best
sentence, and up to two more that score nearly as well. When even the best sentence scores
below a threshold, the articles are taken not to hold the answer. The weights and the
threshold were fitted on held-out questions about other texts (`benchmarks/calibrate.py`),
never on the example questions; a sentence model fitted on SQuAD 2.0 instead ranked no
better (`benchmarks/reader/fit.py`). How likely the answer is: `confidence.py`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .boilerplate import is_boilerplate
from .index import Index
from .injection import addresses_an_ai
from .lexical import FUNCTION_TERMS, analyze
from .retrieval import Hit
from .synonyms import same_as, term_weights


@dataclass(frozen=True)
class Weights:
    """How sentence features add up to a ranking score, and when to abstain.

    Abstention looks at the best values over all candidate sentences: the support is
    best dense + support_passage * best passage similarity + support_coverage * best coverage.
    """

    coverage: float = 0.2  # share of the question's rare words in the sentence
    context: float = 0.3  # the same share over the sentence and its neighbours
    novelty: float = 0.0  # share of the sentence's words that the question lacks
    answer_type: float = 0.15  # the sentence holds what the question asks for (a name, a year...)
    passage: float = 0.0  # cosine similarity of the passage around the sentence
    support_passage: float = 0.839
    support_coverage: float = 0.404
    abstain_below: float = 0.882  # support under which the articles are taken not to answer
    further_within: float = 0.4  # a second or third sentence scores at most this under the best


WEIGHTS = Weights()
NOT_FOUND = "The articles do not answer this question. The closest passages are listed as related."
MAX_SENTENCES = 3
_REDUNDANT = 0.9  # cosine above which a sentence repeats one already chosen
_CUES = {
    "cause": r"\b(because|since|due to|in order to|so that|as a result|reasons?|caus\w*|"
    r"lead to|led to|result\w* in|risk\w*|fear\w*|avoid\w*|prevent\w*)\b",
    "number": r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
    r"hundreds?|thousands?|millions?|billions?|half|third|quarter)\b",
    "date": r"\b(1[0-9]\d\d|20\d\d|\d{1,2}(st|nd|rd|th)|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|century|decade|years?|months?|weeks?|ago|yesterday|today|"
    r"\d{1,2}(\.\d\d)?\s?[ap]m)\b",
    "speech": r"[\"“”‘’]|\b(said|says|told|according to|argued|warned|called|described)\b",
}
_SPEECH_VERBS = (
    "say|tell|think|claim|argue|warn|describe|call|react|respond|explain|summari[sz]e|sum up|put it"
)
_NAME = re.compile(r"(?<=\S )[A-Z][\w’'-]+")  # a capitalised word inside a sentence
_ASKS_FOR = (
    (r"\bwhy\b|\breasons?\b|\bwhat (caused|led)\b", "cause"),
    (
        r"\bhow (many|much|long|far|old|big|large|high|fast)\b"
        r"|\bwhat (number|percentage|share|amount|price)\b",
        "number",
    ),
    (r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bat what time\b", "date"),
    (rf"\b(said|told|thought|{_SPEECH_VERBS})\b", "speech"),
    (r"\b(who|whom|whose|where)\b", "name"),
)


_SPEAKER = re.compile(
    rf"\b(?:did|does|do|has|have|had|will|would)\s+(.+?)\s+(?:{_SPEECH_VERBS})\b",
    re.IGNORECASE,
)
Cue = Callable[[str, set[str]], bool]
"""A test of a sentence (its text and its terms) for holding what a question asks for."""


def question_kind(question: str) -> str | None:
    """What the question asks for: a "cause", "number", "date", "speech" or "name", if known."""
    return next((cue for asks, cue in _ASKS_FOR if re.search(asks, question, re.IGNORECASE)), None)


def _question_cue(question: str) -> Cue | None:
    """A test for sentences holding the kind of thing the question asks for, if we know it."""
    cue = question_kind(question)
    if cue is None:
        return None
    if cue == "name":  # a name the question does not already hold
        known = set(question.lower().split())
        return lambda text, _: any(n.lower() not in known for n in _NAME.findall(text))
    holds = re.compile(_CUES[cue], re.IGNORECASE).search
    speaker = _SPEAKER.search(question) if cue == "speech" else None
    if speaker:  # what that speaker said: words said by someone the sentence names
        named = set(analyze(speaker.group(1))) - FUNCTION_TERMS
        return lambda text, terms: bool(holds(text)) and bool(named & terms)
    return lambda text, _: bool(holds(text))


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, its features and its score."""

    row: int  # sentence row in the index
    passage: int  # index into the hits
    dense: float  # cosine similarity with the question
    coverage: float  # weighted share of the question's words in the sentence
    context: float  # the same, over the sentence and its two neighbours
    novelty: float  # share of the sentence's words that are not in the question
    answer_type: float  # 1 if the sentence holds the kind of thing asked for
    passage_similarity: float
    score: float = 0.0

    def scored(self, w: Weights) -> Candidate:
        """This candidate with its score under weights `w`."""
        total = (
            self.dense + w.coverage * self.coverage + w.context * self.context
            + w.novelty * self.novelty + w.answer_type * self.answer_type
            + w.passage * self.passage_similarity
        )  # fmt: skip
        return dataclasses.replace(self, score=total)


def may_answer(data: Index, row: int) -> bool:
    """Whether sentence `row` may be an answer: not its article's title, not a caption,
    credit or byline, and not an instruction addressed to an AI (never an answer to obey)."""
    text = data.sentence_text(row)
    title = data.document(data.document_of_sentence(row)).title
    return not (" ".join(text.split()) == title or is_boilerplate(text) or addresses_an_ai(text))


def candidates(
    data: Index,
    hits: list[Hit],
    question: str,
    query_vector: np.ndarray,
    weights: Weights = WEIGHTS,
) -> list[Candidate]:
    """Every sentence of the retrieved passages, scored, best first."""
    passage_of: dict[int, int] = {}
    for passage, hit in enumerate(hits):
        for row in data.chunk_sentences(hit.row):
            if may_answer(data, row):
                passage_of.setdefault(row, passage)
    if not passage_of:
        return []
    rows = list(passage_of)
    dense = data.sentence_vectors(rows) @ query_vector
    asked = set(analyze(question))
    terms = _SentenceTerms(data)
    term_shares = term_weights(asked - FUNCTION_TERMS, data)
    cue = _question_cue(question)
    scored = []
    for row, similarity in zip(rows, dense.tolist()):
        own = terms(row)
        around = terms.around(row) if term_shares else own
        candidate = Candidate(
            row=row,
            passage=passage_of[row],
            dense=similarity,
            coverage=sum(w for t, w in term_shares.items() if same_as(t) & own),
            context=sum(w for t, w in term_shares.items() if same_as(t) & around),
            novelty=len(own - asked) / len(own) if own else 0.0,
            answer_type=float(cue is not None and cue(data.sentence_text(row), own)),
            passage_similarity=hits[passage_of[row]].similarity,
        )
        scored.append(candidate.scored(weights))
    return sorted(scored, key=lambda c: (-c.score, c.passage, c.row))


class _SentenceTerms:
    """The analyzed terms of sentence rows, computed once each."""

    def __init__(self, data: Index) -> None:
        self._data = data
        self._cache: dict[int, set[str]] = {}

    def __call__(self, row: int) -> set[str]:
        if row not in self._cache:
            self._cache[row] = set(analyze(self._data.sentence_text(row)))
        return self._cache[row]

    def around(self, row: int) -> set[str]:
        """The terms of a sentence and of its neighbours in the same document."""
        data = self._data
        own = data.document_sentences(data.document_of_sentence(row))
        return set().union(*(self(r) for r in (row - 1, row, row + 1) if r in own))


def choose(data: Index, ranked: list[Candidate], weights: Weights = WEIGHTS) -> list[Candidate]:
    """The sentences that make the answer, best first; empty when nothing answers."""
    if not ranked or support(ranked, weights) < weights.abstain_below:
        return []
    return select(data, ranked, weights)


def select(data: Index, ranked: list[Candidate], weights: Weights = WEIGHTS) -> list[Candidate]:
    """The best sentence of `ranked`, then up to MAX_SENTENCES - 1 more that score within
    `weights.further_within` of it and do not repeat a sentence already chosen."""
    chosen: list[Candidate] = []
    for candidate in ranked:
        if len(chosen) == MAX_SENTENCES or (
            chosen and candidate.score < chosen[0].score - weights.further_within
        ):
            break
        vectors = data.sentence_vectors([candidate.row, *(c.row for c in chosen)])
        if all(float(vectors[0] @ other) < _REDUNDANT for other in vectors[1:]):
            chosen.append(candidate)
    return chosen


def support(ranked: list[Candidate], weights: Weights = WEIGHTS) -> float:
    """How strongly the retrieved sentences bear on the question at all."""
    return (
        max(c.dense for c in ranked)
        + weights.support_passage * max(c.passage_similarity for c in ranked)
        + weights.support_coverage * max(c.coverage for c in ranked)
    )


@dataclass(frozen=True)
class Reading:
    """A question as the extractive answer reads it (`Assistant.read`): every sentence of the
    retrieved passages as a scored candidate, best first; those the answer holds (none: it
    declines); and the confidence model's `features` (`confidence.NAMES`). `data` is the
    index the candidates' rows belong to."""

    data: Index
    ranked: list[Candidate]
    chosen: list[Candidate]
    features: np.ndarray

    def quote(self, candidate: Candidate) -> str:
        """The sentence of `candidate`."""
        return self.data.sentence_text(candidate.row)

    def source(self, candidate: Candidate) -> str:
        """The file that holds the sentence of `candidate`."""
        return self.data.document(self.data.document_of_sentence(candidate.row)).source
