"""Answer quality on a question set, one JSON object a line (`tests/data/seed_questions.jsonl`).

Fields: `question`; `answerable` (false: the assistant must say the articles do not answer);
`expect_all_of_any` (groups of phrases: the answer holds one phrase of every group, case
aside); `sources_any` (a citation points at one of these files); `id` (optional).
SQuAD-style sets (`../shared/bench/squad2/questions.jsonl`) give instead `answers` (the
answer holds any one of them, case and spacing aside) and `article` (the file that holds it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError


@dataclass(frozen=True)
class Question:
    """One question of a set, and what a right answer looks like."""

    id: str
    question: str
    answerable: bool
    expect_all_of_any: list[list[str]]
    sources_any: list[str]

    def holds_answer(self, text: str) -> bool:
        """Whether `text` holds a phrase of every expected group (case and spacing aside)."""
        lowered = " ".join(text.lower().split())
        return all(
            any(" ".join(p.lower().split()) in lowered for p in group)
            for group in self.expect_all_of_any
        )


@dataclass(frozen=True)
class Outcome:
    """How the assistant did on one question; None where a check does not apply."""

    id: str
    question: str
    answerable: bool
    abstained: bool
    answer_ok: bool | None  # answerable: answered, with a phrase of every expected group
    citation_ok: bool | None  # answerable with sources: a citation points at one of them
    answer: str
    cited: list[str]
    first_sentence_ok: bool | None = None  # answerable: the first cited quote alone holds it
    first_source_ok: bool | None = None  # answerable with sources: the first citation's file
    confidence: float | None = None  # the probability given that the articles answer
    hedged: bool = False  # answered with the caveat that the articles may not answer directly

    @property
    def passed(self) -> bool:
        """Every check that applies holds, and an unanswerable question was declined."""
        if not self.answerable:
            return self.abstained
        return self.answer_ok is not False and self.citation_ok is not False


@dataclass(frozen=True)
class QuestionReport:
    """Each question's outcome and the totals."""

    outcomes: list[Outcome]

    @property
    def totals(self) -> dict[str, float | None]:
        """Over the answerable questions: answer accuracy (the answer holds what is expected),
        the same for the first cited sentence alone, citation accuracy (a citation, and the
        first citation, of an expected file); abstention precision (declined questions that
        were unanswerable) and recall (unanswerable ones declined); accuracy (right answers
        and rightly declined questions over all); the share of answerable questions answered
        with a caveat, and of unanswerable ones declined or answered with one; the expected
        calibration error of the confidence; and the share of questions passed."""
        outcomes = self.outcomes
        unanswerable = [o for o in outcomes if not o.answerable]
        declined = [o for o in outcomes if o.abstained]
        right = sum(1 for o in declined if not o.answerable)
        cautious = sum(o.abstained or o.hedged for o in unanswerable)
        return {
            "answer_accuracy": _mean(o.answer_ok for o in outcomes),
            "first_sentence_accuracy": _mean(o.first_sentence_ok for o in outcomes),
            "citation_accuracy": _mean(o.citation_ok for o in outcomes),
            "first_citation_accuracy": _mean(o.first_source_ok for o in outcomes),
            "abstention_precision": _share(right, len(declined)),
            "abstention_recall": _share(right, len(unanswerable)),
            "accuracy": _share(sum(bool(o.answer_ok) for o in outcomes) + right, len(outcomes)),
            "hedged_answerable": _mean(o.hedged for o in outcomes if o.answerable),
            "unanswerable_hedged_or_declined": _share(cautious, len(unanswerable)),
            "calibration_error": calibration_error(self.reliability),
            "passed": _share(sum(o.passed for o in outcomes), len(outcomes)),
        }

    @property
    def reliability(self) -> list[Bin]:
        """The questions grouped by confidence in tenths: how many, their mean confidence and
        the share the articles answer. Calibrated, the last two agree in every bin."""
        groups: dict[int, list[tuple[float, bool]]] = {}
        for o in self.outcomes:
            if o.confidence is not None:
                tenth = min(int(o.confidence * RELIABILITY_BINS), RELIABILITY_BINS - 1)
                groups.setdefault(tenth, []).append((o.confidence, o.answerable))
        return [
            Bin(
                tenth / RELIABILITY_BINS,
                (tenth + 1) / RELIABILITY_BINS,
                len(members),
                round(sum(c for c, _ in members) / len(members), 4),
                round(sum(a for _, a in members) / len(members), 4),
            )
            for tenth, members in sorted(groups.items())
        ]


