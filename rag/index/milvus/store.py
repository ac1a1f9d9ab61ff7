"""The Milvus store: the index in a Milvus server or a Milvus Lite file (`*.db`), through
`pymilvus.MilvusClient` only. See `schema.py` for its collections and ids, `update.py` for
how a build changes it.

The head collection's state row is the commit point: {generation, revision, next_doc,
retired}. Readers see documents with ids below `next_doc`, except the `retired` ones; a build
writes new documents from `next_doc` on, and commits by writing the manifest, then the state.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from ...errors import IndexBusyError, IndexNotFoundError
from ..manifest import Manifest
from .client import Connection
from .reader import MilvusIndex, Visible
from .schema import FORMAT_VERSION, LOCK, MANIFEST_SHIFT, STATE, create_head, pieces

LOCK_HOURS = 6.0
"""A build lock held longer than this by another machine is taken to be abandoned."""


class MilvusStore:
    """An index in the collection family `collection` of the Milvus at `uri`."""

    def __init__(self, uri: str, collection: str) -> None:
        self.conn = Connection(uri)
        self.collection = collection

    @property
    def location(self) -> str:
        """The URI without credentials, and the collection."""
        return f"{self.conn.shown}#{self.collection}"

    def close(self) -> None:
        """Disconnect (and let another process open a Milvus Lite file)."""
        self.conn.close()

    def state(self) -> dict[str, Any] | None:
        """The committed state row, or None if nothing was committed."""
        return self._head_row(STATE)

    def committed(self) -> Manifest | None:
        """The committed manifest, or None if nothing was ever built here."""
        return self._committed()[0]

    def revision(self) -> Hashable:
        """(generation, revision) of the committed state: one small read."""
        state = self.state()
        return None if state is None else (state["generation"], state["revision"])

    def check(self, manifest: Manifest, model: str | None) -> None:
        """Refuse an index of another layout, or one built with another model than `model`."""
        remedy = "run `rag build --rebuild`, or name another collection (RAG_STORE_COLLECTION)"
        manifest.check(FORMAT_VERSION, model, self.location, remedy)

    def open(self, model: str | None = None) -> tuple[Manifest, MilvusIndex]:
        """The committed index, its format and model checked."""
        manifest, state = self._committed()
        if manifest is None or state is None:
            others = [
                name for name in self.conn.call("list_collections")
                if name.startswith("rag_") and "__g" not in name and name != self.collection
            ]  # fmt: skip
            aside = (
                f" (it holds {', '.join(sorted(others))}: another model or chunker settings, "
                "which RAG_STORE_COLLECTION can name)"
                if others
                else ""
            )
            raise IndexNotFoundError(self.location, aside)
        self.check(manifest, model)
        return manifest, self.index(state, manifest)

    def index(self, state: dict[str, Any], manifest: Manifest) -> MilvusIndex:
        """The reader of the committed `state` and its `manifest`."""
        visible = Visible(state["next_doc"], tuple(state["retired"]))
        counts = (manifest.chunks, manifest.dim)
        return MilvusIndex(self.conn, state["generation"], visible, counts, self.location)

    def damage(self, manifest: Manifest, *, full: bool = False) -> str:
        """What is wrong with the stored rows ('' if nothing): rows counted against the
        manifest (`full` changes nothing: counting is the whole check)."""
        state = self.state()
        if state is None or state["generation"] != manifest.generation:
            return "the committed state does not match the manifest"
        names = {row for row in self.conn.call("list_collections")}
        for kind in ("chunks", "sentences", "documents"):
            if f"{state['generation']}_{kind}" not in names:
                return f"the collection {state['generation']}_{kind} is missing"
        index = self.index(state, manifest)
        counted = [
            (index.count(f"{state['generation']}_chunks"), manifest.chunks, "chunks"),
            (index.count(f"{state['generation']}_documents", "piece == 0"), manifest.documents,
             "documents"),
        ]  # fmt: skip
        for found, expected, what in counted:
            if found != expected:
                return f"{found} {what} stored, the manifest says {expected}"
        return ""

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        create_head(self.conn, self.collection)
        holder = {"host": socket.gethostname(), "pid": os.getpid(), "id": uuid.uuid4().hex}
        held = self._head_row(LOCK)
        if held is not None and not _abandoned(held):
            raise IndexBusyError(
                f"another build is writing {self.location} (process {held['pid']} on "
                f"{held['host']}): wait for it to finish"
            )
        self._write_head(LOCK, {**holder, "since": time.time()})
        try:
            yield
        finally:
            current = self._head_row(LOCK)
            if current is not None and current.get("id") == holder["id"]:
                self.conn.call("delete", self.collection, ids=[LOCK])

    def lock(self) -> AbstractContextManager[None]:
        """Hold the build lock: a row in the head collection naming the holder. On a server
        it is advisory (Milvus has no compare-and-set: two builds starting in the same
        instant may both proceed); a holder whose process is gone (same machine), or that
        has held it over `LOCK_HOURS` (another machine), is taken to be abandoned. A Milvus
        Lite file is open in one process at a time anyway."""
        return self._lock()

    def update(self, base: Manifest | None) -> Any:
        """Changes on top of the committed build `base` (None: a new generation, swapped in
        at commit)."""
        from .update import MilvusUpdate

        create_head(self.conn, self.collection)
        return MilvusUpdate.start(self, None if base is None else self.state(), base)

    def touch(self, manifest: Manifest) -> None:
        """Commit `manifest` for the same rows."""
        state = self.state()
        assert state is not None, "touch follows a committed build"
        self.commit_state(state, manifest)

    def commit_state(self, state: dict[str, Any], manifest: Manifest) -> dict[str, Any]:
        """Write `manifest` as the next revision, then `state` pointing at it (the commit
        point); the previous revision's manifest is then removed. The state as committed."""
        previous = self.state()
        revision = (previous["revision"] if previous else 0) + 1
        text = json.dumps(manifest.to_dict(), ensure_ascii=False)
        rows = [
            {"id": revision << MANIFEST_SHIFT | n, "body": piece, "dot": [0.0, 0.0]}
            for n, piece in enumerate(pieces(text))
        ]
        self.conn.call("upsert", self.collection, rows)
        committed = {**state, "revision": revision}
        self._write_head(STATE, committed)
        if previous is not None:
            old = previous["revision"]
            self.conn.call(
                "delete", self.collection,
                filter=f"id >= {old << MANIFEST_SHIFT} and id < {(old + 1) << MANIFEST_SHIFT}",
            )  # fmt: skip
        return committed

    def _committed(self) -> tuple[Manifest | None, dict[str, Any] | None]:
        for _ in range(3):  # a commit in between removes the manifest we were about to read
            state = self.state()
            if state is None:
                return None, None
            revision = state["revision"]
            rows = self.conn.call(
                "query", self.collection, output_fields=["body"],
                filter=f"id >= {revision << MANIFEST_SHIFT} and "
                f"id < {(revision + 1) << MANIFEST_SHIFT}",
            )  # fmt: skip
            if rows:
                text = "".join(r["body"] for r in sorted(rows, key=lambda r: r["id"]))
                return Manifest.from_dict(json.loads(text)), state
        return None, None

    def _head_row(self, row: int) -> dict[str, Any] | None:
        if not self.conn.call("has_collection", self.collection):
            return None
        rows = self.conn.call("get", self.collection, ids=[row], output_fields=["body"])
        return json.loads(rows[0]["body"]) if rows else None

    def _write_head(self, row: int, value: dict[str, Any]) -> None:
        body = json.dumps(value)
        self.conn.call("upsert", self.collection, [{"id": row, "body": body, "dot": [0.0, 0.0]}])


def _abandoned(held: dict[str, Any]) -> bool:
    """Whether the lock `held` belongs to no live build."""
    if held.get("host") == socket.gethostname():
        try:
            os.kill(int(held["pid"]), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return time.time() - float(held.get("since", 0)) > LOCK_HOURS * 3600
