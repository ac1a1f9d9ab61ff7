"""The Milvus store: the same index in a Milvus server or a Milvus Lite file, for
collections that outgrow one machine (`pip install "rag-articles[milvus]"`)."""

from __future__ import annotations

from .client import is_milvus
from .schema import default_collection
from .store import MilvusStore

__all__ = ["MilvusStore", "default_collection", "is_milvus"]