RELIABILITY_BINS = 10


@dataclass(frozen=True)
class Bin:
    """Questions whose confidence lies in [low, high): count, mean confidence, share answerable."""

    low: float
    high: float
    questions: int
    confidence: float
    answerable: float


def calibration_error(bins: list[Bin]) -> float | None:
    """Expected calibration error: the mean gap between confidence and the answerable share,
    weighted by the questions in each bin."""
    total = sum(b.questions for b in bins)
    if not total:
        return None
    return round(sum(b.questions * abs(b.confidence - b.answerable) for b in bins) / total, 4)


def load(path: str | os.PathLike[str]) -> list[Question]:
    """Read a question set.

    Raises:
        RagError: the file is missing, or a line is not a valid question.
    """
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise RagError(f"cannot read the question file {file} ({error.strerror})") from None
    questions = [_question(line, file, n) for n, line in enumerate(lines, start=1) if line.strip()]
    if not questions:
        raise RagError(f"{file} holds no question: write one JSON object a line")
    return questions


def judge(
    question: Question, found: bool, text: str, sources: list[str],
    first_quote: str | None = None, confidence: float | None = None, hedged: bool = False,
) -> Outcome:  # fmt: skip
    """Check one answer against what `question` expects (`first_quote`: the first citation's
    quote, for the first-sentence check)."""
    answer_ok = citation_ok = first_ok = first_source_ok = None
    if question.answerable:
        answer_ok = found and question.holds_answer(text)
        if first_quote is not None:
            first_ok = found and question.holds_answer(first_quote)
        if question.sources_any:
            citation_ok = bool(set(sources) & set(question.sources_any))
            first_source_ok = bool(sources) and sources[0] in question.sources_any
    return Outcome(
        question.id, question.question, question.answerable, not found, answer_ok, citation_ok,
        text, sources, first_ok, first_source_ok, confidence, hedged,
    )  # fmt: skip


def evaluate(
    path: str | os.PathLike[str], index_dir: str | os.PathLike[str], store: str | None = None
) -> QuestionReport:
    """Ask the index in `index_dir` (or the Milvus `store`) every question of the set at
    `path`; judge the answers."""
    from ..pipeline import load_index

    questions = load(path)
    assistant = load_index(index_dir, store=store)
    outcomes = []
    for question in questions:
        answer = assistant.ask(question.question)
        sources = [citation.source for citation in answer.citations]
        first = answer.citations[0].quote if answer.citations else ""
        outcomes.append(
            judge(
                question,
                answer.found,
                answer.text,
                sources,
                first,
                answer.confidence,
                answer.hedged,
            )
        )
    return QuestionReport(outcomes)


def _question(line: str, file: Path, number: int) -> Question:
    where = f"{file} line {number}"
    try:
        record = json.loads(line)
    except ValueError:
        raise RagError(f"{where} is not JSON: write one JSON object a line") from None
    return parse(record, where, f"line {number}")


def parse(record: object, where: str, default_id: str = "") -> Question:
    """A question from its JSON object (`where` names it in errors; `default_id` is its id
    when it has none).

    Raises:
        RagError: the object is not a valid question.
    """
    if not isinstance(record, dict) or not isinstance(record.get("question"), str):
        raise RagError(f'{where} has no "question" text')
    answerable = record.get("answerable", True)
    groups = record.get("expect_all_of_any", [])
    sources = record.get("sources_any", [])
    answers, article = record.get("answers"), record.get("article")
    if answers is not None:  # SQuAD style: any one of the answers, in this article
        groups = [answers] if answers else []
        sources = [article] if isinstance(article, str) and article else []
    valid = (
        isinstance(answerable, bool)
        and isinstance(groups, list)
        and all(isinstance(g, list) and all(isinstance(p, str) for p in g) for g in groups)
        and isinstance(sources, list)
        and all(isinstance(s, str) for s in sources)
        and not (answerable and answers is not None and not answers)
    )
    if not valid:
        raise RagError(
            f'{where}: "answerable" must be true or false, "expect_all_of_any" a list of lists '
            'of phrases (or "answers" a list of answers), "sources_any" a list of file names'
        )
    return Question(
        str(record.get("id", default_id)), record["question"], answerable, groups, sources
    )


def _mean(values: Iterable[bool | None]) -> float | None:
    """The share of true values among those that apply (not None)."""
    applicable = [v for v in values if v is not None]
    return _share(sum(applicable), len(applicable))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
