"""What the chat says when something goes wrong: one line for the user, one for the log."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import gradio as gr

from ..errors import RagError

log = logging.getLogger(__name__)


def user_message(error: Exception) -> str:
    """The one line shown for `error`. An expected problem (`RagError`) is logged as one
    line; anything else with its traceback, for whoever runs the server."""
    if isinstance(error, RagError):
        log.warning("refused: %s", error)
        return str(error)
    log.error("the chat failed", exc_info=error)
    return f"Something went wrong ({type(error).__name__}); the server log has details."


class Problem(gr.Error):
    """A `gr.Error` whose text is its message alone (Gradio's shows it quoted), as MCP
    clients receive it."""

    def __str__(self) -> str:
        return str(self.message)


@contextlib.contextmanager
def as_gradio_errors() -> Iterator[None]:
    """Turn any failure into a `Problem` with its one-line message and no traceback
    printed by Gradio (the log already has what it needs)."""
    try:
        yield
    except gr.Error:
        raise
    except Exception as error:
        raise Problem(user_message(error), print_exception=False) from None
