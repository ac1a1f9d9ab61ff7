"""The library panel: drop or pick articles to add them, tick articles to remove them; each
change is indexed at once, with a progress bar (`uploads` does the checking and writing)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..config import Settings
from ..loaders import SUPPORTED_SUFFIXES
from . import render
from .problems import user_message
from .uploads import MAX_FILES, remove_articles, save_uploads

if TYPE_CHECKING:
    from ..indexer import ProgressFactory
    from ..types import BuildReport
    from .library import Library
    from .uploads import Outcome


def add_library_panel(library: Library, status: gr.Markdown) -> gr.CheckboxGroup:
    """Build the panel in the current layout; returns its list of indexed articles, which
    the page fills when it loads. Changes update `status` too."""
    max_mb = Settings.from_env().max_file_mb
    with gr.Accordion("Library: add or remove articles", open=False, elem_id="library"):
        gr.Markdown(
            f"Drop .txt, .md, .html or .pdf files below, or click to pick them: up to "
            f"{MAX_FILES} at a time, {max_mb:g} MB each. They are saved in the source folder "
            "and indexed at once.",
            elem_id="library-help",
        )
        upload = gr.File(
            file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES), type="filepath",
            show_label=False, elem_id="upload", height=120,
        )  # fmt: skip
        replace = gr.Checkbox(False, label="Replace articles of the same name", elem_id="replace")
        result = gr.Markdown("", elem_id="library-result", latex_delimiters=[])
        articles = gr.CheckboxGroup([], label="Indexed articles", elem_id="articles")
        remove = gr.Button("Remove selected", elem_id="remove", size="sm", variant="stop")

    def add(
        paths: list[str] | None,
        replace: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        files = [(Path(p).name, Path(p)) for p in paths or []]
        outcomes = save_uploads(library.source_dir, files, max_mb, replace=replace)
        return (*_apply(library, outcomes, progress), None)

    def drop(
        sources: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        indexed = {doc.source for doc in library.assistant.documents}
        outcomes = remove_articles(library.source_dir, sources or [], indexed)
        return _apply(library, outcomes, progress)

    shared: dict[str, Any] = dict(
        api_visibility="private", concurrency_limit=1, concurrency_id="library",
        show_progress_on=[result],
    )  # fmt: skip
    upload.upload(add, [upload, replace], [result, articles, status, upload], **shared)
    remove.click(drop, [articles], [result, articles, status], **shared)
    return articles


def listing(library: Library) -> gr.CheckboxGroup:
    """The article list as it is in the loaded index, nothing ticked."""
    return gr.CheckboxGroup(choices=render.article_choices(library.assistant.documents), value=[])


def index_progress(progress: gr.Progress) -> ProgressFactory:
    """The progress bar of a build, shown by Gradio over the event's outputs."""
    return lambda total: _Bar(progress, total)


def _apply(library: Library, outcomes: list[Outcome], progress: gr.Progress) -> tuple[Any, ...]:
    """Index what the outcomes changed; (result, article list, status) for the page."""
    report: BuildReport | None = None
    problem = ""
    if any(o.ok for o in outcomes):
        try:
            report = library.refresh(index_progress(progress))
        except Exception as error:  # the files are in place; the loaded index stays in use
            problem = user_message(error)
    result = render.library_result_markdown(outcomes, problem)
    return result, listing(library), render.status_markdown(library.assistant.info, report)


class _Bar:
    """A build's progress bar for Gradio."""

    def __init__(self, progress: gr.Progress, total: int) -> None:
        self._progress, self._total, self._done = progress, total, 0
        self.update(0)

    def update(self, n: int) -> None:
        self._done += n
        desc = "Embedding new and changed articles"
        self._progress((self._done, self._total), desc=desc, unit="chunks")

    def close(self) -> None:
        """Gradio hides the bar when the event ends."""
