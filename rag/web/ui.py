"""The Gradio page: the chat, the passages panel, the index status and its re-index button,
and (unless read-only) the library panel to add and remove articles."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import gradio as gr

from ..types import Answer
from . import render
from .api import add_endpoints, related_of
from .library_panel import add_library_panel, index_progress, listing
from .options import ANSWER_CONCURRENCY
from .problems import as_gradio_errors, user_message

if TYPE_CHECKING:
    from .library import Library

CSS = """
#passages { max-height: 78vh; overflow-y: auto; }
#index-status p { margin: 0; }
#question-hint p { margin: 0; }
#articles { max-height: 40vh; overflow-y: auto; }
"""
_T = TypeVar("_T")
_PLACEHOLDER = (
    "Ask a question about the articles. Every sentence of the answer cites the article it "
    "comes from, and each source opens that article at the cited passage."
)


def build_demo(
    library: Library, *, read_only: bool = False, concurrency: int = ANSWER_CONCURRENCY
) -> gr.Blocks:
    """The chat page over `library`, answering `concurrency` questions at once (the chat's,
    its API's and the MCP tools' together); its API endpoints are those of
    `api.add_endpoints`."""
    slots = threading.BoundedSemaphore(concurrency)
    # delete_cache: Gradio's copies of uploaded files are deleted within two hours.
    with gr.Blocks(
        title="Ask the articles", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as demo:
        history = gr.State([])  # this conversation as plain text, for follow-up questions
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                with gr.Row():
                    status = gr.Markdown("Loading…", elem_id="index-status", latex_delimiters=[])
                    reindex = gr.Button("Re-index", elem_id="reindex", size="sm", scale=0)
                chat = gr.Chatbot(
                    elem_id="chat", show_label=False, height="calc(100vh - 230px)",
                    latex_delimiters=[], allow_tags=False, buttons=["copy"],
                    feedback_options=None, placeholder=_PLACEHOLDER,
                )  # fmt: skip
                question = gr.Textbox(
                    elem_id="question", show_label=False, submit_btn=True, autofocus=True,
                    placeholder="Ask a question about the articles", lines=1, max_lines=6,
                )  # fmt: skip
                hint = gr.Markdown("", elem_id="question-hint", latex_delimiters=[])
            with gr.Column(scale=2):
                articles = None if read_only else add_library_panel(library, status)
                panel = gr.Markdown(render.EMPTY_PANEL, elem_id="passages", latex_delimiters=[])

        def respond(text: str, messages: list[Any], turns: list[Any]) -> Iterator[tuple[Any, ...]]:
            try:
                yield from _each_held(_respond(library, text, messages, turns), slots)
            except Exception as error:  # the conversation stays; the box keeps the question
                problem = render.problem_markdown(user_message(error))
                yield text, messages, gr.skip(), gr.skip(), problem

        def refresh(progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008
            with as_gradio_errors():
                report = library.refresh(index_progress(progress))
                return _status(library, report, articles)

        def show_status() -> Any:
            with as_gradio_errors():
                return _status(library, None, articles)

        status_outputs = [status] if articles is None else [status, articles]
        question.submit(
            respond, [question, chat, history], [question, chat, panel, history, hint],
            api_visibility="private", concurrency_limit=concurrency,
            concurrency_id="answer", show_progress_on=[chat],
        )  # fmt: skip
        add_endpoints(library, concurrency, slots)
        reindex.click(
            refresh, None, status_outputs, api_visibility="private", concurrency_limit=1,
            concurrency_id="library",
        )  # fmt: skip
        chat.clear(
            lambda: ([], render.EMPTY_PANEL, ""), None, [history, panel, hint],
            api_visibility="private",
        )  # fmt: skip
        demo.load(show_status, None, status_outputs, api_visibility="private")
    # Waiting tabs learn their place in the queue each second, not at every answer that
    # starts (with 20 clients that is a message to each waiting one, per answer).
    queued: gr.Blocks = demo.queue(status_update_rate=1)
    return queued


def _respond(
    library: Library, text: str, messages: list[Any], turns: list[Any]
) -> Iterator[tuple[Any, ...]]:
    """Stream the answer into the chat: (question box, chat, panel, conversation, hint)."""
    assistant = library.assistant
    pieces = assistant.stream(text, turns)
    first = next(pieces)  # an unusable question fails here, before the chat changes
    messages = [*messages, _message("user", render.question_markdown(text))]
    notice = render.shortened_notice(text)
    hint = f"ℹ {notice}" if notice else ""
    so_far = ""
    for piece in itertools.chain([first], pieces):
        if isinstance(piece, Answer):
            shown = render.answer_markdown(piece, related_of(assistant, piece))
            turns = [*turns, _message("user", text.strip()), _message("assistant", piece.text)]
            chat = [*messages, _message("assistant", shown)]
            yield "", chat, render.panel_markdown(piece), turns, hint
            return
        so_far += piece
        reply = _message("assistant", render.partial_markdown(so_far))
        yield "", [*messages, reply], gr.skip(), gr.skip(), hint


def _each_held(steps: Iterator[_T], slots: threading.Semaphore) -> Iterator[_T]:
    """`steps`, each computed while holding one of `slots`: an answer holds a slot while it
    works, not while its pieces travel to the page."""
    while True:
        with slots:
            step = next(steps, None)
        if step is None:
            return
        yield step


def _status(library: Library, report: Any, articles: gr.CheckboxGroup | None) -> Any:
    """The index status, and the library's article list when there is one."""
    status = render.status_markdown(library.assistant.info, report)
    return status if articles is None else (status, listing(library))


def _message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}
