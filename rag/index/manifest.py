"""The manifest: what an index holds and how it was built, the commit point of a build.

This module is the only code that knows the manifest's JSON keys; everything else reads
and writes `Manifest` and `FileEntry` fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

_REQUIRED = ("model", "dim", "documents", "chunks")
_ORDER = (  # the keys as a build has always written them
    "model", "dim", "chunker", "analyzer", "built_at", "source_dir", "documents", "chunks",
    "embedded_chunks", "files", "format", "generation", "file_sizes", "checksums",
)  # fmt: skip


@dataclass(frozen=True)
class FileEntry:
    """What the build recorded of one source file, to tell later whether it changed."""

    hash: str
    size: int
    mtime_ns: int | None = None

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> FileEntry:
        """The entry as stored in `manifest.json`."""
        return cls(record["hash"], record["size"], record.get("mtime_ns"))

    def to_dict(self) -> dict[str, Any]:
        """The entry as stored in `manifest.json`."""
        record: dict[str, Any] = {"hash": self.hash, "size": self.size}
        if self.mtime_ns is not None:
            record["mtime_ns"] = self.mtime_ns
        return record


@dataclass(frozen=True)
class Manifest:
    """One committed build: model, settings, counts and per-file records, then (once saved)
    the format, the generation folder and its files' sizes and checksums.

    Field names are the JSON keys; `generation`, `file_sizes` and `checksums` are empty
    until the store commits the build.
    """

    model: str
    dim: int
    documents: int
    chunks: int
    chunker: dict[str, Any] = field(default_factory=dict)
    analyzer: dict[str, Any] = field(default_factory=dict)
    built_at: str = ""
    source_dir: str = ""
    embedded_chunks: int = 0
    files: dict[str, FileEntry] = field(default_factory=dict)
    format: int | None = None
    generation: str = ""
    file_sizes: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, dict[str, str]] | None = None  # None: an index from before checksums

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Manifest:
        """The manifest as parsed from `manifest.json`; unknown keys are ignored.

        Raises:
            ValueError: a required key (model, dim, documents, chunks) is missing.
        """
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        missing = [key for key in _REQUIRED if key not in record]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in record.items() if key in names}
        files = {source: FileEntry.from_dict(e) for source, e in record.get("files", {}).items()}
        return cls(**{**values, "files": files})

    def to_dict(self) -> dict[str, Any]:
        """The manifest as written to `manifest.json` (a None is absent)."""
        values = {key: getattr(self, key) for key in _ORDER}
        record = {key: value for key, value in values.items() if value is not None}
        record["files"] = {source: entry.to_dict() for source, entry in self.files.items()}
        return record

    def replace(self, **changes: Any) -> Manifest:
        """A copy with `changes` applied."""
        return dataclasses.replace(self, **changes)

    def check(self, format_version: int, model: str | None, place: str, remedy: str) -> None:
        """Raise `IndexMismatchError` unless this manifest's index has `format_version` and
        (unless `model` is None) was built with `model`; messages name the index's `place`
        and, for another model, end with `remedy`."""
        from ..errors import IndexMismatchError

        if self.format != format_version:
            raise IndexMismatchError(
                f"the index in {place} has format {self.format}, this version "
                f"reads format {format_version}: run `rag build --rebuild`"
            )
        if model is not None and self.model != model:
            raise IndexMismatchError(
                f"the index in {place} was built with the embedding model "
                f"{self.model!r}, not {model!r}: {remedy}"
            )
