"""The rules by which an answer passes a question of the eval format (see tests/data)."""

from __future__ import annotations

import re


def failures(question: dict, found: bool, text: str, sources: list[str]) -> list[str]:
    """Why an answer fails `question`; empty when it passes."""
    if not question["answerable"]:
        return [] if not found else ["answered a question the articles do not answer"]
    problems = [] if found else ["abstained on an answerable question"]
    lowered = text.lower()
    for group in question["expect_all_of_any"]:
        if not any(phrase.lower() in lowered for phrase in group):
            problems.append(f"answer lacks any of {group}")
    if question["sources_any"] and not set(sources) & set(question["sources_any"]):
        problems.append(f"no citation of {question['sources_any']} (cited {sources})")
    return problems


def marker_problems(text: str, citation_numbers: list[int]) -> list[str]:
    """Every [n] must name a listed citation, and every citation must be used."""
    used = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    listed = set(citation_numbers)
    problems = []
    if used - listed:
        problems.append(f"markers without a citation: {sorted(used - listed)}")
    if listed - used:
        problems.append(f"citations never marked: {sorted(listed - used)}")
    if citation_numbers != list(range(1, len(citation_numbers) + 1)):
        problems.append(f"citations are not numbered 1..n: {citation_numbers}")
    return problems
