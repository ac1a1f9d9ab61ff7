"""The index: its interfaces (`Store`, `Update`, `Index`), its data model (the manifest, the
rows of chunks and sentences, named) and the folder store, the default implementation."""

from __future__ import annotations

import os
from pathlib import Path

from .data import DocumentPart, DocumentRows, IndexData, stack
from .folder import FolderStore
from .manifest import FileEntry, Manifest
from .store import Index, Span, Store, Update

__all__ = [
    "DocumentPart", "DocumentRows", "FileEntry", "FolderStore", "Index", "IndexData",
    "Manifest", "Span", "Store", "Update", "open_store", "stack",
]  # fmt: skip


def open_store(index_dir: str | os.PathLike[str]) -> Store:
    """The store of the index in `index_dir`."""
    return FolderStore(Path(index_dir))
