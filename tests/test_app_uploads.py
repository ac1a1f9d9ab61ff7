"""Adding and removing articles from the page, in Chromium: good files, dropped on the panel or
picked, are indexed at once with a progress bar and answered from; hostile ones are refused with
a reason, change nothing, and the chat goes on answering. `RAG_READ_ONLY=1` takes the panel
away."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from app_server import ARTIFACTS, browser, running_app
from conftest import SEEDS

pytestmark = pytest.mark.slow  # starts the chat and drives it in Chromium

SEED = "000_866b00fbbd318d60.txt"
SECRET = b"TOP SECRET: this file lies outside the source folder."
BOT = '#chat [data-testid="bot"]'


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The chat over a copy of the bundled articles (1 MB upload limit), with a symlink to a
    secret file planted in its folder; yields (url, root folder)."""
    root = tmp_path_factory.mktemp("library")
    source = root / "articles"
    shutil.copytree(SEEDS, source)
    (root / "secret.txt").write_bytes(SECRET)
    (source / "planted.txt").symlink_to(root / "secret.txt")
    ARTIFACTS.mkdir(exist_ok=True)
    args = ("--source", str(source), "--index", str(root / "index"))
    with running_app(*args, log=ARTIFACTS / "library-app.log", env={"RAG_MAX_FILE_MB": "1"}) as url:
        yield url, root


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory, served):
    with browser(tmp_path_factory.mktemp("profile")) as ctx:
        yield ctx


@pytest.fixture
def library(context, served):
    """A chat tab with the library panel open."""
    page = context.new_page()
    page.goto(served[0])
    page.locator("#question textarea").wait_for()
    page.locator("#library").get_by_text("Library: add or remove articles").click()
    page.locator('#upload input[type="file"]').wait_for(state="attached")
    yield page
    page.close()


NEW_RESULT = """([before, expect]) => {
    const text = document.querySelector('#library-result').innerText;
    return text !== before && text.includes(expect);
}"""


