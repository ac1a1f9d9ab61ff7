"""The answers on the hand-written held-out sets, split by kind of question.

    python benchmarks/heldout.py --work /tmp/heldout

`benchmarks/data/heldout` (the set the answer weights were fitted on, `calibrate.py`) and
`heldout2` (never fitted on). Each set is indexed on its own and its questions are asked through
`rag eval --questions --json`; the table splits the unanswerable ones into those on subjects
absent from every article ("off-topic") and the hard ones close to an article's subject
whose answer none of the articles gives ("on-topic"). The script reads only the CLI's
output, so it also measures an earlier commit (`PYTHONPATH=<its checkout>`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SETS = sorted((Path(__file__).resolve().parent / "data").glob("heldout*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the indexes")
    args = parser.parse_args()
    if not SETS:
        sys.exit(f"no held-out sets in {Path(__file__).parent / 'data'}")
    print("| set | answerable answered correctly | off-topic declined | on-topic declined |")
    print("| --- | --- | --- | --- |")
    for folder in SETS:
        index = args.work / folder.name
        _rag("build", "--source", str(folder / "articles"), "--index", str(index))
        report = json.loads(
            _rag(
                "eval",
                "--questions",
                str(folder / "questions.jsonl"),
                "--index",
                str(index),
                "--json",
            )
        )
        kinds = {q["id"]: q.get("negative", "answerable") for q in _questions(folder)}
        counts = {kind: [0, 0] for kind in ("answerable", "off-topic", "on-topic")}
        for outcome in report["questions"]:
            kind = kinds[outcome["id"]]
            good = outcome["passed"] if kind == "answerable" else outcome["abstained"]
            counts[kind][0] += int(good)
            counts[kind][1] += 1
        cells = " | ".join(f"{good} / {total}" for good, total in counts.values())
        print(f"| {folder.name} | {cells} |", flush=True)


def _questions(folder: Path) -> list[dict]:
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _rag(*arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "rag", *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"rag {arguments[0]} failed: {done.stderr.strip()}")
    return done.stdout


if __name__ == "__main__":
    main()
