"""A loaded index that answers questions: retrieval, the answer, its citations, streaming."""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from . import answering, confidence, naming, retrieval
from .answering import NOT_FOUND
from .config import Settings
from .conversation import History, search_query
from .embedding import Embedder
from .errors import QuestionError
from .index import Index, Manifest, Store
from .llm import Evidence, LLMAnswerer, LLMError, fallback_note
from .types import Answer, Chunk, Citation, Document, Passage

MAX_QUESTION_CHARS = 2000  # longer questions are searched by their beginning
MAY_NOT_ANSWER = "The articles may not answer this directly. The closest they come:"
_WORD = re.compile(r"\w")
_BULLET = re.compile(r"^[•▪●◦\-–—*]\s*")
# A sentence of an answer, and the space after it: up to its citation marker, or up to its
# end when no marker follows. The chat shows each as one update, and every update is a round
# trip through Gradio that costs the server more than a word of text is worth.
_PIECE = re.compile(r".+?(?:\[\d+\]\s*|[.!?][\"'”’)]*\s+(?=[^\s\[])|$)", re.S)


@dataclass(frozen=True)
class IndexInfo:
    """What is indexed, for status displays."""

    index_dir: str
    source_dir: str
    documents: int
    chunks: int
    model: str
    built_at: str


class ChunkList(Sequence[Chunk]):
    """The indexed chunks in index order, made into `Chunk` objects only when read."""

    def __init__(self, data: Index) -> None:
        self._data = data

    @functools.cached_property
    def _rows(self) -> list[int]:
        data = self._data
        return [row for doc in data.document_ids() for row in data.document_chunks(doc)]

    def __len__(self) -> int:
        return self._data.chunk_count

    @overload
    def __getitem__(self, index: int) -> Chunk: ...
    @overload
    def __getitem__(self, index: slice) -> list[Chunk]: ...
    def __getitem__(self, index: int | slice) -> Chunk | list[Chunk]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return chunk(self._data, self._rows[index])


def chunk(data: Index, row: int) -> Chunk:
    """Chunk `row` of `data`, its id being its source and its ordinal in it."""
    doc_row, start, end = data.chunk_span(row)
    doc = data.document(doc_row)
    ordinal = row - data.document_chunks(doc_row).start
    return Chunk(
        id=f"{doc.source}#{ordinal}",
        source=doc.source,
        title=doc.title,
        text=doc.text[start:end],
        start=start,
        end=end,
        page=doc.page_at(start),
    )


