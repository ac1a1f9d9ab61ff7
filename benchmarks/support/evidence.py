"""Real indexes of the claim set's articles, the passages an LLM is shown for a claim's
question (through the product's own retrieval and prompt), and where a claim's gold
support lies in the indexed text."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from claimset import CORPORA, Claim

import rag
from rag.llm import Evidence, LLMAnswerer, LLMSettings
from rag.llm.prompt import Shown, answer_messages
from rag.sentences import split_sentences
from rag.types import Answer

WORK = Path(tempfile.gettempdir()) / "rag-support-bench"


def assistants(work: Path = WORK) -> dict[str, rag.Assistant]:
    """One loaded index per corpus, built under `work` when missing."""
    loaded = {}
    for name, source in CORPORA.items():
        index_dir = work / name
        if not (index_dir / "manifest.json").exists():
            rag.build_index(source, index_dir)
        loaded[name] = rag.load_index(index_dir)
    return loaded


@dataclass(frozen=True)
class Seen:
    """What the answering step was given for a question: the evidence and shown passages."""

    evidence: Evidence
    shown: list[Shown]


class _Recorder(LLMAnswerer):
    """An answerer that records the passages it would show the model, and answers nothing."""

    seen: Seen | None = None

    def stream(self, question, history, query, evidence, fallback) -> Iterator[str | Answer]:  # type: ignore[override]
        _, shown = answer_messages(
            question, query, history, evidence.data, evidence.chunk_rows, evidence.passages,
            self.settings.context_tokens,
        )  # fmt: skip
        self.seen = Seen(evidence, shown)
        yield Answer(question, "", False)


def shown_for(assistant: rag.Assistant, question: str) -> Seen:
    """The passages the LLM path would show for `question`, as the assistant retrieves them."""
    recorder = _Recorder(LLMSettings(base_url="http://127.0.0.1:9/v1", model="none"))
    assistant.llm = recorder
    try:
        assistant.ask(question)
    finally:
        assistant.llm = None
    assert recorder.seen is not None
    return recorder.seen


def gold_span(assistant: rag.Assistant, claim: Claim) -> tuple[int, int] | None:
    """(start, end) in the indexed text of the sentences holding `claim.support`: the
    index's own sentences that the supporting text covers, None when it is not found."""
    document = assistant.document(claim.source)
    if document is None:
        return None
    text, spans = document.text, []
    for support in claim.support:
        at = text.find(support)
        if at < 0:
            return None
        end = at + len(support)
        spans += [  # the sentences mostly inside the support, or the one holding most of it
            (s, e) for s, e in split_sentences(text)
            if min(e, end) - max(s, at) > min(e - s, end - at) / 2
        ]  # fmt: skip
    return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None
