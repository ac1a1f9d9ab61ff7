"""Errors the user can act on. Each message is one line that says what to do next."""

from __future__ import annotations


class RagError(Exception):
    """An expected problem, shown to the user as its message alone (no traceback)."""


def shown(location: str) -> str:
    """A store as named in messages: a folder with a trailing slash, a URI as it is."""
    return location if "#" in location or "://" in location else f"{location}/"


class IndexNotFoundError(RagError, FileNotFoundError):
    """There is no index where one was expected."""

    def __init__(self, index_dir: str, aside: str = "") -> None:
        super().__init__(f"no index in {shown(index_dir)}{aside}: run `rag build` to create it")


class IndexMismatchError(RagError, ValueError):
    """The index was built with another embedding model or an older index format."""


class IndexCorruptError(RagError):
    """An index file is missing, truncated or inconsistent with the manifest."""

    def __init__(self, index_dir: str, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"the index in {shown(index_dir)} is damaged ({detail}): run `rag build --rebuild`"
        )


class EmptyCorpusError(RagError):
    """The source folder holds no article that could be indexed."""


class IndexBusyError(RagError):
    """Another build is writing the same index."""


class StoreUnavailableError(RagError):
    """The index store (a Milvus server or Milvus Lite file) cannot be reached or refused us."""


class ModelLoadError(RagError):
    """The embedding model could not be loaded."""


class QuestionError(RagError, ValueError):
    """The question cannot be searched (empty, or nothing but punctuation)."""


def first_line(error: BaseException) -> str:
    """A third-party error, cut to its first line to quote in one of ours."""
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__
