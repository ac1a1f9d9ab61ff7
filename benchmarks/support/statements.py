"""A SQuAD question and an answer turned into the statement an LLM would write, by rule.

"Who proclaimed the oil embargo?" + "OAPEC" -> "OAPEC proclaimed the oil embargo."
"When did the 1973 oil crisis begin?" + "October 1973" -> "The 1973 oil crisis begin in
October 1973." The grammar is rough where the verb's tense would need a dictionary; the
words and their meaning are those of a fluent answer, which is what the support check reads.
Questions of no handled form give None and are left out.
"""

from __future__ import annotations

import re

_DO = {"did", "does", "do"}
_BE = {"is", "was", "are", "were"}
_AUX = _DO | _BE | {"has", "have", "had", "can", "could", "will", "would", "must", "should", "may"}
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their"}
_TIME_NOUNS = {"year", "years", "century", "decade", "month", "day", "date", "time", "period"}
_PREPOSITION = {"when": "in", "where": "in", "why": "because", "how": "by"}
_LEADING_PREPOSITION = re.compile(r"^(in|on|at|by|from|during|for|after|before|to|with)\s+(?=wh)")
_TAIL = re.compile(r"^(?:\w+(?:ed|en|wn|lt|ne)|made|known|sung|held|built|found|run|set)$")
_PREPOSITIONS = {"as", "by", "for", "in", "of", "on", "to", "from", "after", "with", "at"}
_REASONS = ("because", "to ", "in order", "since", "due to")
_WH = re.compile(r"^(what|which|who|whom|whose|when|where|why|how(?: many| much| long)?)\b\s*")


def statement(question: str, answer: str) -> str | None:
    """`question` answered by `answer` as one declarative sentence, or None."""
    text = " ".join(question.strip().rstrip("?").split())
    lowered = text[0].lower() + text[1:] if text else ""
    lead = _LEADING_PREPOSITION.match(lowered)
    preposition = lead.group(1) if lead else ""
    rest = lowered[lead.end() :] if lead else lowered
    wh = _WH.match(rest)
    answer = answer.strip().rstrip(".,;: ")
    inner = re.search(r"\b(?:what|which|whom)\b", rest)
    if not wh and inner and answer:  # "... because of the presence of what molecule"
        return _sentence(rest[: inner.start()] + answer + rest[inner.end() :])
    if not wh or not answer:
        return None
    word, words = wh.group(1), rest[wh.end() :].split()
    noun: list[str] = []
    if word in {"what", "which", "whose", "how many", "how much"}:
        first_aux = next((i for i, w in enumerate(words[:5]) if w in _AUX), 0)
        noun, words = words[:first_aux], words[first_aux:]
    if not words:
        return None
    aux, body = words[0], words[1:]
    subject = f"{answer} {' '.join(noun)}" if word.startswith("how") else answer
    asks_subject = word in {"what", "which", "who"} and aux in _BE and body and _predicate(body[0])
    if aux not in _AUX or asks_subject:
        return _sentence(f"{subject} {' '.join(words)}")  # the wh-phrase is the subject
    if not body:
        return None
    if word.startswith("how") and noun:  # "How many people did X kill?" -> X kill A people
        return _sentence(_placed(aux, body) + f" {answer} {' '.join(noun)}")
    if not preposition:
        if word in _PREPOSITION:
            preposition = _PREPOSITION[word]
        elif word == "how long":
            preposition = "for"
        elif set(noun) & _TIME_NOUNS:
            preposition = "in"
    if word == "how much" or (word == "why" and answer.lower().startswith(_REASONS)):
        preposition = ""
    return _sentence(_placed(aux, body) + (f" {preposition}" if preposition else "") + f" {answer}")


def _predicate(word: str) -> bool:
    """Whether `word` after "is"/"was" starts a predicate ("responsible", "given"), not a
    subject ("the IPCC", "Lake Constance")."""
    return word not in _DETERMINERS and not word[:1].isupper() and not word[:1].isdigit()


def _placed(aux: str, body: list[str]) -> str:
    """The inverted clause put back in order: "was X founded" -> "X was founded"."""
    if aux in _DO:
        return " ".join(body)
    tail = len(body)
    while tail > 1 and (_TAIL.match(body[tail - 1]) or body[tail - 1] in _PREPOSITIONS):
        tail -= 1
    if tail == len(body):
        return " ".join([*body, aux])
    return " ".join([*body[:tail], aux, *body[tail:]])


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:] + "."
