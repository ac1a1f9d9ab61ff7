"""Building the index: incremental updates, atomic commits, mismatches and damage detected."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEEDS

import rag
from rag import indexer
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import EmptyCorpusError, IndexCorruptError, IndexMismatchError, IndexNotFoundError

EXTRA = (
    "The Lisbon tram 28 climbs through the Alfama district. It was electrified in 1914. "
    "Tourists queue for hours at Martim Moniz to ride it.\n\n"
    "The yellow Remodelado cars date from the 1930s and were rebuilt in the 1990s."
)


class CountingEmbedder(Embedder):
    """The real model, counting the chunk texts it is asked to embed."""

    def __init__(self, model: Embedder) -> None:
        self.__dict__.update(model.__dict__)
        self.embedded: list[str] = []

    def embed_chunks(self, chunks, progress=None):
        self.embedded.extend(chunk.text for chunk in chunks)
        return super().embed_chunks(chunks, progress)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    return source


def build(source: Path, index: Path, counter: CountingEmbedder, **kwargs) -> rag.BuildReport:
    settings = Settings(source_dir=str(source), index_dir=str(index))
    return indexer.build_index(settings, embedder=counter, **kwargs)


def test_incremental_build_embeds_only_what_changed(folder, tmp_path, embedder):
    index = tmp_path / "index"
    counter = CountingEmbedder(embedder)
    first = build(folder, index, counter)
    assert (first.added, first.documents) == (2, 2) and first.embedded_chunks == len(
        counter.embedded
    )

    counter.embedded.clear()
    unchanged = build(folder, index, counter)
    assert unchanged.up_to_date and counter.embedded == [], "a no-change rebuild embeds nothing"

    (folder / "tram.txt").write_text(EXTRA, encoding="utf-8")
    added = build(folder, index, counter)
    assert (added.added, added.unchanged, added.documents) == (1, 2, 3)
    assert counter.embedded and all(text in EXTRA for text in counter.embedded), "only the new file"
    assistant = rag.load_index(index)
    assert "tram.txt" in {
        c.source for c in assistant.ask("When was the Lisbon tram electrified?").citations
    }

    counter.embedded.clear()
    (folder / "tram.txt").write_text(EXTRA.replace("1914", "1901"), encoding="utf-8")
    changed = build(folder, index, counter)
    assert (changed.changed, changed.unchanged) == (1, 2)
    assert counter.embedded and all(
        "Remodelado" in t or "tram" in t.lower() for t in counter.embedded
    )
    answer = rag.load_index(index).ask("When was the Lisbon tram electrified?")
    assert "1901" in answer.text and "1914" not in answer.text

    counter.embedded.clear()
    (folder / "tram.txt").unlink()
    removed = build(folder, index, counter)
    assert (removed.removed, removed.documents, counter.embedded) == (1, 2, [])
    assert "tram.txt" not in {c.source for c in rag.load_index(index).chunks}


def test_touched_but_unchanged_file_is_not_embedded_again(folder, tmp_path, embedder):
    index = tmp_path / "index"
    counter = CountingEmbedder(embedder)
    build(folder, index, counter)
    counter.embedded.clear()
    for path in folder.iterdir():
        path.touch()
    report = build(folder, index, counter)
    assert report.up_to_date and counter.embedded == []


def test_rebuilt_index_is_identical_and_chunk_ids_are_stable(folder, tmp_path, embedder):
    counter = CountingEmbedder(embedder)
    build(folder, tmp_path / "a", counter)
    build(folder, tmp_path / "b", counter, rebuild=True)
    a, b = rag.load_index(tmp_path / "a"), rag.load_index(tmp_path / "b")
    assert list(a.chunks) == list(b.chunks)
    assert [c.id for c in a.chunks][:2] == [
        "000_866b00fbbd318d60.txt#0",
        "000_866b00fbbd318d60.txt#1",
    ]
    for chunk in a.chunks:
        assert a.document(chunk.source).text[chunk.start : chunk.end] == chunk.text


@pytest.mark.slow  # a build in a fresh process
def test_no_change_rebuild_does_not_load_the_model(folder, tmp_path):
    index = tmp_path / "index"
    rag.build_index(folder, index)
    script = (
        "import sys, rag; r = rag.build_index(sys.argv[1], sys.argv[2]); "
        "print(r.up_to_date, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(index)], capture_output=True, text=True
    )
    assert out.stdout.split() == ["True", "False", "False"], out.stderr


def test_model_and_format_mismatch_say_to_rebuild(seed_index, tmp_path):
    with pytest.raises(IndexMismatchError, match="rag build --rebuild"):
        rag.load_index(seed_index, model="some-other-model")
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "format": 999}))
    with pytest.raises(IndexMismatchError, match="rag build --rebuild"):
        rag.load_index(copy)
    settings = Settings(source_dir=str(SEEDS), index_dir=str(seed_index), embed_model="other-model")
    with pytest.raises(IndexMismatchError, match="rag build --rebuild"):
        indexer.build_index(settings)


def test_damaged_index_is_detected(seed_index, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy)
    generation = copy / json.loads((copy / "manifest.json").read_text())["generation"]
    vectors = generation / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="rag build --rebuild"):
        rag.load_index(copy)
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="rag build --rebuild"):
        rag.load_index(copy)
    with pytest.raises(IndexNotFoundError, match="rag build"):
        rag.load_index(tmp_path / "nowhere")


@pytest.mark.slow  # a build, damage, and a repairing build
def test_a_build_repairs_a_damaged_index(folder, tmp_path, embedder):
    index = tmp_path / "index"
    counter = CountingEmbedder(embedder)
    build(folder, index, counter)
    generation = index / json.loads((index / "manifest.json").read_text())["generation"]
    (generation / "chunks.npy").unlink()
    report = build(folder, index, counter)
    assert not report.up_to_date and report.embedded_chunks > 0
    assert rag.load_index(index).ask("Who asked NATO to close Ukraine's airspace?").found


@pytest.mark.slow  # kills a build
def test_killed_build_leaves_the_previous_index_answering(folder, tmp_path):
    """SIGKILL a rebuild at several moments; the old index must load and answer the same."""
    index = tmp_path / "index"
    rag.build_index(folder, index)
    question = "Why did NATO refuse to impose a no-fly zone over Ukraine?"
    before = rag.load_index(index).ask(question)
    for n in range(12):  # more chunks, so that the kill can land mid-embedding
        (folder / f"copy{n}.txt").write_text(
            EXTRA.replace("Lisbon", f"Porto {n}") * 20, encoding="utf-8"
        )
    killed_after_commit = 0
    for delay in (0.5, 2.0, 4.0, 6.0, 8.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "rag", "build", "--rebuild",
             "--source", str(folder), "--index", str(index)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assistant = rag.load_index(index)
        after = assistant.ask(question)
        if assistant.info.documents == 2:  # killed before its commit: the old index, untouched
            assert after.text == before.text, f"killed after {delay}s, the old index changed"
        else:  # killed after its commit: the new index, complete
            assert assistant.info.documents == 14
            killed_after_commit += 1
        assert after.found
    assert killed_after_commit < 5, "some kills landed before the commit"
    report = rag.build_index(folder, index)
    assert report.documents == 14
    assert not [p for p in index.glob("gen-*")][2:], "killed builds' leftovers are cleaned up"


def test_bad_files_are_reported_and_good_ones_kept(folder, tmp_path):
    index = tmp_path / "index"
    rag.build_index(folder, index)
    before = rag.load_index(index).ask("Who asked NATO to close Ukraine's airspace?")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 100)
    (folder / "latin1.txt").write_bytes("Le café de la gare ferme à minuit. ".encode("cp1252") * 5)
    (folder / "bad-utf8.txt").write_bytes(b"Valid start. " + b"\xff\xfe\xfd" * 3 + b" Valid end.")
    (folder / "script.html").write_bytes(b"<html><script>" + b"x=1;" * 1000 + b"</script></html>")
    with open(folder / "huge.txt", "wb") as huge:
        huge.write(b"A line of text that repeats. " * (20 * 1024 * 1024 // 29 + 1))
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    report = rag.build_index(folder, index)
    reasons = {s.source: s.reason for s in report.skipped}
    assert set(reasons) >= {"empty.txt", "binary.txt", "script.html", "huge.txt", "notes.docx"}
    assert "too large" in reasons["huge.txt"] and "--max-file-mb" in reasons["huge.txt"]
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert all("\n" not in r for r in reasons.values()), "one line each"
    assistant = rag.load_index(index)
    indexed = {c.source for c in assistant.chunks}
    assert {"000_866b00fbbd318d60.txt", "001_2cdb7c04a088ded7.txt", "latin1.txt"} <= indexed
    assert "café" in assistant.document("latin1.txt").text
    assert "bad-utf8.txt" in indexed or "bad-utf8.txt" in reasons
    assert assistant.ask("Who asked NATO to close Ukraine's airspace?").text == before.text


def test_empty_folder_is_a_clear_error_and_keeps_the_old_index(folder, tmp_path):
    index = tmp_path / "index"
    rag.build_index(folder, index)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "nothing.txt").write_text("   ")
    with pytest.raises(EmptyCorpusError, match="no article to index"):
        rag.build_index(empty, index)
    assert rag.load_index(index).ask("Who asked NATO to close Ukraine's airspace?").found


def test_duplicate_articles_collapse_into_one_passage(folder, tmp_path):
    shutil.copy(folder / "000_866b00fbbd318d60.txt", folder / "copy_of_000.txt")
    index = tmp_path / "index"
    rag.build_index(folder, index)
    passages = rag.load_index(index).search("Bosnia and Herzegovina Kurdish Iraq airspace", top_k=5)
    texts = [" ".join(p.chunk.text.split()) for p in passages]
    assert len(texts) == len(set(texts)), "the same passage from two files is shown once"
    for a in passages:
        for b in passages:
            if a is not b and a.chunk.source == b.chunk.source:
                shared = min(a.chunk.end, b.chunk.end) - max(a.chunk.start, b.chunk.start)
                assert shared <= 0.5 * min(len(a.chunk.text), len(b.chunk.text))
    assert np.all(np.diff([p.score for p in passages]) <= 0), "best first"


def test_every_flipped_byte_is_caught_before_reading(seed_index, tmp_path):
    """Damage that keeps a file's size is found by its checksum: a clear error, no crash."""
    manifest = json.loads((seed_index / "manifest.json").read_text())
    generation = seed_index / manifest["generation"]
    files = sorted(p.relative_to(generation) for p in generation.rglob("*") if p.is_file())
    assert len(files) >= 6
    for relative in files:
        copy = tmp_path / str(relative).replace("/", "_")
        shutil.copytree(seed_index, copy)
        target = copy / manifest["generation"] / relative
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
        with pytest.raises(
            IndexCorruptError, match=f"{relative.name} has changed.*rag build --rebuild"
        ):
            rag.load_index(copy)
    result = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "Who asked?", "--index", str(copy)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert (
        result.returncode == 1
        and "is damaged" in result.stderr
        and "Traceback" not in result.stderr
    )


@pytest.mark.slow  # a build, damage, and a repairing build
def test_a_build_repairs_an_index_damaged_in_place(folder, tmp_path, embedder):
    index = tmp_path / "index"
    counter = CountingEmbedder(embedder)
    build(folder, index, counter)
    generation = index / json.loads((index / "manifest.json").read_text())["generation"]
    target = generation / "sentence_vectors.npy"
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    report = build(folder, index, counter)
    assert not report.up_to_date and report.embedded_chunks > 0, "everything embedded again"
    assert rag.load_index(index).ask("Where has NATO closed an airspace before?").found
