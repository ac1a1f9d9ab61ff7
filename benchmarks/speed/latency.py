"""Figure 5: `ask` latency on the SciFact index, with where the time goes."""

from __future__ import annotations

import json
from pathlib import Path

from .common import PYTHON, ROOT, Figure, median, percentile, run, scifact


def measure(index: Path, work: Path, count: int = 100) -> list[Figure]:
    queries = list(scifact("train").queries.values())[:count]
    path = work / "latency_queries.json"
    path.write_text(json.dumps(queries))
    _, out = run([PYTHON, str(ROOT / "benchmarks/speed/latency_probe.py"), str(index), str(path)])
    timings = json.loads(out)
    totals = [t["total"] * 1000 for t in timings]
    parts = {
        k: round(median([t[k] * 1000 for t in timings]), 2)
        for k in ("embed", "dense", "lexical", "fusion", "compose")
    }
    found = sum(t["found"] for t in timings)
    p50, p95 = median(totals), percentile(totals, 95)
    return [
        Figure(
            "5",
            f"ask p50 ({len(totals)} SciFact train queries, extractive)",
            round(p50, 1),
            "ms",
            "<= 50",
            p50 <= 50,
            {"found": found},
        ),
        Figure("5", "ask p95", round(p95, 1), "ms", "<= 100", p95 <= 100),
        Figure(
            "5",
            "ask p50 breakdown: embed / dense / lexical / fusion / answer",
            " / ".join(f"{v:g}" for v in parts.values()),
            "ms",
            "",
            None,
            parts,
        ),
    ]
