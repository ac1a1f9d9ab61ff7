"""The citation check: every sentence of a model's answer must rest on a passage it was shown.

A sentence is supported by a sentence of a passage when their cosine similarity (the
question-time model against the late-pooled sentence vectors of the index) plus the share
of the claim's rare words found in that sentence and its neighbours reaches `SUPPORT`, and
every number of the claim is found there too.
The sentence's own markers are tried first; if none of them supports it, the passage that
does takes the marker, and a sentence no passage supports is dropped. Sentences of the
articles that read as instructions to an AI never count as support, so a model that obeys
an injected instruction produces claims that fail the check. Citations are renumbered
1..n in order of use, each quoting the exact supporting sentence with its offsets.

The test is lexical and semantic, not logical: it catches made-up facts, names and numbers,
but not a negation of a supported sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..answering import _term_weights
from ..injection import addresses_an_ai
from ..lexical import analyze
from ..sentences import split_sentences
from ..store import IndexData
from ..types import Citation
from .prompt import NOT_FOUND, Shown

SUPPORT = 1.0  # cosine + weighted share of the claim's words found around the quote
MIN_COSINE = 0.3
_MARKER = r"\[(?:(?:passage|source)s?\s*)?(\d+(?:\s*[,;–-]\s*\d+)*)\]"  # [1], [1, 2], [Passage 3]
_MARKERS = re.compile(r"\s*" + _MARKER, re.IGNORECASE)
_AFTER_END = re.compile(rf"([.!?…]+[\"'’”)]*)((?:\s*{_MARKER})+)", re.IGNORECASE)
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)  # reasoning, closed or not
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?…])")
_MARKUP = re.compile(r"[*_`#>]+|^\s*(?:[-•▪●◦]|\d{1,3}[.)])\s+")
_WORD = re.compile(r"\w")
_FINISHED = re.compile(rf"(?:[.!?…:;\"'’”)*_`]|{_MARKER})\s*$", re.IGNORECASE)  # not cut off
_DONT_KNOW = re.compile(
    rf"\b{NOT_FOUND}\b|\b(?:do(?:es)?n[o’']t|do(?:es)? not|cannot|can[’']t|unable to)\s+"
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


@dataclass(frozen=True)
class _Support:
    score: float
    cosine: float
    row: int
    numbers_found: bool = False  # every number of the claim is in or beside the quote

    @property
    def passes(self) -> bool:
        return self.score >= SUPPORT and self.cosine >= MIN_COSINE and self.numbers_found


class Checker:
    """Checks the model's sentences as they arrive and keeps the supported ones, cited.

    Nothing is released until some sentence carries a valid marker, so a model that
    ignores the citation format shows nothing before the fallback.
    """

    def __init__(
        self, data: IndexData, shown: list[Shown], embed: Callable[[str], np.ndarray]
    ) -> None:
        self._data = data
        self._shown = shown
        self._embed = embed
        self._rows = [
            [r for r in s.rows if not addresses_an_ai(data.sentence_text(r))] for s in shown
        ]
        self._terms = [[set(analyze(data.sentence_text(r))) for r in rows] for rows in self._rows]
        self._numbers: dict[int, int] = {}  # sentence row -> citation number
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
        support = self._support(plain)
        chosen = [support[m - 1] for m in valid if support[m - 1].passes]
        if not chosen:
            best = max(support, key=lambda s: s.score)
            if not best.passes:
                self.dropped += 1
                return ""
            chosen = [best]
            self.corrected += bool(claim.markers)
        markers = "".join(f"[{n}]" for n in dict.fromkeys(self._number(s) for s in chosen))
        piece = (claim.gap if self.text else "") + f"{claim.text} {markers}"
        self.text += piece
        return piece

    def _support(self, claim: str) -> list[_Support]:
        """For each shown passage, its sentence that best supports `claim`."""
        vector = self._embed(claim)
        claim_terms = set(analyze(claim))
        weights = _term_weights(claim_terms, self._data.lexical)
        numbers = {t for t in claim_terms if t[0].isdigit()}
        best = []
        for rows, terms in zip(self._rows, self._terms):
            if not rows:
                best.append(_Support(0.0, 0.0, -1))
                continue
            cosines = np.asarray(self._data.sentence_vectors[rows], dtype=np.float32) @ vector
            options = []
            for i, (row, cosine) in enumerate(zip(rows, cosines.tolist())):
                near = set().union(*terms[max(0, i - 1) : i + 2])
                coverage = sum(w for t, w in weights.items() if t in near)
                options.append(_Support(cosine + coverage, cosine, row, numbers <= near))
            best.append(max(options, key=lambda s: s.score))
        return best

    def _number(self, support: _Support) -> int:
        if support.row not in self._numbers:
            number = self._numbers[support.row] = len(self._numbers) + 1
            doc_row, start, end = (int(v) for v in self._data.sentences[support.row])
            doc = self._data.documents[doc_row]
            self.citations.append(Citation(
                number=number, source=doc.source, title=doc.title, quote=doc.text[start:end],
                start=start, end=end, score=round(support.score, 4), page=doc.page_at(start),
            ))  # fmt: skip
        return self._numbers[support.row]


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
