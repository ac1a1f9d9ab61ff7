"""Sign-in for a shared deployment: accounts from flags, a file or the environment; no article
text for a client that has not signed in, on any route (page, API, source and raw views,
MCP); Chromium signs in and asks; programs sign in with HTTP Basic or gradio_client's auth."""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

import httpx
import pytest
from app_server import ARTIFACTS, ROOT, browser, free_port, running_app
from conftest import SEEDS, run_cli
from mcp_client import mcp_session

from rag.errors import RagError
from rag.web.access import Accounts, is_loopback, load_accounts
from rag.web.options import ServeOptions
from rag.web.server import exposure_warning

SEED = "000_866b00fbbd318d60.txt"
ARTICLE_WORDS = (b"Stoltenberg", b"airspace", b"Zelenskyy")  # in both bundled articles


def test_accounts_come_from_pairs_and_a_file(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# team\n\ncarol: spaced pass:with colon \n  dave:d\n", encoding="utf-8")
    accounts = load_accounts(["alice:a1", "bob:b:2"], str(users))
    assert accounts.check("alice", "a1") and accounts.check("bob", "b:2")
    assert accounts.check("carol", " spaced pass:with colon") and accounts.check("dave", "d")
    assert not accounts.check("alice", "A1") and not accounts.check("eve", "")
    basic = base64.b64encode(b"bob:b:2").decode()
    assert accounts.check_basic(f"Basic {basic}") and accounts.check_basic(f"basic {basic}")
    for header in ("Bearer x", "Basic !!!", f"Basic {base64.b64encode(b'bob').decode()}", ""):
        assert not accounts.check_basic(header), header
    assert not Accounts({}) and accounts


@pytest.mark.parametrize(
    ("pairs", "content", "message"),
    [
        (["alice"], None, "--auth / RAG_AUTH: expected USER:PASSWORD, got 'alice'"),
        (["alice:"], None, "expected USER:PASSWORD, got 'alice:***'"),
        ([":secret"], None, "expected USER:PASSWORD, got ':***'"),
        ([], "ok:1\nbroken line\n", "users.txt line 2: expected USER:PASSWORD"),
    ],
)
def test_malformed_accounts_are_one_line_errors_that_never_show_a_password(
    tmp_path, pairs, content, message
):
    users = tmp_path / "users.txt"
    if content is not None:
        users.write_text(content)
    with pytest.raises(RagError) as raised:
        load_accounts(pairs, str(users) if content is not None else None)
    assert message in str(raised.value) and "secret" not in str(raised.value)
    with pytest.raises(RagError, match="cannot read the users file"):
        load_accounts([], str(tmp_path / "missing.txt"))


def test_listening_beyond_loopback_without_sign_in_is_warned_about():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("no-such-host.invalid")
    open_to_all = exposure_warning("0.0.0.0", 7860, ServeOptions())
    assert open_to_all.startswith("Warning: listening on 0.0.0.0 without sign-in")
    assert "can read, ask, add and remove articles; add --auth USER:PASSWORD" in open_to_all
    read_only = exposure_warning("0.0.0.0", 7860, ServeOptions(read_only=True))
    assert "can read the articles and ask; add --auth" in read_only
    signed = ServeOptions(accounts=Accounts({"a": "b"}))
    assert exposure_warning("0.0.0.0", 7860, signed) == ""
    assert exposure_warning("127.0.0.1", 7860, ServeOptions()) == ""


@pytest.mark.slow  # three fresh processes, which import gradio
def test_serve_refuses_bad_sign_in_settings_before_the_slow_start(tmp_path):
    for args, env in (
        (["--auth", "alice"], {}),
        ([], {"RAG_AUTH_FILE": str(tmp_path / "none.txt")}),
        ([], {"RAG_READ_ONLY": "sometimes"}),
    ):
        out = run_cli("serve", "--index", str(tmp_path / "index"), *args, env=env)
        assert out.returncode == 1 and out.stderr.startswith("rag: error: "), out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.mark.slow  # starts the chat
def test_serve_on_all_interfaces_without_sign_in_prints_the_warning(tmp_path):
    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    command = [sys.executable, "-m", "rag", "serve", "--host", "0.0.0.0"]
    command += ["--port", str(free_port()), "--source", str(source), "--index", str(tmp_path)]
    with subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as process:
        try:
            lines = [process.stderr.readline() for _ in range(2)]
        finally:
            process.terminate()
    assert lines[0].startswith("Warning: listening on 0.0.0.0 without sign-in:"), lines
    assert lines[0].count("\n") == 1 and lines[1].startswith("Bringing the index")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The chat with MCP, two accounts (a flag and a users file), on a copy of the articles."""
    root = tmp_path_factory.mktemp("auth")
    shutil.copytree(SEEDS, root / "articles")
    (root / "users.txt").write_text("# readers\nbob:hunter2\n")
    ARTIFACTS.mkdir(exist_ok=True)
    args = ("--source", str(root / "articles"), "--index", str(root / "index"), "--mcp",
            "--auth", "alice:wonder land", "--auth-file", str(root / "users.txt"))  # fmt: skip
    with running_app(*args, log=ARTIFACTS / "auth-app.log") as url:
        yield url


def request(url: str, method: str, path: str, body: bytes = b"", headers=None):
    """Send `path` verbatim (no normalisation); (status, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


MCP_CALL = json.dumps({
    "jsonrpc": "2.0", "id": 1, "method": "tools/call",
    "params": {"name": "search", "arguments": {"query": "airspace"}},
}).encode()  # fmt: skip
JSON = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
UNSIGNED = [
    ("GET", "/", b"", {}),
    ("GET", "/config", b"", {}),
    ("GET", "/gradio_api/info", b"", {}),
    ("GET", f"/source/{SEED}?start=0&end=50", b"", {}),
    ("GET", f"/raw/{SEED}", b"", {}),
    ("GET", f"//source/{SEED}", b"", {}),
    ("GET", f"/raw/%2e%2e/raw/{SEED}", b"", {}),
    ("GET", f"/gradio_api/file={ROOT / 'seeds' / SEED}", b"", {}),
    ("POST", "/gradio_api/run/ask", b'{"data": ["Why did NATO refuse?"]}', JSON),
    ("POST", "/gradio_api/run/search", b'{"data": ["airspace"]}', JSON),
    ("POST", "/gradio_api/call/chat", b'{"data": ["Why did NATO refuse?"]}', JSON),
    (
        "POST",
        "/gradio_api/queue/join",
        b'{"data": ["x"], "fn_index": 0, "session_hash": "s"}',
        JSON,
    ),
    ("POST", "/gradio_api/mcp/", MCP_CALL, JSON),
    ("POST", "/gradio_api/mcp/http/", MCP_CALL, JSON),
    ("GET", "/gradio_api/mcp/sse", b"", {}),
    ("POST", "/gradio_api/mcp/messages/?session_id=x", MCP_CALL, JSON),
]


@pytest.mark.slow  # these three start the chat
@pytest.mark.parametrize(("method", "path", "body", "headers"), UNSIGNED)
def test_no_article_text_reaches_a_client_that_has_not_signed_in(
    served, method, path, body, headers
):
    wrong = {"authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode()}
    for extra in ({}, wrong):
        status, data = request(served, method, path, body, {**headers, **extra})
        assert status in (401, 403, 404, 405) or path == "/", (path, status, data[:200])
        assert not any(word in data for word in ARTICLE_WORDS), (path, status, data[:300])


@pytest.mark.slow
def test_programs_sign_in_with_basic_credentials_or_gradio_client_auth(served):
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    bob = {"authorization": "Basic " + base64.b64encode(b"bob:hunter2").decode()}
    status, data = request(served, "GET", f"/raw/{SEED}", headers=bob)
    assert status == 200 and b"Stoltenberg" in data
    answer = Client(served, auth=("alice", "wonder land"), verbose=False).predict(
        "Why did NATO refuse a no-fly zone?", api_name="/chat"
    )
    assert "**Sources**" in answer
    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        Client(served, verbose=False)
    tools, [result] = mcp_session(
        served, [("search", {"query": "airspace", "top_k": 1})], httpx.BasicAuth("bob", "hunter2")
    )
    assert {t.name for t in tools} == {"ask", "search"} and not result.isError
    assert "airspace" in json.loads(result.content[0].text)[0]["text"]
    with pytest.raises(Exception) as refused:  # a group of the client's tasks
        mcp_session(served, [], httpx.BasicAuth("bob", "wrong"))
    assert refused.group_contains(httpx.HTTPStatusError, match="401", depth=None)


@pytest.mark.slow
def test_chromium_signs_in_asks_and_opens_a_cited_source(served, tmp_path):
    with browser(tmp_path / "profile") as context:
        page = context.new_page()
        page.goto(served)
        page.get_by_label("username").fill("alice")
        page.get_by_label("password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Incorrect credentials").wait_for()
        page.get_by_label("username").fill("alice")  # the form is emptied after a failure
        page.get_by_label("password").fill("wonder land")
        page.screenshot(path=str(ARTIFACTS / "sign-in.png"))
        page.get_by_role("button", name="Login").click()
        box = page.locator("#question textarea")
        box.fill("Who asked NATO to close Ukraine's airspace?")
        box.press("Enter")
        link = page.locator('#chat [data-testid="bot"] a[href^="/source/"]').first
        link.wait_for()
        assert "Zelensk" in page.locator('#chat [data-testid="bot"]').inner_text()
        with context.expect_page() as opened:
            link.click()
        source = opened.value
        source.wait_for_load_state()
        assert source.locator("mark#cited").count() == 1
    with browser(tmp_path / "stranger") as other:  # a browser that has not signed in
        response = other.request.get(f"{served}/source/{SEED}")
        assert response.status == 401 and b"Stoltenberg" not in response.body()
        assert response.headers["www-authenticate"] == 'Basic realm="articles"'
    assert os.path.getsize(ARTIFACTS / "sign-in.png") > 5_000
