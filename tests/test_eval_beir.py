"""`rag eval --beir`: a small dataset in the BEIR layout, indexed with the real model and scored."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, run_cli

from rag.errors import RagError
from rag.evaluation import beir, benchmark
from rag.evaluation.metrics import METRICS, score

# Short abstracts on unrelated subjects; each query is about exactly one of them.
CORPUS = {
    "d1": (
        "Honey bees",
        "Honey bees communicate the location of flowers to their hive mates with a waggle dance.",
    ),
    "d2": ("Volcanoes", "Basaltic lava flows from shield volcanoes such as Mauna Loa in Hawaii."),
    "d3": (
        "Tides",
        "Ocean tides are caused mainly by the gravitational pull of the Moon on the Earth's water.",
    ),
    "d4": (
        "Coffee",
        "Caffeine in coffee blocks adenosine receptors in the brain, which reduces drowsiness.",
    ),
    "d5": (
        "Glaciers",
        "Glaciers carve U-shaped valleys as the moving ice grinds the bedrock beneath it.",
    ),
    "d6": (
        "Vaccines",
        "Vaccines train the immune system to recognise a pathogen by exposing it to an antigen.",
    ),
    "d7": (
        "Chess",
        "In chess, castling moves the king two squares towards a rook, which jumps over it.",
    ),
    "d8": (
        "Bread",
        "Yeast ferments the sugars in dough and releases carbon dioxide, so bread rises.",
    ),
}
QUERIES = {
    "q1": "How do bees tell each other where flowers are?",
    "q2": "What makes the sea level rise and fall twice a day?",
    "q3": "Why does coffee keep people awake?",
    "q4": "How does the body learn to fight a virus after an injection?",
    "q9": "An unjudged query, which is not scored.",
}
QRELS = {"q1": "d1", "q2": "d3", "q3": "d4", "q4": "d6"}


def write_dataset(root: Path, *, gz: bool = False) -> Path:
    lines = "".join(
        json.dumps({"_id": i, "title": t, "text": x, "metadata": {}}) + "\n"
        for i, (t, x) in CORPUS.items()
    )
    root.mkdir(parents=True)
    if gz:
        (root / "corpus.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    else:
        (root / "corpus.jsonl").write_text(lines)
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items())
    )
    (root / "qrels").mkdir()
    rows = "".join(f"{q}\t{d}\t1\n" for q, d in QRELS.items())
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("beir") / "tiny", gz=True)


@pytest.mark.slow  # a BEIR evaluation, twice
def test_cli_scores_every_system_and_reuses_a_named_index(dataset: Path, tmp_path: Path):
    index = tmp_path / "eval-index"
    first = run_cli("eval", "--beir", str(dataset), "--index", str(index), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert set(report) >= {
        *METRICS,
        "systems",
        "latency_ms",
        "index_seconds",
        "queries",
        "documents",
    }
    assert (report["queries"], report["documents"], report["split"]) == (4, 8, "test")
    assert set(report["systems"]) == {"dense", "lexical", "fused"}
    assert {k: report[k] for k in METRICS} == report["systems"]["fused"], "top level = the default"
    # Each query names its subject in other words: the model finds every one at rank 1.
    assert report["systems"]["dense"]["mrr@10"] == 1.0, report["systems"]
    assert report["ndcg@10"] > 0.9 and report["recall@10"] == 1.0, report
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p95"]
    assert report["embedded_chunks"] == 8
    assert (index / "manifest.json").is_file(), "a named index is kept"

    again = run_cli("eval", "--beir", str(dataset), "--index", str(index), "--json")
    assert again.returncode == 0, again.stderr
    repeat = json.loads(again.stdout)
    assert repeat["embedded_chunks"] == 0, "the second run reuses the index"
    assert repeat["systems"] == report["systems"]


@pytest.mark.slow  # a BEIR evaluation
def test_cli_table_and_split(dataset: Path):
    result = run_cli("eval", "--beir", str(dataset), "--split", "train")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("BEIR tiny, split train: 1 queries, 8 documents"), lines[0]
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines[2:7]]
    assert cells[0] == ["system", "nDCG@10", "Recall@10", "Recall@100", "MRR@10"]
    rows = [row[0] for row in cells[2:]]
    assert rows == ["dense only", "lexical only (BM25)", "fused (default)"]
    assert "Query latency (embed + fused search): p50" in result.stdout


@pytest.mark.slow  # a fresh process
def test_refuses_to_build_over_another_index(dataset: Path, seed_index: Path):
    before = (seed_index / "manifest.json").read_text()
    result = run_cli("eval", "--beir", str(dataset), "--index", str(seed_index))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"rag: error: {seed_index}/ holds an index of other articles: "
        "give --index a new folder for the evaluation"
    ]
    assert (seed_index / "manifest.json").read_text() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "dev"], "no qrels/dev.tsv in {d}/: choose --split from ['test', 'train']"),
        (
            ["--index", "{d}/corpus.jsonl"],
            "{d}/corpus.jsonl is a file, not an index folder: give --index a folder",
        ),
    ],
)
@pytest.mark.slow  # a fresh process each
def test_cli_errors_are_one_line(tmp_path: Path, args: list[str], message: str):
    root = write_dataset(tmp_path / "data")
    result = run_cli("eval", "--beir", str(root), *(a.format(d=root) for a in args))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"rag: error: {message.format(d=root)}"]


def test_loader_reads_plain_and_gzipped_corpora(tmp_path: Path):
    for gz in (False, True):
        data = beir.load(write_dataset(tmp_path / f"gz{gz}", gz=gz))
        assert next(data.documents()) == ("d1", *CORPUS["d1"])
        assert data.queries == {q: QUERIES[q] for q in QRELS}, "only judged queries are kept"
        assert data.qrels == {q: {d: 1} for q, d in QRELS.items()}


def test_loader_rejects_malformed_files(tmp_path: Path):
    root = write_dataset(tmp_path / "bad")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1 d1\n")
    with pytest.raises(RagError, match="line 2: expected query-id<TAB>corpus-id<TAB>score"):
        beir.load(root)
    (root / "qrels" / "test.tsv").write_text("q404\td1\t1\n")
    with pytest.raises(RagError, match=r"judges queries missing from .*queries.jsonl: \['q404'\]"):
        beir.load(root)
    (root / "corpus.jsonl").unlink()
    (root / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    with pytest.raises(RagError, match=r"no corpus\.jsonl or corpus\.jsonl\.gz"):
        beir.load(root)


@pytest.mark.parametrize("doc_id", ["4983", "a/b", ".hidden", "50%", "Zürich 1", "..", "x.txt"])
def test_file_names_round_trip_document_ids(doc_id: str):
    name = beir.file_name(doc_id)
    assert "/" not in name and not name.startswith(".") and name.endswith(".txt")
    assert beir.doc_id(name) == doc_id


def test_document_rank_is_its_best_chunk():
    data = SimpleNamespace(  # the two things `documents` reads: chunk row -> document row
        document=[SimpleNamespace(source=f"{name}.txt") for name in ("a", "b", "c")].__getitem__,
        document_of_chunk=[0, 0, 1, 2, 1].__getitem__,
    )
    assert benchmark.documents(data, [1, 3, 0, 4, 2]) == ["a", "c", "b"]
    assert benchmark.documents(data, [1, 3, 0, 4, 2], limit=2) == ["a", "c"]


def test_metrics_match_their_definitions():
    """ir-measures against the textbook formulas, on a run whose order is not its id order."""
    qrels = {"q1": {"d1": 1, "d2": 1, "d3": 0}, "q2": {"d9": 1}, "q3": {"d5": 2}}
    run = {"q1": ["d7", "d2", "d3", "z", "d1"], "q2": ["d8"]}  # q3 retrieved nothing
    dcg = 1 / math.log2(3) + 1 / math.log2(6)
    ideal = 1 + 1 / math.log2(3)
    expected = {
        "ndcg@10": (dcg / ideal + 0 + 0) / 3,
        "recall@10": (1 + 0 + 0) / 3,
        "recall@100": (1 + 0 + 0) / 3,
        "mrr@10": (1 / 2 + 0 + 0) / 3,
    }
    assert score(qrels, run) == pytest.approx(expected)
    ranked_late = {"q1": [f"x{i}" for i in range(10)] + ["d1"]}
    assert score({"q1": {"d1": 1}}, ranked_late) == pytest.approx(
        {"ndcg@10": 0, "recall@10": 0, "recall@100": 1, "mrr@10": 0}
    )


@pytest.mark.slow  # a BEIR evaluation, then a sweep
def test_tuning_sweeps_fusion_and_bm25_on_train_only(dataset: Path, tmp_path: Path):
    index = tmp_path / "tune-index"
    assert (
        run_cli(
            "eval", "--beir", str(dataset), "--split", "train", "--index", str(index)
        ).returncode
        == 0
    )
    tune = [
        sys.executable,
        "-m",
        "rag.evaluation.tuning",
        "--beir",
        str(dataset),
        "--index",
        str(index),
    ]
    result = subprocess.run(tune, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in result.stdout.splitlines()[2:]]
    assert [r[:2] for r in rows[:3]] == [
        ["defaults", s] for s in ("dense only", "lexical only", "fused")
    ]
    assert len(rows) == 3 + 27 + 2 * 9, (
        "defaults, the fusion grid, then lexical and fused per BM25 pair"
    )
    assert rows[3][0] == "candidates=50 rrf_k=10 lexical_weight=0.75"
    assert rows[-1][:2] == ["k1=1.5 b=0.9", "fused"]
    assert all(0 <= float(v) <= 1 for row in rows for v in row[2:])
    refused = subprocess.run([*tune, "--split", "test"], capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "tuning: error: tuning on the test split is refused: tune on train, report on test"
    )
