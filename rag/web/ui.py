"""The Gradio page: the chat, the passages panel, the index status and its re-index button."""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..errors import RagError
from ..types import Answer
from . import render

if TYPE_CHECKING:
    from .library import Library

log = logging.getLogger(__name__)

CONCURRENT_ANSWERS = 4  # questions answered at once; the index and model are shared
CSS = """
#passages { max-height: 78vh; overflow-y: auto; }
#index-status p { margin: 0; }
"""
_PLACEHOLDER = (
    "Ask a question about the articles. Every sentence of the answer cites the article it "
    "comes from, and each source opens that article at the cited passage."
)


def build_demo(library: Library) -> gr.Blocks:
    """The chat page over `library`; its API endpoint `/chat` takes a question, returns Markdown."""
    with gr.Blocks(title="Ask the articles", analytics_enabled=False) as demo:
        history = gr.State([])  # this conversation as plain text, for follow-up questions
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                with gr.Row():
                    status = gr.Markdown("Loading…", elem_id="index-status", latex_delimiters=[])
                    reindex = gr.Button("Re-index", elem_id="reindex", size="sm", scale=0)
                chat = gr.Chatbot(
                    elem_id="chat", show_label=False, height="calc(100vh - 200px)",
                    latex_delimiters=[], allow_tags=False, buttons=["copy"],
                    feedback_options=None, placeholder=_PLACEHOLDER,
                )  # fmt: skip
                question = gr.Textbox(
                    elem_id="question", show_label=False, submit_btn=True, autofocus=True,
                    placeholder="Ask a question about the articles", lines=1, max_lines=6,
                )  # fmt: skip
            with gr.Column(scale=2):
                panel = gr.Markdown(render.EMPTY_PANEL, elem_id="passages", latex_delimiters=[])

        def respond(text: str, messages: list[Any], turns: list[Any]) -> Iterator[tuple[Any, ...]]:
            with _user_errors():
                yield from _respond(library, text, messages, turns)

        def answer(question: str) -> str:
            """Answer a question from the articles: Markdown with [n] markers, then the sources."""
            with _user_errors():
                return render.answer_markdown(library.assistant.ask(question))

        def refresh(progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008 - Gradio's idiom
            with _user_errors():
                report = library.refresh(lambda total: _Bar(progress, total))
                return render.status_markdown(library.assistant.info, report)

        def show_status() -> str:
            with _user_errors():
                return render.status_markdown(library.assistant.info)

        question.submit(
            respond, [question, chat, history], [question, chat, panel, history],
            api_visibility="private", concurrency_limit=CONCURRENT_ANSWERS, concurrency_id="answer",
        )  # fmt: skip
        gr.api(
            answer, api_name="chat", concurrency_limit=CONCURRENT_ANSWERS, concurrency_id="answer"
        )
        reindex.click(refresh, None, status, api_visibility="private", concurrency_limit=1)
        chat.clear(
            lambda: ([], render.EMPTY_PANEL), None, [history, panel], api_visibility="private"
        )
        demo.load(show_status, None, status, api_visibility="private")
    return demo


def _respond(
    library: Library, text: str, messages: list[Any], turns: list[Any]
) -> Iterator[tuple[Any, ...]]:
    """Stream the answer into the chat: (question box, chat, panel, conversation) updates."""
    pieces = library.assistant.stream(text, turns)
    first = next(pieces)  # an unusable question fails here, before the chat changes
    messages = [*messages, _message("user", render.question_markdown(text))]
    so_far = ""
    for piece in itertools.chain([first], pieces):
        if isinstance(piece, Answer):
            reply = _message("assistant", render.answer_markdown(piece))
            turns = [*turns, _message("user", text.strip()), _message("assistant", piece.text)]
            yield "", [*messages, reply], render.panel_markdown(piece), turns
            return
        so_far += piece
        reply = _message("assistant", render.partial_markdown(so_far))
        yield "", [*messages, reply], gr.skip(), gr.skip()


def _message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Show expected problems as their one-line message, and unexpected ones without a
    traceback (that goes to the server log)."""
    try:
        yield
    except gr.Error:
        raise
    except RagError as error:
        raise gr.Error(str(error)) from None
    except Exception as error:
        log.exception("the chat failed")
        kind = type(error).__name__
        raise gr.Error(f"Something went wrong ({kind}); the server log has details.") from None


class _Bar:
    """A build's progress bar, shown by Gradio over the index status."""

    def __init__(self, progress: gr.Progress, total: int) -> None:
        self._progress, self._total, self._done = progress, total, 0
        self.update(0)

    def update(self, n: int) -> None:
        self._done += n
        desc = "Embedding new and changed articles"
        self._progress((self._done, self._total), desc=desc, unit="chunks")

    def close(self) -> None:
        """Gradio hides the bar when the event ends."""
