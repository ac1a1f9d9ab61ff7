"""Library code leaves process-wide state to the application (issue 15): only the entry points
set environment variables, logger levels or thread counts."""

from __future__ import annotations

import os
import re

from conftest import ROOT

# The application's edges: the command line, the server's `serve`, and rag.runtime they call.
EDGES = {"rag/cli.py", "rag/runtime.py", "rag/web/server.py"}
SETTERS = re.compile(
    r"os\.environ\[[^]]+\]\s*=|os\.environ\.(setdefault|update|pop)\(|os\.putenv\(|"
    r"\.setLevel\(|logging\.basicConfig\(|omp_set_num_threads\(|set_num_threads\(|"
    r"disable_progress_bar\(|set_default_logger_severity\("
)
# Changes undone before the function returns (transformers' verbosity while tracing, logging
# muffled while quantizing) leave nothing behind and are not matched.


def test_library_modules_set_no_process_state():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "rag").rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in EDGES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SETTERS.search(line)
    ]
    assert not found, "process-wide state set in library code:\n" + "\n".join(found)


def test_the_application_sets_offline_defaults_and_leaves_the_users_values(monkeypatch):
    from rag import runtime

    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "0")
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    runtime.configure()
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False", "a default where nothing was set"
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] == "0", "the user's value wins"


def test_faiss_searches_on_one_thread_and_builds_on_every_core():
    import faiss

    from rag import runtime

    before = faiss.omp_get_max_threads()
    try:
        runtime.faiss_threads()
        assert faiss.omp_get_max_threads() == runtime.SEARCH_THREADS
        runtime.faiss_threads(None)
        assert faiss.omp_get_max_threads() == (os.cpu_count() or 1)
    finally:
        faiss.omp_set_num_threads(before)
