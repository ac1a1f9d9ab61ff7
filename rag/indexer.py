"""Build or refresh the index: embed only new and changed articles, keep the rest as they were."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np

from .chunking import Budget, ChunkedText, chunk_text, tiktoken_counter
from .config import Settings
from .embedding import ChunkToEmbed, Embedder
from .errors import EmptyCorpusError, RagError
from .index import DocumentPart, DocumentRows, FileEntry, Manifest, Store, open_store
from .lexical import ANALYZER
from .loaders import SkipFile, content_hash, load_document
from .sources import SourceFile, scan
from .types import BuildReport, Document, SkippedFile


class ProgressBar(Protocol):
    """What a build reports its embedding progress to (a tqdm bar fits)."""

    def update(self, n: int) -> object: ...
    def close(self) -> object: ...


ProgressFactory = Callable[[int], ProgressBar]
"""Makes a progress bar for a given total number of chunks to embed."""


@dataclass
class Plan:
    """What the build found: articles to keep as indexed, articles to embed, and the rest."""

    kept: dict[str, FileEntry] = field(default_factory=dict)  # source -> manifest entry
    touched: bool = False  # a kept file's mtime changed, though not its content
    fresh: list[tuple[Document, SourceFile]] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: ProgressFactory | None = None,
    embedder: Embedder | Callable[[], Embedder] | None = None,
    store: Store | None = None,
) -> BuildReport:
    """Bring the index in `store` (default: `settings.location`) up to date with
    `settings.source_dir`: only new and changed articles are embedded and written.

    `embedder` (or the function that makes it, called only if something needs embedding)
    defaults to the settings' model.

    Raises:
        RagError: the source folder is missing or holds no readable article, the index was
            built with another model, or another build is running.
    """
    began = time.perf_counter()
    source_dir = Path(settings.source_dir)
    store = store or open_store(settings.location, settings)
    if not source_dir.is_dir():
        raise RagError(f"no source folder {source_dir}/: create it and put articles in it")
    with store.lock():
        old = None if rebuild else store.committed()
        if old is not None:
            store.check(old, settings.embed_model)
            if not _reusable(old, store, settings):
                old = None  # everything is embedded again
        plan = _plan(source_dir, old, settings)
        documents = len(plan.kept) + len(plan.fresh)
        if documents == 0:
            raise EmptyCorpusError(
                f"no article to index in {source_dir}/ ({len(plan.skipped)} files skipped): "
                "add .txt, .md, .html or .pdf files"
            )
        report = partial(
            BuildReport, index_dir=store.location, documents=documents, skipped=plan.skipped,
            added=len(plan.added), changed=len(plan.changed), removed=len(plan.removed),
            unchanged=len(plan.kept),
        )  # fmt: skip
        if old is not None and not (plan.added or plan.changed or plan.removed):
            if plan.touched:  # so that the next build need not read those files again
                store.touch(old.replace(files=plan.kept))
            return report(chunks=old.chunks, seconds=time.perf_counter() - began)
        update = store.update(old)
        for source in plan.removed:
            update.delete(source)
        embedded = 0
        if plan.fresh:
            parts = _embed(plan.fresh, _embedder(embedder, settings), settings, progress)
            for part in parts:
                update.put(part)
            embedded = sum(len(part.rows) for part in parts)
        committed = update.commit(_manifest(settings, plan, embedded))
        return report(
            chunks=committed.chunks, embedded_chunks=embedded, seconds=time.perf_counter() - began
        )


def _embedder(embedder: Embedder | Callable[[], Embedder] | None, settings: Settings) -> Embedder:
    if isinstance(embedder, Embedder):
        return embedder
    return embedder() if embedder else Embedder(settings.embed_model, settings.batch_size)


def _reusable(old: Manifest, store: Store, settings: Settings) -> bool:
    """Whether the old index's chunks and files can be kept for articles that did not change."""
    same_chunks = old.chunker == settings.chunker_settings() and old.analyzer == ANALYZER
    return same_chunks and not store.damage(old)


def pending_changes(settings: Settings) -> Plan:
    """What `build_index` would do now, without embedding or writing anything."""
    old = open_store(settings.location, settings).committed()
    return _plan(Path(settings.source_dir), old, settings)


