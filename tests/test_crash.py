"""Crash safety: builds killed with SIGKILL at random moments never break the index."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

import rag

pytestmark = pytest.mark.slow  # builds killed at random, twenty times

KILLS = 20
QUESTION = "Where has NATO closed an airspace before?"
ARTIFACTS = ROOT / "tests" / "artifacts"


def _build_command(folder: Path, index: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rag",
        "build",
        "-q",
        "--source",
        str(folder),
        "--index",
        str(index),
        *extra,
    ]


def _article(n: int) -> str:
    return f"Report {n}. " + " ".join(
        f"Harbour crane {n}-{i} lifted {i * 7} containers on day {i}." for i in range(60)
    )


def test_random_kills_leave_a_loadable_correct_index(tmp_path):
    folder, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(SEEDS, folder)
    for n in range(6):
        (folder / f"report{n}.txt").write_text(_article(n), encoding="utf-8")
    started = time.monotonic()
    subprocess.run(_build_command(folder, index), check=True, cwd=ROOT)
    duration = time.monotonic() - started
    reference = rag.load_index(index).ask(QUESTION)

    rng = random.Random(7)
    outcomes = {"before_commit": 0, "after_commit": 0}
    for attempt in range(KILLS):
        edited = folder / f"report{attempt % 6}.txt"
        edited.write_text(_article(attempt + 100), encoding="utf-8")  # something to re-embed
        extra = ("--rebuild",) if attempt % 2 else ()
        process = subprocess.Popen(_build_command(folder, index, *extra), cwd=ROOT)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assistant = rag.load_index(index)  # must never fail
        answer = assistant.ask(QUESTION)
        # The edited reports shift collection statistics a little, which may reorder
        # near-tied sentences; the answer itself must not change.
        assert answer.found and "Bosnia" in answer.text and "Iraq" in answer.text, answer.text
        first, expected = answer.citations[0], reference.citations[0]
        assert (first.source, first.start, first.end) == (
            expected.source, expected.start, expected.end,
        ), f"kill {attempt}: {answer.text!r}"  # fmt: skip
        text = assistant.document(edited.name).text
        outcomes["after_commit" if text == _article(attempt + 100) else "before_commit"] += 1
        assert len(list(index.glob("gen-*"))) <= 3, "killed builds' leftovers pile up"

    final = subprocess.run(_build_command(folder, index), cwd=ROOT, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    fresh = tmp_path / "fresh"
    subprocess.run(_build_command(folder, fresh), check=True, cwd=ROOT)
    assert list(rag.load_index(index).chunks) == list(rag.load_index(fresh).chunks)
    assert outcomes["before_commit"] >= 3, f"the kills should mostly land mid-build: {outcomes}"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crash.json").write_text(
        json.dumps({"kills": KILLS, "survived": KILLS, **outcomes})
    )
