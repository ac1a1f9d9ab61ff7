"""Articles added and removed from the page (`rag.web.uploads`): hostile uploads are refused
with a reason and change nothing; good ones land in the source folder, and the index built
afterwards answers from them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS
from pdfs import make_pdf

import rag
from rag.errors import RagError
from rag.web.uploads import MAX_FILES, REMOVED_DIR, remove_articles, safe_name, save_uploads

REACTOR = b"Alpha reactor\n\nThe alpha reactor runs at 42 kelvin. Its coolant is liquid helium.\n"
SECRET = b"TOP SECRET: outside the source folder."


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """(source folder with the bundled articles, folder of files to upload), side by side."""
    source = tmp_path / "articles"
    shutil.copytree(SEEDS, source)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    return source, uploads


def upload(uploads: Path, name: str, data: bytes) -> tuple[str, Path]:
    """A file as Gradio hands it over: the name given by the browser, and where it is."""
    path = uploads / f"{len(list(uploads.iterdir()))}.bin"
    path.write_bytes(data)
    return name, path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below `root` (symlinks as their target), to see what a call changed."""
    return {
        str(p.relative_to(root)): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("../../etc/reactor.txt", "reactor.txt"),
        ("/etc/cron.d/reactor.md", "reactor.md"),
        ("..\\..\\windows\\reactor.html", "reactor.html"),
        (".hidden.txt", "hidden.txt"),
        ("re\x00ac\x1btor\u202e.txt", "reactor.txt"),
        ("rm -rf $(boom) `x`;.txt", "rm -rf _(boom) _x__.txt"),
        ("  spaced   out .pdf", "spaced out.pdf"),
        ("e\u0301t\u00e9.TXT", "\u00e9t\u00e9.TXT"),
        ("a" * 300 + ".md", "a" * 117 + ".md"),
    ],
)
def test_names_are_cut_to_a_plain_file_name(given, saved):
    assert safe_name(given) == saved


@pytest.mark.parametrize(
    "given", ["..", ".", "/", "../..", "....txt", "report.exe", "notes.txt.sh", "x.txt/", "", "CON"]
)
def test_names_that_are_no_article_are_refused(given):
    with pytest.raises(RagError, match=r"not an article file|no usable characters"):
        safe_name(given)


def test_hostile_uploads_are_refused_with_reasons_and_change_nothing(folders, tmp_path):
    source, uploads = folders
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (source / "linked.txt").symlink_to(tmp_path / "secret.txt")
    big = b"word " * 230_000  # 1.1 MB of prose
    hostile = [
        upload(uploads, "empty.txt", b""),
        upload(uploads, "blank.md", b" \n\t\n"),
        upload(uploads, "random.txt", os.urandom(4096)),
        upload(uploads, "elf.txt", b"\x7fELF\x02\x01\x01" + bytes(2000)),
        upload(uploads, "zip.md", b"PK\x03\x04" + os.urandom(3000)),
        upload(uploads, "text.pdf", b"Not a PDF, only text pretending to be one."),
        upload(uploads, "broken.pdf", b"%PDF-1.4\n%garbage with no objects\n"),
        upload(uploads, "script.html", b"<html><script>alert(1)</script></html>"),
        upload(uploads, "big.txt", big),
        upload(uploads, "linked.txt", REACTOR),
        upload(uploads, "000_866b00fbbd318d60.txt", REACTOR),
        upload(uploads, "../../outside.exe", REACTOR),
        upload(uploads, "..", REACTOR),
    ]
    before, given = snapshot(source), snapshot(uploads)
    outcomes = save_uploads(source, hostile, max_mb=1)
    reasons = {o.name: o.message for o in outcomes}
    assert not any(o.ok for o in outcomes), reasons
    expected = {
        "empty.txt": "empty file",
        "blank.md": "empty file",
        "random.txt": "binary data",
        "elf.txt": "binary data",
        "zip.md": "binary data",
        "text.pdf": "not a PDF file",
        "broken.pdf": "PDF",
        "script.html": "no text",
        "big.txt": "1.1 MB: files up to 1 MB are accepted",
        "linked.txt": "taken in the source folder by a link",
        "000_866b00fbbd318d60.txt": "already in the library: tick “Replace",
        "../../outside.exe": "not an article file",
        "..": "not an article file",
    }
    for name, fragment in expected.items():
        assert fragment in reasons[name], (name, reasons[name])
    assert all("\n" not in r and "Traceback" not in r for r in reasons.values())
    assert snapshot(source) == before and snapshot(uploads) == given
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "secret.txt", "uploads"]
    assert (tmp_path / "secret.txt").read_bytes() == SECRET


