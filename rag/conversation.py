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
_MAX_TURNS = 3  # questions joined into one search at most: a long chain drifts off topic

History = Sequence[Any]
"""Earlier turns: {"role", "content"} dicts (content a string or a list of {"type": "text",
"text"} parts, as Gradio sends them), objects with `role`/`content`, (user, assistant)
pairs, or plain user questions."""


def search_query(question: str, history: History | None) -> str:
    """The text to search for `question`: the question itself, or for a follow-up that
    names too little on its own, the question it follows (itself resolved the same way,
    so "And Biden?" then "Why?" still carries the first topic) followed by this one."""
    earlier = [q.strip() for q in _user_turns(history or []) if q.strip()]
    if earlier and earlier[-1] == question.strip():
        earlier.pop()  # the history already ends with the question being asked
    parts = [question]
    while earlier and len(parts) < _MAX_TURNS and leans_on_context(parts[0]):
        parts.insert(0, earlier.pop())
    return " ".join(parts)


def leans_on_context(question: str) -> bool:
    """Whether `question` needs the conversation: it starts like a follow-up ("And what…"),
    points back ("he", "that"), or names too few things to search for on its own."""
    return bool(_LEANS_ON_CONTEXT.search(question)) or len(analyze(question)) <= _FEW_TERMS


def _user_turns(history: History) -> Iterable[str]:
    for turn in history:
        if isinstance(turn, str):
            yield turn
        elif isinstance(turn, (list, tuple)):
            if turn and isinstance(turn[0], str):
                yield turn[0]
        elif _field(turn, "role") == "user":
            yield _text(_field(turn, "content"))


def _field(turn: Any, name: str) -> Any:
    return turn.get(name) if isinstance(turn, dict) else getattr(turn, name, None)


def _text(content: Any) -> str:
    """The text of a message's content: a string, a text part, or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        text = content.get("text")
        return text if content.get("type", "text") == "text" and isinstance(text, str) else ""
    if isinstance(content, (list, tuple)):
        return " ".join(t for t in map(_text, content) if t)
    return ""
