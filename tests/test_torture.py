"""A messy folder: every readable article is indexed, every other file is skipped with a reason."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from pdfs import make_pdf

pytestmark = pytest.mark.slow  # builds a folder of hostile files in a fresh process

ARTIFACTS = ROOT / "tests" / "artifacts"
PROSE = (SEEDS / "000_866b00fbbd318d60.txt").read_text(encoding="utf-8")
OWLS = "Barn owls hunt at night. They find mice by sound alone, even under snow. "

# file name -> expected reason fragment, for every file that must be skipped
SKIPPED = {
    "empty.txt": "empty file",
    "whitespace.txt": "empty file",
    "binary.txt": "binary data",
    "huge.txt": "too large",
    "oneline.txt": "no prose",
    "allscript.html": "no text",
    "scanned.pdf": "without a text layer",
    "encrypted.pdf": "encrypted",
    "truncated.pdf": "unreadable PDF",
    "loop.txt": "looping symlink",
    "outside.txt": "outside the source folder",
    "locked.txt": "cannot read it",
    "pipe.txt": "not a regular file",
    "slides.pptx": "unsupported file type .pptx",
}
INDEXED = {
    "article.txt",
    "owls.md",
    "page.html",
    "report.pdf",
    "utf16.txt",
    "cp1252.txt",
    "invalid-utf8.txt",
    "nested.html",
    "name with spaces & $(touch pwned) ;`id`.txt",
    "ünïcödé 北京.md",
    "inside-link.txt",
}


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret owl census."]))))
    writer.encrypt(user_password="hunter2", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _make_folder(folder: Path) -> None:
    folder.mkdir()
    (folder / "article.txt").write_text(PROSE, encoding="utf-8")
    (folder / "owls.md").write_text(f"# Owls\n\n## Hunting\n\n{OWLS}\n", encoding="utf-8")
    (folder / "page.html").write_text(
        "<html><head><title>Owl page</title><script>track()</script></head><body>"
        f"<nav>Home | Shop</nav><article><h1>Owls</h1><p>{OWLS * 3}</p></article>"
        "<footer>© Example</footer></body></html>",
        encoding="utf-8",
    )
    (folder / "report.pdf").write_bytes(
        make_pdf([OWLS, "Tawny owls nest in tree holes."], title="Owl report")
    )
    (folder / "utf16.txt").write_bytes(("UTF-16 article. " + OWLS).encode("utf-16"))
    (folder / "cp1252.txt").write_bytes(
        ("Café owls — “quoted” in Windows-1252. " + OWLS).encode("cp1252")
    )
    (folder / "invalid-utf8.txt").write_bytes(
        OWLS.encode() + b"\xff\xfe\xc3\x28 broken bytes. " + OWLS.encode()
    )
    (folder / "nested.html").write_text(
        "<html><body>" + "<div><span>" * 3000 + f"<p>Deeply nested owls. {OWLS}" + "</b></i>" * 50,
        encoding="utf-8",
    )
    (folder / "name with spaces & $(touch pwned) ;`id`.txt").write_text(OWLS, encoding="utf-8")
    (folder / "ünïcödé 北京.md").write_text(f"# Eulen\n\n{OWLS}", encoding="utf-8")
    (folder / "inside-link.txt").symlink_to(folder / "article.txt")

    (folder / "empty.txt").write_bytes(b"")
    (folder / "whitespace.txt").write_text(" \n\t \n")
    (folder / "binary.txt").write_bytes(os.urandom(64 * 1024))
    with open(folder / "huge.txt", "wb") as huge:
        block = (OWLS * 200).encode()
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            huge.write(block)
    (folder / "oneline.txt").write_bytes(b"A" * 5 * 1024 * 1024)
    (folder / "allscript.html").write_text(
        "<html><script>" + "let x = 1;" * 5000 + "</script></html>"
    )
    (folder / "scanned.pdf").write_bytes(make_pdf(["", "", ""]))
    (folder / "encrypted.pdf").write_bytes(_encrypted_pdf())
    (folder / "truncated.pdf").write_bytes(make_pdf([OWLS])[:200])
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "outside.txt").symlink_to("/etc/passwd")
    (folder / "locked.txt").write_text(OWLS)
    (folder / "locked.txt").chmod(0)
    os.mkfifo(folder / "pipe.txt")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")


def _without_root_overrides() -> list[str]:
    """When the tests run as root, drop the capabilities that ignore file permissions, so
    that an unreadable file is unreadable to the build as it would be to a user."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


@pytest.fixture(scope="module")
def torture():
    root = Path(tempfile.mkdtemp(prefix="rag-torture-"))
    folder, index = root / "articles", root / "index"
    _make_folder(folder)
    # The build runs in a wrapper process whose only child is the build, to read its peak RSS.
    wrapper = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(r.returncode)"
    )
    build = [sys.executable, "-m", "rag", "build", "--source", str(folder), "--index", str(index)]
    result = subprocess.run(
        [*_without_root_overrides(), sys.executable, "-c", wrapper, *build],
        cwd=root, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    yield folder, index, result, peak_kb
    (folder / "locked.txt").chmod(stat.S_IRUSR | stat.S_IWUSR)
    shutil.rmtree(root, ignore_errors=True)


def test_build_indexes_the_readable_articles_and_exits_zero(torture):
    _, index, result, peak_kb = torture
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip()
    assert summary.startswith(f"Indexed {len(INDEXED)} articles"), summary
    assert f"{len(SKIPPED)} files skipped" in summary
    import rag

    sources = {chunk.source for chunk in rag.load_index(index).chunks}
    assert sources == INDEXED
    ARTIFACTS.mkdir(exist_ok=True)
    figures = {
        "files": len(SKIPPED) + len(INDEXED),
        "indexed": len(INDEXED),
        "skipped": len(SKIPPED),
        "peak_rss_mb": round(peak_kb / 1024),
    }
    (ARTIFACTS / "torture.json").write_text(json.dumps(figures, indent=1))
    assert peak_kb < 2_000_000, f"peak RSS {peak_kb // 1024} MB with a 50 MB file in the folder"


def test_each_skipped_file_has_a_one_line_reason(torture):
    _, _, result, _ = torture
    lines = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    reasons = {}
    for line in lines:
        source, _, reason = line.removeprefix("skipped ").partition(": ")
        reasons[source] = reason
    assert set(reasons) == set(SKIPPED), sorted(set(reasons) ^ set(SKIPPED))
    for source, fragment in SKIPPED.items():
        assert fragment in reasons[source], f"{source}: {reasons[source]}"
    assert "Traceback" not in result.stderr


def test_nothing_outside_the_folder_is_read_or_run(torture):
    folder, index, _, _ = torture
    import rag

    assistant = rag.load_index(index)
    assert all("root:x:0:0" not in chunk.text for chunk in assistant.chunks)
    assert not (folder / "pwned").exists() and not (folder.parent / "pwned").exists()


def test_odd_encodings_and_markup_keep_their_text(torture):
    _, index, _, _ = torture
    import rag

    assistant = rag.load_index(index)
    assert "Café owls — “quoted”" in assistant.document("cp1252.txt").text
    assert assistant.document("utf16.txt").text.startswith("UTF-16 article.")
    assert "Deeply nested owls." in assistant.document("nested.html").text
    assert assistant.document("report.pdf").title == "Owl report"
    page = assistant.document("page.html")
    assert (
        page.title == "Owl page" and "track()" not in page.text and "Home | Shop" not in page.text
    )
    answer = assistant.ask("How do barn owls find mice under snow?")
    assert answer.found and "by sound" in answer.text
