"""Hard unsupported claims made from supported ones by one small change, as a model that
misreads a passage would make them: another name from the same article ("swap-name"),
another number ("swap-number"), the action negated ("negated") or turned into its opposite
("antonym"). Every other word still matches the supporting sentence."""

from __future__ import annotations

import random
import re

_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+(?: [A-Z][a-z]+)*")
_CALENDAR = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May "
    "June July August September October November December".split()
)
_AUXILIARY = re.compile(r"\b(is|was|are|were|has|had|have|can|could|will|would)\b(?! not)")
_PAST = re.compile(r"(?<=[a-z] )([a-z]{3,}ed)\b")
_OPPOSITES = (
    "rose fell|increased decreased|higher lower|largest smallest|first last|before after|"
    "more less|north south|east west|opened closed|won lost|accepted rejected|"
    "supported opposed|allowed banned|earlier later|older younger|strong weak|early late|"
    "bought sold|joined left|added removed|raised cut|above below|longest shortest"
)
_PAIRS = [pair.split() for pair in _OPPOSITES.split("|")]
KINDS = ("swap-name", "swap-number", "negated", "antonym")


def perturbed(text: str, support: str, article: str, rng: random.Random) -> dict[str, str]:
    """The changed claims that can be made from `text`, by kind."""
    made = {}
    if number := _other_number(text, support, rng):
        made["swap-number"] = number
    if name := _other_name(text, support, article, rng):
        made["swap-name"] = name
    if negated := _negated(text):
        made["negated"] = negated
    if opposite := _opposite(text):
        made["antonym"] = opposite
    return made


def _other_number(text: str, support: str, rng: random.Random) -> str | None:
    numbers = _NUMBER.findall(text)
    if not numbers:
        return None
    old = rng.choice(numbers)
    value = int(re.sub(r"\D", "", old.split(".")[0]) or 0)
    for _ in range(10):
        new = str(
            value + rng.choice([-3, -2, -1, 1, 2, 3, 5, 10]) if value > 31 else rng.randint(2, 60)
        )
        if new != old and new not in support:
            return text.replace(old, new, 1)
    return None


def _other_name(text: str, support: str, article: str, rng: random.Random) -> str | None:
    names = [n for n in _NAME.findall(text) if n in support and not _CALENDAR & set(n.split())]
    others = sorted({
        n for n in _NAME.findall(article)
        if n not in support and n not in text and not _CALENDAR & set(n.split())
    })  # fmt: skip
    if not names or not others:
        return None
    old = rng.choice(names)
    same_length = [n for n in others if len(n.split()) == len(old.split())] or others
    return text.replace(old, rng.choice(same_length), 1)


def _negated(text: str) -> str | None:
    if " not " in text:
        return text.replace(" not ", " ", 1)
    if match := _AUXILIARY.search(text):
        return text[: match.end()] + " not" + text[match.end() :]
    if match := _PAST.search(text):
        return text[: match.start()] + "never " + text[match.start() :]
    return None


def _opposite(text: str) -> str | None:
    for a, b in _PAIRS:
        for old, new in ((a, b), (b, a)):
            if re.search(rf"\b{old}\b", text):
                return re.sub(rf"\b{old}\b", new, text, count=1)
    return None
