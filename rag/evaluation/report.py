"""Evaluation reports as Markdown tables (pasteable into a README) and as JSON objects."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .benchmark import BeirReport
from .metrics import METRICS
from .questions import Bin, QuestionReport

_LABELS = {
    "ndcg@10": "nDCG@10",
    "recall@10": "Recall@10",
    "recall@100": "Recall@100",
    "mrr@10": "MRR@10",
}
_SYSTEMS = {"dense": "dense only", "lexical": "lexical only (BM25)", "fused": "fused (default)"}


def beir_json(report: BeirReport) -> dict[str, Any]:
    """The default configuration's metrics at the top level, every system under "systems"."""
    return {**report.default, **asdict(report)}


def beir_table(report: BeirReport) -> str:
    """A table of the systems' metrics, then the size, indexing time and query latency."""
    fused = _SYSTEMS["fused"]
    if report.settings.get("rerank_model"):
        fused = f"fused + rerank by {report.settings['rerank_model']} (default)"
    rows = [[{**_SYSTEMS, "fused": fused}[name], *(f"{m[k]:.3f}" for k in METRICS)]
            for name, m in report.systems.items()]  # fmt: skip
    lines = [
        f"BEIR {report.dataset}, split {report.split}: {report.queries:,} queries, "
        f"{report.documents:,} documents ({report.chunks:,} chunks)",
        "",
        *markdown_table(["system", *(_LABELS[k] for k in METRICS)], rows),
        "",
        f"Indexing: {_indexing(report)}. Query latency (embed + fused search): "
        f"p50 {report.latency_ms['p50']:.1f} ms, p95 {report.latency_ms['p95']:.1f} ms.",
    ]
    return "\n".join(lines)


def _indexing(report: BeirReport) -> str:
    if report.embedded_chunks == 0:
        return f"the named index was up to date ({report.index_seconds:,.1f} s, nothing embedded)"
    return f"{report.index_seconds:,.1f} s ({report.embedded_chunks:,} chunks embedded)"


def questions_json(report: QuestionReport) -> dict[str, Any]:
    """Totals at the top level, the reliability bins, and each question's outcome."""
    return {
        **report.totals,
        "reliability": [asdict(b) for b in report.reliability],
        "questions": [{**asdict(o), "passed": o.passed} for o in report.outcomes],
    }


def questions_table(report: QuestionReport) -> str:
    """One row per question (for sets of up to QUESTION_ROWS), the totals, and how well the
    confidence is calibrated (questions by confidence, and the share the articles answer)."""
    rows = [
        [o.id, _clip(o.question, 60), _yes(o.answerable), _yes(o.abstained),
         _mark(o.answer_ok), _mark(o.citation_ok), _mark(o.passed)]
        for o in report.outcomes
    ]  # fmt: skip
    header = ["id", "question", "answerable", "abstained", "answer", "citation", "pass"]
    totals = {k: v for k, v in report.totals.items() if v is not None}
    per_question = (
        markdown_table(header, rows)
        if len(rows) <= QUESTION_ROWS
        else [f"{len(rows):,} questions (each one's outcome: --json)"]
    )
    lines = [
        *per_question,
        "",
        *markdown_table(
            [key.replace("_", " ") for key in totals], [[_share(v) for v in totals.values()]]
        ),
        "",
        "Calibration: questions by confidence, and the share the articles answer",
        "",
        *markdown_table(
            ["confidence", "questions", "mean confidence", "answerable"],
            [_bin_row(b) for b in report.reliability],
        ),
    ]
    return "\n".join(lines)


QUESTION_ROWS = 200


def _bin_row(b: Bin) -> list[str]:
    return [
        f"{b.low:.1f}-{b.high:.1f}",
        str(b.questions),
        f"{b.confidence:.2f}",
        f"{b.answerable:.2f}",
    ]


def markdown_table(
    header: list[str], rows: list[list[str]], widths: list[int] | None = None
) -> list[str]:
    """The lines of a Markdown table, columns padded to `widths` (default: the widest cell)."""
    rows = [[cell.replace("|", "\\|") for cell in row] for row in rows]
    widths = widths or [max(len(cell) for cell in column) for column in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    return [
        line(header),
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
        *(line(r) for r in rows),
    ]


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("ok" if value else "FAIL")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
