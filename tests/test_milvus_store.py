"""The Milvus store (Milvus Lite) as a user meets it: the same answers as the folder index,
builds that write only what changed, a full rebuild swapped in whole, and one-line errors.

The store's contract (search, fetch, updates, lock) is in test_store_contract.py.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from conftest import DATA, SEEDS, read_jsonl, run_cli

import rag
from rag.config import Settings
from rag.errors import RagError, StoreUnavailableError
from rag.index import open_store

pytestmark = [  # an engine started per test: the slow tier
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("pymilvus") is None, reason='needs the milvus extra: ".[milvus]"'
    ),
]
QUESTIONS = [
    read_jsonl(DATA / name) for name in ("seed_questions.jsonl", "paraphrases.jsonl",
                                         "paraphrases_blind.jsonl")
]  # fmt: skip


def _close(store: object) -> None:
    close = getattr(store, "close", None)
    if close:
        close()


@pytest.fixture(scope="module")
def milvus_assistant(tmp_path_factory: pytest.TempPathFactory, embedder):
    """The bundled articles built into a Milvus Lite file, and loaded from it."""
    uri = str(tmp_path_factory.mktemp("milvus") / "seeds.db")
    report = rag.build_index(SEEDS, store=uri)
    assert report.index_dir.startswith(uri) and report.chunks > 0
    assistant = rag.load_index(store=uri)
    yield assistant
    _close(assistant.store)


@pytest.mark.parametrize(
    "question", [q for group in QUESTIONS for q in group], ids=lambda q: q["id"]
)
def test_milvus_lite_answers_as_the_folder_index_does(assistant, milvus_assistant, question):
    """Seed questions and paraphrases: the same answer, sources and quotes from both stores."""
    folder, milvus = assistant.ask(question["question"]), milvus_assistant.ask(question["question"])
    assert (milvus.found, milvus.text) == (folder.found, folder.text), question["question"]
    assert [(c.source, c.quote, c.start, c.end) for c in milvus.citations] == [
        (c.source, c.quote, c.start, c.end) for c in folder.citations
    ]


def test_a_build_writes_only_the_changed_articles_and_a_rebuild_swaps_generations(
    tmp_path: Path, embedder
) -> None:
    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    uri = str(tmp_path / "store.db")
    first = rag.build_index(source, store=uri)
    names = sorted(path.name for path in source.iterdir())
    changed = source / names[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA new closing line.\n")
    again = rag.build_index(source, store=uri)
    assert (again.changed, again.unchanged, again.added) == (1, len(names) - 1, 0)
    assert 0 < again.embedded_chunks < first.chunks, "only the changed article is embedded"
    store = open_store(uri, Settings())
    try:
        generation = store.committed().generation  # type: ignore[union-attr]
        (source / names[1]).unlink()
        removed = rag.build_index(source, store=uri)
        assert (removed.removed, removed.embedded_chunks) == (1, 0)
        _, index = store.open()
        assert [index.document(d).source for d in index.document_ids()] == [names[0]]
        rebuilt = rag.build_index(source, store=uri, rebuild=True)
        manifest = store.committed()
        assert manifest is not None and manifest.generation != generation
        assert rebuilt.chunks == manifest.chunks == store.open()[1].chunk_count
    finally:
        _close(store)


def test_the_cli_builds_asks_and_checks_a_milvus_lite_store(tmp_path: Path) -> None:
    uri = str(tmp_path / "cli.db")
    built = run_cli("build", "--store", uri, "-q")
    assert built.returncode == 0, built.stderr
    assert f"chunks in {uri}#" in built.stdout and not built.stderr.strip()
    asked = run_cli("ask", "Why did NATO not close the airspace?", "--store", uri, "--json")
    assert asked.returncode == 0 and '"found": true' in asked.stdout, asked.stderr
    doctor = run_cli("doctor", "--store", uri, env={"RAG_STORE_URI": uri})
    assert "ok  index loads and is intact" in doctor.stdout, doctor.stdout


def test_an_unreachable_server_is_one_line_naming_the_uri_but_never_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAG_STORE_TOKEN", "s3cret-token")
    store = open_store("http://127.0.0.1:9/", Settings())
    with pytest.raises(StoreUnavailableError) as caught:
        store.committed()
    message = str(caught.value)
    assert "http://127.0.0.1:9/" in message and "s3cret" not in message
    assert "\n" not in message


def test_without_the_extra_asking_for_milvus_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if it were not installed
    with pytest.raises(RagError, match=r'pip install "\.\[milvus\]"'):
        open_store(str(tmp_path / "x.db"), Settings()).committed()
    result = run_cli("ask", "anything", "--store", str(tmp_path / "x.db"),
                     env={"PYTHONPATH": str(_hide_pymilvus(tmp_path))})  # fmt: skip
    assert result.returncode == 1 and "pip install" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _hide_pymilvus(tmp_path: Path) -> Path:
    """A folder that, first on the path, makes `import pymilvus` fail."""
    folder = tmp_path / "no-pymilvus"
    (folder / "pymilvus").mkdir(parents=True)
    (folder / "pymilvus" / "__init__.py").write_text("raise ImportError('hidden by a test')\n")
    return folder


def _engine(uri: str):
    """Milvus Lite's engine process for the file `uri`."""
    from milvus_lite.server_manager import server_manager_instance

    return server_manager_instance._servers[str(Path(uri).resolve())]._p


