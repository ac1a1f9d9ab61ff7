"""`rag eval --questions`: answer, citation and abstention scores, per question and in total."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, run_cli

from rag.errors import RagError
from rag.evaluation import questions
from rag.evaluation.questions import Question, QuestionReport, judge

SEED_QUESTIONS = DATA / "seed_questions.jsonl"


@pytest.mark.slow  # an evaluation in a fresh process
def test_cli_json_passes_what_judge_passes(seed_index: Path):
    """Per question, `passed` is what `judge` decides for the answer and citations reported."""
    result = run_cli(
        "eval", "--questions", str(SEED_QUESTIONS), "--index", str(seed_index), "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    expected = questions.load(SEED_QUESTIONS)
    assert [o["id"] for o in report["questions"]] == [q.id for q in expected]
    for outcome, question in zip(report["questions"], expected):
        judged = judge(question, not outcome["abstained"], outcome["answer"], outcome["cited"])
        assert outcome["passed"] == judged.passed, (question.id, outcome, judged)
    answerable = [o for o in report["questions"] if o["answerable"]]
    assert report["answer_accuracy"] == round(
        sum(o["answer_ok"] for o in answerable) / len(answerable), 4
    )
    assert report["abstention_recall"] == (
        1.0 if report["questions"][8]["abstained"] else 0.0
    )  # q09


@pytest.mark.slow  # an evaluation in a fresh process
def test_cli_table(seed_index: Path):
    result = run_cli("eval", "--questions", str(SEED_QUESTIONS), "--index", str(seed_index))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [c.strip() for c in lines[0].split("|")[1:-1]] == [
        "id", "question", "answerable", "abstained", "answer", "citation", "pass"
    ]  # fmt: skip
    assert len([line for line in lines if line.startswith("| q")]) == 10
    header = (
        "| answer accuracy | first sentence accuracy | citation accuracy | first citation accuracy"
        " | abstention precision | abstention recall | accuracy | hedged answerable"
        " | unanswerable hedged or declined | calibration error | passed |"
    )
    assert header in lines
    assert "| confidence | questions | mean confidence | answerable |" in lines


def _question(**fields: object) -> Question:
    base = {
        "id": "x",
        "question": "?",
        "answerable": True,
        "expect_all_of_any": [],
        "sources_any": [],
    }
    return Question(**{**base, **fields})  # type: ignore[arg-type]


def test_judging_and_totals():
    q = _question(expect_all_of_any=[["Bosnia"], ["Iraq", "Kurd"]], sources_any=["a.txt"])
    right = judge(q, True, "Over bosnia and the KURDISH north [1]", ["b.txt", "a.txt"])
    assert (right.answer_ok, right.citation_ok, right.passed) == (True, True, True)
    half = judge(q, True, "Over Bosnia [1]", ["b.txt"])
    assert (half.answer_ok, half.citation_ok, half.passed) == (False, False, False)
    declined = judge(q, False, "The articles do not answer this question.", [])
    assert (declined.abstained, declined.answer_ok, declined.citation_ok) == (True, False, False)
    unanswerable = _question(answerable=False)
    kept_quiet = judge(unanswerable, False, "", [])
    made_up = judge(unanswerable, True, "Canberra [1]", ["a.txt"])
    assert (kept_quiet.passed, kept_quiet.answer_ok, made_up.passed) == (True, None, False)

    totals = QuestionReport([right, half, declined, kept_quiet, made_up]).totals
    assert totals == {
        "answer_accuracy": round(1 / 3, 4),
        "first_sentence_accuracy": None,  # no first quotes given
        "citation_accuracy": round(1 / 3, 4),
        "first_citation_accuracy": 0.0,  # right's first citation is b.txt, not a.txt
        "abstention_precision": 0.5,  # two declined, one of them rightly
        "abstention_recall": 0.5,  # two unanswerable, one declined
        "accuracy": 0.4,  # one right answer and one rightly declined, of five
        "hedged_answerable": 0.0,
        "unanswerable_hedged_or_declined": 0.5,  # kept quiet; made_up answered plainly
        "calibration_error": None,  # no confidences given
        "passed": 0.4,
    }
    assert QuestionReport([right]).totals["abstention_precision"] is None, "nothing declined: n/a"


def test_the_first_sentence_and_squad_style_questions():
    q = questions.parse({"question": "Who?", "answers": ["Jens  Stoltenberg", "Stoltenberg"],
                         "article": "a.txt", "answerable": True}, "test", "x")  # fmt: skip
    assert (q.expect_all_of_any, q.sources_any) == (
        [["Jens  Stoltenberg", "Stoltenberg"]],
        ["a.txt"],
    )
    late = judge(q, True, "NATO met [1] and jens\nstoltenberg spoke [2]", ["b.txt", "a.txt"],
                 first_quote="NATO met", confidence=0.8)  # fmt: skip
    assert (late.answer_ok, late.first_sentence_ok, late.first_source_ok) == (True, False, False)
    assert late.confidence == 0.8


def test_reliability_bins_calibration_error_and_caveats():
    answerable, unanswerable = _question(expect_all_of_any=[["x"]]), _question(answerable=False)
    outcomes = [judge(answerable, True, "x", [], confidence=0.95)] * 3 + [
        judge(unanswerable, True, "y", [], confidence=0.15, hedged=True),
        judge(answerable, True, "x", [], confidence=0.15, hedged=True),
    ]
    report = QuestionReport(outcomes)
    assert [(b.low, b.questions, b.confidence, b.answerable) for b in report.reliability] == [
        (0.1, 2, 0.15, 0.5),
        (0.9, 3, 0.95, 1.0),
    ]
    totals = report.totals
    # |0.15 - 0.5| for two questions and |0.95 - 1| for three, over five
    assert totals["calibration_error"] == round((2 * 0.35 + 3 * 0.05) / 5, 4)
    assert totals["hedged_answerable"] == 0.25 and totals["unanswerable_hedged_or_declined"] == 1
    assert totals["abstention_recall"] == 0.0  # a caveat is not a refusal


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no question"),
        ("{not json\n", "line 1 is not JSON"),
        ('{"id": "a"}\n', 'line 1 has no "question" text'),
        (
            '\n{"question": "?", "answerable": "yes"}\n',
            'line 2: "answerable" must be true or false',
        ),
        (
            '{"question": "?", "expect_all_of_any": ["Bosnia"]}\n',
            '"expect_all_of_any" a list of lists',
        ),
    ],
)
def test_malformed_question_files(tmp_path: Path, content: str, message: str):
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    with pytest.raises(RagError, match=message):
        questions.load(path)


@pytest.mark.slow  # three fresh processes
def test_cli_errors(tmp_path: Path, seed_index: Path):
    missing = run_cli(
        "eval", "--questions", str(tmp_path / "none.jsonl"), "--index", str(seed_index)
    )
    assert missing.returncode == 1
    expected = f"cannot read the question file {tmp_path}/none.jsonl (No such file or directory)"
    assert missing.stderr.strip() == f"rag: error: {expected}"
    split = run_cli("eval", "--questions", str(SEED_QUESTIONS), "--split", "train")
    assert (split.returncode, split.stderr.strip()) == (
        1,
        "rag: error: --split applies to --beir datasets only",
    )
    neither = run_cli("eval")
    assert (
        neither.returncode == 2
        and "one of the arguments --beir --questions is required" in neither.stderr
    )
