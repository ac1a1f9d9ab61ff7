"""Loading each format: the text, the title, page numbers, and a clear reason for bad files."""

from __future__ import annotations

import io

import pytest
from pdfs import make_pdf

from rag.loaders import SkipFile, load_document

ARTICLE = "The harbour bridge opened in 1932. It carries eight lanes of traffic."


def test_text_in_any_common_encoding():
    for data in (
        ARTICLE.encode("utf-8"),
        b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"),
        ARTICLE.encode("utf-16"),  # with BOM
        ARTICLE.replace("harbour", "café harbour").encode("cp1252"),  # not valid UTF-8
    ):
        doc = load_document("bridge.txt", data)
        assert "The" in doc.text and "eight lanes of traffic." in doc.text
        assert doc.title.startswith("The harbour bridge") or doc.title.startswith("The café")
    assert "café" in load_document("b.txt", "café ".encode("cp1252") * 50).text


def test_crlf_and_control_characters_are_normalised():
    body = b"Filler sentence number one. " * 20
    doc = load_document("a.txt", b"Line one.\r\nLine two.\x00\x07 End.\r\n" + body)
    assert doc.text == "Line one.\nLine two. End.\n" + body.decode()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"   \n\t\n", "empty file"),
        ("binary.txt", bytes(range(256)) * 40, "binary data"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type .docx"),
        (
            "script.html",
            b"<html><head><script>var a=1;</script></head>"
            b"<body><script>go()</script></body></html>",
            "no text",
        ),
        ("scan.pdf", make_pdf(["", ""]), "without a text layer"),
        ("broken.pdf", make_pdf(["Some text here."])[:120], "unreadable PDF"),
        ("garbage.pdf", b"%PDF-1.4 this is not a pdf at all", "unreadable PDF"),
    ],
)
def test_unusable_files_are_skipped_with_a_reason(name, data, reason):
    with pytest.raises(SkipFile, match=reason):
        load_document(name, data)


def test_html_keeps_the_article_and_drops_boilerplate():
    page = f"""<html><head><title>Bridge news</title><style>p {{color: red}}</style>
    <script>trackUser();</script></head><body>
    <nav><a href="/">Home</a> | <a href="/sport">Sport</a> | Subscribe now</nav>
    <article><h1>The bridge turns 90</h1><p>{ARTICLE}</p>
    <p>Engineers say the steel arch still has decades of life left in it.</p></article>
    <footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""
    doc = load_document("bridge.html", page.encode())
    assert doc.title == "Bridge news"
    assert "eight lanes of traffic" in doc.text and "steel arch" in doc.text
    for boilerplate in ("trackUser", "color: red", "Subscribe now", "All rights reserved"):
        assert boilerplate not in doc.text


def test_html_title_falls_back_to_h1():
    doc = load_document("b.htm", f"<body><h1>The bridge</h1><p>{ARTICLE}</p></body>".encode())
    assert doc.title == "The bridge"


def test_markdown_is_flattened_and_titled_by_its_heading():
    source = (
        "---\nauthor: me\n---\n# The *Harbour* Bridge\n\n"
        f"Intro with a [link](http://x.org) and **bold**.\n\n## History\n\n{ARTICLE}\n"
    )
    doc = load_document("bridge.md", source.encode())
    assert doc.title == "The Harbour Bridge"
    assert "Intro with a link and bold." in doc.text
    assert "#" not in doc.text and "**" not in doc.text and "http://x.org" not in doc.text
    assert "author" not in doc.text


def test_pdf_pages_and_metadata_title():
    doc = load_document(
        "report.pdf", make_pdf(["Page one text.", "Page two text."], title="Annual Report")
    )
    assert doc.title == "Annual Report"
    assert doc.page_at(doc.text.index("Page one")) == 1
    assert doc.page_at(doc.text.index("Page two")) == 2
    untitled = load_document("r.pdf", make_pdf(["Quarterly figures\nRevenue grew."]))
    assert untitled.title == "Quarterly figures"


def test_encrypted_pdf_is_skipped():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret text."]))))
    writer.encrypt(user_password="hunter2", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(SkipFile, match="encrypted"):
        load_document("secret.pdf", out.getvalue())


def test_title_defaults_to_the_first_line():
    assert load_document("a.txt", b"\n\n  First line here  \nBody.").title == "First line here"
