"""The index directory: a manifest that commits one generation of data files, written atomically.

Layout of `index/`:
    manifest.json      the commit point: format, model, settings, per-file hashes, generation
    gen-<id>/          one complete build: documents.jsonl, chunks.npy, sentences.npy,
                       vectors.faiss, sentence_vectors.npy, lexical/
A build writes a new generation beside the current one and then replaces manifest.json in
one `os.replace`, so a build killed at any moment leaves the previous index in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import checksums
from .errors import IndexBusyError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from .index import IndexData as IndexData
from .index import Manifest
from .lexical import LexicalIndex
from .types import Document

FORMAT_VERSION = 2  # 2: approximate (IVF) chunk index and int8 sentence vectors when large
MANIFEST = "manifest.json"
_FILES = ("documents.jsonl", "chunks.npy", "sentences.npy", "vectors.faiss", "sentence_vectors.npy")

EXACT_LIMIT = 50_000
"""Chunk counts above this get an approximate (IVF) index; at and below, exact search.
Measured by benchmarks/run.py on 2 busy cores: exact search alone takes 14-17 ms at 100k
chunks and 150 ms at 1M, while a whole IVF query (embedding included) takes 28 ms at 100k,
at a recall@10 of 0.98 against exact search on real SciFact embeddings."""


def read_manifest(index_dir: Path) -> Manifest | None:
    """The committed manifest, or None if there is no index yet."""
    try:
        text = (index_dir / MANIFEST).read_text(encoding="utf-8")
        return Manifest.from_dict(json.loads(text))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexCorruptError(str(index_dir), f"unreadable {MANIFEST}: {error}") from None


def check_compatible(manifest: Manifest, index_dir: Path, model: str | None) -> None:
    """Refuse an index of another format, or one built with another model than `model`."""
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index in {index_dir}/ has format {manifest.format}, this version "
            f"reads format {FORMAT_VERSION}: run `rag build --rebuild`"
        )
    if model is not None and manifest.model != model:
        raise IndexMismatchError(
            f"the index in {index_dir}/ was built with the embedding model "
            f"{manifest.model!r}, not {model!r}: run `rag build --rebuild` to "
            "re-embed the articles with the new model"
        )


def make_vector_index(vectors: np.ndarray, exact_limit: int | None = None) -> Any:
    """An inner-product index over normalized vectors (inner product = cosine): exact up to
    `exact_limit` rows (default `EXACT_LIMIT`), else IVF with about 4 * sqrt(n) lists (at
    least 39 training vectors each), probing one in 8."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n <= (EXACT_LIMIT if exact_limit is None else exact_limit):
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    lists = min(1 << max(4, round(math.log2(4 * math.sqrt(n)))), max(1, n // 39))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10  # k-means beyond this barely moves recall on these vectors
    sample = np.random.default_rng(0).choice(n, size=min(n, 40 * lists), replace=False)
    ivf.train(vectors[np.sort(sample)])
    ivf.add(vectors)
    ivf.make_direct_map()  # rows can be read back: for similarities and incremental builds
    ivf.nprobe = min(lists, max(16, lists // 8))
    return ivf


def sentence_storage(vectors: np.ndarray, chunks: int) -> np.ndarray:
    """Sentence vectors as written: float16, or for indexes large enough to be approximate,
    int8 with each row scaled to the full range (half the disk and page cache; the rows are
    unit vectors, so normalizing on reading undoes the scale, cosine error < 1e-4)."""
    if chunks <= EXACT_LIMIT:
        return np.asarray(vectors, dtype=np.float16)
    vectors = np.asarray(vectors, dtype=np.float32)
    peaks = np.maximum(np.abs(vectors).max(axis=1, keepdims=True), 1e-12)
    codes: np.ndarray = np.rint(vectors * (127.0 / peaks)).astype(np.int8)
    return codes


class Int8Rows:
    """Int8 rows read back as unit float32 rows (memory-mapped)."""

    def __init__(self, codes: np.ndarray) -> None:
        self._codes = codes

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, rows: Any) -> np.ndarray:
        vectors = np.asarray(self._codes[rows], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
        unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return unit


def stored_vectors(index: Any) -> np.ndarray:
    """All vectors of a faiss index, in row order."""
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), "f4")


def load(index_dir: Path, model: str | None = None) -> tuple[Manifest, IndexData]:
    """Open the committed index, checking format, model and that every file is intact."""
    for attempt in range(3):
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexNotFoundError(str(index_dir))
        check_compatible(manifest, index_dir, model)
        try:
            return manifest, _load_generation(index_dir / manifest.generation, manifest)
        except FileNotFoundError:
            if attempt == 2 or read_manifest(index_dir) == manifest:
                raise IndexCorruptError(str(index_dir), "a data file is missing") from None
            # a concurrent build committed a new generation and removed ours: read again
    raise AssertionError("unreachable")


def _load_generation(path: Path, manifest: Manifest) -> IndexData:
    import faiss

    expected = manifest.file_sizes
    for name in _FILES:
        size = (path / name).stat().st_size
        if name in expected and size != expected[name]:
            raise IndexCorruptError(
                str(path.parent), f"{name} is {size} bytes, not {expected[name]}"
            )
    recorded = manifest.checksums
    problem = checksums.damaged(path, recorded) if recorded is not None else ""
    if problem:
        raise IndexCorruptError(str(path.parent), problem)
    try:
        with open(path / "documents.jsonl", encoding="utf-8") as lines:
            documents = [_document(json.loads(line)) for line in lines]
        chunks = np.load(path / "chunks.npy", mmap_mode="r")
        sentences = np.load(path / "sentences.npy", mmap_mode="r")
        vectors = faiss.read_index(str(path / "vectors.faiss"), _mmap_flag(path / "vectors.faiss"))
        sentence_vectors: Any = np.load(path / "sentence_vectors.npy", mmap_mode="r")
        if sentence_vectors.dtype == np.int8:
            sentence_vectors = Int8Rows(sentence_vectors)
        lexical = LexicalIndex.load(path / "lexical")
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise IndexCorruptError(str(path.parent), f"{type(error).__name__}: {error}") from None
    data = IndexData(documents, chunks, sentences, vectors, sentence_vectors, lexical)
    _check_consistent(path.parent, data, manifest)
    return data


def _mmap_flag(path: Path) -> int:
    """How faiss maps the file instead of reading it: exact indexes map their vectors,
    IVF indexes their inverted lists (each refuses the other's flag)."""
    import faiss

    with open(path, "rb") as head:
        exact = head.read(3) == b"IxF"  # IndexFlatIP / IndexFlatL2
    return faiss.IO_FLAG_MMAP_IFC if exact else faiss.IO_FLAG_MMAP


def _check_consistent(index_dir: Path, data: IndexData, manifest: Manifest) -> None:
    n = len(data.chunks)
    problems = [
        (len(data.documents) != manifest.documents, "document count"),
        (n != manifest.chunks, "chunk count"),
        (data.vectors.ntotal != n, "vector count"),
        (data.lexical.size != n, "lexical index size"),
        (len(data.sentence_vectors) != len(data.sentences), "sentence vector count"),
        (data.vectors.d != manifest.dim, "vector dimension"),
    ]
    for failed, what in problems:
        if failed:
            raise IndexCorruptError(str(index_dir), f"{what} does not match the manifest")


def save(index_dir: Path, data: IndexData, manifest: Manifest) -> None:
    """Write `data` as a new generation and commit it with `manifest`, atomically."""
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    generation = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path = index_dir / generation
    path.mkdir()
    previous = None
    with open(path / "documents.jsonl", "w", encoding="utf-8") as out:
        for doc in data.documents:
            out.write(json.dumps(_document_record(doc), ensure_ascii=False) + "\n")
    np.save(path / "chunks.npy", np.asarray(data.chunks, dtype=np.int64))
    np.save(path / "sentences.npy", np.asarray(data.sentences, dtype=np.int64))
    sentence_vectors = sentence_storage(data.sentence_vectors, len(data.chunks))
    np.save(path / "sentence_vectors.npy", sentence_vectors)
    faiss.write_index(data.vectors, str(path / "vectors.faiss"))
    data.lexical.save(path / "lexical")
    _fsync_tree(path)
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


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Commit `manifest` atomically: readers see the old one or the new one, never a mix."""
    text = json.dumps(manifest.to_dict(), indent=1, ensure_ascii=False)
    _write_atomically(index_dir / MANIFEST, text)


def files_intact(index_dir: Path, manifest: Manifest) -> bool:
    """Whether the committed generation's files are all there, as they were written."""
    path = index_dir / manifest.generation
    expected = manifest.file_sizes
    try:
        sizes_ok = all((path / name).stat().st_size == expected.get(name) for name in _FILES)
    except OSError:
        return False
    return sizes_ok and not checksums.damaged(path, manifest.checksums or {})


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete generation folders not in `keep`, such as those of builds that were killed."""
    for path in index_dir.glob("gen-*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock; a second concurrent build fails at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(
                f"another build is writing {index_dir}/: wait for it to finish"
            ) from None
        yield


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
