"""The one exception a loader raises for a file it cannot index."""

from __future__ import annotations


class SkipFile(Exception):
    """The file cannot be indexed; the message is the one-line reason shown to the user."""
