"""The model's derived files (its ONNX exports, its traced transformer), cached under
`RAG_CACHE_DIR` by kind and by the model folder's fingerprint, each written whole."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ..config import cache_dir
from .files import ModelFiles

_log = logging.getLogger(__name__)


def cache_path(kind: str, files: ModelFiles, name: str) -> Path:
    """Where the file `name` of `kind` derived from `files` is (or will be) cached."""
    return cache_dir() / kind / files.fingerprint() / name


def cached(target: Path, write: Callable[[Path], None]) -> Path | None:
    """`target` in the cache, first written by `write(path)` to a temporary file that then
    replaces it whole; None if writing fails (the caller runs the model another way)."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        write(temporary)
        os.replace(temporary, target)
    except Exception as error:  # any failure means: do without it
        _log.info("could not write %s: %s", target, error)
        temporary.unlink(missing_ok=True)
        return None
    return target