def _stored_rows(store, kind: str) -> int:
    """Rows in the committed generation's `kind` collection, visible or not."""
    name = f"{store.committed().generation}_{kind}"
    return store.conn.call("query", name, filter="id >= 0", output_fields=["count(*)"])[0][
        "count(*)"
    ]


def test_a_build_killed_with_the_engine_is_completed_by_the_next_one(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.index.milvus.update import MilvusUpdate

    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    uri = str(tmp_path / "killed.db")
    rag.build_index(source, store=uri)
    for path in source.iterdir():
        path.write_text(path.read_text(encoding="utf-8") + "\n\nChanged.\n", encoding="utf-8")
    put = MilvusUpdate.put

    def put_then_die(self: MilvusUpdate, part) -> None:
        put(self, part)
        self._flush()
        _engine(uri).kill()  # the engine dies with half the build written

    monkeypatch.setattr(MilvusUpdate, "put", put_then_die)
    with pytest.raises(StoreUnavailableError) as caught:
        rag.build_index(source, store=uri)
    assert uri in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.setattr(MilvusUpdate, "put", put)
    report = rag.build_index(source, store=uri)
    assert report.changed == len(list(source.iterdir()))
    store = open_store(uri, Settings())
    try:
        manifest, _ = store.open()
        assert not store.damage(manifest)
        assert _stored_rows(store, "chunks") == manifest.chunks, "no row of the killed build"
    finally:
        _close(store)


def test_a_question_while_the_engine_is_killed_fails_in_one_line_and_the_next_is_answered(
    tmp_path: Path, embedder
) -> None:
    uri = str(tmp_path / "query.db")
    rag.build_index(SEEDS, store=uri)
    assistant = rag.load_index(store=uri)
    question = QUESTIONS[0][0]["question"]
    try:
        before = assistant.ask(question)
        _engine(uri).kill()
        _engine(uri).wait()
        with pytest.raises(StoreUnavailableError) as caught:
            assistant.ask(question)
        assert uri in str(caught.value) and "\n" not in str(caught.value)
        assert assistant.ask(question).text == before.text, "a new engine serves the file"
    finally:
        _close(assistant.store)


def test_the_chat_serves_a_milvus_store_and_says_so_while_its_engine_is_down(
    tmp_path: Path, embedder
) -> None:
    pytest.importorskip("gradio")
    from rag.web.library import Library
    from rag.web.problems import user_message

    uri = str(tmp_path / "chat.db")
    library = Library(SEEDS, tmp_path / "no-index-folder", store=uri)
    try:
        library.refresh()
        question = QUESTIONS[0][0]["question"]
        before = library.assistant.ask(question)
        _engine(uri).kill()
        _engine(uri).wait()
        with pytest.raises(StoreUnavailableError) as caught:
            library.assistant.ask(question)
        assert uri in user_message(caught.value) and "\n" not in user_message(caught.value)
        assert library.assistant.ask(question).text == before.text
        assert not (tmp_path / "no-index-folder").exists(), "the folder store is not used"
    finally:
        _close(library.assistant.store)


def test_a_collection_of_another_model_is_named_when_ours_is_missing(tmp_path: Path) -> None:
    from test_store_contract import _build

    from rag.errors import IndexMismatchError, IndexNotFoundError

    uri = str(tmp_path / "models.db")
    built = open_store(uri, Settings(embed_model="other-model"))
    try:
        _build(built, "bees.txt")  # a manifest of "test-model", in other-model's collection
        ours = open_store(uri, Settings())
        with pytest.raises(IndexNotFoundError, match=f"it holds {built.collection}"):  # type: ignore[attr-defined]
            ours.open()
        named = open_store(uri, Settings(store_collection=built.collection))  # type: ignore[attr-defined]
        with pytest.raises(IndexMismatchError, match=f"{uri}#.*test-model.*RAG_STORE_COLLECTION"):
            named.open(Settings().embed_model)
    finally:
        _close(built)