def _plan(source_dir: Path, old: Manifest | None, settings: Settings) -> Plan:
    """Sort each file into kept, fresh (new or changed) or skipped, reading only what changed."""
    files, skipped = scan(source_dir)
    indexed = old.files if old else {}
    plan = Plan(skipped=list(skipped))
    limit = int(settings.max_file_mb * 1024 * 1024)
    for file in files:
        before = indexed.get(file.source)
        if before and (before.size, before.mtime_ns) == (file.size, file.mtime_ns):
            plan.kept[file.source] = before
            continue
        if file.size > limit:
            plan.skipped.append(SkippedFile(file.source, _too_large(file.size, settings)))
            continue
        try:
            data = file.path.read_bytes()
        except OSError as error:
            plan.skipped.append(SkippedFile(file.source, f"cannot read it ({error.strerror})"))
            continue
        if before and before.hash == content_hash(data):
            plan.kept[file.source] = dataclasses.replace(before, mtime_ns=file.mtime_ns)
            plan.touched = True
            continue
        try:
            plan.fresh.append((load_document(file.source, data), file))
        except SkipFile as reason:
            plan.skipped.append(SkippedFile(file.source, str(reason)))
            continue
        (plan.added if before is None else plan.changed).append(file.source)
    present = set(plan.kept) | {doc.source for doc, _ in plan.fresh}
    plan.removed = [source for source in indexed if source not in present]
    return plan


def _too_large(size: int, settings: Settings) -> str:
    return (
        f"too large ({size / 2**20:.1f} MB, the limit is {settings.max_file_mb:g} MB): "
        "raise it with --max-file-mb or RAG_MAX_FILE_MB"
    )


def _embed(
    fresh: list[tuple[Document, SourceFile]],
    embedder: Embedder,
    settings: Settings,
    progress: ProgressFactory | None,
) -> list[DocumentPart]:
    budgets = [
        Budget(tiktoken_counter(settings.encoding), settings.chunk_tokens),
        embedder.budget,
    ]
    # The model loads (seconds of imports) in a thread while this one chunks.
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(embedder.preload)
        chunked = [(doc, chunk_text(doc.text, budgets, settings.chunk_overlap)) for doc, _ in fresh]
        loading.result()
    jobs = [_chunks_to_embed(doc, cut) for doc, cut in chunked]
    flat = [job for doc_jobs in jobs for job in doc_jobs]
    bar = progress(len(flat)) if progress else None
    try:
        vectors, sentence_parts = embedder.embed_chunks(flat, bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    embedder.prepare_query_backend()  # while torch is loaded, so that questions need none
    parts, row = [], 0
    for (doc, cut), doc_jobs in zip(chunked, jobs):
        stop = row + len(doc_jobs)
        parts.append(_part(doc, cut, vectors[row:stop], sentence_parts[row:stop], embedder.dim))
        row = stop
    return parts


def _chunks_to_embed(doc: Document, cut: ChunkedText) -> list[ChunkToEmbed]:
    jobs = []
    for n, (first, stop) in enumerate(cut.chunks):
        start, end = cut.chunk_span(n)
        spans = [(a - start, b - start) for a, b in cut.segments[first:stop]]
        jobs.append(ChunkToEmbed(doc.text[start:end], spans))
    return jobs


def _part(
    doc: Document,
    cut: ChunkedText,
    vectors: np.ndarray,
    sentence_parts: list[np.ndarray],
    dim: int,
) -> DocumentPart:
    """Rows for one article; a sentence shared by overlapping chunks gets their mean vector."""
    sums = np.zeros((len(cut.segments), dim), dtype=np.float32)
    counts = np.zeros(len(cut.segments), dtype=np.float32)
    for (first, stop), part in zip(cut.chunks, sentence_parts):
        sums[first:stop] += part
        counts[first:stop] += 1
    means = sums / np.maximum(counts, 1)[:, None]
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    spans = [cut.chunk_span(n) for n in range(len(cut.chunks))]
    return DocumentPart(doc, DocumentRows.build(spans, cut.chunks, cut.segments), vectors, means)


def _manifest(settings: Settings, plan: Plan, embedded: int) -> Manifest:
    """The new build's manifest; the store fills in the counts and dimension on commit."""
    files = dict(plan.kept)
    for doc, file in plan.fresh:
        files[doc.source] = FileEntry(doc.content_hash, file.size, file.mtime_ns)
    return Manifest(
        model=settings.embed_model,
        dim=0,
        chunker=settings.chunker_settings(),
        analyzer=ANALYZER,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        source_dir=str(Path(settings.source_dir).resolve()),
        documents=0,
        chunks=0,
        embedded_chunks=embedded,
        files=dict(sorted(files.items())),
    )
