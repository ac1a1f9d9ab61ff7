"""The source routes of the running app: each format's view marks the cited span, raw files
are served as inert text (or PDF), and nothing outside the index is ever served."""

from __future__ import annotations

import html
import http.client
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from app_server import ARTIFACTS, free_port, running_app
from pdfs import make_pdf

import rag
from rag.loaders import load_document

pytestmark = pytest.mark.slow  # starts the chat server, which first builds its index

SECRET = "TOP SECRET: this file lies outside the source folder."
ARTICLES = {
    "plain.txt": b"Alpha reactor\n\nThe alpha reactor runs at 42 kelvin <script>alert(1)</script>"
    b" ![pixel](http://203.0.113.9/p.png) all year. Its coolant is liquid helium.\n",
    "notes.md": b"# Delta notes\n\nThe delta reactor ![img](http://203.0.113.9/x.png) is "
    b"<b>warm</b>. See [the site](http://203.0.113.9/).\n",
    "page.html": b"<html><head><title>Gamma &amp; co</title><script>alert(1)</script></head><body>"
    b"<article><h1>Gamma</h1><p>The gamma &lt;b&gt;bold&lt;/b&gt; reactor is cold. It runs at 4 "
    b"kelvin every day of the year in the lab.</p><p>Second paragraph with a link here and more "
    b"words to make the extractor happy about it.</p></article></body></html>",
    "report.pdf": make_pdf(
        [
            "First page about the epsilon reactor cooling loop.",
            "Second page: the epsilon loop runs hot.",
        ],
        title="Epsilon report",
    ),
    "sub dir/deep file.txt": b"Deep file\n\nThe zeta reactor sits in a folder with a space.\n",
    "swap.txt": b"Swap\n\nThe eta reactor file will be replaced by a symlink to a secret file.\n",
}
LATE = ("late.txt", b"Late\n\nThe theta reactor was added after the index was built.\n")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[str, Path]:
    """The app over a folder of every format, started on an index that is one article
    behind the folder (it must catch up first), with its port from GRADIO_SERVER_PORT."""
    root = tmp_path_factory.mktemp("routes")
    source = root / "articles"
    for name, data in ARTICLES.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    (root / "secret.txt").write_text(SECRET)
    (source / "outside-link.txt").symlink_to(root / "secret.txt")
    rag.build_index(source, root / "index")
    (source / LATE[0]).write_bytes(LATE[1])
    port = free_port()
    env = {"GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    args = ("--source", str(source), "--index", str(root / "index"))
    with running_app(*args, port=port, env=env, log=_log("routes-app.log")) as url:
        (source / "swap.txt").unlink()
        (source / "swap.txt").symlink_to(root / "secret.txt")
        yield url, source


def _log(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def get(url: str, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """GET `raw_path` exactly as written (httpx and browsers would normalise `..`)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("GET", raw_path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def path_of(route: str, name: str) -> str:
    return f"/{route}/{quote(name)}"


@pytest.mark.parametrize("name", [*ARTICLES, LATE[0]])
def test_each_article_view_marks_exactly_the_cited_span(served, name):
    url, _ = served
    data = LATE[1] if name == LATE[0] else ARTICLES[name]
    doc = load_document(name, data)
    start = doc.text.index("reactor") if "reactor" in doc.text else doc.text.index("epsilon")
    end = len(doc.text) - 3
    status, headers, body = get(url, f"{path_of('source', name)}?start={start}&end={end}")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html"), page[:300]
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none' covers it
    assert headers["x-content-type-options"] == "nosniff"
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", page, flags=re.S)
    assert html.unescape("".join(marks)) == doc.text[start:end]
    assert page.count('id="cited"') == 1 and "<script" not in page and "<img" not in page
    assert f'href="{path_of("raw", name)}' in page


def test_a_pdf_view_shows_pages_and_marks_a_span_across_the_page_break(served):
    url, _ = served
    doc = load_document("report.pdf", ARTICLES["report.pdf"])
    start, end = doc.text.index("cooling"), doc.text.index("runs hot")
    status, _, body = get(url, f"/source/report.pdf?start={start}&end={end}")
    page = body.decode()
    assert status == 200 and 'id="page-1"' in page and 'id="page-2"' in page
    assert len(re.findall(r"<mark", page)) == 2 and "cited passage on page 1" in page
    assert 'href="/raw/report.pdf#page=1"' in page


@pytest.mark.parametrize(
    ("start", "end"),
    [("5", "2"), ("0", "99999"), ("", ""), ("-1", "4"), ("x", "1e3"), ("0", "9" * 5000)],
)
def test_a_view_with_offsets_that_do_not_fit_shows_the_article_unmarked(served, start, end):
    status, _, body = get(served[0], f"/source/plain.txt?start={start}&end={end}")
    assert status == 200 and b"<mark" not in body and b"alpha reactor" in body


def test_raw_files_are_served_as_inert_text_or_pdf(served):
    url, source = served
    for name in ("plain.txt", "page.html", "notes.md", "sub dir/deep file.txt", LATE[0]):
        status, headers, body = get(url, path_of("raw", name))
        assert status == 200 and headers["content-type"] == "text/plain; charset=utf-8", name
        assert (
            headers["x-content-type-options"] == "nosniff" and body == (source / name).read_bytes()
        )
    status, headers, body = get(url, "/raw/report.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert body == ARTICLES["report.pdf"] and headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "raw_path",
    [
        "/source/../../../../etc/passwd",
        "/raw/../../../../etc/passwd",
        "/raw/../app.py",
        "/raw/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/raw/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/source/%2e%2e%2f%2e%2e%2fapp.py",
        "/raw/..%5c..%5capp.py",
        "/raw//etc/passwd",
        "/raw/%2Fetc%2Fpasswd",
        "/source//etc/passwd",
        "/raw/sub%20dir/../plain.txt",
        "/raw/./plain.txt",
        "/raw/plain.txt/",
        "/raw/PLAIN.TXT",
        "/raw/plain.txt%00",
        "/raw/plain.txt%00.pdf",
        "/raw/",
        "/raw/..",
        "/source/..",
        "/raw/unknown.txt",
        "/source/unknown.txt?start=0&end=5",
        "/raw/outside-link.txt",
        "/source/outside-link.txt",
        "/raw/secret.txt",
        "/raw/../secret.txt",
        "/raw/swap.txt",
    ],
)
def test_anything_but_an_indexed_article_is_not_found(served, raw_path):
    status, _, body = get(served[0], raw_path)
    assert status == 404, (raw_path, status, body[:200])
    assert SECRET.encode() not in body and b"root:" not in body


def test_absolute_paths_to_indexed_files_are_not_found_either(served):
    url, source = served
    for route in ("raw", "source"):
        status, _, _ = get(url, f"/{route}{quote(str(source / 'plain.txt'))}")
        assert status == 404


def test_gradio_file_route_serves_neither_articles_nor_system_files(served):
    url, source = served
    for target in ("/etc/passwd", str(source / "plain.txt"), str(Path.cwd() / "app.py")):
        status, _, body = get(url, f"/gradio_api/file={quote(target)}")
        assert status in (403, 404) and b"alpha reactor" not in body and b"root:" not in body


def test_the_index_was_brought_up_to_date_before_serving(served):
    log = (ARTIFACTS / "routes-app.log").read_text()
    assert "1 added" in log and "Chat ready: http://127.0.0.1:" in log
    assert "Traceback" not in log
