"""Answer quality on a question set, one JSON object a line (`tests/data/seed_questions.jsonl`).

Fields: `question`; `answerable` (false: the assistant must say the articles do not answer);
`expect_all_of_any` (groups of phrases: the answer holds one phrase of every group, case
aside); `sources_any` (a citation points at one of these files); `id` (optional).
"""

from __future__ import annotations

import json
import os
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
        """Answer and citation accuracy over the answerable questions, abstention precision
        (declined questions that were unanswerable) and recall (unanswerable ones declined)."""
        answered = [o.answer_ok for o in self.outcomes if o.answer_ok is not None]
        cited = [o.citation_ok for o in self.outcomes if o.citation_ok is not None]
        declined = [o for o in self.outcomes if o.abstained]
        unanswerable = [o for o in self.outcomes if not o.answerable]
        right = sum(1 for o in declined if not o.answerable)
        return {
            "answer_accuracy": _share(sum(answered), len(answered)),
            "citation_accuracy": _share(sum(cited), len(cited)),
            "abstention_precision": _share(right, len(declined)),
            "abstention_recall": _share(right, len(unanswerable)),
            "passed": _share(sum(o.passed for o in self.outcomes), len(self.outcomes)),
        }


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


def judge(question: Question, found: bool, text: str, sources: list[str]) -> Outcome:
    """Check one answer against what `question` expects."""
    lowered = text.lower()
    answer_ok = citation_ok = None
    if question.answerable:
        answer_ok = found and all(
            any(phrase.lower() in lowered for phrase in group)
            for group in question.expect_all_of_any
        )
        if question.sources_any:
            citation_ok = bool(set(sources) & set(question.sources_any))
    return Outcome(
        question.id, question.question, question.answerable, not found, answer_ok, citation_ok,
        text, sources,
    )  # fmt: skip


def evaluate(path: str | os.PathLike[str], index_dir: str | os.PathLike[str]) -> QuestionReport:
    """Ask the index in `index_dir` every question of the set at `path`; judge the answers."""
    from ..pipeline import load_index

    questions = load(path)
    assistant = load_index(index_dir)
    outcomes = []
    for question in questions:
        answer = assistant.ask(question.question)
        sources = [citation.source for citation in answer.citations]
        outcomes.append(judge(question, answer.found, answer.text, sources))
    return QuestionReport(outcomes)


def _question(line: str, file: Path, number: int) -> Question:
    where = f"{file} line {number}"
    try:
        record = json.loads(line)
    except ValueError:
        raise RagError(f"{where} is not JSON: write one JSON object a line") from None
    if not isinstance(record, dict) or not isinstance(record.get("question"), str):
        raise RagError(f'{where} has no "question" text')
    answerable = record.get("answerable", True)
    groups = record.get("expect_all_of_any", [])
    sources = record.get("sources_any", [])
    valid = (
        isinstance(answerable, bool)
        and isinstance(groups, list)
        and all(isinstance(g, list) and all(isinstance(p, str) for p in g) for g in groups)
        and isinstance(sources, list)
        and all(isinstance(s, str) for s in sources)
    )
    if not valid:
        raise RagError(
            f'{where}: "answerable" must be true or false, "expect_all_of_any" a list of lists '
            'of phrases, "sources_any" a list of file names'
        )
    return Question(
        str(record.get("id", f"line {number}")), record["question"], answerable, groups, sources
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
