"""The `rag` command as a user runs it: summaries, answers, JSON, and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import SEEDS, run_cli

pytestmark = pytest.mark.slow  # `rag` in fresh processes, after a `rag build`


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the bundled articles and an index of them, built by `rag build`."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEEDS, root / "seeds")
    (root / "seeds" / "empty.txt").write_bytes(b"")
    result = run_cli("build", cwd=root)
    return root, result


def test_build_prints_a_summary_and_skipped_files(built):
    root, result = built
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Indexed 2 articles") and "1 files skipped" in result.stdout
    assert "skipped empty.txt: empty file" in result.stderr
    assert "Traceback" not in result.stderr and "Loading weights" not in result.stderr
    assert (root / "index" / "manifest.json").exists()
    again = run_cli("build", cwd=root)
    assert again.returncode == 0 and again.stdout.startswith("Index is up to date: 2 articles")


def test_a_first_build_exports_the_encoder_quietly(tmp_path):
    """On a fresh machine the first build traces the model for later builds and exports it
    to ONNX for questions, into the cache; the terminal shows the summary and nothing of
    the exporters' chatter."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    cache = tmp_path / "cache"
    result = run_cli("build", cwd=tmp_path, env={"RAG_CACHE_DIR": str(cache)})
    assert result.returncode == 0 and result.stdout.startswith("Indexed 2 articles")
    assert result.stderr.strip() == "", result.stderr
    assert list(cache.glob("torchscript/*/model.pt")) and list(cache.glob("onnx/*/model.onnx"))


def test_ask_prints_the_answer_with_its_sources(built):
    root, _ = built
    result = run_cli("ask", "Where has NATO closed an airspace before?", cwd=root)
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert "Bosnia" in answer and "[1]" in answer
    assert "[1] " in sources and "000_866b00fbbd318d60.txt" in sources


def test_a_reader_that_goes_away_stops_the_output_quietly(built):
    """`rag ask ... | head -1`: the pipe closes before the answer is written."""
    root, _ = built
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "rag", "ask", "Where has NATO closed an airspace before?"],
            cwd=root, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=600,
        )  # fmt: skip
    assert result.returncode == 141 and result.stderr == ""


def test_ask_json_and_related_passages_when_not_found(built):
    root, _ = built
    result = run_cli("ask", "What is the boiling point of ethanol?", "--json", cwd=root)
    payload = json.loads(result.stdout)
    assert payload["found"] is False and payload["citations"] == []
    assert payload["related"] and {"source", "text", "start", "end", "score"} <= set(
        payload["related"][0]
    )
    human = run_cli("ask", "What is the boiling point of ethanol?", cwd=root)
    assert "do not answer" in human.stdout and "Related passages:" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ask", "Who asked?", "--index", "no-such-index"],
            "no index in no-such-index/: run `rag build`",
        ),
        (["ask", "   "], "the question is empty"),
        (["ask", "?!?"], "no words to search for"),
        (["ask", "Who?", "--top-k", "0"], "--top-k must be at least 1"),
        (["build", "--source", "no-such-folder"], "no source folder no-such-folder/"),
        (
            ["build", "--source", "empty-folder", "--index", "other"],
            "no article to index in empty-folder/",
        ),
        (
            ["build", "--model", "/no/such/model", "--index", "fresh"],
            "cannot load the embedding model '/no/such/model'",
        ),
        (["build", "--model", "another-model"], "rag build --rebuild"),
    ],
)
def test_expected_mistakes_are_one_line_errors(built, args, message):
    root, _ = built
    (root / "empty-folder").mkdir(exist_ok=True)
    result = run_cli(*args, cwd=root)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_no_command_prints_help():
    result = run_cli()
    assert result.returncode == 2 and "build" in result.stdout and "ask" in result.stdout


def test_progress_bar_only_on_a_terminal(tmp_path):
    """A bar on an interactive terminal; nothing when output is captured or with --quiet."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from conftest import ROOT

    def build(*extra: str, terminal: bool) -> str:
        index = tmp_path / f"index-{terminal}-{len(extra)}"
        command = [
            sys.executable,
            "-m",
            "rag",
            "build",
            "--source",
            str(SEEDS),
            "--index",
            str(index),
            *extra,
        ]
        if not terminal:
            return run_cli(*command[3:]).stderr
        leader, follower = pty.openpty()
        size = struct.pack("HHHH", 24, 100, 0, 0)  # rows, columns: a terminal as a user has
        fcntl.ioctl(follower, termios.TIOCSWINSZ, size)
        process = subprocess.Popen(command, cwd=ROOT, stdout=follower, stderr=follower)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the build exits
                break
            if not chunk:
                break
            output += chunk
        process.wait()
        os.close(leader)
        return output.decode(errors="replace")

    on_terminal = build(terminal=True)
    assert "Embedding" in on_terminal and "chunk" in on_terminal, on_terminal
    assert "Embedding" not in build(terminal=False)
    assert "Embedding" not in build("--quiet", terminal=True)
