"""What the chat shows, without a browser: answer and panel Markdown, links, the source view."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from rag.assistant import MAX_QUESTION_CHARS, IndexInfo
from rag.types import Answer, BuildReport, Chunk, Citation, Document, Passage
from rag.web import render
from rag.web.links import raw_url, source_url
from rag.web.source_page import render_source_page
from rag.web.uploads import Outcome

HOSTILE = (
    "<img src=x onerror=alert(1)> <script>alert(2)</script> ![pixel](http://203.0.113.9/p.png) "
    "[link](http://203.0.113.9/) <b>bold</b> *em* `code` $$x$$ &amp; | ~~s~~ \\ [3]"
)
MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def rendered(markdown: str) -> str:
    return MD.render(markdown)


def tags(page: str) -> set[str]:
    return set(re.findall(r"<([a-z][a-z0-9]*)", page))


def test_escaped_text_renders_as_exactly_that_text():
    for text in (
        HOSTILE,
        "1. not a list",
        "# not a heading",
        "- not an item",
        "> not a quote",
        "---",
    ):
        page = rendered(render.escape(text))
        assert tags(page) == {"p"}, page
        assert html.unescape(re.sub(r"</?p>", "", page)).strip() == text


def citation(number: int, quote: str = "NATO refused.", page: int | None = None) -> Citation:
    return Citation(
        number, "news/a b.txt", "A <title>", quote, 10 * number, 10 * number + len(quote), 0.5, page
    )


def passage(rank: int, text: str = "Some passage text.") -> Passage:
    chunk = Chunk(
        f"news/a b.txt#{rank}",
        "news/a b.txt",
        "A <title>",
        text,
        100 * rank,
        100 * rank + len(text),
        None,
    )
    return Passage(chunk, 0.03 / rank, rank, 0.5)


def test_answer_links_each_marker_and_lists_its_sources():
    answer = Answer("Why?", f"First {HOSTILE} [1] Second. [2]", True,
                    [citation(1, HOSTILE), citation(2, page=3)], [passage(1)], "Why?")  # fmt: skip
    page = rendered(render.answer_markdown(answer))
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    markers = [(html.unescape(href), text) for href, text in links if text.startswith("[")]
    assert markers == [
        (source_url("news/a b.txt", 10, 10 + len(HOSTILE)), "[1]"),
        (source_url("news/a b.txt", 20, 33), "[2]"),
    ]  # the article's own "[3]" is not a citation, so it stays text
    assert "<img" not in page and "<script" not in page and "<b>" not in page
    assert "[3]" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    items = re.findall(r"<li>(.*?)</li>", page, flags=re.S)
    assert len(items) == 2 and "A &lt;title&gt;" in items[0] and "a b.txt" in items[0]
    assert f'href="{raw_url("news/a b.txt")}"' in items[0] and "page 3" in items[1]
    assert 'href="/raw/news/a%20b.txt#page=3"' in items[1]  # a PDF opens at the cited page
    assert "“NATO refused.”" in items[1] and "page" not in items[0]


def test_a_note_about_the_answer_is_shown_under_it():
    answer = Answer("Why?", "x [1]", True, [citation(1)], [], "Why?", note="the LLM <timed out>")
    page = rendered(render.answer_markdown(answer))
    assert page.rstrip().endswith("<p><em>Note: the LLM &lt;timed out&gt;</em></p>"), page


def test_an_abstention_lists_each_related_passages_closest_sentence_on_a_linked_line():
    answer = Answer("Capital?", "The articles do not answer this question.", False, [],
                    [passage(1), passage(2)], "Capital?")  # fmt: skip
    long = "A closest sentence that runs on " + "and on " * 60 + "<b>to the end</b>."
    related = [citation(1, "Zelenskyy proposed a joint air defence."), citation(2, long, page=4)]
    page = rendered(render.answer_markdown(answer, related))
    assert "Related passages" in page and "Sources" not in page and "<b>" not in page
    items = re.findall(r"<li>(.*?)</li>", page, flags=re.S)
    assert len(items) == 2 and all("\n" not in item for item in items), items
    first = f'<a href="{html.escape(source_url("news/a b.txt", 10, 49))}">'
    assert items[0].startswith(
        first + "“Zelenskyy proposed a joint air defence.”</a> — A &lt;title"
    )
    assert len(html.unescape(re.sub(r"<[^>]+>", "", items[1]))) < 300 and "…”" in items[1]
    assert 'href="/raw/news/a%20b.txt#page=4"' in items[1] and "page 4" in items[1]
    assert "Related passages" not in render.answer_markdown(answer)  # none given, none shown


def test_panel_shows_the_search_its_passages_and_their_scores():
    found = Answer(
        "And Biden?",
        "x [1]",
        True,
        [citation(1)],
        [passage(1, HOSTILE), passage(2)],
        "Who? And Biden?",
    )
    page = rendered(render.panel_markdown(found))
    assert "Searched for:</strong> Who? And Biden?" in page and "follow-up" in page
    assert "Retrieved passages" in page and "score 0.0300 · similarity 0.50" in page
    assert "score 0.0150" in page and "<img" not in page and "<script" not in page
    related = Answer("Capital?", "no", False, [], [passage(1)], "Capital?")
    page = rendered(render.panel_markdown(related))
    assert "Related passages" in page and "Retrieved" not in page and "follow-up" not in page


def test_a_long_question_is_said_to_be_shortened_and_not_called_a_follow_up():
    question = "Why did NATO refuse? " + "very " * 2000
    searched = question.strip()[:MAX_QUESTION_CHARS]
    answer = Answer(question, "x [1]", True, [citation(1)], [passage(1)], searched)
    panel = rendered(render.panel_markdown(answer))
    notice = f"the question has {len(question.strip()):,} characters and only its first 2,000"
    assert notice in panel and "follow-up" not in panel
    assert len(panel) < 2000 and "Why did NATO refuse? very very" in panel
    shown = rendered(render.question_markdown(question))
    assert notice in shown and shown.count("very") == searched.count("very")
    assert (
        render.shortened_notice("Short?") == "" and render.question_markdown("Short?") == "Short?"
    )


def test_the_confidence_is_shown_with_every_answer():
    rated = Answer("Why?", "x [1]", True, [citation(1)], [], "Why?", confidence=0.873)
    assert "Confidence that the articles answer this: 87%" in render.answer_markdown(rated)
    declined = Answer("Why?", "no", False, [], [], "Why?", confidence=0.04)
    assert "Confidence that the articles answer this: 4%" in render.answer_markdown(declined)


def test_library_results_name_each_file_or_give_the_one_shared_reason():
    mixed = [Outcome("a.txt", "a.txt", "added"), Outcome("../b <i>.txt", None, "binary data")]
    page = rendered(render.library_result_markdown(mixed, "the index is busy"))
    assert "✓ a.txt: added" in page and "✗ ../b &lt;i&gt;.txt: binary data" in page
    assert "<i>" not in page and "⚠ the index is busy" in page
    many = [Outcome(f"n{i}.txt", None, "1,000 files at once") for i in range(1000)]
    assert render.library_result_markdown(many) == "**Nothing changed:** 1,000 files at once."
    listed = render.library_result_markdown([*mixed, *many[:20]])
    assert listed.count("\n") == render.LISTED_FILES and listed.endswith("… and 10 more")


def test_article_choices_label_each_article_by_title_and_file():
    docs = [Document("a/b.txt", "A  title\n", "text", "h"), Document("c.md", "", "text", "h")]
    assert render.article_choices(docs) == [
        ("A title · a/b.txt", "a/b.txt"),
        ("c.md · c.md", "c.md"),
    ]


def test_status_shows_counts_model_and_build_time():
    info = IndexInfo(
        "index",
        "/data/seeds",
        2,
        10,
        "sentence-transformers/all-MiniLM-L6-v2",
        "2026-11-23T16:04:10+00:00",
    )
    status = render.status_markdown(info)
    assert status.startswith("**2 articles · 10 passages** indexed from /data/seeds")
    assert (
        "model sentence-transformers/all-MiniLM-L6-v2" in status
        and "built 2026-11-23 16:04 UTC" in status
    )
    report = BuildReport("index", 3, 12, added=1, unchanged=2)
    assert "Re-indexed: 1 added, 0 changed, 0 removed, 2 unchanged." in render.status_markdown(
        info, report
    )
    same = BuildReport("index", 2, 10, unchanged=2)
    assert render.status_markdown(info, same).endswith("Re-indexed: nothing had changed.")


def test_links_quote_every_character_a_path_may_hold():
    assert source_url("a#b?.txt", 1, 2) == "/source/a%23b%3F.txt?start=1&end=2#cited"
    assert raw_url("dir/x y.pdf", 2) == "/raw/dir/x%20y.pdf#page=2"
    assert source_url("x.txt") == "/source/x.txt"


def pdf_document() -> Document:
    text = "Page one <b>text</b>.\n\nPage two text."
    return Document("r.pdf", "Report & co", text, "h", (0, text.index("Page two")))


def test_source_page_marks_the_span_on_each_page_it_covers():
    doc = pdf_document()
    start, end = doc.text.index("text"), doc.text.index("two") + 3
    page = render_source_page(doc, start, end)
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", page, flags=re.S)
    assert [html.unescape(m) for m in marks] == ["text</b>.\n\n", "Page two"]
    assert page.count('id="cited"') == 1 and page.index('id="cited"') < page.index('id="page-2"')
    assert "<b>" not in page and "Report &amp; co" in page and "cited passage on page 1" in page
    assert 'href="/raw/r.pdf#page=1"' in page


def test_source_page_shows_the_title_once():
    text = "Alpha reactor\n\nThe alpha reactor runs at 42 kelvin."
    doc = Document("a.txt", "Alpha reactor", text, "h")
    page = render_source_page(doc, None, None)
    assert page.count("Alpha reactor") == 2  # the <title> and the header, not the text
    assert re.search(r"<main>The alpha reactor runs", page)
    cited = render_source_page(doc, 0, 13)  # a cited title stays in the text, marked
    assert '<main><mark id="cited">Alpha reactor</mark>' in cited
    other = render_source_page(Document("b.txt", "Beta", "Alpha reactor\n\nText.", "h"), 0, 5)
    assert "<main><mark" in other  # a first line that is not the title stays


@pytest.mark.parametrize(("start", "end"), [(None, None), (5, 5), (7, 3), (0, 10_000), (-1, 4)])
def test_source_page_without_a_valid_span_marks_nothing(start, end):
    page = render_source_page(pdf_document(), start, end)
    assert "<mark" not in page and "Page two text." in page and 'href="/raw/r.pdf"' in page
