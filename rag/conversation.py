"""Follow-up questions: carry the conversation into the search when a question leans on it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .lexical import analyze

_LEANS_ON_CONTEXT = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|why not)\b"
    r"|\b(he|she|they|it|him|her|them|his|hers|their|its|this|that|these|those|there|the same)\b",
    re.IGNORECASE,
)
_FEW_TERMS = 2

History = Sequence[Any]
"""Earlier turns: {"role", "content"} dicts, (user, assistant) pairs, or plain user questions."""


def search_query(question: str, history: History | None) -> str:
    """The text to search for `question`: the question itself, or for a follow-up that
    names too little on its own, the previous question followed by this one."""
    previous = _previous_question(history or [], question)
    if not previous:
        return question
    if _LEANS_ON_CONTEXT.search(question) or len(analyze(question)) <= _FEW_TERMS:
        return f"{previous} {question}"
    return question


def _previous_question(history: History, current: str) -> str:
    questions = [q.strip() for q in _user_turns(history) if q.strip()]
    if questions and questions[-1] == current.strip():
        questions.pop()  # the history already ends with the question being asked
    return questions[-1] if questions else ""


def _user_turns(history: History) -> Iterable[str]:
    for turn in history:
        if isinstance(turn, str):
            yield turn
        elif isinstance(turn, dict) and turn.get("role") == "user":
            content = turn.get("content")
            if isinstance(content, str):
                yield content
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            yield turn[0]
