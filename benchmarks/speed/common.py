"""Shared helpers: the SciFact folder, fresh processes, timing statistics."""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.evaluation import beir

ROOT = Path(__file__).resolve().parents[2]
SCIFACT = ROOT.parent / "shared" / "bench" / "scifact"
PYTHON = sys.executable


@dataclass
class Figure:
    """One measured figure of the table: value, unit, goal and whether it is met."""

    point: str
    name: str
    value: float | str
    unit: str = ""
    goal: str = ""
    ok: bool | None = None
    detail: dict = field(default_factory=dict)


def at_most(
    point: str, name: str, samples: list[float], unit: str, limit: float, **detail: object
) -> Figure:
    """A figure for the median of timed `samples` against an upper `limit`."""
    value = median(samples)
    detail = {"samples": samples, **detail}
    return Figure(point, name, round(value, 2), unit, f"<= {limit:g}", value <= limit, detail)


def env(**extra: str) -> dict[str, str]:
    """The environment for measured child processes: offline, quiet."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **extra}


def run(
    args: list[str], *, extra_env: dict[str, str] | None = None, timeout: int = 3600
) -> tuple[float, str]:
    """Run a command in a fresh process; its wall time in seconds and its stdout."""
    began = time.perf_counter()
    done = subprocess.run(
        args,
        cwd=ROOT,
        env=env(**(extra_env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}... failed: {done.stderr.strip()[-2000:]}")
    return seconds, done.stdout


def rag(*args: str, extra_env: dict[str, str] | None = None) -> tuple[float, str]:
    """`rag ARGS` in a fresh process."""
    return run([PYTHON, "-m", "rag", *args], extra_env=extra_env)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))])


def scifact(split: str = "train") -> beir.Dataset:
    """The SciFact queries judged in `split` (train or test) and their judgments."""
    return beir.load(SCIFACT, split)


def write_folder(folder: Path, count: int = 1500) -> Path:
    """The first `count` SciFact abstracts as .txt files (title, blank line, abstract)."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.txt"))) != count:
        for doc_id, title, text in itertools.islice(scifact().documents(), count):
            (folder / beir.file_name(doc_id)).write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    return folder
