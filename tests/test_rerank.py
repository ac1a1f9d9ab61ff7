"""Optional reranking: a tiny cross-encoder with random weights, built and saved here, reorders
the fused passages exactly as its own scores say (this tests the plumbing, not the quality)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from conftest import SEEDS, run_cli

from rag import retrieval
from rag.config import Settings
from rag.errors import ModelLoadError
from rag.index import open_store
from rag.rerank import rerank

QUERY = "Who asked NATO to close Ukraine's airspace?"


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer BERT cross-encoder over the seed articles' words, with seeded random weights."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    words = sorted(
        {w for p in SEEDS.iterdir() for w in re.findall(r"[a-z]+", p.read_text().lower())}
    )
    (folder / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words])
    )
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, num_labels=1, initializer_range=0.5,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _scores(model: Path, texts: list[str]) -> list[float]:
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(model), device="cpu").predict([(QUERY, t) for t in texts]).tolist()


def test_reranks_the_fused_head_by_cross_encoder_score(
    seed_index: Path, embedder, cross_encoder: Path
):
    _, data = open_store(seed_index).open()
    vector = embedder.embed_query(QUERY)
    plain = Settings()
    assert plain.rerank_model == "", "reranking is off by default"
    fused, scores = retrieval.ranking(data, QUERY, vector, plain, plain.candidates)
    reranked_settings = dataclasses.replace(plain, rerank_model=str(cross_encoder), rerank_depth=6)
    reranked, same_scores = retrieval.ranking(
        data, QUERY, vector, reranked_settings, plain.candidates
    )

    head = fused[:6]
    texts = [data.chunk_text(r) for r in head]
    by_model = [
        row for _, row in sorted(zip(_scores(cross_encoder, texts), head), key=lambda p: -p[0])
    ]
    assert reranked[:6] == by_model, "the head follows the cross-encoder's scores"
    assert reranked[:6] != head, "random weights are bound to disagree with the fused order"
    assert reranked[6:] == fused[6:], "rows past the head keep their fused order"
    assert same_scores == scores, "passages keep their fused score"


def test_assistant_uses_the_model_named_by_the_environment(
    seed_index: Path, cross_encoder: Path, monkeypatch: pytest.MonkeyPatch
):
    import rag

    plain = [p.chunk.id for p in rag.load_index(seed_index).search(QUERY, top_k=3)]
    monkeypatch.setenv("RAG_RERANK_MODEL", str(cross_encoder))
    monkeypatch.setenv("RAG_RERANK_DEPTH", "3")
    assistant = rag.load_index(seed_index)
    passages = assistant.search(QUERY, top_k=3)
    texts = [p.chunk.text for p in passages]
    scores = _scores(cross_encoder, texts)
    assert sorted(p.chunk.id for p in passages) == sorted(plain), "the same three, reordered"
    assert scores == sorted(scores, reverse=True), f"not in cross-encoder order: {scores}"
    assert [p.rank for p in passages] == [1, 2, 3]
    answer = assistant.ask(QUERY)
    assert answer.found and answer.citations


def test_rerank_keeps_order_of_ties_and_handles_nothing(cross_encoder: Path):
    assert rerank(str(cross_encoder), QUERY, [], []) == []
    assert rerank(str(cross_encoder), QUERY, [7, 3], ["same text", "same text"]) == [7, 3]


def test_a_missing_model_is_an_error(tmp_path: Path):
    with pytest.raises(ModelLoadError, match="cannot load the rerank model"):
        rerank(str(tmp_path / "nowhere"), QUERY, [1], ["text"])


@pytest.mark.slow  # imports torch in a fresh process
def test_a_missing_model_is_a_one_line_error_on_the_command_line(seed_index: Path, tmp_path: Path):
    result = run_cli(
        "ask",
        QUERY,
        "--index",
        str(seed_index),
        env={"RAG_RERANK_MODEL": str(tmp_path / "nowhere")},
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"rag: error: cannot load the rerank model '{tmp_path}/nowhere'"
    )
    assert lines[0].endswith("or a model name that can be downloaded, or unset it")


@pytest.mark.slow  # an evaluation with a cross-encoder
def test_beir_eval_reports_the_reranked_default(cross_encoder: Path, tmp_path: Path):
    from test_eval_beir import write_dataset

    dataset = write_dataset(tmp_path / "tiny")
    env = {"RAG_RERANK_MODEL": str(cross_encoder)}
    table = run_cli("eval", "--beir", str(dataset), "--index", str(tmp_path / "i"), env=env)
    assert table.returncode == 0, table.stderr
    assert f"| fused + rerank by {cross_encoder} (default) |" in table.stdout
    result = run_cli(
        "eval", "--beir", str(dataset), "--index", str(tmp_path / "i"), "--json", env=env
    )
    report = json.loads(result.stdout)
    assert report["settings"]["rerank_model"] == str(cross_encoder)
    assert report["ndcg@10"] == report["systems"]["fused"]["ndcg@10"]