class Assistant:
    """An index held in memory with its embedding model, answering question after question.

    Safe to share between threads: searches only read, and the model's tokenizer is guarded.
    With `llm` (an OpenAI-compatible server), answers are written by it and checked.
    """

    def __init__(
        self, store: Store, settings: Settings, manifest: Manifest,
        data: Index, embedder: Embedder, llm: LLMAnswerer | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.settings = settings
        self.manifest = manifest
        self._data = data
        self._embedder = embedder
        self._embed_lock = threading.Lock()
        self.chunks = ChunkList(data)
        self.llm = llm
        self.confidence_model = confidence.shipped()

    @property
    def info(self) -> IndexInfo:
        """Counts, model and build time of the loaded index."""
        m = self.manifest
        return IndexInfo(
            self.store.location, m.source_dir, m.documents, m.chunks, m.model, m.built_at
        )

    def document(self, source: str) -> Document | None:
        """The indexed article at relative path `source`, or None if there is none."""
        row = self._data.find_document(source)
        return None if row is None else self._data.document(row)

    def is_current(self) -> bool:
        """False once a newer build has been committed to the index directory."""
        manifest = self.store.committed()
        return manifest is not None and manifest.generation == self.manifest.generation

    def search(self, query: str, top_k: int | None = None) -> list[Passage]:
        """The best distinct passages for `query`, best first."""
        text = _checked(query)
        hits = retrieval.search(
            self._data, text, self._embed(text), self.settings, top_k or self.settings.top_k
        )
        return self._passages(hits)

    def ask(
        self, question: str, history: History | None = None, *, top_k: int | None = None
    ) -> Answer:
        """Answer from the articles, citing each sentence; say so when they hold no answer.

        Args:
            question: what the user asked.
            history: the conversation so far, used when the question is a follow-up.
            top_k: how many passages to draw on (default `settings.top_k`).

        Raises:
            QuestionError: the question is empty or has nothing to search for.
        """
        text = _checked(question)
        if self.llm is not None:
            *_, last = self._llm_stream(self.llm, question, text, history, top_k)
            assert isinstance(last, Answer)  # the stream ends with the finished answer
            return last
        query = search_query(text, history)
        return self._extractive(question, text, query, self._retrieve(text, query, top_k))

    def _retrieve(
        self, text: str, query: str, top_k: int | None
    ) -> tuple[list[retrieval.Hit], np.ndarray]:
        vector = self._embed(query)
        # A follow-up searches with the conversation and with its own words, so that what it
        # newly names ("And what did Biden say?") is found in the context of what came before.
        own = (text, self._embed(text)) if query != text else None
        hits = retrieval.search(
            self._data, query, vector, self.settings, top_k or self.settings.top_k, also=own
        )
        if own:  # its sentences are then chosen by both the conversation and the question
            vector = _normalized(vector + own[1])
        return hits, vector

    def _extractive(
        self, question: str, text: str, query: str,
        retrieved: tuple[list[retrieval.Hit], np.ndarray], note: str = "",
    ) -> Answer:  # fmt: skip
        reading = self._reading(text, retrieved)
        chosen = reading.chosen
        passages = self._passages(retrieved[0])
        likely = self._confidence(reading)
        if not chosen:
            return Answer(question, NOT_FOUND, False, [], passages, query, note, likely)
        citations = [self._citation(n, c) for n, c in enumerate(chosen, start=1)]
        body = " ".join(f"{self._display(c.row)} [{n}]" for n, c in enumerate(chosen, start=1))
        hedged = likely < self.confidence_model.hedge_below
        body = f"{MAY_NOT_ANSWER} {body}" if hedged else body
        return Answer(question, body, True, citations, passages, query, note, likely, hedged)

    def _reading(
        self, text: str, retrieved: tuple[list[retrieval.Hit], np.ndarray]
    ) -> answering.Reading:
        """Question `text` read from what was retrieved for it (see `read`)."""
        hits, vector = retrieved
        ranked = answering.candidates(self._data, hits, text, vector)
        chosen = answering.choose(self._data, ranked)
        features = confidence.features(self._data, text, ranked)
        return answering.Reading(self._data, ranked, chosen, features)

    def _confidence(self, reading: answering.Reading) -> float:
        """The fitted probability that the articles answer the question (`confidence.py`)."""
        probability = self.confidence_model.probability(reading.features)
        return round(probability, 4) if reading.ranked else 0.0

    def _display(self, row: int) -> str:
        """Sentence `row` as running text of an answer (see `_display`)."""
        doc = self._data.document_of_sentence(row)
        before = [
            self._data.sentence_text(r)
            for r in range(max(0, row - naming.LOOK_BACK), row)
            if self._data.document_of_sentence(r) == doc
        ]
        return _display(self._data.sentence_text(row), before)

    def _llm_stream(
        self, llm: LLMAnswerer, question: str, text: str, history: History | None,
        top_k: int | None,
    ) -> Iterator[str | Answer]:  # fmt: skip
        """The LLM's checked answer in pieces, or the extractive one with a note saying why."""
        query, note = search_query(text, history), ""
        try:
            query = llm.standalone_query(text, history) or query
        except LLMError as error:  # the server is failing: do not make it fail twice
            note = fallback_note(error)
        retrieved = self._retrieve(text, query, top_k)
        fallback = functools.partial(self._extractive, question, text, query, retrieved)
        hits, _ = retrieved
        likely = self._confidence(self._reading(text, retrieved))
        evidence = Evidence(self._data, [h.row for h in hits], self._passages(hits), self._embed)
        items = [fallback(note)] if note else llm.stream(text, history, query, evidence, fallback)
        streamed = False
        for item in items:
            if isinstance(item, str):
                streamed = True
                yield item
                continue
            if not streamed:
                yield from _PIECE.findall(item.text)
            yield dataclasses.replace(item, question=question, confidence=likely)

    def stream(
        self, question: str, history: History | None = None, *, top_k: int | None = None
    ) -> Iterator[str | Answer]:
        """Like `ask`, but yield the answer text in pieces as it is produced (each piece
        extends the text so far), then the finished `Answer`. The pieces are sentences: with
        an LLM, each as it passes the citation check; without, all at once."""
        if self.llm is not None:
            yield from self._llm_stream(self.llm, question, _checked(question), history, top_k)
            return
        answer = self.ask(question, history, top_k=top_k)
        yield from _PIECE.findall(answer.text)
        yield answer

    def closest_sentences(self, passages: Sequence[Passage], query: str) -> list[Citation]:
        """Each passage's sentence closest in meaning to `query`, as a citation numbered by
        the passage's rank: what a declined answer shows as related.

        Raises:
            QuestionError: `query` is empty or has nothing to search for.
        """
        vector = self._embed(_checked(query))
        related = []
        for passage in passages:
            doc_row = self._data.find_document(passage.chunk.source)
            assert doc_row is not None, "a passage of this index names its document"
            ordinal = int(passage.chunk.id.rsplit("#", 1)[1])
            sentences = self._data.chunk_sentences(self._data.document_chunks(doc_row)[ordinal])
            cosines = self._data.sentence_vectors(sentences) @ vector
            _, start, end = self._data.sentence_span(sentences[int(cosines.argmax())])
            doc, score = self._data.document(doc_row), round(float(cosines.max()), 4)
            quote, page = doc.text[start:end], doc.page_at(start)
            related.append(
                Citation(passage.rank, doc.source, doc.title, quote, start, end, score, page)
            )
        return related

    @property
    def documents(self) -> list[Document]:
        """The indexed articles, in index order."""
        return [self._data.document(doc) for doc in self._data.document_ids()]

    def _embed(self, text: str) -> np.ndarray:
        with self._embed_lock:
            return self._embedder.embed_query(text)

    def _passages(self, hits: list[retrieval.Hit]) -> list[Passage]:
        return [
            Passage(chunk(self._data, hit.row), hit.score, rank, hit.similarity)
            for rank, hit in enumerate(hits, start=1)
        ]

    def _citation(self, number: int, candidate: answering.Candidate) -> Citation:
        doc_row, start, end = self._data.sentence_span(candidate.row)
        doc = self._data.document(doc_row)
        return Citation(
            number=number, source=doc.source, title=doc.title, quote=doc.text[start:end],
            start=start, end=end, score=round(candidate.score, 4), page=doc.page_at(start),
        )  # fmt: skip

    def embed(self, text: str) -> np.ndarray:
        """The normalized vector of `text` as a question, from the index's model; safe to
        call from several threads at once."""
        return self._embed(text)

    def read(self, question: str) -> answering.Reading:
        """How the extractive answer reads `question`, asked on its own: the ranked candidate
        sentences, those the answer holds and the confidence model's features. For tools that
        score or refit these steps (`benchmarks/calibrate.py`, `benchmarks/reader/fit.py`).

        Raises:
            QuestionError: the question is empty or has nothing to search for.
        """
        text = _checked(question)
        return self._reading(text, self._retrieve(text, text, None))


def _normalized(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _checked(question: str) -> str:
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        raise QuestionError("the question is empty: ask something about the articles")
    if not _WORD.search(text):
        raise QuestionError("the question has no words to search for: ask it in words")
    return text[:MAX_QUESTION_CHARS]


def _display(quote: str, before: list[str]) -> str:
    """A quote as one sentence of running text: one line, no bullet, no quote mark left
    open by the sentence split, and an opening "He"/"She" named from the sentences
    `before` it (`naming.py`)."""
    text = _BULLET.sub("", " ".join(quote.split()))
    if text.count('"') % 2:
        text = text.strip('"').strip()
    if text.count("“") != text.count("”"):
        text = text.strip("“”").strip()
    return naming.named(text, before)