@pytest.mark.slow  # writes a thousand files
def test_a_thousand_files_at_once_are_refused_whole(folders):
    source, uploads = folders
    before = snapshot(source)
    many = [upload(uploads, f"note-{i}.txt", REACTOR) for i in range(1000)]
    outcomes = save_uploads(source, many, max_mb=10)
    assert len(outcomes) == 1000 and not any(o.ok for o in outcomes)
    assert {o.message for o in outcomes} == {
        f"1,000 files at once: add at most {MAX_FILES} at a time"
    }
    assert snapshot(source) == before
    assert len(save_uploads(source, many[:MAX_FILES], max_mb=10)) == MAX_FILES


def test_good_uploads_are_saved_and_the_index_answers_from_them(folders, embedder):
    source, uploads = folders
    pdf = make_pdf(["The beta reactor page one.", "The beta reactor runs at 77 kelvin."])
    files = [
        upload(uploads, "../reactor.txt", REACTOR),
        upload(uploads, "beta report.pdf", pdf),
        upload(uploads, "reactor.txt", REACTOR + b"again"),  # same name in one upload
        upload(uploads, "bad.txt", os.urandom(2000)),
    ]
    outcomes = save_uploads(source, files, max_mb=10)
    assert [(o.saved_as, o.message) for o in outcomes] == [
        ("reactor.txt", "added"),
        ("beta report.pdf", "added"),
        (None, "another file of this upload has the same name"),
        (None, "binary data, not text"),
    ]
    assert (source / "reactor.txt").read_bytes() == REACTOR
    assert (source / "beta report.pdf").read_bytes() == pdf
    assert not [p for p in source.iterdir() if p.name.startswith(".")], "a temporary file is left"
    index = source.parent / "index"
    rag.build_index(source, index)
    answer = rag.load_index(index).ask("How cold is the alpha reactor?")
    assert answer.found and answer.citations[0].source == "reactor.txt", answer.text


def test_same_name_replaces_only_when_asked_and_same_content_changes_nothing(folders):
    source, uploads = folders
    name = "000_866b00fbbd318d60.txt"
    original = (source / name).read_bytes()
    [same] = save_uploads(source, [upload(uploads, name, original)], max_mb=10)
    assert same.ok and "same content: nothing changed" in same.message
    [kept] = save_uploads(source, [upload(uploads, name, REACTOR)], max_mb=10)
    assert not kept.ok and (source / name).read_bytes() == original
    [replaced] = save_uploads(source, [upload(uploads, name, REACTOR)], max_mb=10, replace=True)
    assert (
        replaced.ok and "replaced" in replaced.message and (source / name).read_bytes() == REACTOR
    )


def test_removal_moves_indexed_articles_aside_and_only_those(folders, tmp_path):
    source, _ = folders
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (source / "linked.txt").symlink_to(source / "000_866b00fbbd318d60.txt")
    indexed = {"000_866b00fbbd318d60.txt", "001_2cdb7c04a088ded7.txt", "linked.txt"}
    outcomes = remove_articles(
        source, ["linked.txt", "../secret.txt", "/etc/passwd", "unknown.txt"], indexed
    )
    assert [(o.name, o.ok) for o in outcomes] == [
        ("../secret.txt", False), ("/etc/passwd", False), ("unknown.txt", False),
        ("linked.txt", True),
    ]  # fmt: skip
    assert not (source / "linked.txt").exists() and (source / "000_866b00fbbd318d60.txt").exists()
    [kept] = list((source / REMOVED_DIR).iterdir())
    assert kept.is_symlink() and kept.name.endswith("linked.txt")  # the link moved, not its target
    assert (tmp_path / "secret.txt").read_bytes() == SECRET
    everything = remove_articles(source, sorted(indexed - {"linked.txt"}), indexed - {"linked.txt"})
    assert not any(o.ok for o in everything) and "cannot be left empty" in everything[0].message
