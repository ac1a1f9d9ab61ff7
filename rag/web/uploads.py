"""Add articles to the source folder, and take them out, for the chat's library panel.

Every upload is checked before anything is written: its name is cut to a plain file name
(no folders, no hidden names), it must be small enough and of an indexable kind judged by
its content (the same loaders as the build), and it never replaces another article unless
asked to. Files are written under a hidden temporary name inside the source folder and then
linked into place, so a name that exists already (or a symlink planted under it) is never
followed or overwritten by accident. Removed articles are moved to a hidden folder of the
source folder, where the build does not look, rather than deleted.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError
from ..loaders import SUPPORTED_SUFFIXES, SkipFile, content_hash, load_document

MAX_FILES = 20  # articles added at once
REMOVED_DIR = ".removed"  # hidden: the build skips it
_UNSAFE = re.compile(r"[^\w\s.,()\[\]&+'-]")  # kept: letters, digits, spaces, common punctuation
_MAX_NAME = 120  # characters
_MAGIC = {".pdf": b"%PDF-"}  # formats whose content must start with a signature


@dataclass(frozen=True)
class Outcome:
    """What became of one file: saved (under `saved_as`) or refused, and why, in one line."""

    name: str
    saved_as: str | None
    message: str

    @property
    def ok(self) -> bool:
        return self.saved_as is not None


def safe_name(name: str) -> str:
    """A plain file name for `name`: its last path part, NFC, without control characters,
    unusual punctuation, leading dots or surrounding spaces, at most 120 characters.

    Raises:
        RagError: nothing usable is left, or the extension is not an article's.

    >>> safe_name("../../etc/evil <b>.txt")
    'evil _b_.txt'
    """
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = " ".join(_UNSAFE.sub("_", base).split()).lstrip(". ")
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise RagError(f"not an article file: the name must end in one of {kinds}")
    stem = stem.rstrip(". ")[: _MAX_NAME - len(suffix) - 1]
    if not stem:
        raise RagError("the file name has no usable characters: rename the file")
    return f"{stem}.{suffix}"


def save_uploads(
    source_dir: Path, files: list[tuple[str, Path]], max_mb: float, *, replace: bool = False
) -> list[Outcome]:
    """Check each uploaded file (its name as given, and where its bytes are) and save the
    good ones into `source_dir`; the others are refused with the reason. Too many files at
    once refuses them all.

    Args:
        max_mb: the largest file accepted, in MB.
        replace: an article of the same name (with other content) is replaced, and the
            outcome says so; without it, such a file is refused.
    """
    if len(files) > MAX_FILES:
        reason = f"{len(files):,} files at once: add at most {MAX_FILES} at a time"
        return [Outcome(name, None, reason) for name, _ in files]
    outcomes: list[Outcome] = []
    taken: set[str] = set()
    for name, path in files:
        try:
            target = safe_name(name)
            if target in taken:
                raise RagError("another file of this upload has the same name")
            message = _save(source_dir, target, _read(path, max_mb), replace)
            taken.add(target)
            outcomes.append(Outcome(name, target, message))
        except (RagError, SkipFile) as error:
            outcomes.append(Outcome(name, None, str(error)))
    return outcomes


def remove_articles(source_dir: Path, sources: list[str], indexed: set[str]) -> list[Outcome]:
    """Move the indexed articles `sources` out of the library, into `source_dir/.removed/`.

    Only names among `indexed` (the articles of the loaded index) are touched, so a name is
    never a path chosen by the caller. Removing every article is refused: the index needs one.
    """
    chosen = [s for s in dict.fromkeys(sources) if s in indexed]
    if chosen and len(chosen) == len(indexed):
        reason = "the library cannot be left empty: add another article first"
        return [Outcome(s, None, reason) for s in chosen]
    outcomes = [Outcome(s, None, "not in the library") for s in sources if s not in indexed]
    bin_dir = source_dir / REMOVED_DIR
    for source in chosen:
        path = source_dir / source
        kept = bin_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{source.replace('/', '__')}"
        try:
            bin_dir.mkdir(exist_ok=True)
            os.replace(path, kept)  # moves a symlink itself, never its target
            outcomes.append(Outcome(source, source, f"removed (kept in {REMOVED_DIR}/)"))
        except OSError as error:
            outcomes.append(Outcome(source, None, f"cannot move it ({error.strerror or error})"))
    return outcomes


def _read(path: Path, max_mb: float) -> bytes:
    """The uploaded bytes, refused if the upload is not a regular file or is too large."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise RagError(f"the upload cannot be read ({error.strerror or error})") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RagError("the upload is not a regular file")
        if info.st_size > max_mb * 2**20:  # MB as the build counts them (RAG_MAX_FILE_MB)
            size = info.st_size / 2**20
            raise RagError(f"{size:,.1f} MB: files up to {max_mb:g} MB are accepted")
        return file.read()


def _save(source_dir: Path, name: str, data: bytes, replace: bool) -> str:
    """Write `data` as the article `name` of `source_dir`; returns what was done.

    Raises:
        SkipFile: the content is not an article the build can index (the loader's reason).
        RagError: the name is taken and `replace` is off, or is not a plain file.
    """
    suffix = "." + name.rsplit(".", 1)[1].lower()
    if not data.startswith(_MAGIC.get(suffix, b"")):
        raise RagError(f"not a {suffix[1:].upper()} file: its content does not start like one")
    load_document(name, data)  # the build's own checks: empty, binary, no text, broken PDF...
    if not source_dir.is_dir():
        raise RagError(f"no source folder {source_dir}/: create it first")
    target = source_dir / name
    existing = _existing_hash(target)
    if existing == content_hash(data):
        return "already in the library with the same content: nothing changed"
    if existing is not None and not replace:
        raise RagError(
            "an article of that name is already in the library: tick “Replace articles of "
            "the same name” to replace it, or rename the file"
        )
    temporary = source_dir / f".upload-{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(fd)
        if existing is None:
            os.link(temporary, target)  # fails if the name appeared meanwhile: no overwrite
            return "added"
        os.replace(temporary, target)
        return "replaced the article of the same name"
    except FileExistsError:
        raise RagError("an article of that name appeared meanwhile: try again") from None
    except OSError as error:
        raise RagError(f"cannot write it ({error.strerror or error})") from None
    finally:
        temporary.unlink(missing_ok=True)


def _existing_hash(target: Path) -> str | None:
    """The content hash of the article at `target`, None if there is none.

    Raises:
        RagError: something other than a regular file has that name (a symlink, a folder).
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise RagError(
            "that name is taken in the source folder by a link or folder: rename the file"
        )
    return content_hash(target.read_bytes())
