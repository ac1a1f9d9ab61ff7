"""Answers written by an LLM from the retrieved passages, released sentence by sentence once
checked, with the extractive answer as the fallback whenever the LLM fails us."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..answering import NOT_FOUND
from ..conversation import History, turns
from ..index import Index
from ..types import Answer, Passage
from .citations import Checker, without_thinking
from .client import ChatClient, LLMError
from .prompt import answer_messages, rewrite_messages
from .settings import LLMSettings

_REWRITE_TOKENS = 96
_MAX_QUERY_CHARS = 400
_QUERY_LABEL = re.compile(
    r"^(?:standalone\s+)?(?:search\s+)?(?:query|question)\s*:\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class Evidence:
    """The retrieved passages, best first, with what it takes to check claims against them."""

    data: Index
    chunk_rows: Sequence[int]
    passages: list[Passage]
    embed: Callable[[str], np.ndarray]


def fallback_note(reason: object) -> str:
    """The one line telling the user why they see the extractive answer."""
    return f"LLM answer not used: {reason}; showing the extractive answer"


class LLMAnswerer:
    """Writes answers with an OpenAI-compatible chat server; every sentence is checked."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.client = ChatClient(settings)

    def standalone_query(self, question: str, history: History | None) -> str | None:
        """`question` rewritten to stand alone for search, when it follows earlier questions;
        None when there are none or the model's reply is not a usable query.

        Raises:
            LLMError: the server failed (down, late, an HTTP error, a malformed response).
        """
        if not any(role == "user" for role, _ in turns(history, question)):
            return None
        messages = rewrite_messages(question, history, self.settings.context_tokens)
        return _one_query(self.client.complete(messages, _REWRITE_TOKENS))

    def stream(
        self, question: str, history: History | None, query: str, evidence: Evidence,
        fallback: Callable[[str], Answer],
    ) -> Iterator[str | Answer]:  # fmt: skip
        """Pieces of checked answer text as the model writes them, then the `Answer`.

        When nothing of the reply survives the check, or the server fails before any piece
        was shown, the last item is `fallback(note)` (no pieces come before it). A failure
        after some pieces ends the answer there, with a note saying so.
        """
        messages, shown = answer_messages(
            question, query, history, evidence.data, evidence.chunk_rows, evidence.passages,
            self.settings.context_tokens,
        )  # fmt: skip
        if not shown:
            yield fallback(fallback_note("RAG_LLM_CONTEXT_TOKENS leaves no room for passages"))
            return
        checker = Checker(evidence.data, shown, evidence.embed)
        reply, failure = "", None
        try:
            for piece in self.client.stream(messages, self.settings.max_tokens):
                reply += piece
                yield from checker.feed(reply)
            yield from checker.feed(reply, final=True)
        except LLMError as error:
            failure = error
        if not checker.text and checker.unknown and failure is None:
            # The model read the passages and found no answer: trust it over the extractive
            # threshold, which cannot tell an on-topic question the articles leave open.
            extractive = fallback("the LLM found no answer in the passages")
            yield dataclasses.replace(extractive, text=NOT_FOUND, found=False, citations=[])
            return
        if not checker.text:
            yield fallback(fallback_note(failure or _rejection(checker)))
            return
        note = f"the LLM stopped early, the answer may be incomplete: {failure}" if failure else ""
        yield Answer(
            question, checker.text, True, checker.citations, evidence.passages, query,
            note=note or checker.summary(),
        )  # fmt: skip


def _rejection(checker: Checker) -> str:
    if checker.unknown:
        return "the LLM found no answer in the passages"
    if not checker.cited:
        return "the LLM's answer cited no passages"
    return "the LLM's answer is not supported by the passages"


def _one_query(reply: str) -> str | None:
    lines = [line.strip() for line in without_thinking(reply).splitlines() if line.strip()]
    query = _QUERY_LABEL.sub("", lines[0]).strip().strip("\"'`“”‘’").strip() if lines else ""
    return query if re.search(r"\w", query) and len(query) <= _MAX_QUERY_CHARS else None
