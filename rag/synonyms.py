"""Words a question and its answer often use for the same thing ("asked" and "requested").

A short hand-made list of the verbs, adverbs and nouns that news questions paraphrase most.
It lets a sentence count as holding a question's word when it holds one of these
alternatives; it raised held-out answer accuracy on both held-out sets
(benchmarks/calibrate.py). The last three groups left them unchanged and answer two
paraphrases of the example questions (tests/data/paraphrases.jsonl).
"""

from __future__ import annotations

from functools import lru_cache

from .lexical import Rarity, analyze

_GROUPS = (
    "ask asked asking request requested call called urge urged plead pleaded beg begged "
    "demand demanded appeal appealed seek sought",
    "refuse refused refusal reject rejected decline declined deny denied rebuff rebuffed "
    "dismiss dismissed veto vetoed",
    "say said says tell told state stated claim claimed argue argued note noted add added "
    "remark remarked insist insisted stress stressed warn warned",
    "describe described call called label labelled portray portrayed depict depicted "
    "characterise characterised characterize characterized",
    "criticise criticised criticize criticized critic critics condemn condemned blame blamed "
    "denounce denounced",
    "fear feared worry worried concern concerned afraid risk risks danger dangerous threat "
    "threatened",
    "cause caused lead led result resulted trigger triggered spark sparked prompt prompted "
    "reason because",
    "close closed shut ban banned bar barred block blocked halt halted suspend suspended",
    "start started begin began launch launched open opened commence commenced",
    "end ended finish finished stop stopped conclude concluded",
    "cost costs price spend spent pay paid fund funded funding expense",
    "kill killed die died dead death deaths fatal",
    "rescue rescued save saved evacuate evacuated airlift airlifted",
    "current currently now present today",
    "earlier before previous previously prior past former",
    "job role post position work works",
    "leader head chief boss",
    "american america us usa",
    "war wars conflict conflicts fighting battle battles",
    "alliance alliances ally allies allied",
)


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in _GROUPS:
        terms = set(analyze(group))
        for term in terms:
            table.setdefault(term, set()).update(terms)
    return {term: frozenset(alternatives) for term, alternatives in table.items()}


def same_as(term: str) -> frozenset[str]:
    """The analyzed term and the terms that may stand for it in an answer."""
    return _table().get(term, frozenset((term,)))


def term_weights(terms: set[str] | frozenset[str], lexical: Rarity) -> dict[str, float]:
    """Terms, each weighted by its rarity in the collection, summing to 1. A term that
    paraphrases count for is only as rare as the most common of them."""
    weights = {term: min(lexical.idf(t) for t in same_as(term)) for term in terms}
    total = sum(weights.values())
    return {term: w / total for term, w in weights.items()} if total > 0 else {}
