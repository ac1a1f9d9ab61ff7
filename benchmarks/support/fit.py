"""Fit the LLM citation check (`rag/llm/support.json`) on the claim set's fitting part.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/support/fit.py

For every claim, the question is asked of a real index of its articles and the passages the
LLM path would show are taken; every shown sentence and pair of adjacent sentences is a
candidate quote, labelled 1 only when the claim is supported and the candidate is exactly
its supporting text. Two logistic regressions are fitted on the fitting claims only
(`claimset.py`: never the held-out ones): the ranker on the candidates of the supported
claims, then the verifier on every claim's top candidate. The keep threshold is chosen on
the fitting claims' out-of-fold probabilities (folds by article) to meet both goals as far
as they can be met together. The held-out claims are then scored and reported;
`evaluate.py` measures the same held-out claims through the whole LLM path.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from claimset import GOALS, Claim, claims
from evidence import WORK, assistants, gold_span, shown_for

from rag.llm.support import (
    MODEL_FILE,
    NAMES,
    VERIFIER_NAMES,
    Logistic,
    Span,
    SupportCheck,
    SupportModel,
)


@dataclass(frozen=True)
class Rows:
    """The candidates of one claim: features, and which one is the gold quote (-1: none)."""

    claim: Claim
    features: np.ndarray
    gold: int
    spans: list[Span]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK, help="where indexes are built")
    parser.add_argument("--check", action="store_true", help="score the shipped model only")
    parser.add_argument("--reuse", action="store_true", help="reuse the last run's features")
    args = parser.parse_args()
    every = cached(args.work) if args.reuse else candidates(args.work)
    fit = [r for r in every if not r.claim.heldout]
    held = [r for r in every if r.claim.heldout]
    print(f"claims: {len(fit)} fitted on, {len(held)} held out")
    if args.check:
        model = SupportModel.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
    else:
        model = dataclasses.replace(_fitted(fit), threshold=_threshold(fit))
        _save(model, fit)
    report("fitting claims (in-sample)", fit, model)
    report("held-out claims", held, model)


def candidates(work: Path) -> list[Rows]:
    """Every claim's candidate features; supported claims whose support was not shown are
    left out (and counted)."""
    loaded = assistants(work)
    rows, unseen = [], 0
    for claim in claims():
        assistant = loaded[claim.corpus]
        seen = shown_for(assistant, claim.query)
        check = SupportCheck(seen.evidence.data, seen.shown, seen.evidence.embed)
        spans = [check.span(q) for q in check.quotes]
        gold = -1
        if claim.supported:
            doc = seen.evidence.data.find_document(claim.source)
            span = gold_span(assistant, claim)
            gold = next((i for i, s in enumerate(spans) if span and s == (doc, *span)), -1)
            if gold < 0:
                unseen += 1
                continue
        rows.append(Rows(claim, check.features(claim.text), gold, spans))
    print(f"supported claims left out, their support not among the shown passages: {unseen}")
    np.savez(
        work / "features.npz", ids=np.array([r.claim.id for r in rows]),
        gold=np.array([r.gold for r in rows]), **{f"x{i}": r.features for i, r in enumerate(rows)},
        **{f"s{i}": np.array(r.spans) for i, r in enumerate(rows)},
    )  # fmt: skip
    return rows


def cached(work: Path) -> list[Rows]:
    """The candidates of the last `candidates` run, for refitting without recomputing."""
    by_id = {c.id: c for c in claims()}
    stored = np.load(work / "features.npz")
    return [
        Rows(by_id[str(claim_id)], stored[f"x{i}"], int(gold), [tuple(s) for s in stored[f"s{i}"]])
        for i, (claim_id, gold) in enumerate(zip(stored["ids"], stored["gold"]))
    ]


def _logistic(x: np.ndarray, y: np.ndarray, balanced: bool) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    weight = "balanced" if balanced else None
    regression = LogisticRegression(C=1.0, class_weight=weight, max_iter=5000)
    regression.fit((x - mean) / scale, y)
    return Logistic(mean, scale, regression.coef_[0], float(regression.intercept_[0]))


def _fitted(rows: list[Rows], threshold: float = 0.5) -> SupportModel:
    """The ranker, fitted to pick each supported claim's gold quote among its candidates,
    then the verifier, fitted on every claim's pick."""
    ranked = [r for r in rows if r.gold >= 0]
    x = np.vstack([r.features for r in ranked])
    y = np.concatenate([np.arange(len(r.features)) == r.gold for r in ranked])
    ranker = _logistic(x, y, balanced=True)
    dummy = SupportModel(ranker, ranker, threshold)
    picked = np.vstack([dummy.pick(r.features, r.spans)[1] for r in rows])
    verifier = _logistic(picked, np.array([r.claim.supported for r in rows]), balanced=True)
    return SupportModel(ranker, verifier, threshold)


