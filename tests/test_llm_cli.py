"""`rag ask` with an LLM, configured by environment variables or options, in a fresh process
talking to a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
from conftest import run_cli
from fake_llm_server import FakeLLM, Reply, Request

pytestmark = pytest.mark.slow  # `rag ask` in fresh processes

AIRSPACE = "Where has NATO closed an airspace before?"


@pytest.fixture(scope="module")
def fake():
    with FakeLLM() as server:
        yield server


def env(url: str, **more: str) -> dict[str, str]:
    return {"RAG_LLM_BASE_URL": url, "RAG_LLM_MODEL": "fake-model", **more}


def notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("rag: note:")]


def test_rag_ask_stream_prints_the_checked_answer_and_its_sources(seed_index, fake):
    def script(request: Request) -> Reply:
        bosnia = request.passage("Bosnia")
        return Reply(
            f"NATO closed the airspace over Bosnia and Herzegovina in the 1990s [{bosnia}]."
        )

    url = fake.url(script)
    result = run_cli("ask", AIRSPACE, "--index", str(seed_index), "--stream", env=env(url))
    assert result.returncode == 0, result.stderr
    text, _, sources = result.stdout.partition("\n\nSources:\n")
    assert text == "NATO closed the airspace over Bosnia and Herzegovina in the 1990s. [1]"
    assert (
        sources.startswith("  [1] NATO did not close Ukraine's airspace")
        and "“NATO closed the airspace over Bosnia" in sources
    )
    assert notes(result.stderr) == [] and "Traceback" not in result.stderr
    request = fake.requests(url)[0]
    assert request.stream and request.body["model"] == "fake-model"


def test_llm_options_and_json_for_an_answer_from_outside_the_passages(seed_index, fake):
    url = fake.url("The capital of Australia is Canberra [1].")
    result = run_cli(
        "ask", "What is the capital of Australia?", "--index", str(seed_index), "--json",
        "--llm-url", url, "--llm-model", "other-model",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["found"] is False and payload["citations"] == [] and payload["related"]
    assert "Canberra" not in payload["answer"]
    assert payload["note"].startswith("LLM answer not used: the LLM's answer is not supported")
    assert fake.requests(url)[0].body["model"] == "other-model"


def test_a_failing_server_gives_the_extractive_answer_and_a_one_line_note(
    seed_index, assistant, fake
):
    url = fake.url(Reply("model crashed", status=500))
    result = run_cli("ask", AIRSPACE, "--index", str(seed_index), "--stream", env=env(url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(assistant.ask(AIRSPACE).text + "\n\nSources:\n")
    assert notes(result.stderr) == [
        "rag: note: LLM answer not used: the LLM server answered HTTP 500: model crashed; "
        "showing the extractive answer"
    ]


def test_a_silent_server_does_not_hang_the_command(seed_index, fake):
    url = fake.url(Reply("never sent", delay=300))
    started = time.monotonic()
    result = run_cli("ask", AIRSPACE, "--index", str(seed_index), env=env(url, RAG_LLM_TIMEOUT="1"))
    assert time.monotonic() - started < 200, "the command waited for the server"
    assert result.returncode == 0 and "Sources:" in result.stdout
    assert notes(result.stderr) == [
        "rag: note: LLM answer not used: the LLM server did not answer within 1 s "
        "(see RAG_LLM_TIMEOUT); showing the extractive answer"
    ]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"RAG_LLM_BASE_URL": "http://127.0.0.1:9/v1"},
            "RAG_LLM_BASE_URL is set but RAG_LLM_MODEL is not",
        ),
        ({"RAG_LLM_BASE_URL": "localhost:11434", "RAG_LLM_MODEL": "m"}, "is not an http(s) URL"),
        (
            env("http://127.0.0.1:9/v1", RAG_LLM_TIMEOUT="soon"),
            "RAG_LLM_TIMEOUT='soon' is not a valid float",
        ),
        (
            env("http://127.0.0.1:9/v1", RAG_LLM_CONTEXT_TOKENS="100"),
            "RAG_LLM_CONTEXT_TOKENS must be at least 500",
        ),
    ],
)
def test_bad_llm_settings_are_one_line_errors(seed_index, variables, message):
    result = run_cli("ask", AIRSPACE, "--index", str(seed_index), env=variables)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
