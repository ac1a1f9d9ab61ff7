"""Find the articles in the source folder, and say why any other file there is left out."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .loaders import SUPPORTED_SUFFIXES
from .types import SkippedFile


@dataclass(frozen=True)
class SourceFile:
    """A candidate article: its path relative to the source folder, and its stat fingerprint."""

    source: str
    path: Path
    size: int
    mtime_ns: int


def scan(source_dir: Path) -> tuple[list[SourceFile], list[SkippedFile]]:
    """Every supported regular file under `source_dir`, in path order, and the files left out.

    Hidden files and folders are ignored. Symlinks are followed only when they stay inside
    the folder; folder symlinks are never followed, so no file is indexed twice.
    """
    root = source_dir.resolve()
    found: list[SourceFile] = []
    skipped: list[SkippedFile] = []
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in [d for d in dirnames if (here / d).is_symlink()]:
            dirnames.remove(name)
            skipped.append(
                SkippedFile(_relative(here / name, root), "symlinked folder, not followed")
            )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            source = _relative(path, root)
            entry = _examine(path, root)
            if isinstance(entry, str):
                skipped.append(SkippedFile(source, entry))
            else:
                found.append(SourceFile(source, path, entry.st_size, entry.st_mtime_ns))
    return found, skipped


def _examine(path: Path, root: Path) -> os.stat_result | str:
    """The file's stat, or the reason it cannot be an article."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return f"unsupported file type {suffix or '(no extension)'}"
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken or looping symlink"
        if not target.is_relative_to(root):
            return "symlink to a file outside the source folder"
    try:
        info = path.stat()
    except OSError as error:
        return f"cannot read it ({error.strerror or error})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    return info


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
