"""The example questions on the bundled articles, and paraphrases of them, through the API and CLI."""

from __future__ import annotations

import json

import pytest

from answer_rules import failures, marker_problems
from conftest import DATA, SEEDS, read_jsonl, run_cli
from rag.loaders import load_document

SEED_QUESTIONS = read_jsonl(DATA / "seed_questions.jsonl")
PARAPHRASES = read_jsonl(DATA / "paraphrases.jsonl")


@pytest.mark.parametrize("question", SEED_QUESTIONS + PARAPHRASES, ids=lambda q: q["id"])
def test_api_answers(assistant, question):
    answer = assistant.ask(question["question"])
    sources = [c.source for c in answer.citations]
    assert not failures(question, answer.found, answer.text, sources), (
        f"{question['question']!r} -> {answer.text!r}: {failures(question, answer.found, answer.text, sources)}"
    )
    assert not marker_problems(answer.text, [c.number for c in answer.citations])
    if not answer.found:
        assert not answer.citations and answer.passages, "an abstention lists related passages"


def test_citations_quote_the_original_files(assistant):
    """Every quote is found at its offsets in the text extracted from the original file."""
    extracted = {p.name: load_document(p.name, p.read_bytes()).text for p in SEEDS.iterdir()}
    checked = 0
    for question in SEED_QUESTIONS + PARAPHRASES:
        for citation in assistant.ask(question["question"]).citations:
            assert extracted[citation.source][citation.start : citation.end] == citation.quote
            checked += 1
    assert checked >= 10


def test_cli_json_answers(seed_index):
    """`rag ask --json` passes every seed question (one process, as a script would run it)."""
    for question in SEED_QUESTIONS:
        result = run_cli("ask", question["question"], "--index", str(seed_index), "--json")
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert set(payload) >= {"question", "answer", "found", "citations"}
        sources = [c["source"] for c in payload["citations"]]
        problems = failures(question, payload["found"], payload["answer"], sources)
        assert not problems, f"{question['id']}: {payload['answer']!r}: {problems}"
        for citation in payload["citations"]:
            assert set(citation) >= {"number", "source", "title", "quote", "start", "end", "score"}
