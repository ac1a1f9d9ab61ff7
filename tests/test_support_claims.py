"""The labelled claim set the support check is fitted and measured on (benchmarks/support):
hand-written claims quote their articles exactly, the held-out part is kept apart, and
SQuAD questions become the statements the claims are made of."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "support"))

from claimset import CORPORA, HAND, HELDOUT_SQUAD, _hand
from statements import statement

KINDS = {"paraphrase", "entity", "number", "action", "negation", "outside"}


def test_every_hand_written_claim_quotes_its_article_exactly():
    hand = list(_hand())
    assert len(hand) >= 150 and {c.kind for c in hand} == KINDS
    for claim in hand:
        text = (CORPORA[claim.corpus] / claim.source).read_text(encoding="utf-8")
        assert all(s in text for s in claim.support), claim.id
        assert claim.support or not claim.supported, f"{claim.id}: a supported claim quotes"
        assert len(claim.support) <= 2, f"{claim.id}: support is one or two sentences"


def test_the_held_out_part_has_every_kind_and_is_never_fitted_on():
    hand = list(_hand())
    held = Counter(c.kind for c in hand if c.heldout)
    assert set(held) == KINDS and all(n >= 5 for n in held.values()), held
    assert {c.corpus for c in hand if c.heldout} == {"seeds", "heldout2"}
    assert len(HELDOUT_SQUAD) == 6
    if not CORPORA["squad"].is_dir():
        pytest.skip(f"the SQuAD articles are not at {CORPORA['squad']} (../shared)")
    assert all((CORPORA["squad"] / a).exists() for a in HELDOUT_SQUAD)
    assert sorted(p.stem for p in HAND.glob("*.jsonl")) == ["heldout", "heldout2", "seeds"]


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Who proclaimed the oil embargo?", "OAPEC", "OAPEC proclaimed the oil embargo."),
        ("When was the second oil crisis?", "1979", "The second oil crisis was in 1979."),
        ("What is the Rhine Gorge known for?", "castles", "The Rhine Gorge is known for castles."),
        (
            "How long did the fighting last in Seven Years War?", "six years",
            "The fighting last in Seven Years War for six years.",
        ),
        ("Is a problem instance abstract or concrete?", "concrete", None),
    ],
)  # fmt: skip
def test_a_question_and_an_answer_become_a_statement(question, answer, expected):
    assert statement(question, answer) == expected
