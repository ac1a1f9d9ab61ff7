"""Answer latency with a loaded index (argv: index, queries.json): JSON of per-query timings."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import rag
from rag import retrieval, runtime
from rag.index import open_store

runtime.faiss_threads()  # as `rag ask` and the chat search: one thread
assistant = rag.load_index(sys.argv[1])
_, data = open_store(sys.argv[1]).open()  # the same index files, for its parts alone
queries = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
settings = assistant.settings
depth = settings.candidates
assistant.ask(queries[0])  # first use: lazy imports and caches
timings = []
for text in queries:
    began = time.perf_counter()
    answer = assistant.ask(text)
    total = time.perf_counter() - began
    t0 = time.perf_counter()
    vector = assistant.embed(text)
    t1 = time.perf_counter()
    data.dense_search(vector, depth)
    t2 = time.perf_counter()
    data.lexical_search(text, depth)
    t3 = time.perf_counter()
    retrieval.search(data, text, vector, settings, settings.top_k)
    t4 = time.perf_counter()
    timings.append(
        {
            "total": total,
            "embed": t1 - t0,
            "dense": t2 - t1,
            "lexical": t3 - t2,
            "fusion": max(0.0, (t4 - t3) - (t2 - t1) - (t3 - t2)),
            "found": answer.found,
        }
    )
for t in timings:
    t["compose"] = max(0.0, t["total"] - t["embed"] - t["dense"] - t["lexical"] - t["fusion"])
print(json.dumps(timings))
