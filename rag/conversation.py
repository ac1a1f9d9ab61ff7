"""Follow-up questions: carry the conversation into the search when a question leans on it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .lexical import FUNCTION_TERMS, analyze

_LEANS_ON_CONTEXT = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|why not|what else)\b"
    r"|\b(he|she|they|it|him|her|them|his|hers|their|its|this|these|those|the same)\b"
    r"|(?<!is )(?<!are )(?<!was )(?<!were )\bthere\b(?!\s+(is|are|was|were|be|been|has|had)\b)"
    r"|\bthat\W*$",
    re.IGNORECASE,
)
_NAMES_NOTHING = FUNCTION_TERMS | frozenset(  # words a question can hold and still name nothing
    analyze("name named kind type happen happened else much many")
)
_MAX_TURNS = 3  # questions joined into one search at most: a long chain drifts off topic

History = Sequence[Any]
"""Earlier turns: {"role", "content"} dicts (content a string or a list of {"type": "text",
"text"} parts, as Gradio sends them), objects with `role`/`content`, (user, assistant)
pairs, or plain user questions."""


def search_query(question: str, history: History | None) -> str:
    """The text to search for `question`: the question itself, or for a follow-up that
    leans on the conversation, the question it follows (itself resolved the same way,
    so "And Biden?" then "Why?" still carries the first topic) followed by this one."""
    earlier = [text for role, text in turns(history, question) if role == "user"]
    parts = [question]
    while earlier and len(parts) < _MAX_TURNS and leans_on_context(parts[0]):
        parts.insert(0, earlier.pop())
    return " ".join(parts)


def leans_on_context(question: str) -> bool:
    """Whether `question` needs the conversation: it starts like a follow-up ("And what…"),
    points back ("he", "those", "do that"), or names nothing at all ("Why?", "How much?").
    A question that names a thing of its own ("Who is Stoltenberg?") stands alone."""
    return bool(_LEANS_ON_CONTEXT.search(question)) or set(analyze(question)) <= _NAMES_NOTHING


def turns(history: History | None, question: str) -> list[tuple[str, str]]:
    """Earlier (role, text) turns of a conversation in any accepted form, oldest first,
    whitespace collapsed, without a final repeat of the question being asked."""
    found: list[tuple[object, object]] = []
    for turn in history or []:
        if isinstance(turn, str):
            found.append(("user", turn))
        elif isinstance(turn, (list, tuple)):
            found += list(zip(("user", "assistant"), turn))
        elif isinstance(turn, dict):
            found.append((turn.get("role"), turn.get("content")))
        else:  # a message object
            found.append((getattr(turn, "role", None), getattr(turn, "content", None)))
    cleaned = [(str(role), " ".join(_text(content).split())) for role, content in found]
    cleaned = [(role, text) for role, text in cleaned if text and role in ("user", "assistant")]
    if cleaned and cleaned[-1] == ("user", " ".join(question.split())):
        cleaned.pop()
    return cleaned


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
