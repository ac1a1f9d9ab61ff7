"""The index: its interfaces (`Store`, `Update`, `Index`), its data model (the manifest, the
rows of chunks and sentences, named) and the folder store, the default implementation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .data import DocumentPart, DocumentRows, IndexData, stack
from .folder import FolderStore
from .manifest import FileEntry, Manifest
from .store import Index, Span, Store, Update

if TYPE_CHECKING:
    from ..config import Settings

__all__ = [
    "DocumentPart", "DocumentRows", "FileEntry", "FolderStore", "Index", "IndexData",
    "Manifest", "Span", "Store", "Update", "open_store", "stack",
]  # fmt: skip


def open_store(location: str | os.PathLike[str], settings: Settings | None = None) -> Store:
    """The store at `location`: Milvus Lite for a path ending in `.db`, a Milvus server for
    `http(s)://host:port`, else the index folder. For Milvus, `settings` name the collection
    (`store_collection`, else one derived from the model and chunker settings)."""
    from .milvus import MilvusStore, default_collection, is_milvus

    where = os.fspath(location)
    if not is_milvus(where):
        return FolderStore(Path(where))
    if settings is None:
        from ..config import Settings

        settings = Settings.from_env()
    collection = settings.store_collection or default_collection(
        settings.embed_model, settings.chunker_settings()
    )
    return MilvusStore(where, collection)
