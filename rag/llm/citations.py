"""The citation check: every sentence of a model's answer must rest on a passage it was shown.

Each sentence (a claim) is checked by `SupportCheck`: a model fitted on labelled claims gives
the probability that a shown sentence, or two adjacent ones, supports it, and which. A
claim whose best quote falls below the fitted threshold is dropped; a kept claim cites its
best quote, so a marker pointing at another passage is moved to the one holding it.
Sentences of the articles that read as instructions to an AI never count as support, so a
model that obeys an injected instruction produces claims that fail the check. Citations
are renumbered 1..n in order of use, each quoting the exact supporting text with its offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..index import Index
from ..sentences import split_sentences
from ..types import Citation
from .prompt import NOT_FOUND_REPLY, Shown
from .support import Support, SupportCheck, SupportModel

_MARKER = r"\[(?:(?:passage|source)s?\s*)?(\d+(?:\s*[,;–-]\s*\d+)*)\]"  # [1], [1, 2], [Passage 3]
_MARKERS = re.compile(r"\s*" + _MARKER, re.IGNORECASE)
_AFTER_END = re.compile(rf"([.!?…]+[\"'’”)]*)((?:\s*{_MARKER})+)", re.IGNORECASE)
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)  # reasoning, closed or not
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?…])")
_MARKUP = re.compile(r"[*_`#>]+|^\s*(?:[-•▪●◦]|\d{1,3}[.)])\s+")
_WORD = re.compile(r"\w")
_FINISHED = re.compile(rf"(?:[.!?…:;\"'’”)*_`]|{_MARKER})\s*$", re.IGNORECASE)  # not cut off
_DONT_KNOW = re.compile(
    rf"\b{NOT_FOUND_REPLY}\b|\b(?:do(?:es)?n[o’']t|do(?:es)? not|cannot|can[’']t|unable to)\s+"
    r"(?:say|mention|contain|answer|provide|specify|state|include|know|find|determine|tell)\b"
    r"|\bno (?:information|mention)\b|\bnot (?:mentioned|stated|specified|provided)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    """A sentence of the model's answer: its text without markers, its passage numbers,
    and the separator before it (a space, a line break or a paragraph break)."""

    text: str
    markers: tuple[int, ...]
    gap: str


class Checker:
    """Checks the model's sentences as they arrive and keeps the supported ones, cited.

    Nothing is released until some sentence carries a valid marker, so a model that
    ignores the citation format shows nothing before the fallback.
    """

    def __init__(
        self, data: Index, shown: list[Shown], embed: Callable[[str], np.ndarray],
        model: SupportModel | None = None,
    ) -> None:  # fmt: skip
        self._data = data
        self._shown = shown
        self._support = SupportCheck(data, shown, embed, model)
        self._numbers: dict[tuple[int, int, int], int] = {}  # quoted span -> citation number
        self._offset = 0  # how much of the (normalized) reply has been read
        self._held: list[Claim] = []
        self.text = ""
        self.citations: list[Citation] = []
        self.cited = False  # some sentence carried a valid marker
        self.unknown = False  # the model said the passages do not answer
        self.dropped = 0
        self.corrected = 0

    def feed(self, reply: str, final: bool = False) -> list[str]:
        """Read the reply so far; return the new pieces of checked answer text to show."""
        new, self._offset = claims(reply, self._offset, final)
        for claim in new:
            valid = self._valid(claim)
            self.cited = self.cited or bool(valid)
            self.unknown = self.unknown or (not valid and bool(_DONT_KNOW.search(claim.text)))
        self._held += new
        if not self.cited:
            return []
        pieces = [piece for claim in self._held if (piece := self._check(claim))]
        self._held = []
        return pieces

    def summary(self) -> str:
        """What the check changed, in a few words (empty when nothing)."""
        parts = [_count(self.dropped, "unsupported sentence") + " dropped"] if self.dropped else []
        parts += [_count(self.corrected, "citation") + " corrected"] if self.corrected else []
        return "checked against the passages: " + ", ".join(parts) if parts else ""

    def _valid(self, claim: Claim) -> list[int]:
        return [m for m in dict.fromkeys(claim.markers) if 1 <= m <= len(self._shown)]

    def _check(self, claim: Claim) -> str:
        plain = " ".join(_MARKUP.sub(" ", claim.text).split())
        valid = self._valid(claim)
        if not _WORD.search(plain) or (not valid and _DONT_KNOW.search(plain)):
            return ""
        support = self._support.best(plain, [m - 1 for m in valid])
        if support is None or not support.passes:
            self.dropped += 1
            return ""
        self.corrected += bool(claim.markers) and support.quote.passage + 1 not in valid
        piece = (claim.gap if self.text else "") + f"{claim.text} [{self._number(support)}]"
        self.text += piece
        return piece

    def _number(self, support: Support) -> int:
        span = self._support.span(support.quote)
        if span not in self._numbers:
            number = self._numbers[span] = len(self._numbers) + 1
            doc_row, start, end = span
            doc = self._data.document(doc_row)
            self.citations.append(Citation(
                number=number, source=doc.source, title=doc.title, quote=doc.text[start:end],
                start=start, end=end, score=round(support.probability, 4), page=doc.page_at(start),
            ))  # fmt: skip
        return self._numbers[span]


def claims(reply: str, offset: int, final: bool) -> tuple[list[Claim], int]:
    """The complete sentences of `reply` after `offset`, and the offset after them.

    `reply` is normalized first: reasoning in <think> tags is removed and markers written
    after a sentence's full stop are moved before it. Unless `final`, the last sentence
    waits, and so does the one before while what follows it could still be its marker.
    When `final`, a last sentence cut off by the answer's length limit (no end, no
    marker, not a "not found") is left out.
    """
    text = _AFTER_END.sub(r"\2\1", without_thinking(reply))
    spans = [(s + offset, e + offset) for s, e in split_sentences(text[offset:])]
    last = text[spans[-1][0] : spans[-1][1]] if spans else ""
    if final and last and not _FINISHED.search(last) and not _DONT_KNOW.search(last):
        spans = spans[:-1]
    elif not final:
        spans = spans[:-1]
        tail = text[spans[-1][1] :].strip() if spans else ""
        if spans and (len(tail) < 4 or tail.startswith("[")):
            spans = spans[:-1]
    found, previous = [], offset
    for start, end in spans:
        gap = text[previous:start]
        found.append(Claim(_without_markers(text[start:end]), _numbers(text[start:end]), _gap(gap)))
        previous = end
    return found, previous


def without_thinking(reply: str) -> str:
    """`reply` without the reasoning some models write in <think> tags."""
    return _THINKING.sub("", reply)


def _without_markers(sentence: str) -> str:
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(_MARKERS.sub("", sentence).split()))


def _numbers(sentence: str) -> tuple[int, ...]:
    numbers: list[int] = []
    for group in _MARKERS.findall(sentence):
        for part in re.split(r"\s*[,;]\s*", group):
            low, _, high = part.replace("–", "-").partition("-")
            first, last = int(low), int(high or low)
            numbers += range(first, min(last, first + 20) + 1)
    return tuple(numbers)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' if n != 1 else ''}"


def _gap(between: str) -> str:
    breaks = between.count("\n")
    return "\n\n" if breaks >= 2 else "\n" if breaks else " "
