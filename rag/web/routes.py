"""The source routes: an indexed article's readable view, and its original file.

A request names an article by its path relative to the source folder, and that name is only
ever looked up among the indexed articles, never joined to a path first. So `..`, encoded
traversal, absolute paths and unknown names all find nothing (404). The original file is
read only after its real path (symlinks resolved) is checked to lie inside the source folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from ..loaders import SkipFile
from ..loaders.text import decode
from .links import RAW_ROUTE, SOURCE_ROUTE
from .source_page import HEADERS, render_source_page

if TYPE_CHECKING:
    from ..assistant import Assistant

_NOT_FOUND = "No such article in the index."


def source_router(current: Callable[[], Assistant]) -> APIRouter:
    """Routes that serve the articles of `current()`, the index loaded at request time."""
    router = APIRouter()

    @router.get(SOURCE_ROUTE + "/{source:path}", response_class=HTMLResponse)
    def view(source: str, start: str = "", end: str = "") -> Response:
        doc = current().document(source)
        if doc is None:
            return _not_found()
        page = render_source_page(doc, _offset(start), _offset(end))
        return HTMLResponse(page, headers=HEADERS)

    @router.get(RAW_ROUTE + "/{source:path}")
    def raw(source: str) -> Response:
        assistant = current()
        if assistant.document(source) is None:
            return _not_found()
        path = _inside(Path(assistant.info.source_dir), source)
        if path is None:
            return PlainTextResponse(
                "The file has left the source folder since it was indexed: re-index.", 404
            )
        return _file_response(path)

    return router


def _offset(value: str) -> int | None:
    """A character offset from the query, or None (nothing marked) if it is not one."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 16 else None


def _inside(root: Path, source: str) -> Path | None:
    """The regular file `root/source`, if its real path is inside the real `root`."""
    try:
        real_root = root.resolve(strict=True)
        path = (real_root / source).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    return path if path.is_relative_to(real_root) and path.is_file() else None


def _file_response(path: Path) -> Response:
    """The file as it is: a PDF as a PDF, anything else as plain UTF-8 text (never HTML)."""
    data = path.read_bytes()
    headers = {**HEADERS, "Content-Disposition": "inline"}
    if path.suffix.lower() == ".pdf":
        del headers["Content-Security-Policy"]  # it would keep the browser's PDF viewer out
        return Response(data, media_type="application/pdf", headers=headers)
    try:
        text = decode(data)  # the same decoding the index was built with
    except SkipFile:
        return PlainTextResponse("The file is no longer text: re-index.", 404, headers=HEADERS)
    return PlainTextResponse(text, headers=headers)


def _not_found() -> Response:
    return PlainTextResponse(_NOT_FOUND, status_code=404, headers=HEADERS)
