"""The Python API of DESIGN.md: rag.answer, rag.build_index, rag.load_index, Answer, Citation."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import rag
from rag.errors import QuestionError


def test_import_is_light():
    heavy = ("torch", "faiss", "sentence_transformers", "gradio")
    script = f"import sys, rag; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_answer_function_and_types(seed_index):
    answer = rag.answer("Where has NATO closed an airspace before?", index_dir=seed_index, top_k=3)
    assert isinstance(answer, rag.Answer) and answer.found
    assert len(answer.passages) == 3 and [p.rank for p in answer.passages] == [1, 2, 3]
    citation = answer.citations[0]
    assert isinstance(citation, rag.Citation) and citation.number == 1
    assert citation.source.endswith(".txt") and citation.title and citation.end > citation.start
    assert isinstance(citation.score, float)


def test_loaded_index_exposes_its_chunks(assistant):
    chunks = assistant.chunks
    assert (
        len(chunks) >= 4
        and chunks[-1] == chunks[len(chunks) - 1]
        and chunks[:2] == [chunks[0], chunks[1]]
    )
    for chunk in chunks:
        assert chunk.id.startswith(chunk.source + "#")
        assert assistant.document(chunk.source).text[chunk.start : chunk.end] == chunk.text
    assert assistant.info.documents == 2 and assistant.info.chunks == len(chunks)


def test_follow_up_question_uses_the_conversation(assistant):
    history = [
        {
            "role": "user",
            "content": "Why did Stoltenberg refuse Zelenskyy's request to close the airspace?",
        },
        {"role": "assistant", "content": "Because it would mean war with Russia [1]."},
    ]
    answer = assistant.ask("And what did Biden say?", history)
    assert "Stoltenberg" in answer.search_query and answer.search_query.endswith(
        "And what did Biden say?"
    )
    assert answer.found and "Biden" in answer.text
    after_headline = assistant.ask(
        "And what did Biden say?", ["Why did NATO refuse a no-fly zone?"]
    )
    assert "third world war" in after_headline.text, after_headline.text
    standalone = assistant.ask("Where has NATO closed an airspace before?", history)
    assert standalone.search_query == "Where has NATO closed an airspace before?"


@pytest.mark.parametrize("question", ["", "   \n", "?!", None])
def test_unsearchable_questions_raise(assistant, question):
    with pytest.raises(QuestionError):
        assistant.ask(question)


def test_absurd_questions_get_an_answer_not_a_crash(assistant):
    huge = "Why did NATO refuse? " + "blah " * 20_000
    assert isinstance(assistant.ask(huge), rag.Answer)
    assert not assistant.ask("\x00\x01 zzzz qqqq xxxx").found
    assert isinstance(assistant.ask("<script>alert(1)</script> NATO"), rag.Answer)


@pytest.mark.parametrize(
    "question",
    ["Why did Stoltenberg fear for Zelenskyy's life during the call?",
     "What did Biden say about the risk of closing the airspace?",
     "What is the capital of Australia?"],
)  # fmt: skip
def test_an_answer_streams_a_sentence_at_a_time(assistant, question):
    """Each piece is a whole sentence, most ending at its citation: the chat sends an update
    per piece, a round trip through Gradio that a word is not worth."""
    *pieces, answer = assistant.stream(question)
    assert "".join(pieces) == answer.text and len(pieces) >= 2
    markers = re.findall(r"\[\d+\]", answer.text)
    assert len(pieces) <= len(markers) + 2, pieces
    for piece in pieces[:-1]:
        assert re.search(r"(\[\d+\]|[.!?][\"'”’)]*)\s+$", piece), pieces
