"""Copy a folder index into another store, vectors and all, without embedding again:
`python benchmarks/copy_index.py FOLDER TARGET` (TARGET a `.db` file or a Milvus URI).

Used to compare the Milvus store with the folder index on the very same vectors (SciFact
takes 40 minutes to embed on 2 busy cores): copy the folder index into a `.db`, then
`rag eval --beir DIR --store FILE.db` finds every article indexed and embeds nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rag.config import Settings
from rag.index import FolderStore, open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the index folder to copy")
    parser.add_argument("target", help="where to copy it (its own index is replaced)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    manifest, index = FolderStore(Path(args.source)).open()
    vectors = index.all_chunk_vectors()
    target = open_store(args.target, Settings.from_env(embed_model=manifest.model))
    with target.lock():
        update = target.update(None)
        for doc in index.document_ids():
            update.put(index.part(doc, vectors))
        committed = update.commit(manifest)
    seconds = time.perf_counter() - began
    print(f"copied {committed.documents} articles, {committed.chunks} chunks to "
          f"{target.location} in {seconds:.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
