"""Speed and scale benchmarks (issue 6): `python benchmarks/run.py [--json] [--only ...]`.

Builds 1,500 SciFact abstracts written as .txt files, times every figure in fresh processes
and prints one table (or JSON). Ratios are taken within one run, from interleaved rounds,
since a shared machine is noisy; medians are reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import build, latency, peer, quality, scale, startup
from speed.common import Figure, median, write_folder

SECTIONS = ("build", "batch", "quality", "incremental", "latency", "startup", "peer", "scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", default="/tmp/rag-bench", help="scratch folder (outside the repo)"
    )
    parser.add_argument("--docs", type=int, default=1500, help="SciFact abstracts to index")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each timed measurement")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--sizes", default="100000,1000000", help="synthetic collection sizes")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    folder = write_folder(work / "scifact", args.docs)
    from rag.embedding import THIS_CPU, choose_backend

    default = choose_backend("auto", "build", THIS_CPU)
    index = work / f"index-{default}"
    chosen = set(args.only.split(","))
    figures: list[Figure] = []
    began = time.perf_counter()
    ours_s: dict[str, float] | None = None
    if "build" in chosen:
        found, _ = build.measure(folder, work, args.repeat)
        figures += found
        ours_s = {
            backend: median(found[0].detail["seconds"][backend]) for backend in (default, "torch")
        }
    if "batch" in chosen:
        figures += build.batch_sizes(work)
    if "quality" in chosen:
        candidates = {backend: work / f"index-{backend}" for backend in build.FASTER}
        figures += quality.measure(work / "index-torch", candidates)
    if "incremental" in chosen:
        figures += build.incremental(folder, index, max(3, args.repeat))
    if "latency" in chosen:
        figures += latency.measure(index, work)
    if "startup" in chosen:
        figures += startup.measure(folder, index, max(3, args.repeat))
    if "peer" in chosen:
        from rag.config import Settings

        if ours_s is None:
            raise SystemExit("the peer comparison needs the build section in the same run")
        defaults = Settings()
        figures += peer.measure(folder, work, ours_s, defaults.chunk_tokens, defaults.chunk_overlap)
    if "scale" in chosen:
        recall, _ = scale.real_recall(index)
        figures += recall
        figures += scale.synthetic(
            work, [int(s) for s in args.sizes.split(",")], _sentences_per_chunk(index)
        )
    elapsed = time.perf_counter() - began
    if args.json:
        print(json.dumps({"seconds": elapsed, "figures": [asdict(f) for f in figures]}, indent=1))
    else:
        print(table(figures))
        print(
            f"\n({elapsed / 60:.0f} min; medians of {args.repeat} interleaved rounds where timed)"
        )
    return 0 if all(f.ok is not False for f in figures) else 1


def _sentences_per_chunk(index: Path) -> float:
    from rag.index import open_store

    _, data = open_store(index).open()
    return data.sentence_count / max(1, data.chunk_count)


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table."""
    lines = ["| # | Figure | Value | Goal | Met |", "| --- | --- | --- | --- | --- |"]
    for f in figures:
        met = {True: "yes", False: "**no**", None: ""}[f.ok]
        lines.append(f"| {f.point} | {f.name} | {f.value} {f.unit} | {f.goal} | {met} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
