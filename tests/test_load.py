"""The chat under load: 20 concurrent API clients for a minute, with a re-index in the middle."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

import pytest
from app_server import ARTIFACTS, running_app
from conftest import DATA, ROOT, SEEDS, read_jsonl

pytestmark = pytest.mark.slow  # a minute of twenty clients against a running chat

CLIENTS = 20
SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "60"))
QUESTIONS = [q["question"] for q in read_jsonl(DATA / "seed_questions.jsonl")]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("load")
    shutil.copytree(SEEDS, root / "articles")
    args = ("--source", str(root / "articles"), "--index", str(root / "index"))
    with running_app(*args, log=root / "app.log") as url:
        yield url, root


def test_twenty_clients_for_a_minute_with_a_reindex_get_the_answers_of_one(served):
    from gradio_client import Client

    url, root = served
    alone = {q: Client(url, verbose=False).predict(q, api_name="/chat") for q in QUESTIONS}
    latencies: list[float] = []
    problems: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def client_loop(offset: int) -> None:
        client = Client(url, verbose=False)
        n = offset
        while time.monotonic() < stop_at:
            question = QUESTIONS[n % len(QUESTIONS)]
            started = time.monotonic()
            try:
                answer = client.predict(question, api_name="/chat")
            except Exception as error:
                answer = f"error: {error}"
            with lock:
                latencies.append(time.monotonic() - started)
                if answer != alone[question]:
                    problems.append(f"{question!r}: {answer[:120]!r}")
            n += 1

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS / 3)
    # A full re-index of the same articles by another process while answers are being served:
    # the chat must keep answering from a complete index, the old one or the new one.
    rebuild = subprocess.run(
        [sys.executable, "-m", "rag", "build", "--rebuild", "-q",
         "--source", str(root / "articles"),
         "--index", str(root / "index")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    for thread in threads:
        thread.join(timeout=SECONDS + 300)
    assert rebuild.returncode == 0, rebuild.stderr
    figures = {
        "clients": CLIENTS,
        "seconds": SECONDS,
        "requests": len(latencies),
        "errors_or_mismatches": len(problems),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[-1] * 1000),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=1))
    print(figures)
    assert not problems, f"{len(problems)} of {len(latencies)} answers differ: {problems[:3]}"
    assert len(latencies) >= CLIENTS * 2, figures


@pytest.mark.parametrize(
    ("question", "error"),
    [
        ("", "the question is empty"),
        (" \n\t ", "the question is empty"),
        ("?!…", "no words to search for"),
    ],
)
def test_unusable_questions_get_one_line_errors(served, question, error):
    from gradio_client import Client

    url, _ = served
    with pytest.raises(Exception, match=error) as raised:
        Client(url, verbose=False).predict(question, api_name="/chat")
    assert "Traceback" not in str(raised.value)


@pytest.mark.parametrize(
    "question",
    [
        "Why did NATO refuse? " + "very " * 20_000,  # 100 KB
        "NATO\x00\x01\x1b[31m airspace \u202e\ufeff Bosnia?",
        "<script>alert(1)</script><img src=x onerror=alert(2)> Where did NATO close an airspace?",
        "[click](http://203.0.113.9/) ![x](http://203.0.113.9/p.png) What did Biden say?",
    ],
    ids=["100kb", "control-characters", "html", "markdown"],
)
def test_hostile_questions_get_an_answer_rendered_as_text(served, question):
    from gradio_client import Client

    url, _ = served
    started = time.monotonic()
    answer = Client(url, verbose=False).predict(question, api_name="/chat")
    assert isinstance(answer, str) and answer.strip()
    assert time.monotonic() - started < 60
    for raw in ("<script", "<img", "](http://203.0.113.9", "\x00"):
        assert raw not in answer, f"{raw!r} reached the chat unescaped"
