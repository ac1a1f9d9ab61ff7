"""Measure the LLM citation check on held-out claims, through the whole LLM answer path.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/support/evaluate.py

Each held-out claim (`claimset.py`) is the reply of a scripted OpenAI-compatible server
(tests/fake_llm_server.py: real HTTP on 127.0.0.1) to its question, asked of a real index
of its articles through `rag.load_index(..., llm=...)`: once as a reply of one sentence,
and once within a reply of four to six sentences about the same article. Each sentence's
marker names the shown passage holding its support; one in three names another passage
instead (the check must move it). A supported claim counts as kept when its sentence is
in the answer, and its quote as correct when the citation's offsets are exactly those of
the supporting sentence(s); an unsupported claim counts as dropped when it is not in the
answer. Supported claims whose support was not among the shown passages are counted and
left out (the check cannot keep them correctly). Then the check's own time per answer
sentence is measured, in process, on the same replies.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from claimset import GOALS, Claim, claims
from evidence import WORK, assistants, gold_span, shown_for
from fake_llm_server import FakeLLM, Reply, Request

import rag
from rag.llm import LLMAnswerer, LLMSettings
from rag.llm.citations import Checker

WRONG_MARKER = 1 / 3  # share of sentences whose marker names another passage


@dataclass
class Tally:
    """Outcomes of one kind of reply."""

    kept: list[bool] = field(default_factory=list)
    quote: list[bool] = field(default_factory=list)
    dropped: list[bool] = field(default_factory=list)
    unseen: int = 0
    moved: list[bool] = field(default_factory=list)  # a wrong marker's sentence kept, quoted right
    by_kind: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))

    def figures(self) -> dict[str, float]:
        shares = {"kept": self.kept, "quote": self.quote, "dropped": self.dropped}
        return {k: sum(v) / max(1, len(v)) for k, v in shares.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK, help="where indexes are built")
    parser.add_argument("--fitted", action="store_true", help="measure the fitting claims instead")
    args = parser.parse_args()
    chosen = [c for c in claims() if c.heldout != args.fitted]
    loaded = assistants(args.work)
    replies = {"one sentence": [[c] for c in chosen], "four to six sentences": _groups(chosen)}
    met = True
    with FakeLLM() as server:
        for label, groups in replies.items():
            tally = Tally()
            for group in groups:
                _ask(server, loaded[group[0].corpus], group, tally, random.Random(group[0].id))
            met &= _report(label, tally)
    for label, groups in replies.items():
        _timing(label, loaded, groups)
    print("all goals met" if met else "some goal NOT met")


def _groups(chosen: list[Claim]) -> list[list[Claim]]:
    """The claims of each article in replies of four to six sentences."""
    by_article: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for claim in chosen:
        by_article[claim.corpus, claim.source].append(claim)
    groups = []
    for key, items in sorted(by_article.items()):
        random.Random("/".join(key)).shuffle(items)
        count = -(-len(items) // 6)
        while count and len(items) // count < 4:
            count -= 1
        for i in range(count):
            groups.append(items[i::count][:6])
    return groups


def _ask(server: FakeLLM, assistant: rag.Assistant, group: list[Claim], tally: Tally,
         rng: random.Random) -> None:  # fmt: skip
    wrong: set[str] = set()
    seen: set[str] = set()

    def script(request: Request) -> Reply:
        passages = request.passages()
        sentences = []
        for claim in group:
            holding = [n for n, text in passages.items() if _holds(text, claim.support)]
            if holding:
                seen.add(claim.id)
            number = holding[0] if holding else 1
            others = [n for n in passages if n not in holding]
            if others and rng.random() < WRONG_MARKER:
                number = rng.choice(others)
                wrong.add(claim.id)
            sentences.append(f"{claim.text[:-1]} [{number}]{claim.text[-1]}")
        return Reply(" ".join(sentences))

    question = " ".join(dict.fromkeys(c.query for c in group))
    llm = LLMSettings(base_url=server.url(script), model="fake", timeout=60.0)
    assistant.llm = LLMAnswerer(llm)
    try:
        answer = assistant.ask(question, top_k=8 if len(group) > 1 else None)
    finally:
        assistant.llm = None
    quoted = _kept(answer)
    for claim in group:
        kept = claim.text in quoted
        if claim.supported:
            if claim.id not in seen:
                tally.unseen += 1
                continue
            span = gold_span(assistant, claim)
            right = kept and quoted[claim.text] == (claim.source, *span) if span else False
            tally.kept.append(kept)
            tally.by_kind[claim.kind].append(kept)
            if kept:
                tally.quote.append(right)
            if claim.id in wrong:
                tally.moved.append(right)
        else:
            tally.dropped.append(not kept)
            tally.by_kind[claim.kind].append(not kept)


def _holds(passage: str, support: tuple[str, ...]) -> bool:
    flat = " ".join(passage.split())
    return bool(support) and all(" ".join(s.split()) in flat for s in support)


def _kept(answer: rag.Answer) -> dict[str, tuple[str, int, int]]:
    """Each sentence of the answer, with the source and offsets of its quote."""
    by_number = {c.number: (c.source, c.start, c.end) for c in answer.citations}
    return {
        " ".join(text.split()): by_number[int(number)]
        for text, number in re.findall(r"\s*(.+?) \[(\d+)\]", answer.text)
        if int(number) in by_number
    }


def _report(label: str, tally: Tally) -> bool:
    figures = tally.figures()
    met = all(figures[k] >= goal for k, goal in GOALS.items())
    print(
        f"{label}: supported kept {figures['kept']:.3f} ({len(tally.kept)}), correct quote "
        f"{figures['quote']:.3f} ({len(tally.quote)} kept), unsupported dropped "
        f"{figures['dropped']:.3f} ({len(tally.dropped)}); wrong markers moved to the right "
        f"quote {sum(tally.moved)}/{len(tally.moved)}; support not shown: {tally.unseen}"
        + ("" if met else "  [goal not met]")
    )
    print("  right by kind: " + ", ".join(
        f"{k} {sum(v) / len(v):.2f} ({len(v)})" for k, v in sorted(tally.by_kind.items())
    ))  # fmt: skip
    return met


def _timing(label: str, loaded: dict[str, rag.Assistant], groups: list[list[Claim]]) -> None:
    """Milliseconds per answer sentence of the check alone (candidates, embedding, model)."""
    per_sentence = []
    for group in groups[:: max(1, len(groups) // 60)]:
        seen = shown_for(loaded[group[0].corpus], " ".join(c.query for c in group))
        reply = " ".join(f"{c.text[:-1]} [1]{c.text[-1]}" for c in group)
        started = time.perf_counter()
        Checker(seen.evidence.data, seen.shown, seen.evidence.embed).feed(reply, final=True)
        per_sentence.append((time.perf_counter() - started) * 1000 / len(group))
    per_sentence.sort()
    print(
        f"{label}: the check takes {statistics.median(per_sentence):.1f} ms per answer sentence "
        f"(median of {len(per_sentence)} replies; 90th percentile "
        f"{per_sentence[int(0.9 * (len(per_sentence) - 1))]:.1f} ms)"
    )


if __name__ == "__main__":
    main()
