"""Figures 1, 2 (speed) and 4: a full build against the bare-encode ceiling, the int8
backend, no-change and one-file incremental builds. Every timing is a fresh process."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .common import PYTHON, ROOT, Figure, median, rag, run

_EMBEDDED = re.compile(r"(\d+) chunks embedded")


def chunk_texts(index: Path, target: Path) -> int:
    """Write the index's chunk texts, in index order, to `target`; their count."""
    script = (
        "import json, sys, rag; a = rag.load_index(sys.argv[1]); "
        "json.dump([c.text for c in a.chunks], open(sys.argv[2], 'w'))"
    )
    run([PYTHON, "-c", script, str(index), str(target)])
    return len(json.loads(target.read_text()))


def measure(folder: Path, work: Path, repeat: int) -> tuple[list[Figure], dict[str, Path]]:
    """Interleaved rounds of: our build (default backend), the bare encode, an int8 build."""
    index, int8 = work / "index", work / "index-int8"
    texts = work / "chunk_texts.json"
    ours, bare, quant, loads = [], [], [], []
    for round_ in range(repeat):
        ours.append(rag("build", "--rebuild", "--source", str(folder), "--index", str(index), "-q")[0])
        if round_ == 0:
            chunks = chunk_texts(index, texts)
        _, out = run([PYTHON, str(ROOT / "benchmarks/speed/bare_encode.py"), str(texts)])
        bare.append(json.loads(out)["encode_s"])
        loads.append(json.loads(out)["load_s"])
        quant.append(
            rag("build", "--rebuild", "--source", str(folder), "--index", str(int8), "-q",
                extra_env={"RAG_EMBED_BACKEND": "onnx-int8"})[0]
        )  # fmt: skip
    ratios = [o / b for o, b in zip(ours, bare)]
    speedups = [o / q for o, q in zip(ours, quant)]
    detail = {"ours_s": ours, "bare_encode_s": bare, "bare_model_load_s": loads, "chunks": chunks}
    figures = [
        Figure("1", "rag build / bare encode (same chunks)", round(median(ratios), 3), "x",
               "<= 1.111", median(ratios) <= 1 / 0.9, {**detail, "ratios": ratios}),
        Figure("1", "rag build, 1,500 SciFact abstracts (cold process)", round(median(ours), 1), "s",
               "", None, {"chunks": chunks}),
        Figure("2", "onnx-int8 build speed-up over the default build", round(median(speedups), 2),
               "x", "> 1 to be default", None, {"int8_s": quant, "speedups": speedups}),
        Figure("2", "onnx-int8 rag build / bare encode", round(median(quant) / median(bare), 3),
               "x", "", None),
    ]  # fmt: skip
    return figures, {"index": index, "int8": int8}


def incremental(folder: Path, index: Path, repeat: int) -> list[Figure]:
    """A no-change build, then a build after one file changed."""
    walls = [rag("build", "--source", str(folder), "--index", str(index), "-q")[0] for _ in range(repeat)]
    victim = sorted(folder.glob("*.txt"))[7]
    original = victim.read_text(encoding="utf-8")
    try:
        victim.write_text(original + "\nAn added closing sentence about the findings.\n", encoding="utf-8")
        seconds, out = rag("build", "--source", str(folder), "--index", str(index), "-q")
        embedded = int(_EMBEDDED.search(out).group(1))  # type: ignore[union-attr]
        script = (
            "import sys, rag; a = rag.load_index(sys.argv[1]); "
            "print(sum(c.source == sys.argv[2] for c in a.chunks))"
        )
        _, count = run([PYTHON, "-c", script, str(index), victim.name])
    finally:
        victim.write_text(original, encoding="utf-8")
        rag("build", "--source", str(folder), "--index", str(index), "-q")
    return [
        Figure("4", "no-change rag build (cold process)", round(median(walls), 2), "s", "<= 2",
               median(walls) <= 2, {"walls_s": walls}),
        Figure("4", "one changed file: chunks re-embedded / chunks of that file",
               f"{embedded}/{int(count)}", "", "equal", embedded == int(count),
               {"seconds": seconds}),
    ]  # fmt: skip


_BATCH_PROBE = """
import json, sys, time
from rag.embedding import ChunkToEmbed, Embedder
texts = json.load(open(sys.argv[1]))[: int(sys.argv[2])]
chunks = [ChunkToEmbed(t, [(0, len(t))]) for t in texts]
embedders = {b: Embedder(batch_size=b, backend="torch") for b in (8, 16, 32, 64)}
embedders[32].embed_chunks(chunks[:8])
seconds = {b: [] for b in embedders}
for _ in range(int(sys.argv[3])):
    for b, e in embedders.items():
        t = time.perf_counter(); e.embed_chunks(chunks); seconds[b].append(time.perf_counter() - t)
print(json.dumps(seconds))
"""


def batch_sizes(work: Path, count: int = 256, rounds: int = 2) -> list[Figure]:
    """Chunks per second of the torch encoder at several batch sizes, interleaved."""
    _, out = run([PYTHON, "-c", _BATCH_PROBE, str(work / "chunk_texts.json"), str(count), str(rounds)])
    rates = {int(b): count / median(s) for b, s in json.loads(out).items()}
    best = max(rates, key=rates.__getitem__)
    return [Figure("1", f"encoder chunks/s by batch size ({count} chunks)",
                   ", ".join(f"{b}: {r:.1f}" for b, r in rates.items()), "", "pick the best",
                   None, {"best": best})]  # fmt: skip
