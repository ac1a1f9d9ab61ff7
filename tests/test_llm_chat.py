"""The chat (`python app.py`) with `RAG_LLM_*` pointing at a scripted OpenAI-compatible server,
driven by headless Chromium: the LLM's checked answer streams in sentence by sentence, and a
failing LLM leaves the extractive answer with a one-line note."""

from __future__ import annotations

import threading

import pytest
from app_server import ARTIFACTS, browser, running_app
from conftest import SEEDS
from fake_llm_server import FakeLLM, Reply, Request

pytestmark = pytest.mark.slow  # starts the chat and drives it in Chromium

BOT = '#chat [data-testid="bot"]'
STREAMED = "NATO closed the airspace over Bosnia and Herzegovina in the 1990s [{0}]. "
HELD_BACK = "Allies closed the airspace over northern Iraq to protect the Kurdish people [{0}]."
FAILING = "Why did NATO refuse a no-fly zone?"


@pytest.fixture(scope="module")
def gate() -> threading.Event:
    return threading.Event()


@pytest.fixture(scope="module")
def page(tmp_path_factory, seed_index, gate):
    def script(request: Request) -> Reply:
        if FAILING in request.user:
            return Reply("the model ran out of memory", status=500)
        text = (STREAMED + HELD_BACK).format(request.passage("Bosnia"))
        return Reply(text, stall_at=len(STREAMED.format(request.passage("Bosnia"))) + 12, gate=gate)

    ARTIFACTS.mkdir(exist_ok=True)
    with FakeLLM() as llm:
        env = {"RAG_LLM_BASE_URL": llm.url(script), "RAG_LLM_MODEL": "fake-model"}
        args = ("--source", str(SEEDS), "--index", str(seed_index))
        with (
            running_app(*args, log=ARTIFACTS / "app-llm.log", env=env) as url,
            browser(tmp_path_factory.mktemp("profile")) as context,
        ):
            chat = context.new_page()
            chat.goto(url)
            chat.locator("#question textarea").wait_for()
            yield chat


def ask(page, question: str):
    before = page.locator(BOT).count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    return page.locator(BOT).nth(before)


def test_the_llm_answer_streams_into_the_chat_sentence_by_sentence(page, gate):
    reply = ask(page, "Where has NATO closed an airspace before?")
    reply.get_by_text("in the 1990s", exact=False).wait_for()
    assert "northern Iraq" not in reply.inner_text(), "the server still holds this sentence back"
    gate.set()
    reply.locator("a").first.wait_for()  # sources come with the finished answer
    text = reply.inner_text()
    assert "NATO closed the airspace over Bosnia and Herzegovina in the 1990s." in text
    assert "Allies closed the airspace over northern Iraq to protect the Kurdish people." in text
    assert "LLM answer not used" not in text


def test_a_failing_llm_leaves_the_extractive_answer_with_a_note(page):
    reply = ask(page, FAILING)
    reply.locator("a").first.wait_for()
    text = reply.inner_text()
    assert "Note: LLM answer not used: the LLM server answered HTTP 500: the model ran out" in text
    assert "Sources" in text
