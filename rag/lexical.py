"""Lexical search: BM25 over stemmed words (bm25s), and the word weights that answers use."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

_WORD = re.compile(r"\w+")
K1, B = 1.2, 0.75  # BM25 defaults; a train-split sweep on SciFact found no better pair (README)
ANALYZER = {"lowercase": True, "stopwords": "en", "stemmer": "english", "min_length": 1}
"""How text becomes terms; recorded in the manifest, since a change means re-indexing."""


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Any:  # a Stemmer.Stemmer (PyStemmer is untyped)
    import Stemmer

    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """The terms of a text: lowercased words, minus English stopwords, stemmed."""
    stop = _stopwords()
    words = [w for w in _WORD.findall(text.lower()) if w not in stop]
    return _stemmer().stemWords(words) if words else []


FUNCTION_TERMS = frozenset(  # question words and function words: no word of an answer
    analyze(
        "what which who whom whose why how when where did does do done about would could should "
        "can may might must shall has have had having were been being am its it's he she him her "
        "his hers we us our you your i me my they them their from up down out over under again "
        "further once here all any both each few more most other some own same so than too very "
        "just also only now s t d ll m re ve"
    )
)


class Rarity(Protocol):
    """What tells how rare a term is in a collection."""

    def idf(self, term: str) -> float:
        """BM25's idf of an analyzed term (unknown terms count as rarest)."""
        ...


class LexicalIndex:
    """A BM25 index over chunk texts, in chunk order."""

    def __init__(self, retriever: Any) -> None:  # a bm25s.BM25 (bm25s is untyped)
        self._bm25 = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict
        indptr = retriever.scores["indptr"]
        self._document_frequency = np.diff(np.asarray(indptr))
        self.size = int(retriever.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str], *, k1: float = K1, b: float = B) -> LexicalIndex:
        """Index `texts`; an empty text is allowed and never matches. `k1` and `b` are the
        BM25 parameters (term frequency saturation, length normalization)."""
        import bm25s

        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index([analyze(text) for text in texts], show_progress=False)
        return cls(retriever)

    def save(self, directory: Path) -> None:
        """Write the index files into `directory`."""
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Open an index written by `save`, memory-mapped."""
        import bm25s

        retriever = bm25s.BM25.load(str(directory), mmap=True, show_progress=False)
        return cls(retriever)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers and BM25 scores of the best `k` chunks that share a term with `query`."""
        ids = [self._vocab[t] for t in analyze(query) if t in self._vocab]
        if not ids or self.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self._bm25.get_scores(ids)
        k = min(k, int(np.count_nonzero(scores)))
        top = np.argpartition(-scores, k - 1)[:k] if k else np.zeros(0, np.int64)
        top = top[np.argsort(-scores[top], kind="stable")]
        return top.astype(np.int64), scores[top].astype(np.float32)

    def idf(self, term: str) -> float:
        """How rare a term is in the collection (BM25's idf); unknown terms count as rarest."""
        row = self._vocab.get(term)
        df = int(self._document_frequency[row]) if row is not None else 0
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
