"""The fitted confidence: its model file, and the outcome and probability every answer carries."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from rag import confidence
from rag.answering import MAX_SENTENCES, NOT_FOUND
from rag.assistant import MAY_NOT_ANSWER
from rag.errors import RagError

ON_TOPIC = "Where has NATO closed an airspace before?"
OFF_TOPIC = "What is the capital of Australia?"


def test_the_shipped_model_round_trips_through_its_readable_file(tmp_path: Path):
    model = confidence.shipped()
    assert model.names == confidence.NAMES and 0 < model.hedge_below < 1
    model.save(tmp_path / "copy.json")
    again = confidence.Model.load(tmp_path / "copy.json")
    row = np.random.default_rng(0).random(len(confidence.NAMES))
    assert again.probability(row) == model.probability(row)
    assert again.hedge_below == model.hedge_below
    stored = json.loads(confidence.MODEL_FILE.read_text(encoding="utf-8"))
    assert list(stored["features"]) == list(confidence.NAMES)  # each weight by its name


def test_the_probability_is_a_logistic_model_of_the_standardised_row():
    model = confidence.Model(
        ("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([1.0, -1.0]), 0.5, 0.3
    )
    # z = (3 - 1) / 2 * 1 + (2 - 0) / 1 * -1 + 0.5 = -0.5
    assert model.probability(np.array([3.0, 2.0])) == pytest.approx(1 / (1 + np.exp(0.5)))
    assert model.probability(np.array([1e9, -1e9])) == pytest.approx(1.0)  # no overflow


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda record: "not json", r"cannot read the confidence model"),
        (lambda record: {**record, "features": {"old": {}}}, r"fitted on other features"),
        (lambda record: {"features": record["features"]}, r"cannot read the confidence model"),
    ],
)
def test_a_damaged_or_foreign_model_file_is_a_clear_error(tmp_path: Path, damage, message):
    record = json.loads(confidence.MODEL_FILE.read_text(encoding="utf-8"))
    damaged = damage(record)
    path = tmp_path / "model.json"
    path.write_text(damaged if isinstance(damaged, str) else json.dumps(damaged))
    with pytest.raises(RagError, match=message) as raised:
        confidence.Model.load(path)
    assert "benchmarks/reader/fit.py" in str(raised.value)


def test_every_answer_carries_an_outcome_and_a_probability(assistant):
    answered = assistant.ask(ON_TOPIC)
    declined = assistant.ask(OFF_TOPIC)
    assert answered.outcome == "answered" and not answered.hedged
    assert assistant.confidence_model.hedge_below <= answered.confidence <= 1
    assert declined.outcome == "not found" and declined.text == NOT_FOUND
    assert 0 <= declined.confidence < answered.confidence
    assert 1 <= len(answered.citations) <= MAX_SENTENCES


def test_read_is_how_ask_reads_a_question(assistant):
    """`Assistant.read`, which the benchmarks score and fit, finds the sentences and the
    confidence that `ask` answers with; `Assistant.embed` gives the question's unit vector."""
    for question in (ON_TOPIC, OFF_TOPIC):
        reading, answer = assistant.read(question), assistant.ask(question)
        assert [(reading.source(c), reading.quote(c)) for c in reading.chosen] == [
            (c.source, c.quote) for c in answer.citations
        ]
        probability = assistant.confidence_model.probability(reading.features)
        assert answer.confidence == (round(probability, 4) if reading.ranked else 0.0)
    vector = assistant.embed(ON_TOPIC)
    assert vector.shape == (384,) and float(vector @ vector) == pytest.approx(1.0)


def test_features_name_missing_words_numbers_and_negation(assistant):
    """What the model reads differs where the question asks what the articles lack."""

    def row(question: str) -> dict[str, float]:
        return dict(zip(confidence.NAMES, assistant.read(question).features))

    plain = row("Where did NATO close the airspace in the 1990s?")
    assert plain["names_missing"] == 0 and plain["numbers_missing"] == 0
    assert plain["question_negated"] == 0 and plain["asks_name"] == 1
    odd = row("Why did NATO not close the airspace over Zanzibar in 1871?")
    assert odd["names_missing"] == 0.5 and odd["numbers_missing"] == 1  # NATO is found
    assert odd["question_negated"] == 1 and odd["asks_cause"] == 1
    assert odd["rarest_missing"] > plain["rarest_missing"]
    nothing = confidence.features(assistant.read(ON_TOPIC).data, "?", [])
    assert np.array_equal(nothing, np.zeros(len(confidence.NAMES)))


def test_a_low_confidence_answer_says_it_may_not_answer_directly(assistant):
    cautious = copy.copy(assistant)
    cautious.confidence_model = dataclasses.replace(assistant.confidence_model, hedge_below=1.01)
    answer = cautious.ask(ON_TOPIC)
    assert answer.outcome == "hedged" and answer.found and answer.citations
    assert answer.text.startswith(MAY_NOT_ANSWER + " ")
    assert answer.confidence == assistant.ask(ON_TOPIC).confidence  # the caveat, not the number


@pytest.mark.slow  # two questions in fresh processes
def test_cli_shows_the_confidence_and_the_outcome(seed_index: Path):
    shown = run_cli("ask", ON_TOPIC, "--index", str(seed_index))
    assert shown.returncode == 0, shown.stderr
    assert "Confidence that the articles answer this: " in shown.stdout
    payload = json.loads(run_cli("ask", OFF_TOPIC, "--index", str(seed_index), "--json").stdout)
    assert payload["outcome"] == "not found" and 0 <= payload["confidence"] < 1
