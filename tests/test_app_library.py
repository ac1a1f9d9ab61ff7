"""The chat's shared index (one load for every request, swapped whole on a rebuild) and the
follow-up questions it carries into the search."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import SEEDS

import rag
from rag.conversation import search_query
from rag.errors import EmptyCorpusError, RagError
from rag.web.library import Library

EXTRA = "Alpha reactor\n\nThe alpha reactor runs at 42 kelvin. Its coolant is liquid helium.\n"


@pytest.fixture
def library(tmp_path: Path, embedder) -> Library:
    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    return Library(source, tmp_path / "index")


def test_refresh_builds_a_missing_index_and_loads_it_once(library):
    with pytest.raises(RagError, match="not loaded yet"):
        library.assistant  # noqa: B018 - the property is what is tested
    report = library.refresh()
    assert report.added == 2 and library.assistant.info.documents == 2
    first = library.assistant
    assert library.refresh().up_to_date and library.assistant is first


def test_a_rebuild_is_swapped_in_whole_while_old_answers_go_on(library):
    library.refresh()
    old = library.assistant
    (library.source_dir / "reactor.txt").write_text(EXTRA)
    stop, failures = threading.Event(), []

    def keep_asking() -> None:
        while not stop.is_set():
            answer = library.assistant.ask("Where has NATO closed an airspace before?")
            if not answer.found or "Bosnia" not in answer.text:
                failures.append(answer.text)

    threads = [threading.Thread(target=keep_asking) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        report = library.refresh()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert report.added == 1 and library.assistant.info.documents == 3 and not failures
    assert old.ask("How cold is the alpha reactor?").found is False  # the old object is unchanged
    assert library.assistant.ask("How cold is the alpha reactor?").found


def test_a_build_by_another_process_is_picked_up_by_the_next_request(library):
    library.refresh()
    (library.source_dir / "reactor.txt").write_text(EXTRA)
    rag.build_index(library.source_dir, library.index_dir)  # as `rag build` would
    assert library.assistant.info.documents == 3


@pytest.mark.slow  # a build, then a failing one
def test_a_failed_rebuild_keeps_the_loaded_index(library):
    library.refresh()
    before = library.assistant
    for path in library.source_dir.iterdir():
        path.unlink()
    with pytest.raises(EmptyCorpusError):
        library.refresh()
    assert (
        library.assistant is before
        and library.assistant.ask("Who asked NATO to close the airspace?").found
    )


@pytest.mark.slow  # a build to delete
def test_a_deleted_index_folder_does_not_stop_the_chat(library):
    library.refresh()
    before = library.assistant
    shutil.rmtree(library.index_dir)
    assert library.assistant is before


FOLLOW_UP = "And what did Biden say?"
ABOUT_THE_INTERVIEW = "What did Stoltenberg say in his interview with The Times?"


@pytest.mark.parametrize(
    "history",
    [
        [ABOUT_THE_INTERVIEW],
        [(ABOUT_THE_INTERVIEW, "He said no.")],
        [{"role": "user", "content": ABOUT_THE_INTERVIEW}, {"role": "assistant", "content": "No."}],
        [
            {"role": "user", "content": [{"type": "text", "text": ABOUT_THE_INTERVIEW}]},
            {"role": "assistant", "content": [{"type": "text", "text": "No."}]},
        ],
        [SimpleNamespace(role="user", content=ABOUT_THE_INTERVIEW)],
    ],
    ids=["strings", "pairs", "messages", "gradio-messages", "objects"],
)
def test_a_follow_up_is_searched_with_the_question_before_it(history):
    assert search_query(FOLLOW_UP, history) == f"{ABOUT_THE_INTERVIEW} {FOLLOW_UP}"


def test_follow_ups_chain_back_to_the_topic_but_only_so_far():
    chain = ["What did Stoltenberg tell The Times?", "And Biden?", "Why?"]
    assert search_query("And then?", chain) == "And Biden? Why? And then?"
    assert search_query("Why?", chain[:2]) == "What did Stoltenberg tell The Times? And Biden? Why?"
    assert (
        search_query("Where has NATO closed an airspace before?", chain)
        == "Where has NATO closed an airspace before?"
    )
    assert search_query(FOLLOW_UP, []) == FOLLOW_UP
    assert search_query(FOLLOW_UP, [FOLLOW_UP]) == FOLLOW_UP  # the history already ends with it


def test_only_what_the_user_wrote_is_carried_into_the_search():
    history = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": [{"type": "image", "url": "x.png"}, ABOUT_THE_INTERVIEW]},
        {"role": "assistant", "content": "He said NATO would not close the airspace."},
        {"role": "user", "content": "   "},
        {"role": "user", "content": " And what did\n Biden   say? "},  # the question, resent
    ]
    assert search_query(FOLLOW_UP, history) == f"{ABOUT_THE_INTERVIEW} {FOLLOW_UP}"


def test_a_follow_up_in_the_chat_format_answers_in_context(assistant):
    history = [{"role": "user", "content": [{"type": "text", "text": ABOUT_THE_INTERVIEW}]}]
    answer = assistant.ask(FOLLOW_UP, history)
    assert answer.search_query == f"{ABOUT_THE_INTERVIEW} {FOLLOW_UP}"
    assert answer.found and "Biden" in answer.text
