"""Process-wide state, which belongs to the application and not to the library.

The command line (`rag ...`, and so `python app.py`) and `rag.web.server.serve` call these at
their start; the rest of the package never sets environment variables, logger levels or
thread counts, so a program that imports `rag` keeps its own (and may call these too).
"""

from __future__ import annotations

import logging
import os

ENVIRONMENT = {
    "HF_HUB_DISABLE_TELEMETRY": "1",  # no usage reports to the Hugging Face hub
    "GRADIO_ANALYTICS_ENABLED": "False",  # read when gradio is imported
    # transformers' "Loading weights" bar on every start (it follows the hub's setting)
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    # Gradio's queue summarises its last 10,000 events with pandas after every event, for a
    # monitoring page the chat does not serve: 3 ms of CPU per question with 100 events
    # recorded, 15 ms with 10,000; this computes it once in a billion events instead.
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000000000",  # read when the chat's queue is made
}
"""Defaults for variables that third-party libraries read; a value already set wins."""

LOGGER_LEVELS = {
    "sentence_transformers": logging.WARNING,
    "bm25s": logging.WARNING,
    "trafilatura": logging.CRITICAL,  # a page it cannot read is skipped with a reason
    "pypdf": logging.CRITICAL,  # so is a damaged PDF
    # pymilvus logs every failed call before raising it; rag says what failed in one line
    "pymilvus": logging.CRITICAL,
    "pymilvus.milvus_client": logging.CRITICAL,
}
"""Third-party loggers that would otherwise narrate normal work."""

SEARCH_THREADS = 1
"""OpenMP threads for FAISS while answering: one query's search on one thread, since extra
threads spin and wait on a busy machine (benchmarks/run.py: 100k chunks, exact, 17 ms on one
thread, 52 ms on two)."""


_configured = False


def configure() -> None:
    """Set the `ENVIRONMENT` defaults and the `LOGGER_LEVELS`; call before importing gradio."""
    global _configured
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    for name, level in LOGGER_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    _configured = True


def reapply_logger_levels() -> None:
    """Set the `LOGGER_LEVELS` again if the application chose them (`configure`): for the
    library to call after importing a package that configures its own loggers (pymilvus)."""
    if _configured:
        for name, level in LOGGER_LEVELS.items():
            logging.getLogger(name).setLevel(level)


def faiss_threads(count: int | None = SEARCH_THREADS) -> None:
    """Set FAISS's OpenMP thread count: `SEARCH_THREADS` to answer, or None for every core,
    which training an approximate index (over `rag.index.vectors.EXACT_LIMIT` chunks) wants."""
    import faiss

    faiss.omp_set_num_threads(count or os.cpu_count() or 1)
