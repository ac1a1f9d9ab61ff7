"""What the words of a sentence commit it to: its rare terms, numbers, names and polarity.

The support check compares these between a claim and a candidate quote. Terms are the
lexical index's (stemmed, stopwords removed), so a claim's words are weighed by how rare
they are in the user's own collection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from ..lexical import analyze
from ..synonyms import same_as

_NUMBER_WORDS = (  # not "one", "first", "second": more often words than numbers
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion trillion half quarter dozen third fourth fifth sixth "
    "seventh eighth ninth tenth"
)
_NUMBERS = frozenset(analyze(_NUMBER_WORDS))
_CALENDAR = re.compile(  # capitalised, so that "may" and "march" the verbs do not count
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"(?<=[\w,;:’'\")] )[A-Z][\w’'-]*|^[A-Z][a-z]*[A-Z][\w-]*")  # not first word
_NEGATION = re.compile(
    r"\b(?:not(?! only)|never|no|none|nothing|nobody|neither|nor|without|cannot|refus\w*|"
    r"declin\w*|reject\w*|den(?:y|ied|ies)|fail\w*|unable|lack\w*)\b|n[’']t\b",
    re.IGNORECASE,
)
_SCOPE_END = re.compile(  # a negation reaches to the end of its clause
    r"[,;:.!?()\[\]]|\b(?:because|but|and|which|who|that|when|while|although|though|since|"
    r"so|if|whereas)\b",
    re.IGNORECASE,
)
_SCOPE_TERMS = 1  # the verb or adjective right after it: "did not close", "not the first"
_LOOSE = re.compile(r"\b\w+ing\b|(?<=\bto )\w+", re.IGNORECASE)
_ANTONYM_PAIRS = (
    "first last|largest smallest|highest lowest|most least|maximum minimum|increase decrease|"
    "rise fall|rose fell|before after|earliest latest|early late|older younger|more less|"
    "more fewer|major minor|best worst|win lose|won lost|success failure|positive negative|"
    "north south|east west|upper lower|inside outside|import export|private public|"
    "strong weak|long short|high low|large small|start end|began ended|accept reject|"
    "accepted rejected|allow prohibit|legal illegal|true false|open closed|opened closed|"
    "support oppose|supported opposed|above below|gain loss|profit loss|buy sell|bought sold|"
    "arrive depart|arrived left|add remove|added removed|raise cut|raised cut|ally enemy"
)


@dataclass(frozen=True)
class Words:
    """The analyzed content of one sentence (or of two adjacent ones)."""

    terms: frozenset[str]
    numbers: frozenset[str]  # digits as written ("1.80", "2022") and number/date terms
    names: frozenset[str]  # terms of capitalised words after the first
    negated: frozenset[str]  # terms said not to hold: the first few after a negation
    loose: frozenset[str]  # terms of gerunds and infinitives, which assert nothing alone

    @classmethod
    def of(cls, text: str) -> Words:
        terms = frozenset(analyze(text))
        digits = {d.replace(",", "") for d in _DIGITS.findall(text)}
        digits |= set(analyze(" ".join(_CALENDAR.findall(text))))
        names = frozenset(analyze(" ".join(_NAME.findall(text))))
        loose = frozenset(analyze(" ".join(_LOOSE.findall(text))))
        return cls(terms, frozenset(digits | (terms & _NUMBERS)), names, _negated(text), loose)

    def __or__(self, other: Words) -> Words:
        return Words(
            self.terms | other.terms, self.numbers | other.numbers, self.names | other.names,
            self.negated | other.negated, self.loose | other.loose,
        )  # fmt: skip


def _negated(text: str) -> frozenset[str]:
    """The terms that follow a negation in its clause ("did not close the airspace")."""
    found: set[str] = set()
    for cue in _NEGATION.finditer(text):
        rest = text[cue.end() :]
        end = _SCOPE_END.search(rest)
        found.update(analyze(rest[: end.start() if end else len(rest)])[:_SCOPE_TERMS])
    return frozenset(found)


def negates(text: str) -> bool:
    """Whether `text` holds a negation cue anywhere ("not", "never", "refused", "n't")."""
    return _NEGATION.search(text) is not None


def bigrams(text: str) -> frozenset[tuple[str, str]]:
    """Adjacent pairs of a text's terms, in order: who did what to whom, roughly."""
    terms = analyze(text)
    return frozenset(pairwise(terms))


def contradicted(negated: frozenset[str], other: Words) -> bool:
    """Whether terms that one text negates are said, not negated, by `other`."""
    return not negated.isdisjoint(other.terms - other.negated - other.loose)


def found(term: str, terms: frozenset[str]) -> bool:
    """Whether `terms` hold `term` or a word that paraphrases it."""
    return term in terms or not same_as(term).isdisjoint(terms)


def antonym_clash(claim: frozenset[str], quote: frozenset[str]) -> bool:
    """Whether the claim says the opposite of the quote in one word ("rose" for "fell")."""
    return any(
        (a in claim and b in quote and a not in quote and b not in claim)
        or (b in claim and a in quote and b not in quote and a not in claim)
        for a, b in _ANTONYMS
    )


_ANTONYMS = tuple(
    tuple(analyze(pair)) for pair in _ANTONYM_PAIRS.split("|") if len(analyze(pair)) == 2
)
