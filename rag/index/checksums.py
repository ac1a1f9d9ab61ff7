"""Fingerprints of an index generation's files, so that damage is caught before it is read.

Every file is hashed in full when the index is written. Loading re-hashes everything when the
generation is small enough to do so quickly; a larger one is checked by the bytes at the
start, middle and end of each file (headers, where damage would crash a reader, live at the
start). `rag doctor` always checks in full.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

FULL_CHECK_BYTES = 256 * 2**20  # up to this total size, loading checks every byte
_BLOCK = 2**20


def fingerprints(folder: Path) -> dict[str, dict[str, str]]:
    """Full and sampled digests of every file under `folder`, by relative path."""
    files = _files(folder)
    return {
        "full": {name: _digest(path, sampled=False) for name, path in files.items()},
        "sampled": {name: _digest(path, sampled=True) for name, path in files.items()},
    }


def damaged(folder: Path, recorded: dict[str, dict[str, str]], full: bool | None = None) -> str:
    """The first file under `folder` whose digest differs from `recorded` ('' if none).

    Args:
        full: hash every byte; by default, only when the files total at most FULL_CHECK_BYTES.
    """
    files = _files(folder)
    if full is None:
        full = sum(path.stat().st_size for path in files.values()) <= FULL_CHECK_BYTES
    expected = recorded.get("full" if full else "sampled", {})
    for name in sorted(set(expected) | set(files)):
        if name not in files:
            return f"{name} is missing"
        if name not in expected:
            return f"{name} does not belong to the index"
        if _digest(files[name], sampled=not full) != expected[name]:
            return f"{name} has changed since it was written"
    return ""


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _digest(path: Path, sampled: bool) -> str:
    digest = hashlib.blake2b(digest_size=16)
    size = path.stat().st_size
    with open(path, "rb") as data:
        if sampled and size > 4 * _BLOCK:
            for offset in (0, size // 2, size - _BLOCK):
                data.seek(offset)
                digest.update(data.read(_BLOCK))
        else:
            for block in iter(lambda: data.read(_BLOCK), b""):
                digest.update(block)
    return digest.hexdigest()
