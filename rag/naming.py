"""Who "he" or "she" is: an answer sentence that opens with a bare pronoun gets the name of
the person it refers to, from the sentences before it in the article, written in brackets.

"He noted that NATO members were divided." is shown as "[Stoltenberg] noted that NATO
members were divided." The citation still quotes the article's own words at their offsets.
"""

from __future__ import annotations

import re
from collections import Counter

_OPENING = re.compile(r"^(?P<lead>[\"“‘']?(?:(?:However|But|And|Also|Still|Yet|Later|Then),?\s+)?)"
                      r"(?P<pronoun>[Hh]e|[Ss]he)\b(?!['’]d\b)")  # fmt: skip
_NAME = re.compile(
    r"\b[A-Z][\w’'-]*[a-z][\w’'-]*(?:\s+(?:[A-Z][\w’'-]*[a-z][\w’'-]*|de|van|von|der|bin|al))*"
)
_TITLES = frozenset(
    "Mr Mrs Ms Dr Prof Professor Former President Prime Minister Secretary General Chancellor "
    "King Queen Sir Lord Mayor Governor Senator Judge Chief Director Chairman Chairwoman CEO "
    "Ambassador Commissioner Spokesman Spokeswoman Councillor Minister".split()
)
_NOT_A_NAME = _TITLES | frozenset(
    "The A An This That These Those It He She They We I His Her Their Its However But And Also "
    "Still Yet Later Then In On At For From With By As After Before During According When While "
    "If Although Though Since Because Monday Tuesday Wednesday Thursday Friday Saturday "
    "Sunday January February March April May June July August September October November "
    "December".split()
)
_SPEECH = re.compile(
    r"^\s*(?:has\s+|had\s+)?(?:said|says|told|tells|noted|notes|added|adds|explained|argued|"
    r"wrote|writes|asked|stated|claimed|insisted|warned|recalled|admitted|believed|announced)\b"
)
LOOK_BACK = 4  # sentences before the answer sentence that may name the person


def named(sentence: str, before: list[str]) -> str:
    """`sentence` with an opening "He"/"She" replaced by "[Name]", the person the sentences
    `before` it (nearest last) most likely mean; unchanged when none can be found."""
    opening = _OPENING.match(sentence)
    if not opening:
        return sentence
    name = _referent(before[-LOOK_BACK:])
    if not name:
        return sentence
    start, end = opening.span("pronoun")
    return f"{sentence[:start]}[{name}]{sentence[end:]}"


def _referent(before: list[str]) -> str:
    """The person named most often in `before`, the nearest mention winning a tie; a full
    name is shortened to the surname it is later called by ("Jens Stoltenberg" ->
    "Stoltenberg") when the text itself does so."""
    found: list[tuple[str, bool]] = []  # each name, and whether it reads as a person's
    for sentence in before:
        for match in _NAME.finditer(sentence):
            words = [w for w in match.group().split() if w not in _NOT_A_NAME]
            if words and not _is_place_or_group(words):
                found.append((" ".join(words), _is_person(match, words, sentence)))
    people = {_possessive(name.split()[-1]) for name, person in found if person}
    mentions = [name for name, _ in found if _possessive(name.split()[-1]) in people]
    if not mentions:
        return ""
    surnames = Counter(_possessive(m.split()[-1]) for m in mentions)
    nearest = {_possessive(m.split()[-1]): i for i, m in enumerate(mentions)}
    surname = max(surnames, key=lambda s: (surnames[s], nearest[s]))
    full = [m for m in mentions if _possessive(m.split()[-1]) == surname]
    shortest = min((_possessive(m) for m in full), key=len)
    return shortest


def _is_person(match: re.Match[str], words: list[str], sentence: str) -> bool:
    """A name reads as a person's when it has two words ("Jens Stoltenberg"), follows a title
    ("Mayor Berg") or says something ("Stoltenberg said"); "Brussels" alone does not."""
    titled = any(w in _TITLES for w in match.group().split())
    return len(words) > 1 or titled or bool(_SPEECH.match(sentence[match.end() :]))


def _possessive(name: str) -> str:
    return re.sub(r"['’]s?$", "", name)


def _is_place_or_group(words: list[str]) -> bool:
    """Words that cannot be a person: a lone word of capitals (NATO, US) or with a group word."""
    return (len(words) == 1 and words[0].isupper()) or any(
        w in {"Ministry", "Department", "Council", "Union", "Alliance", "Party", "Company",
              "University", "Government", "Army", "Forces", "Republic", "Kingdom", "States"}
        for w in words
    )  # fmt: skip
