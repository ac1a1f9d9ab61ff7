"""One build's changes to a Milvus store, O(what changed).

A put writes the document's rows at once, under a new document id (from the committed
`next_doc` on), which readers do not see; replacing or deleting a document only marks its
old id retired. The commit writes the manifest, then the state row (new `next_doc`, the
retired ids): from that one write on, readers see the new documents and not the retired
ones, whose rows are then deleted. A build that dies leaves rows no state points to; the next
build deletes them first (ids from `next_doc` on, and the last commit's retired ids), so a
re-run does the same work again.

Not atomic: the engine's BM25 statistics (document count, average length, term
frequencies) count a running build's rows, and retired rows until they are deleted, so a
reader's BM25 scores may shift a little meanwhile; its results never include them.
A reader that opened the previous revision loses the retired documents' rows once deleted
(`revision()` has changed by then, so the chat reopens the index at its next question).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data import DocumentPart
from ..manifest import Manifest
from .reader import first_row
from .schema import (
    FORMAT_VERSION,
    create_generation,
    drop_generation,
    generation_name,
    generation_number,
    lexical_text,
    pieces,
)

if TYPE_CHECKING:
    from .store import MilvusStore

BATCH = 1_000  # rows buffered before an insert


class MilvusUpdate:
    """A build's changes to `store`, in the generation `prefix`."""

    def __init__(
        self, store: MilvusStore, prefix: str, base: dict[str, Any] | None, dim: int | None
    ) -> None:
        self._store, self._conn, self._prefix = store, store.conn, prefix
        self._base = base  # the committed state this build changes (None: a new generation)
        self._next = base["next_doc"] if base else 0
        self._retired: set[int] = set()
        self._new: dict[str, int] = {}  # source -> the id this build gave it
        self._dim = dim
        self._buffers: dict[str, list[dict[str, Any]]] = {"chunks": [], "sentences": [],
                                                          "documents": []}  # fmt: skip
        if dim is not None:
            create_generation(self._conn, prefix, dim)

    @classmethod
    def start(
        cls, store: MilvusStore, state: dict[str, Any] | None, base: Manifest | None
    ) -> MilvusUpdate:
        """Changes on top of the committed `state` (None: into a new generation), after
        removing what a build that died left behind."""
        if state is None:
            taken = [
                generation_number(name.removesuffix("_chunks"))
                for name in store.conn.call("list_collections")
                if name.startswith(f"{store.collection}__g") and name.endswith("_chunks")
            ]
            prefix = generation_name(store.collection, max(taken, default=0) + 1)
            return cls(store, prefix, None, None)
        update = cls(store, state["generation"], state, base.dim if base else None)
        update._remove(f"doc >= {state['next_doc']}")  # rows of builds that died
        if state["retired"]:
            update._remove(f"doc in {list(state['retired'])}")  # the last commit's leftovers
        return update

    def put(self, part: DocumentPart) -> None:
        """Write a document's rows under a new id; its old version (if any) is retired."""
        source = part.document.source
        self.delete(source)
        if self._dim is None:
            self._dim = int(part.vectors.shape[1])
            create_generation(self._conn, self._prefix, self._dim)
        doc, self._next = self._next, self._next + 1
        self._new[source] = doc
        base = first_row(doc)
        chunks, sentences = part.rows.chunks, part.rows.sentences
        texts = part.rows.chunk_texts(part.document.text)
        for n, (start, end, first, stop) in enumerate(chunks.tolist()):
            self._add("chunks", {
                "id": base + n, "doc": doc, "start": start, "end": end, "first": base + first,
                "stop": base + stop, "lexical": lexical_text(texts[n]),
                "vector": np.asarray(part.vectors[n], np.float32),
            })  # fmt: skip
        for n, (start, end) in enumerate(sentences.tolist()):
            # float16 precision, as the folder store keeps them: the same cosines, answers
            vector = np.asarray(part.sentence_vectors[n], np.float16).astype(np.float32)
            self._add("sentences", {"id": base + n, "doc": doc, "start": start, "end": end,
                                    "vector": vector})  # fmt: skip
        record = json.dumps({
            "source": source, "title": part.document.title, "hash": part.document.content_hash,
            "page_starts": list(part.document.page_starts), "text": part.document.text,
        }, ensure_ascii=False)  # fmt: skip
        for n, piece in enumerate(pieces(record)):
            self._add("documents", {
                "id": base + n, "doc": doc, "piece": n, "source": source if n == 0 else "",
                "chunks": len(chunks), "sentences": len(sentences), "body": piece,
                "dot": [0.0, 0.0],
            })  # fmt: skip

    def delete(self, source: str) -> None:
        """Retire the committed document with this source; drop this build's own version."""
        if source in self._new:
            self._flush()
            self._remove(f"doc == {self._new.pop(source)}")
        committed = self._committed_id(source)
        if committed is not None:
            self._retired.add(committed)

    def commit(self, manifest: Manifest) -> Manifest:
        """Make the changes visible with `manifest` (counts, dimension and generation filled
        in), then delete the retired rows and, after a rebuild, the old generations."""
        assert self._dim is not None, "an update of an empty store puts documents first"
        self._flush()
        state = {"generation": self._prefix, "next_doc": self._next,
                 "retired": sorted(self._retired)}  # fmt: skip
        index = self._store.index({**state, "revision": 0}, manifest.replace(dim=self._dim))
        manifest = manifest.replace(
            dim=self._dim, format=FORMAT_VERSION, generation=self._prefix,
            documents=index.count(f"{self._prefix}_documents", "piece == 0"),
            chunks=index.count(f"{self._prefix}_chunks"),
        )  # fmt: skip
        previous = self._store.state()
        self._store.commit_state(state, manifest)
        if self._retired:
            self._remove(f"doc in {sorted(self._retired)}")
        if self._base is None:
            keep = {self._prefix, previous["generation"] if previous else ""}
            self._drop_generations_but(keep)
        return manifest

    def _committed_id(self, source: str) -> int | None:
        if self._base is None:
            return None
        retired = [*self._base["retired"], *self._retired]
        where = f"piece == 0 and source == {json.dumps(source)} and doc < {self._base['next_doc']}"
        if retired:
            where += f" and doc not in {retired}"
        rows = self._conn.call(
            "query", f"{self._prefix}_documents", filter=where, output_fields=["doc"], limit=1
        )
        return int(rows[0]["doc"]) if rows else None

    def _add(self, kind: str, row: dict[str, Any]) -> None:
        self._buffers[kind].append(row)
        if len(self._buffers[kind]) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        for kind, rows in self._buffers.items():
            if rows:
                self._conn.call("insert", f"{self._prefix}_{kind}", rows)
                rows.clear()

    def _remove(self, where: str) -> None:
        if self._dim is None and self._base is None:
            return
        for kind in ("chunks", "sentences", "documents"):
            self._conn.call("delete", f"{self._prefix}_{kind}", filter=where)

    def _drop_generations_but(self, keep: set[str]) -> None:
        names = self._conn.call("list_collections")
        prefixes = {
            name.removesuffix("_chunks") for name in names
            if name.startswith(f"{self._store.collection}__g") and name.endswith("_chunks")
        }  # fmt: skip
        for prefix in prefixes - keep:
            drop_generation(self._conn, prefix)
