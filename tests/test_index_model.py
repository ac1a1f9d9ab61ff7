"""The index data model: manifest keys on disk, named row accessors, no column numbers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
from conftest import DATA, ROOT

from rag.errors import IndexCorruptError
from rag.index import DocumentRows, FileEntry, FolderStore, IndexData, Manifest, stack
from rag.lexical import LexicalIndex
from rag.types import Document

OLD_INDEX = DATA / "index-format2"  # built by the code before `rag/index/` existed
# index data read by row (`data.chunk_rows[r]`, `self._data.sentence_rows[r]`), by column,
# or past the `Index` interface (the folder store's arrays, FAISS and bm25s objects)
_COLUMNS = re.compile(
    r"data\.(?:chunk_rows|sentence_rows|chunk_index|sentence_matrix|lexical)\b|"
    r"\b(?:chunks|sentences)\[[^\]]*,"
)


def test_an_index_built_before_loads_and_its_manifest_round_trips(tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(OLD_INDEX, index)
    record = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest, data = FolderStore(index).open()
    assert manifest.to_dict() == record
    assert list(manifest.to_dict()) == list(record), "same keys, in the same order"
    assert manifest.files["tram.txt"] == FileEntry(
        "f782c4852592dd1009bd18a3c502ac1f", 83, 1796238315018802063
    )
    assert (manifest.documents, manifest.chunks, manifest.dim) == (2, 2, 384)
    assert [data.chunk_text(row) for row in range(2)] == [
        "Bees make honey from nectar. A hive holds one queen.",
        "The Lisbon tram 28 climbs through the Alfama district. It was electrified in 1914.",
    ]
    FolderStore(index).touch(manifest)
    assert json.loads((index / "manifest.json").read_text(encoding="utf-8")) == record


def test_a_manifest_without_the_later_keys_reads_as_absent() -> None:
    record = {
        "model": "m",
        "dim": 3,
        "documents": 1,
        "chunks": 2,
        "files": {"a.txt": {"hash": "h", "size": 1}},
    }
    manifest = Manifest.from_dict(record)
    assert manifest.checksums is None and manifest.format is None and manifest.generation == ""
    assert manifest.files["a.txt"].mtime_ns is None
    assert (
        "checksums" not in manifest.to_dict()
        and "mtime_ns" not in manifest.to_dict()["files"]["a.txt"]
    )


def test_an_unreadable_manifest_is_a_corrupt_index(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"model": "m"}), encoding="utf-8")
    try:
        FolderStore(tmp_path).committed()
    except IndexCorruptError as error:
        assert "dim" in str(error)
    else:
        raise AssertionError("a manifest without its counts was read")


def _two_documents() -> IndexData:
    texts = ["One. Two. Three.", "Four. Five."]
    documents = [Document(f"{n}.txt", f"Doc {n}", text, str(n)) for n, text in enumerate(texts)]
    parts = [
        DocumentRows.build([(0, 9), (5, 16)], [(0, 2), (1, 3)], [(0, 4), (5, 9), (10, 16)]),
        DocumentRows.build([(0, 11)], [(0, 2)], [(0, 5), (6, 11)]),
    ]
    chunks, sentences = stack(parts)
    vectors = np.zeros((len(sentences), 2), dtype=np.float32)
    return IndexData(
        documents,
        chunks,
        sentences,
        None,
        vectors,
        LexicalIndex.build(["honey bees", "tram", "hive"]),
    )


def test_row_accessors_name_the_columns() -> None:
    data = _two_documents()
    assert data.chunk_span(1) == (0, 5, 16) and data.chunk_text(1) == "Two. Three."
    assert data.chunk_sentences(2) == range(3, 5)
    assert data.sentence_span(4) == (1, 6, 11) and data.sentence_text(4) == "Five."
    assert all(type(v) is int for v in (*data.chunk_span(0), *data.sentence_span(0)))
    assert data.document_of_sentence(3) == 1 and data.document_of_chunk(2) == 1
    assert data.document_chunks(0) == range(0, 2) and data.document_chunks(1) == range(2, 3)
    assert data.document_sentences(1) == range(3, 5)
    assert (data.chunk_count, data.sentence_count) == (3, 5)
    again = data.part(1, np.arange(6, dtype=np.float32).reshape(3, 2)).rows
    assert again.chunks.tolist() == [[0, 11, 0, 2]] and again.sentences.tolist() == [
        [0, 5],
        [6, 11],
    ]
    assert again.chunk_texts(data.document(1).text) == ["Four. Five."]


def test_no_code_outside_rag_index_decodes_row_columns() -> None:
    """Chunk and sentence rows are read through the `Index` interface, never by column
    number or through the folder store's own arrays, so that the layout is known in one
    place (`rag/index/`) and another store can serve the same code."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "rag").rglob("*.py"))
        if path.relative_to(ROOT / "rag").parts[0] != "index"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _COLUMNS.search(line)
    ]
    assert not offenders, "read the index through the Index interface:\n" + "\n".join(offenders)
