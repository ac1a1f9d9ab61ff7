"""The index's data model: the manifest and the rows of chunks and sentences, named."""

from __future__ import annotations

from .data import DocumentRows, IndexData, Span, stack
from .manifest import FileEntry, Manifest

__all__ = ["DocumentRows", "FileEntry", "IndexData", "Manifest", "Span", "stack"]
