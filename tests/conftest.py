"""Shared fixtures: the real model, a real index of the bundled articles, a CLI runner, and the
rule that citation markers and citations match."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rag import runtime

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# RAG_TEST_STORE=FILE.db runs the API tests' shared index (`seed_index`, `assistant`) on
# Milvus Lite instead of the folder: `RAG_TEST_STORE=/tmp/t.db pytest tests/test_llm.py`.
TEST_STORE = os.environ.get("RAG_TEST_STORE", "")
for _name in [name for name in os.environ if name.startswith("RAG_")]:
    del os.environ[_name]  # the tests set what they need; a user's settings must not leak in
if TEST_STORE:
    Path(TEST_STORE).unlink(missing_ok=True)
    os.environ["RAG_STORE_URI"] = TEST_STORE
runtime.configure()  # the test process is an application, like `rag` and the chat

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def read_jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m rag ARGS` in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def marker_problems(text: str, citation_numbers: list[int]) -> list[str]:
    """Every [n] must name a listed citation, and every citation must be used."""
    used = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    listed = set(citation_numbers)
    problems = []
    if used - listed:
        problems.append(f"markers without a citation: {sorted(used - listed)}")
    if listed - used:
        problems.append(f"citations never marked: {sorted(listed - used)}")
    if citation_numbers != list(range(1, len(citation_numbers) + 1)):
        problems.append(f"citations are not numbered 1..n: {citation_numbers}")
    return problems


@pytest.fixture(scope="session", autouse=True)
def _private_state(tmp_path_factory: pytest.TempPathFactory) -> None:
    """User state goes to temporary folders shared by the session, here and in the apps the
    tests start: the model exports (RAG_CACHE_DIR) and Gradio's uploads (GRADIO_TEMP_DIR)."""
    os.environ["RAG_CACHE_DIR"] = str(tmp_path_factory.mktemp("rag-cache"))
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio"))


@pytest.fixture(scope="session")
def embedder():
    """The bundled all-MiniLM-L6-v2, loaded once for the session."""
    from rag.config import Settings
    from rag.pipeline import _embedder

    return _embedder(Settings().embed_model, Settings())


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A real index of the bundled articles, built once for the session."""
    import rag

    index_dir = tmp_path_factory.mktemp("seed-index")
    rag.build_index(SEEDS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def assistant(seed_index: Path):
    import rag

    return rag.load_index(seed_index)
