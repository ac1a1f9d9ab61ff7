"""The support model's arithmetic (`rag.llm.support`): standardized logits, the ranker's pick
and its lead over another text, the verifier's probability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rag.llm.support import Logistic, SupportModel

SCORE_IS_THE_FEATURE = Logistic(np.zeros(1), np.ones(1), np.ones(1), 0.0)
LEAD_MINUS_ONE = Logistic(np.zeros(3), np.ones(3), np.array([0.0, 0.0, 1.0]), -1.0)
MODEL = SupportModel(SCORE_IS_THE_FEATURE, LEAD_MINUS_ONE, threshold=0.5)


def test_a_logistic_standardizes_then_weighs() -> None:
    model = Logistic(np.array([1.0, 10.0]), np.array([2.0, 5.0]), np.array([3.0, -1.0]), 0.5)
    assert model.logit(np.array([[5.0, 20.0], [1.0, 10.0]])).tolist() == [3 * 2 - 2 + 0.5, 0.5]


def test_a_logistic_round_trips_through_its_record() -> None:
    model = Logistic(np.array([0.125, 2.0]), np.array([1.5, 3.0]), np.array([-0.5, 0.25]), 0.75)
    again = Logistic.from_record({**model.record(), "features": ["a", "b"]}, ("a", "b"))
    assert again.record() == model.record()


def test_the_lead_is_over_the_best_candidate_quoting_another_text() -> None:
    features = np.array([[3.0], [2.5], [1.0], [2.0]])
    spans = [(0, 0, 10), (0, 5, 15), (1, 0, 10), (0, 10, 20)]
    best, row = MODEL.pick(features, spans)
    # (0, 5, 15) overlaps the pick: the same text; (0, 10, 20) only touches it: another
    assert (best, row.tolist()) == (0, [3.0, 3.0, 1.0])


@pytest.mark.parametrize(
    ("features", "spans"),
    [
        ([[4.0]], [(0, 0, 10)]),  # a lone candidate
        ([[4.0], [3.0]], [(0, 0, 10), (0, 2, 8)]),  # only quotes of the same text
        ([[30.0], [1.0]], [(0, 0, 10), (1, 0, 10)]),  # far ahead of another text
    ],
)
def test_the_lead_is_capped(features: list[list[float]], spans: list) -> None:
    _, row = MODEL.pick(np.array(features), spans)
    assert row[-1] == 10.0


def test_a_tie_picks_the_first_with_no_lead() -> None:
    best, row = MODEL.pick(np.array([[2.0], [2.0]]), [(0, 0, 10), (1, 0, 10)])
    assert (best, row[-1]) == (0, 0.0)


def test_the_verifier_gives_the_probability_of_the_pick() -> None:
    features, spans = np.array([[1.0], [3.0], [1.5]]), [(0, 0, 5), (0, 5, 9), (2, 0, 9)]
    best, probability = MODEL.judge(features, spans)
    assert best == 1 and probability == pytest.approx(1 / (1 + math.exp(-(1.5 - 1.0))))
