"""Sentence boundaries with exact character offsets, by rule (fast, no model, any size of text)."""

from __future__ import annotations

import re

# A run of sentence-ending punctuation with its closing quotes and the whitespace after it,
# or a bare line break.
_CANDIDATE = re.compile(r"[.!?…]+[\"'’”)\]]*\s+|[ \t]*\n\s*")
_STARTS_SENTENCE = re.compile(r"[\"'‘“(\[]?[A-Z0-9À-ÖØ-Þ•▪●◦\-–—*#]")
_BULLET = re.compile(r"(?:[•▪●◦\-–—*]|\d{1,3}[.)])\s")
_LAST_WORD = re.compile(r"(\S+)$")
_WORD_CHAR = re.compile(r"\w")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e u.s u.k u.n no nos fig figs al inc ltd co corp "
    "gen sen rep gov lt col sgt capt cmdr adm jan feb mar apr jun jul aug sep sept oct nov dec "
    "approx dept est vol pp ed eds op cit cf ca".split()
)
RULES = 3  # the version of these rules, recorded in the manifest: a change means re-chunking
MAX_QUOTED_CHARS = 500  # a quotation run on past this is split into its own sentences


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of the sentences of `text`, trimmed of whitespace.

    Paragraph breaks, bullet lines and lines that end a heading always end a sentence; a
    line break inside a running sentence (wrapped text, as from a PDF) does not.
    Spans without a single letter or digit are dropped. A quotation that opens after the
    words introducing it ('he answered: "I understand. But it will not happen."') stays
    in one sentence with them, so that a quoted sentence is never cited without its speaker.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        end = _sentence_end(text, match)
        if end is not None:
            _append(spans, text, start, end)
            start = match.end()
    _append(spans, text, start, len(text))
    return _join_quotations(text, spans)


def _join_quotations(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join each sentence that opens a quotation after some words, and leaves it open, with
    the sentences of the same paragraph that continue the quotation (up to MAX_QUOTED_CHARS)."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            first, last = joined[-1]
            fits = "\n\n" not in text[last:start] and end - first <= MAX_QUOTED_CHARS
            if fits and _opens_quotation(text[first:last]):
                joined[-1] = (first, end)
                continue
        joined.append((start, end))
    return joined


def _opens_quotation(sentence: str) -> bool:
    """Whether `sentence` opens a quotation after its first character and does not close it."""
    straight = sentence.count('"') % 2 == 1 and sentence.find('"') > 0
    curly = sentence.count("“") > sentence.count("”") and sentence.find("“") > 0
    return straight or curly


def _sentence_end(text: str, match: re.Match[str]) -> int | None:
    """Where the sentence ends if `match` is a boundary, else None."""
    gap = match.group()
    next_text = text[match.end() : match.end() + 4]
    if gap.count("\n") >= 2 or _BULLET.match(next_text):
        return match.start() + len(gap.rstrip())
    if gap.lstrip(" \t").startswith("\n"):  # a bare line break
        before = text[max(0, match.start() - 1) : match.start()]
        continues = before.islower() or before in ",;:-–(" or not next_text
        return None if continues else match.start()
    if not _STARTS_SENTENCE.match(next_text):
        return None
    stripped = gap.rstrip()
    if stripped.startswith(".") and not stripped.startswith(".."):
        word = _LAST_WORD.search(text, max(0, match.start() - 40), match.start())
        token = word.group(1).lstrip("\"'‘“([") if word else ""
        initial = len(token) == 1 and token.isupper()  # "J. Smith"; not "a function of n."
        if token.lower() in _ABBREVIATIONS or initial:
            return None
    return match.start() + len(stripped)


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and _WORD_CHAR.search(text, start, end):
        spans.append((start, end))
