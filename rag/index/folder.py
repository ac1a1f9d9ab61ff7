"""The folder store: the whole index in one directory (FAISS, bm25s, numpy), the default."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from ..errors import IndexCorruptError, IndexNotFoundError
from ..lexical import LexicalIndex
from . import generation
from .data import DocumentPart, IndexData, stack
from .lock import build_lock
from .manifest import Manifest
from .vectors import make_vector_index


class FolderStore:
    """An index in a local folder, each build a new generation committed atomically
    (`generation.py`). Readers of an older generation keep it until the next build."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    @property
    def location(self) -> str:
        """The folder, as named in messages."""
        return str(self.index_dir)

    def committed(self) -> Manifest | None:
        """The committed manifest, or None if there is no index yet."""
        return generation.read_manifest(self.index_dir)

    def revision(self) -> tuple[int, int, int] | None:
        """The manifest file's identity (inode, time, size): a build replaces the file."""
        try:
            info = os.stat(self.index_dir / generation.MANIFEST)
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def check(self, manifest: Manifest, model: str | None) -> None:
        """Refuse an index of another format, or one built with another model than `model`."""
        remedy = "run `rag build --rebuild` to re-embed the articles with the new model"
        manifest.check(generation.FORMAT_VERSION, model, f"{self.index_dir}/", remedy)

    def open(self, model: str | None = None) -> tuple[Manifest, IndexData]:
        """The committed index, its format, model and files checked."""
        for attempt in range(3):
            manifest = self.committed()
            if manifest is None:
                raise IndexNotFoundError(str(self.index_dir))
            self.check(manifest, model)
            try:
                return manifest, generation.load_generation(self.index_dir, manifest)
            except FileNotFoundError:
                if attempt == 2 or self.committed() == manifest:
                    raise IndexCorruptError(str(self.index_dir), "a data file is missing") from None
                # a concurrent build committed a new generation and removed ours: read again
        raise AssertionError("unreachable")

    def damage(self, manifest: Manifest, *, full: bool = False) -> str:
        """What is wrong with `manifest`'s files ('' if nothing); by default the bytes are
        hashed in full only for small indexes (`checksums.py`)."""
        return generation.damage(self.index_dir, manifest, full=True if full else None)

    def lock(self) -> AbstractContextManager[None]:
        """Hold the folder's build lock."""
        return build_lock(self.index_dir)

    def update(self, base: Manifest | None) -> FolderUpdate:
        """Changes on top of `base`'s documents, written as one new generation."""
        parts: dict[str, DocumentPart] = {}
        if base is not None:
            _, data = self.open()
            vectors = data.all_chunk_vectors()
            parts = {doc.source: data.part(row, vectors) for row, doc in enumerate(data.documents)}
        return FolderUpdate(self.index_dir, parts, base.dim if base else None)

    def touch(self, manifest: Manifest) -> None:
        """Commit `manifest` over the same generation."""
        generation.write_manifest(self.index_dir, manifest)


class FolderUpdate:
    """A build's documents, held in memory and written as a whole generation on commit."""

    def __init__(self, index_dir: Path, parts: dict[str, DocumentPart], dim: int | None) -> None:
        self._index_dir = index_dir
        self._parts = parts
        self._dim = dim

    def put(self, part: DocumentPart) -> None:
        """Add or replace a document."""
        self._parts[part.document.source] = part
        self._dim = part.vectors.shape[1]

    def delete(self, source: str) -> None:
        """Remove a document, if present."""
        self._parts.pop(source, None)

    def commit(self, manifest: Manifest) -> Manifest:
        """Write every document, in source order, as the new committed generation."""
        assert self._dim is not None, "an update of an empty store puts documents first"
        data = combine([self._parts[source] for source in sorted(self._parts)], self._dim)
        counts = manifest.replace(
            dim=self._dim, documents=len(data.documents), chunks=data.chunk_count
        )
        return generation.save_generation(self._index_dir, data, counts)


def combine(parts: list[DocumentPart], dim: int) -> IndexData:
    """The documents `parts` as one in-memory index, document row i being `parts[i]`."""
    chunks, sentences = stack([p.rows for p in parts])
    vectors = np.concatenate([p.vectors for p in parts]).reshape(-1, dim)
    texts = [text for p in parts for text in p.rows.chunk_texts(p.document.text)]
    return IndexData(
        documents=[p.document for p in parts],
        chunk_rows=chunks,
        sentence_rows=sentences,
        chunk_index=make_vector_index(vectors),
        sentence_matrix=np.concatenate([p.sentence_vectors for p in parts]).reshape(-1, dim),
        lexical=LexicalIndex.build(texts),
    )
