"""Ask questions of a folder of articles; every answer cites the passages it rests on.

    import rag
    rag.build_index("seeds", "index")          # embed new and changed articles
    answer = rag.answer("Why did NATO refuse a no-fly zone?")
    print(answer.text)                         # sentences with [n] markers
    for c in answer.citations:
        print(c.number, c.source, c.quote)

`rag.load_index("index")` keeps the model and index loaded for many questions.
Heavy libraries (torch, faiss) load on first use, so `import rag` is quick.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .errors import RagError
from .types import Answer, BuildReport, Chunk, Citation, Passage

if TYPE_CHECKING:
    from .pipeline import Assistant, answer, build_index, load_index

try:
    __version__ = version("rag-articles")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "Answer",
    "Assistant",
    "BuildReport",
    "Chunk",
    "Citation",
    "Passage",
    "RagError",
    "__version__",
    "answer",
    "build_index",
    "load_index",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {"answer", "build_index", "load_index", "Assistant"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
