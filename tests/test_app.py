"""The chat end to end: `python app.py` on a copy of the bundled articles, driven by headless
Chromium and by gradio_client. Screenshots land in tests/artifacts/ (docs/ holds copies)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from app_server import ARTIFACTS, ROOT, browser, running_app
from conftest import DATA, SEEDS
from pdfs import make_pdf

from rag.assistant import MAX_QUESTION_CHARS
from rag.evaluation import questions

pytestmark = pytest.mark.slow  # starts the chat and drives it in Chromium

QUESTION = "Why did NATO refuse a no-fly zone?"
BOT = '#chat [data-testid="bot"]'
SOURCE_LINK = 'a[href^="/source/"]'
QUESTIONS = {q.id: q for q in questions.load(DATA / "seed_questions.jsonl")}
RECORD_BOT_STATES = """() => {
    window.states = [];
    new MutationObserver(() => {
        const bots = document.querySelectorAll('#chat [data-testid="bot"]');
        const text = bots.length ? bots[bots.length - 1].innerText : null;
        if (text !== null && window.states.at(-1) !== text) window.states.push(text);
    }).observe(document.querySelector('#chat'),
               {subtree: true, childList: true, characterData: true});
}"""  # every state the newest bot message goes through
MARK_IN_VIEW = """() => {
    const box = document.querySelector('mark').getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
}"""
PDF_PAGES = [
    "Epsilon loop report. The cooling loop of the epsilon plant was inspected in May.",
    "The epsilon loop runs at 300 kelvin and is cooled by heavy water pumped from the lake.",
]
HOSTILE = (
    "The alpha reactor runs at 42 kelvin <img src=x onerror=alert(1)> and "
    "![tracker](http://203.0.113.9/pixel.png) <script>alert(2)</script>.\n\n"
    "Its coolant is liquid helium, pumped by [a link](http://203.0.113.9/) twice a day.\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("chat") / "articles"
    shutil.copytree(SEEDS, source)
    (source / "epsilon report.pdf").write_bytes(make_pdf(PDF_PAGES, title="Epsilon loop"))
    return source


@pytest.fixture(scope="module")
def app_url(corpus: Path) -> str:
    """The chat, started with no index at all: it must build one first."""
    ARTIFACTS.mkdir(exist_ok=True)
    index = corpus.parent / "index"
    with running_app(
        "--source", str(corpus), "--index", str(index), log=ARTIFACTS / "app.log"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory, app_url: str):
    with browser(tmp_path_factory.mktemp("profile")) as ctx:
        ctx.requested = []
        ctx.on("request", lambda request: ctx.requested.append(request.url))
        yield ctx


@pytest.fixture
def open_chat(context, app_url):
    """Opens chat tabs, and closes them after the test: Chromium keeps at most six
    connections to one server, and every open Gradio tab holds one."""
    pages = []

    def open_page():
        page = context.new_page()
        pages.append(page)
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(app_url)
        page.locator("#question textarea").wait_for()
        return page

    yield open_page
    for page in context.pages:
        page.close()


def ask(page, question: str) -> str:
    """Type `question`, wait for its finished answer (sources come last), return its text."""
    before = page.locator(BOT).count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator(BOT).nth(before).locator("a").first.wait_for()
    return page.locator(BOT).nth(before).inner_text()


def assert_own_origin(context, url: str) -> None:
    origin = urlsplit(url).netloc
    foreign = [u for u in context.requested if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).netloc != origin]  # fmt: skip
    assert context.requested and not foreign, f"requests beyond {origin}: {foreign}"


def test_chat_streams_a_cited_answer_and_links_open_the_highlighted_passage(
    open_chat, app_url, context, corpus
):
    page = open_chat()
    status = page.locator("#index-status")
    articles = len(list(corpus.iterdir()))
    page.get_by_text(f"{articles} articles").wait_for()
    assert "passages" in status.inner_text() and "all-MiniLM-L6-v2" in status.inner_text()
    page.evaluate(RECORD_BOT_STATES)
    text = ask(page, QUESTION)
    states = page.evaluate("window.states")
    answer_part = text.split("Sources")[0]
    growing = [s for s in states if s and "Sources" not in s]
    assert len(growing) >= 3 and len(growing[-1]) > len(growing[0]), (
        f"no streaming seen: {states[:5]}"
    )
    assert "[1]" in answer_part and "Sources" in text, text
    assert any(w in answer_part.lower() for w in ("escalat", "war", "confrontation")), answer_part

    bot = page.locator(BOT).last
    links = [a.inner_text() for a in bot.locator(SOURCE_LINK).all()]
    markers = [t for t in links if re.fullmatch(r"\[\d+\]", t)]
    assert markers and markers == [f"[{n}]" for n in range(1, len(markers) + 1)], links
    items = bot.locator("ol > li")
    assert items.count() >= 1
    first_item = items.first.inner_text()
    assert ".txt" in first_item and "“" in first_item, first_item
    quote = first_item.split("“", 1)[1].rsplit("”", 1)[0]

    panel = page.locator("#passages").inner_text()
    assert f"Searched for: {QUESTION}" in panel and "Retrieved passages" in panel
    assert panel.count("score ") >= 3 and "similarity" in panel, panel
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    assert (ARTIFACTS / "chat.png").stat().st_size > 10_000

    with context.expect_page() as opened:
        items.first.locator(SOURCE_LINK).first.click()
    source = opened.value
    source.wait_for_load_state()
    assert urlsplit(source.url).path.startswith("/source/") and source.url.endswith("#cited")
    mark = source.locator("mark#cited")
    assert " ".join(mark.inner_text().split()) == quote
    source.wait_for_function(MARK_IN_VIEW)
    title = source.locator("header h1").inner_text()
    assert title and not source.locator("main").inner_text().lstrip().startswith(title)
    source.screenshot(path=str(ARTIFACTS / "source-view.png"))
    assert (ARTIFACTS / "source-view.png").stat().st_size > 10_000
    raw = source.locator("header a", has_text="original file")
    response = source.request.get(urljoin(source.url, raw.get_attribute("href")))
    assert response.ok and response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff" and quote[:40] in response.text()
    assert_own_origin(context, app_url)


def test_follow_up_question_is_searched_with_the_conversation(open_chat, app_url, context):
    page = open_chat()
    ask(page, "What did Stoltenberg say in his interview with The Times?")
    text = ask(page, "And what did Biden say?")
    assert "Biden" in text.split("Sources")[0], text
    searched = page.locator("#passages").inner_text().split("\n")[0]
    assert "Stoltenberg" in searched and searched.endswith("And what did Biden say?"), searched
    assert "follow-up" in page.locator("#passages").inner_text()


def test_unanswerable_question_shows_each_related_passages_closest_sentence(
    open_chat, app_url, context
):
    page = open_chat()
    text = ask(page, QUESTIONS["q09"].question)
    assert "do not answer" in text and "[1]" not in text and "Related passages" in text
    related = page.locator(BOT).last.locator("li")
    lines = [item.inner_text() for item in related.all()]
    assert len(lines) >= 3 and all("\n" not in line and line.startswith("“") for line in lines)
    assert len({line.split("”")[0] for line in lines}) == len(lines), lines  # all different
    sentence = related.first.locator(SOURCE_LINK).first
    said = sentence.inner_text().strip("“”")
    with context.expect_page() as opened:
        sentence.click()
    source = opened.value
    source.wait_for_load_state()
    assert " ".join(source.locator("mark#cited").inner_text().split()) == said
    panel = page.locator("#passages").inner_text()
    assert "Related passages" in panel and "Retrieved passages" not in panel and "score " in panel


def test_unusable_questions_leave_the_conversation_and_say_what_to_do_by_the_box(
    open_chat, app_url, context
):
    page = open_chat()
    ask(page, QUESTION)
    log_lines = (ARTIFACTS / "app.log").read_text().count("\n")
    box = page.locator("#question textarea")
    hint = page.locator("#question-hint")
    for question, message in (("", "the question is empty"), ("?!", "no words to search")):
        box.fill(question)
        box.press("Enter")
        hint.get_by_text(message).wait_for()
        assert page.locator(BOT).count() == 1 and "Sources" in page.locator(BOT).first.inner_text()
        assert box.input_value() == question
    page.screenshot(path=str(ARTIFACTS / "question-hint.png"))
    assert page.locator('[data-testid="toast-body"]').count() == 0
    assert page.locator("#chat .error, #question .error").count() == 0  # no overlay
    box.click()  # nothing covers the box: a click reaches it, and the next question goes in
    page.keyboard.type("Who asked NATO to close Ukraine's airspace?")
    page.keyboard.press("Enter")
    page.locator(BOT).nth(1).locator(SOURCE_LINK).first.wait_for()
    assert hint.inner_text().strip() == ""
    logged = (ARTIFACTS / "app.log").read_text().splitlines()[log_lines:]
    refused = [line for line in logged if "refused:" in line]
    assert len(refused) == 2 and "Traceback" not in "\n".join(logged), logged


def test_a_very_long_question_is_searched_shortened_and_says_so(open_chat, app_url, context):
    page = open_chat()
    question = "Why did NATO refuse a no-fly zone over Ukraine? " + "Please explain. " * 640
    assert len(question) > 10_000
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.locator(BOT).last.locator(SOURCE_LINK).first.wait_for()
    notice = f"{len(question.strip()):,} characters and only its first {MAX_QUESTION_CHARS:,}"
    assert notice in page.locator("#question-hint").inner_text()
    panel = page.locator("#passages").inner_text()
    searched = panel.split("\n")[0]
    assert searched.startswith("Searched for: Why did NATO") and len(searched) < 400, searched
    assert notice in panel and "follow-up" not in panel


def test_a_pdf_citation_opens_the_original_at_the_cited_page(open_chat, app_url, context):
    page = open_chat()
    text = ask(page, "How cold does the epsilon loop run?")
    assert "300 kelvin" in text, text
    raw = page.locator(BOT).last.locator('a[href^="/raw/epsilon%20report.pdf"]').first
    assert raw.get_attribute("href") == "/raw/epsilon%20report.pdf#page=2"
    with context.expect_page() as opened:
        raw.click()
    original = opened.value
    original.wait_for_load_state()
    assert original.url.endswith("/raw/epsilon%20report.pdf#page=2"), original.url
    response = original.request.get(original.url.split("#")[0])
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_several_tabs_asking_at_once_each_get_their_own_answer(open_chat, app_url, context):
    cases = [QUESTIONS[i] for i in ("q03", "q06", "q10")]
    pages = [open_chat() for _ in cases]
    for page, case in zip(pages, cases, strict=True):
        page.locator("#question textarea").fill(case.question)
    for page in pages:
        page.locator("#question textarea").press("Enter")
    for page, case in zip(pages, cases, strict=True):
        page.locator(BOT).last.locator(SOURCE_LINK).first.wait_for()
        text = page.locator(BOT).last.inner_text()
        assert case.holds_answer(text), f"{case.question}: {text[:300]}"
        assert case.question in page.locator("#passages").inner_text()


def test_chat_api_answers_through_gradio_client(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict(QUESTION, api_name="/chat")
    assert isinstance(result, str) and "[\\[1\\]](/source/" in result and "**Sources**" in result
    (ARTIFACTS / "gradio_client-chat.txt").write_text(result)  # the README quotes its start
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", api_name="/chat")


def test_concurrent_api_questions_get_the_answers_they_get_alone(app_url):
    from gradio_client import Client

    asked = [QUESTIONS[i].question for i in ("q01", "q02", "q03", "q04", "q06", "q09")]
    alone = {q: Client(app_url, verbose=False).predict(q, api_name="/chat") for q in asked}

    def ask_api(question: str) -> str:
        return Client(app_url, verbose=False).predict(question, api_name="/chat")

    with ThreadPoolExecutor(len(asked)) as pool:
        together = dict(zip(asked, pool.map(ask_api, asked), strict=True))
    assert together == alone


def test_serve_refuses_a_busy_port_before_the_slow_start(app_url):
    port = urlsplit(app_url).port
    out = subprocess.run(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and out.stderr.startswith("rag: error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_reindex_adds_a_new_article_and_its_markup_shows_as_text(
    open_chat, app_url, context, corpus
):
    (corpus / "reactor.txt").write_text("Alpha reactor\n\n" + HOSTILE, encoding="utf-8")
    page = open_chat()
    page.locator("#reindex").click()
    page.locator("#index-status", has_text="Re-indexed: 1 added").wait_for()
    articles = len(list(corpus.iterdir()))
    assert f"{articles} articles" in page.locator("#index-status").inner_text()

    question = "<b>bold?</b> <img src=x onerror=alert(3)> ![x](http://203.0.113.9/q.png)"
    ask(page, question)
    assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == question
    text = ask(page, "How cold is the alpha reactor?")
    assert "42 kelvin" in text and "<img src=x onerror=alert(1)>" in text, text
    chat = page.locator("#chat")
    assert chat.locator("img, script, b").count() == 0, chat.inner_html()

    with context.expect_page() as opened:
        page.locator(BOT).last.locator(f'{SOURCE_LINK}[href*="reactor.txt"]').first.click()
    source = opened.value
    source.wait_for_load_state()
    assert "<script>alert(2)</script>" in source.locator("main").inner_text()
    assert source.locator("main img, main script, main a").count() == 0
    assert page.dialogs == [] and source.locator("mark#cited").count() == 1
    assert_own_origin(context, app_url)
