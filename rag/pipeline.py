"""The composition root: build an index, load it once with its model, answer from it."""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from pathlib import Path

from . import indexer
from .assistant import Assistant
from .config import Settings
from .embedding import Embedder
from .index import open_store
from .indexer import ProgressFactory
from .llm import LLMAnswerer, LLMSettings
from .types import Answer, BuildReport

__all__ = ["Assistant", "answer", "build_index", "load_index"]


def load_index(
    index_dir: str | os.PathLike[str] = "index", *, model: str | None = None,
    llm: LLMSettings | None = None, store: str | None = None,
) -> Assistant:  # fmt: skip
    """Open the index in `index_dir` (or `store`) with the embedding model it was built with.

    Args:
        model: the model the caller expects (default: `RAG_EMBED_MODEL`, if set); an index
            built with another one is refused.
        llm: the chat server that writes answers (default: `RAG_LLM_*` variables); one
            without a `base_url` means extractive answers.
        store: a Milvus store instead of the folder: a path ending in `.db` (Milvus Lite) or
            `http(s)://host:port` (default: `RAG_STORE_URI`; unset, the folder `index_dir`).

    Raises:
        IndexNotFoundError, IndexMismatchError, IndexCorruptError, ModelLoadError,
        LLMConfigError, StoreUnavailableError
    """
    llm = LLMSettings.from_env() if llm is None else llm
    wanted = model or os.environ.get("RAG_EMBED_MODEL") or None
    settings = Settings.from_env(index_dir=str(index_dir), store_uri=store, embed_model=wanted)
    opened = open_store(settings.location, settings)
    manifest, data = opened.open(wanted)
    settings = dataclasses.replace(settings, embed_model=manifest.model)
    embedder = _embedder(manifest.model, settings)
    return Assistant(
        opened, settings, manifest, data, embedder, LLMAnswerer(llm) if llm.enabled else None
    )


_EMBEDDERS: dict[str, Embedder] = {}
_ASSISTANTS: dict[str, Assistant] = {}
_CACHE_LOCK = threading.Lock()


def _embedder(model: str, settings: Settings) -> Embedder:
    """One loaded model per name for the whole process."""
    with _CACHE_LOCK:
        if model not in _EMBEDDERS:
            _EMBEDDERS[model] = Embedder(model, settings.batch_size)
        return _EMBEDDERS[model]


def answer(
    question: str, *, index_dir: str | os.PathLike[str] = "index", top_k: int | None = None
) -> Answer:
    """Answer `question` from the index in `index_dir` (or `RAG_STORE_URI`), loading it on
    first use and again whenever a newer build has been committed."""
    key = Settings.from_env().store_uri or str(Path(index_dir).resolve())
    assistant = _ASSISTANTS.get(key)
    if assistant is None or not assistant.is_current():
        assistant = _ASSISTANTS[key] = load_index(index_dir)
    return assistant.ask(question, top_k=top_k)


def build_index(
    source_dir: str | os.PathLike[str] = "seeds",
    index_dir: str | os.PathLike[str] = "index",
    *,
    rebuild: bool = False,
    model: str | None = None,
    max_file_mb: float | None = None,
    progress: ProgressFactory | None = None,
    store: str | None = None,
) -> BuildReport:
    """Index the articles in `source_dir` into `index_dir`, embedding only what changed.

    Args:
        rebuild: ignore the existing index and embed everything again.
        model: embedding model name or path (default: `RAG_EMBED_MODEL`, else all-MiniLM-L6-v2).
        max_file_mb: skip larger files (default: `RAG_MAX_FILE_MB`, else 10).
        progress: makes a progress bar (e.g. `tqdm`) given the number of chunks to embed.
        store: a Milvus store instead of the folder: a path ending in `.db` (Milvus Lite) or
            `http(s)://host:port` (default: `RAG_STORE_URI`; unset, the folder `index_dir`).

    Raises:
        RagError: with a one-line message saying what to do.
    """
    settings = Settings.from_env(
        source_dir=str(source_dir), index_dir=str(index_dir), embed_model=model,
        max_file_mb=max_file_mb, store_uri=store,
    )  # fmt: skip
    # The model, if anything needs embedding, is the one later questions will use.
    embedder = functools.partial(_embedder, settings.embed_model, settings)
    return indexer.build_index(settings, rebuild=rebuild, progress=progress, embedder=embedder)
