"""The index the chat answers from: loaded once, shared by every request, swapped when rebuilt."""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RagError

if TYPE_CHECKING:
    from ..assistant import Assistant
    from ..indexer import ProgressFactory
    from ..types import BuildReport

log = logging.getLogger(__name__)


class Library:
    """One loaded `Assistant` for the whole server.

    Requests read `assistant` once and use that object to the end, so a re-index never
    changes the index under a question being answered: the new one is loaded first, then
    swapped in by a single assignment. A build committed by another process (`rag build`)
    is picked up by the next request: a request compares the store's revision (for a
    folder, the manifest file's identity) and reads the manifest only when that changed.
    """

    def __init__(
        self, source_dir: str | Path, index_dir: str | Path, store: str | None = None
    ) -> None:
        self.source_dir = Path(source_dir)
        self.index_dir = Path(index_dir)
        self.store = store  # a Milvus store instead of the folder (None: RAG_STORE_URI)
        self._assistant: Assistant | None = None
        self._seen: Hashable = None  # the store revision `_assistant` matches
        self._swap = threading.Lock()

    @property
    def assistant(self) -> Assistant:
        """The current index; reloaded first if a newer build has been committed."""
        current = self._assistant
        if current is None:
            raise RagError("the index is not loaded yet: call Library.refresh() first")
        seen = current.store.revision()
        if seen is not None and seen == self._seen:
            return current
        if current.is_current():
            self._seen = seen
            return current
        with self._swap:
            if self._assistant is current:
                try:
                    self._load()
                except RagError as error:  # e.g. the index folder was deleted: keep serving
                    log.warning("keeping the loaded index: %s", error)
            # _load set a new one, or failed and left `current`
            return current if self._assistant is None else self._assistant

    def refresh(self, progress: ProgressFactory | None = None) -> BuildReport:
        """Bring the index up to date with the source folder (embedding only what changed)
        and load it if it changed or was not loaded yet.

        Raises:
            RagError: the build failed (the index loaded before stays in use).
        """
        from ..pipeline import build_index

        report = build_index(self.source_dir, self.index_dir, progress=progress, store=self.store)
        with self._swap:
            if self._assistant is None or not self._assistant.is_current():
                self._load()
        return report

    def _load(self) -> None:
        from ..pipeline import load_index

        self._assistant = load_index(self.index_dir, store=self.store)