def _threshold(rows: list[Rows]) -> float:
    """The keep threshold that best meets both goals (`GOALS`: supported kept, unsupported
    dropped) on out-of-fold probabilities (each article's claims scored by a model fitted
    without it): the one whose worse goal is met the most. Where both goals can be met, it
    meets both."""
    sources = sorted({r.claim.source for r in rows})
    scored: list[tuple[float, bool]] = []
    for fold in (sources[i::5] for i in range(5)):
        model = _fitted([r for r in rows if r.claim.source not in fold])
        scored += [
            (_judged(model, r)[1], r.claim.supported) for r in rows if r.claim.source in fold
        ]  # fmt: skip
    p = np.array([s for s, _ in scored])
    supported = np.array([y for _, y in scored])

    def met(t: float) -> float:
        kept, dropped = np.mean(p[supported] >= t), np.mean(p[~supported] < t)
        return min(kept / GOALS["kept"], dropped / GOALS["dropped"])

    return max(np.unique(p).tolist(), key=met)


def _judged(model: SupportModel, rows: Rows) -> tuple[int, float]:
    return model.judge(rows.features, rows.spans)


def report(label: str, rows: list[Rows], model: SupportModel) -> dict[str, float]:
    """Kept, correct-quote and dropped shares, overall and by kind."""
    kept, right, dropped, supported, unsupported = 0, 0, 0, 0, 0
    by_kind: dict[str, list[bool]] = {}
    for r in rows:
        best, p = _judged(model, r)
        keep = p >= model.threshold
        ok = keep if r.claim.supported else not keep
        by_kind.setdefault(r.claim.kind, []).append(ok)
        if r.claim.supported:
            supported += 1
            kept += keep
            right += keep and best == r.gold
        else:
            unsupported += 1
            dropped += not keep
    figures = {
        "kept": kept / max(1, supported), "quote": right / max(1, kept),
        "dropped": dropped / max(1, unsupported),
    }  # fmt: skip
    print(
        f"{label}: {supported} supported, kept {figures['kept']:.3f}, correct quote "
        f"{figures['quote']:.3f} of kept; {unsupported} unsupported, dropped "
        f"{figures['dropped']:.3f}"
    )
    print("  right by kind: " + ", ".join(
        f"{k} {np.mean(v):.2f} ({len(v)})" for k, v in sorted(by_kind.items())
    ))  # fmt: skip
    return figures


def _save(model: SupportModel, rows: list[Rows]) -> None:
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r.claim.kind] = kinds.get(r.claim.kind, 0) + 1
    record = {
        "ranker": {"features": list(NAMES), **model.ranker.record()},
        "verifier": {"features": list(VERIFIER_NAMES), **model.verifier.record()},
        "threshold": round(model.threshold, 6),
        "fitted_on": {"script": "benchmarks/support/fit.py", "claims": len(rows), "kinds": kinds},
    }
    MODEL_FILE.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
