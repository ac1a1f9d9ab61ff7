"""A folder index on disk: a manifest that commits one generation of data files, written
atomically, with checksums.

Layout of `index/`:
    manifest.json      the commit point: format, model, settings, per-file hashes, generation
    gen-<id>/          one complete build: documents.jsonl, chunks.npy, sentences.npy,
                       vectors.faiss, sentence_vectors.npy, lexical/
A build writes a new generation beside the current one and then replaces manifest.json in
one `os.replace`, so a build killed at any moment leaves the previous index in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..lexical import LexicalIndex
from ..types import Document
from . import checksums
from .data import IndexData
from .manifest import Manifest
from .vectors import read_sentence_vectors, read_vector_index, sentence_storage, write_vector_index

FORMAT_VERSION = 2  # 2: approximate (IVF) chunk index and int8 sentence vectors when large
MANIFEST = "manifest.json"
_FILES = ("documents.jsonl", "chunks.npy", "sentences.npy", "vectors.faiss", "sentence_vectors.npy")


def read_manifest(index_dir: Path) -> Manifest | None:
    """The committed manifest, or None if there is no index yet."""
    try:
        text = (index_dir / MANIFEST).read_text(encoding="utf-8")
        return Manifest.from_dict(json.loads(text))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexCorruptError(str(index_dir), f"unreadable {MANIFEST}: {error}") from None


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Commit `manifest` atomically: readers see the old one or the new one, never a mix."""
    text = json.dumps(manifest.to_dict(), indent=1, ensure_ascii=False)
    _write_atomically(index_dir / MANIFEST, text)


def load_generation(index_dir: Path, manifest: Manifest) -> IndexData:
    """The data files of `manifest`'s generation, checked against it.

    Raises:
        FileNotFoundError: a file is gone (a newer build may have removed the generation).
        IndexCorruptError: a file is damaged or does not match the manifest.
    """
    path = index_dir / manifest.generation
    _check_sizes(path, manifest)
    problem = checksums.damaged(path, manifest.checksums) if manifest.checksums else ""
    if problem:
        raise IndexCorruptError(str(index_dir), problem)
    try:
        with open(path / "documents.jsonl", encoding="utf-8") as lines:
            documents = [_document(json.loads(line)) for line in lines]
        data = IndexData(
            documents,
            np.load(path / "chunks.npy", mmap_mode="r"),
            np.load(path / "sentences.npy", mmap_mode="r"),
            read_vector_index(path / "vectors.faiss"),
            read_sentence_vectors(path / "sentence_vectors.npy"),
            LexicalIndex.load(path / "lexical"),
        )
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise IndexCorruptError(str(index_dir), f"{type(error).__name__}: {error}") from None
    _check_consistent(index_dir, data, manifest)
    return data


def damage(index_dir: Path, manifest: Manifest, full: bool | None = None) -> str:
    """What is wrong with `manifest`'s generation files ('' if nothing); `full` hashes every
    byte (default: when the files are small enough to do so quickly)."""
    path = index_dir / manifest.generation
    try:
        _check_sizes(path, manifest)
    except OSError:
        return "a data file is missing"
    except IndexCorruptError as error:
        return error.detail
    return checksums.damaged(path, manifest.checksums or {}, full=full)


def save_generation(index_dir: Path, data: IndexData, manifest: Manifest) -> Manifest:
    """Write `data` as a new generation and commit it with `manifest`, atomically; the
    manifest as committed."""
    index_dir.mkdir(parents=True, exist_ok=True)
    generation = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path = index_dir / generation
    path.mkdir()
    with open(path / "documents.jsonl", "w", encoding="utf-8") as out:
        for doc in data.documents:
            out.write(json.dumps(_document_record(doc), ensure_ascii=False) + "\n")
    np.save(path / "chunks.npy", np.asarray(data.chunk_rows, dtype=np.int64))
    np.save(path / "sentences.npy", np.asarray(data.sentence_rows, dtype=np.int64))
    all_sentences = data.sentence_vectors(range(data.sentence_count))
    np.save(path / "sentence_vectors.npy", sentence_storage(all_sentences, data.chunk_count))
    write_vector_index(data.chunk_index, path / "vectors.faiss")
    data.lexical.save(path / "lexical")
    _fsync_tree(path)
    previous = None
    with contextlib.suppress(IndexCorruptError):
        previous = read_manifest(index_dir)
    manifest = manifest.replace(
        format=FORMAT_VERSION,
        generation=generation,
        file_sizes={name: (path / name).stat().st_size for name in _FILES},
        checksums=checksums.fingerprints(path),
    )
    write_manifest(index_dir, manifest)
    # The previous generation stays one more build, for readers that opened it just now.
    remove_stale_generations(index_dir, keep={generation, previous.generation if previous else ""})
    return manifest


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete generation folders not in `keep`, such as those of builds that were killed."""
    for path in index_dir.glob("gen-*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _check_sizes(path: Path, manifest: Manifest) -> None:
    expected = manifest.file_sizes
    for name in _FILES:
        size = (path / name).stat().st_size
        if name in expected and size != expected[name]:
            raise IndexCorruptError(
                str(path.parent), f"{name} is {size} bytes, not {expected[name]}"
            )


def _check_consistent(index_dir: Path, data: IndexData, manifest: Manifest) -> None:
    problems = [
        (len(data.documents) != manifest.documents, "document count"),
        (data.chunk_count != manifest.chunks, "chunk count"),
        (data.chunk_index.ntotal != data.chunk_count, "vector count"),
        (data.lexical.size != data.chunk_count, "lexical index size"),
        (len(data.sentence_matrix) != data.sentence_count, "sentence vector count"),
        (data.chunk_index.d != manifest.dim, "vector dimension"),
    ]
    for failed, what in problems:
        if failed:
            raise IndexCorruptError(str(index_dir), f"{what} does not match the manifest")


def _write_atomically(target: Path, text: str) -> None:
    temporary = target.with_name(target.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    _fsync_directory(target.parent)


def _fsync_tree(path: Path) -> None:
    for root, _, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_directory(Path(root))
    _fsync_directory(path.parent)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _document_record(doc: Document) -> dict[str, Any]:
    return {
        "source": doc.source,
        "title": doc.title,
        "hash": doc.content_hash,
        "page_starts": list(doc.page_starts),
        "text": doc.text,
    }


def _document(record: dict[str, Any]) -> Document:
    return Document(
        source=record["source"],
        title=record["title"],
        text=record["text"],
        content_hash=record["hash"],
        page_starts=tuple(record["page_starts"]),
    )
