"""Tune retrieval on a BEIR training split, reusing an index built by `rag eval --beir --index`:
queries are embedded once, and fusion and BM25 settings are tried without re-embedding.

    python -m rag.evaluation.tuning --beir DIR --index DIR [--split train]

Chunk settings need an index each: build one per setting with `RAG_CHUNK_TOKENS=... rag eval
--beir DIR --split train --index DIR2` and compare their tables. The test split is refused,
so that no setting is chosen by its test score.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from ..embedding import Embedder
from ..errors import RagError
from ..index import FolderStore, IndexData
from ..lexical import LexicalIndex
from . import beir, benchmark
from .metrics import METRICS, score
from .report import markdown_table

FUSION = {"candidates": (50, 100, 200), "rrf_k": (10, 30, 60), "lexical_weight": (0.75, 1.0, 1.5)}
BM25 = {"k1": (0.9, 1.2, 1.5), "b": (0.5, 0.75, 0.9)}


def sweep(
    dataset_dir: str | Path, index_dir: str | Path, split: str = "train"
) -> Iterator[list[str]]:
    """Table rows: the current defaults, each fusion setting, then each BM25 setting."""
    if split == "test":
        raise RagError("tuning on the test split is refused: tune on train, report on test")
    dataset = beir.load(dataset_dir, split)
    manifest, data = FolderStore(Path(index_dir)).open()
    embedder = Embedder(manifest.model)
    vectors = {text: embedder.embed_query(text) for text in dataset.queries.values()}
    defaults = Settings.from_env()

    def measure(settings: Settings, index: IndexData = data) -> dict[str, dict[str, float]]:
        ranked = benchmark.rank(index, vectors.__getitem__, dataset.queries, settings)
        return {name: score(dataset.qrels, run) for name, run in ranked.runs.items()}

    base = measure(defaults)
    yield _row("defaults", "dense only", base["dense"])
    yield _row("defaults", "lexical only", base["lexical"])
    yield _row("defaults", "fused", base["fused"])
    for values in itertools.product(*FUSION.values()):
        changes: dict[str, Any] = dict(zip(FUSION, values))  # Settings fields and values
        yield _row(
            _describe(changes), "fused", measure(dataclasses.replace(defaults, **changes))["fused"]
        )
    texts = [data.chunk_text(row) for row in range(data.chunk_count)]
    for k1, b in itertools.product(*BM25.values()):
        lexical = LexicalIndex.build(texts, k1=k1, b=b)
        scores = measure(defaults, dataclasses.replace(data, lexical=lexical))
        label = _describe({"k1": k1, "b": b})
        yield _row(label, "lexical only", scores["lexical"])
        yield _row(label, "fused", scores["fused"])


def main(argv: Sequence[str] | None = None) -> int:
    """Print the sweep as a Markdown table, a row at a time."""
    parser = argparse.ArgumentParser(
        prog="python -m rag.evaluation.tuning", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--beir", required=True, metavar="DIR", help="the BEIR dataset")
    parser.add_argument(
        "--index", required=True, help="its index, built by `rag eval --beir DIR --index DIR`"
    )
    parser.add_argument("--split", default="train", help="qrels split to tune on (default: train)")
    args = parser.parse_args(argv)
    header, widths = ["setting", "system", *METRICS], [44, 12, *(len(m) for m in METRICS)]
    try:
        for n, row in enumerate(sweep(args.beir, args.index, args.split)):
            lines = markdown_table(header, [row], widths)
            print("\n".join(lines if n == 0 else lines[2:]), flush=True)
    except RagError as error:
        print(f"tuning: error: {error}", file=sys.stderr)
        return 1
    return 0


def _row(setting: str, system: str, metrics: dict[str, float]) -> list[str]:
    return [setting, system, *(f"{metrics[k]:.4f}" for k in METRICS)]


def _describe(changes: dict[str, object]) -> str:
    return " ".join(f"{name}={value}" for name, value in changes.items())


if __name__ == "__main__":
    sys.exit(main())
