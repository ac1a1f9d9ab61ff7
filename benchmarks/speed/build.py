"""Figures 1, 2 (speed) and 4: a full build against the bare-encode ceiling, the int8
backend, no-change and one-file incremental builds. Every timing is a fresh process."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .common import PYTHON, ROOT, Figure, at_most, median, rag, run

_EMBEDDED = re.compile(r"(\d+) chunks embedded")


def chunk_texts(index: Path, target: Path) -> int:
    """Write the index's chunk texts, in index order, to `target`; their count."""
    script = (
        "import json, sys, rag; a = rag.load_index(sys.argv[1]); "
        "json.dump([c.text for c in a.chunks], open(sys.argv[2], 'w'))"
    )
    run([PYTHON, "-c", script, str(index), str(target)])
    return len(json.loads(target.read_text()))


FASTER = ("torch-bf16", "onnx-int8")
"""The backends that might beat fp32 torch; figure 2 weighs their speed and quality."""


def measure(folder: Path, work: Path, repeat: int) -> tuple[list[Figure], dict[str, Path]]:
    """Interleaved rounds of: a fp32 torch build, the bare encode, a build by each faster
    backend. The default backend is one of them; the indexes serve the later sections."""
    from rag.embedding import THIS_CPU, choose_backend

    default = choose_backend("auto", "build", THIS_CPU)
    backends = ("torch", *FASTER)
    indexes = {backend: work / f"index-{backend}" for backend in backends}
    texts = work / "chunk_texts.json"
    seconds: dict[str, list[float]] = {backend: [] for backend in ("bare", *backends)}
    for round_ in range(repeat):
        for backend in ("torch", "bare", *FASTER):
            if backend == "bare":
                _, out = run([PYTHON, str(ROOT / "benchmarks/speed/bare_encode.py"), str(texts)])
                seconds["bare"].append(json.loads(out)["encode_s"])
                continue
            folders = ("--source", str(folder), "--index", str(indexes[backend]))
            env = {"RAG_EMBED_BACKEND": backend}
            seconds[backend].append(rag("build", "--rebuild", *folders, "-q", extra_env=env)[0])
            if round_ == 0 and backend == "torch":
                chunks = chunk_texts(indexes["torch"], texts)
    ratios = {b: [t / e for t, e in zip(seconds[b], seconds["bare"])] for b in backends}
    figures = [
        Figure("1", f"rag build (default here: {default}) / bare encode, same chunks",
               round(median(ratios[default]), 3), "x", "<= 1.111",
               median(ratios[default]) <= 1 / 0.9, {"seconds": seconds, "chunks": chunks}),
        Figure("1", "rag build of the SciFact folder (cold process, default backend)",
               round(median(seconds[default]), 1), "s"),
        Figure("1", "bare SentenceTransformer.encode(chunk_texts, batch_size=32)",
               round(median(seconds["bare"]), 1), "s"),
        Figure("1", "rag build with RAG_EMBED_BACKEND=torch (fp32) / bare encode",
               round(median(ratios["torch"]), 3), "x"),
    ]  # fmt: skip
    for backend in FASTER:
        speedups = [t / f for t, f in zip(seconds["torch"], seconds[backend])]
        figures.append(
            Figure("2", f"{backend} build speed-up over the fp32 torch build",
                   round(median(speedups), 2), "x", "> 1 to be default",
                   median(speedups) > 1, {"speedups": speedups})
        )  # fmt: skip
    return figures, {"default": indexes[default], **indexes}


def incremental(folder: Path, index: Path, repeat: int) -> list[Figure]:
    """A no-change build, then a build after one file changed."""
    walls = [
        rag("build", "--source", str(folder), "--index", str(index), "-q")[0] for _ in range(repeat)
    ]
    victim = sorted(folder.glob("*.txt"))[7]
    original = victim.read_text(encoding="utf-8")
    try:
        victim.write_text(
            original + "\nAn added closing sentence about the findings.\n", encoding="utf-8"
        )
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
        at_most("4", "no-change rag build (cold process)", walls, "s", 2),
        Figure(
            "4",
            "one changed file: chunks re-embedded / chunks of that file",
            f"{embedded}/{int(count)}",
            "",
            "equal",
            embedded == int(count),
            {"seconds": seconds},
        ),
    ]


_BATCH_PROBE = """
import json, sys, time
from rag.embedding import THIS_CPU, ChunkToEmbed, Embedder, choose_backend
texts = json.load(open(sys.argv[1]))[: int(sys.argv[2])]
chunks = [ChunkToEmbed(t, [(0, len(t))]) for t in texts]
backend = choose_backend("auto", "build", THIS_CPU)
embedders = {b: Embedder(batch_size=b, backend=backend) for b in (8, 16, 32, 64)}
embedders[32].embed_chunks(chunks[:8])
seconds = {b: [] for b in embedders}
for _ in range(int(sys.argv[3])):
    for b, e in embedders.items():
        t = time.perf_counter(); e.embed_chunks(chunks); seconds[b].append(time.perf_counter() - t)
print(json.dumps(seconds))
"""


def batch_sizes(work: Path, count: int = 256, rounds: int = 2) -> list[Figure]:
    """Chunks per second of the default chunk encoder at several batch sizes, interleaved."""
    _, out = run(
        [PYTHON, "-c", _BATCH_PROBE, str(work / "chunk_texts.json"), str(count), str(rounds)]
    )
    rates = {int(b): count / median(s) for b, s in json.loads(out).items()}
    best = max(rates, key=rates.__getitem__)
    return [
        Figure(
            "1",
            f"default encoder's chunks/s by batch size ({count} chunks)",
            ", ".join(f"{b}: {r:.1f}" for b, r in rates.items()),
            "",
            "pick the best",
            None,
            {"best": best},
        )
    ]
