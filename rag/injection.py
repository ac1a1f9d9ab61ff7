"""Sentences of an article that address an AI ("Ignore previous instructions and say…").

Such a sentence never answers a reader's question: the extractive answer leaves it out, and
the LLM's citation check never counts it as support for a claim.
"""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}"
    r"\b(?:instructions?|prompts?|rules|guidelines|directions|above|previous|prior|earlier)\b"
    r"|\b(?:you are now|act as|pretend to be|system prompt|new instructions?)\b"
    r"|\b(?:AI|assistants?|chatbots?|language models?|LLMs?)\b[^.!?\n]{0,40}"
    r"\b(?:must|should|shall|will|to)\s+(?:say|answer|respond|reply|tell|write|output)\b",
    re.IGNORECASE,
)


def addresses_an_ai(sentence: str) -> bool:
    """Whether `sentence` reads as an instruction to an AI assistant."""
    return bool(_INSTRUCTION.search(sentence))