DATA_TRANSFER = """(files) => {
    const data = new DataTransfer();
    for (const [name, text] of files) data.items.add(new File([text], name, {type: "text/plain"}));
    return data;
}"""
WATCH_PROGRESS = """() => {
    window.progressSeen = [];
    new MutationObserver(() => {
        const text = document.querySelector('#library').innerText;
        if (text.includes('Embedding new and changed articles')) window.progressSeen.push(text);
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def add(page, files: dict[str, bytes], expect: str) -> str:
    """Pick `files` in the panel's file dialog; wait for a new result holding `expect`;
    return it."""
    result = page.locator("#library-result")
    before = result.inner_text()
    payloads = [{"name": n, "mimeType": "text/plain", "buffer": b} for n, b in files.items()]
    page.locator('#upload input[type="file"]').set_input_files(payloads)
    page.wait_for_function(NEW_RESULT, arg=[before, expect])
    return result.inner_text()


def drop(page, files: dict[str, str], expect: str) -> str:
    """Drag `files` onto the panel's drop area and let go, as a file manager would; wait
    for a new result holding `expect`; return it."""
    result = page.locator("#library-result")
    before = result.inner_text()
    data = page.evaluate_handle(DATA_TRANSFER, list(files.items()))
    area = page.get_by_role("button", name="Click to upload or drop files")
    for event in ("dragenter", "dragover", "drop"):
        area.dispatch_event(event, {"dataTransfer": data})
    page.wait_for_function(NEW_RESULT, arg=[before, expect])
    return result.inner_text()


def ask(page, question: str) -> str:
    before = page.locator(BOT).count()
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    page.locator(BOT).nth(before).locator("a").first.wait_for()
    return page.locator(BOT).nth(before).inner_text()


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
        for p in sorted(root.rglob("*"))
        if (p.is_symlink() or p.is_file()) and "index" not in p.relative_to(root).parts
    }


def test_dropped_articles_are_indexed_with_a_progress_bar_and_answered_from(library, served):
    reactor = "Alpha reactor\n\nThe alpha reactor runs at 42 kelvin. Its coolant is helium.\n"
    notes = "# Delta notes\n\nThe delta reactor is serviced every **Tuesday** by two crews.\n"
    library.evaluate(WATCH_PROGRESS)
    result = drop(library, {"reactor.txt": reactor, "delta notes.md": notes}, "delta notes.md")
    assert "✓ reactor.txt: added" in result and "✓ delta notes.md: added" in result, result
    progress = library.evaluate("window.progressSeen")
    assert any("chunks" in text for text in progress), progress  # e.g. "0/2 chunks | 0.1s"
    status = library.locator("#index-status")
    status.get_by_text("Re-indexed: 2 added").wait_for()
    assert "4 articles" in status.inner_text()
    listed = library.locator("#articles").inner_text()
    assert "Alpha reactor · reactor.txt" in listed and "delta notes.md" in listed, listed
    library.locator("#library").scroll_into_view_if_needed()
    library.screenshot(path=str(ARTIFACTS / "library.png"))
    text = ask(library, "How cold is the alpha reactor?")
    assert "42 kelvin" in text and "reactor.txt" in text, text
    assert (served[1] / "articles" / "reactor.txt").read_text() == reactor


def test_hostile_uploads_are_refused_with_a_reason_and_change_nothing(library, served):
    root = served[1]
    before = tree(root)
    result = add(
        library,
        {
            "random.txt": os.urandom(3000),
            "empty.md": b"",
            "text.pdf": b"Only text, named like a PDF.",
            "planted.txt": b"Planted\n\nThis would be written through the planted symlink.\n",
            SEED: b"Other\n\nAnother article under the name of a bundled one.\n",
        },
        "random.txt",
    )
    for expected in (
        "✗ random.txt: binary data, not text",
        "✗ empty.md: empty file",
        "✗ text.pdf: not a PDF file",
        "✗ planted.txt: that name is taken in the source folder by a link or folder",
        f"✗ {SEED}: an article of that name is already in the library",
    ):
        assert expected in result, result
    names = {f"../../escape-{i}.txt": b"Escape\n\nA file that tries to leave.\n" for i in range(2)}
    names["/etc/cron.d/escape.md"] = b"# Escape\n\nAn absolute path.\n"
    names[".."] = b"dots"
    escaped = add(library, names, "escape-1.txt")
    assert "escape" not in "".join(os.listdir(root)) and not Path("/etc/cron.d/escape.md").exists()
    many = {f"note-{i:04}.txt": b"Note\n\nA note among a thousand.\n" for i in range(1000)}
    assert add(library, many, "Nothing changed") == (
        "Nothing changed: 1,000 files at once: add at most 20 at a time."
    )
    library.locator('#upload input[type="file"]').set_input_files(
        [{"name": "big.txt", "mimeType": "text/plain", "buffer": b"word " * 300_000}]
    )
    toast = library.locator('[data-testid="toast-body"]')
    toast.get_by_text("exceed the maximum allowed size").wait_for()
    assert "big.txt" in toast.inner_text()
    after = tree(root)
    added = {k for k in after if k not in before}
    assert added <= {f"articles/escape-{i}.txt" for i in range(2)} | {"articles/escape.md"}, escaped
    assert {k: after[k] for k in before} == before and (root / "secret.txt").read_bytes() == SECRET
    assert "Bosnia" in ask(library, "Where has NATO closed an airspace before?")


def test_same_name_is_replaced_only_when_ticked(library, served):
    path = served[1] / "articles" / "gamma.txt"
    add(library, {"gamma.txt": b"Gamma\n\nThe gamma line is painted green.\n"}, "gamma.txt")
    again = b"Gamma\n\nThe gamma line is painted purple.\n"
    assert "already in the library" in add(library, {"gamma.txt": again}, "✗ gamma.txt")
    assert b"green" in path.read_bytes()
    library.locator("#replace").get_by_text("Replace articles of the same name").click()
    assert "✓ gamma.txt" in add(library, {"gamma.txt": again}, "replaced")
    library.locator("#index-status").get_by_text("1 changed").wait_for()
    assert "purple" in ask(library, "What colour is the gamma line painted?")


def test_removed_articles_leave_the_index_and_are_kept_aside(library, served):
    source = served[1] / "articles"
    add(library, {"omega.txt": b"Omega\n\nThe omega bridge opened in 1931.\n"}, "omega.txt")
    assert "1931" in ask(library, "When did the omega bridge open?")
    library.locator("#articles").get_by_text("Omega · omega.txt").click()
    library.locator("#remove").click()
    result = library.locator("#library-result")
    result.get_by_text("✓ omega.txt: removed").wait_for()
    library.locator("#index-status").get_by_text("1 removed").wait_for()
    assert "omega.txt" not in library.locator("#articles").inner_text()
    assert not (source / "omega.txt").exists()
    assert [p.name[-9:] for p in (source / ".removed").iterdir()] == ["omega.txt"]
    assert "1931" not in ask(library, "When did the omega bridge open?")


def test_read_only_serves_no_library_panel(tmp_path, context):
    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    args = ("--source", str(source), "--index", str(tmp_path / "index"))
    log = ARTIFACTS / "read-only-app.log"
    with running_app(*args, log=log, env={"RAG_READ_ONLY": "1"}) as url:
        page = context.new_page()
        page.goto(url)
        page.locator("#question textarea").wait_for()
        page.locator("#index-status").get_by_text("2 articles").wait_for()
        assert page.locator("#library, #upload, #remove, input[type=file]").count() == 0
        config = page.request.get(f"{url}/config").json()
        ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
        assert {"upload", "articles", "remove"}.isdisjoint(ids) and "question" in ids
        page.close()
