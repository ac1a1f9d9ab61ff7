"""Run the chat: bring the index up to date, then serve the page and the source routes.

One FastAPI app holds our routes (`/source/...`, `/raw/...`) with the Gradio page mounted at
`/`, so the chat, its API (and MCP tools, with `--mcp`) and every source link share one
origin. With accounts, Gradio's login guards its page and API, and `SignInGate` the rest.
Nothing is fetched from the internet: no analytics, no share tunnel, no CDN (Gradio serves
its own fonts).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from .. import runtime
from ..config import Settings
from ..errors import RagError
from ..index.milvus.client import without_credentials
from .access import is_loopback
from .library import Library
from .options import ServeOptions

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI
    from gradio.routes import App
    from starlette.requests import HTTPConnection

    from ..indexer import ProgressFactory
    from ..types import BuildReport

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
MCP_PATH = "/gradio_api/mcp"


def create_app(library: Library, options: ServeOptions | None = None) -> FastAPI:
    """The web app over an already loaded `library`: source routes, and the chat at `/`."""
    import gradio as gr
    from fastapi import FastAPI
    from gradio.routes import App
    from starlette.routing import Mount

    from .access import SignInGate
    from .links import RAW_ROUTE, SOURCE_ROUTE
    from .routes import source_router
    from .ui import CSS, build_demo

    options = options or ServeOptions()
    accounts = options.accounts
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(source_router(lambda: library.assistant))
    demo = build_demo(library, read_only=options.read_only, concurrency=options.answer_concurrency)
    gr.mount_gradio_app(
        app, demo, path="/", footer_links=[], run_history=False, allowed_paths=[],
        enable_monitoring=False, mcp_server=options.mcp, ssr_mode=False, pwa=False, css=CSS,
        auth=accounts.check if accounts else None, auth_message="Sign in to ask the articles.",
        max_file_size=int(Settings.from_env().max_file_mb * 2**20),
    )  # fmt: skip
    if accounts:
        gradio_app = next(
            r.app for r in app.routes if isinstance(r, Mount) and isinstance(r.app, App)
        )
        guarded = (f"{SOURCE_ROUTE}/", f"{RAW_ROUTE}/", MCP_PATH)
        app.add_middleware(
            SignInGate, accounts=accounts, signed_in=_session(gradio_app), guarded=guarded
        )
    return app


def _session(gradio_app: App) -> Callable[[HTTPConnection], bool]:
    """Whether a request carries the session cookie of a browser signed in to Gradio."""

    def signed_in(connection: HTTPConnection) -> bool:
        cookie = f"access-token-{gradio_app.cookie_id}"
        token = connection.cookies.get(cookie) or connection.cookies.get(
            f"access-token-unsecure-{gradio_app.cookie_id}"
        )
        return token is not None and token in gradio_app.tokens

    return signed_in


def serve(
    source_dir: str,
    index_dir: str,
    *,
    host: str | None = None,
    port: int | None = None,
    progress: ProgressFactory | None = None,
    built: Callable[[BuildReport], object] | None = None,
    options: ServeOptions | None = None,
    store: str | None = None,
) -> None:
    """Index `source_dir` into `index_dir` or `store` (only what changed), then serve the
    chat until interrupted.

    Args:
        host, port: where to listen (default: `GRADIO_SERVER_NAME` / `GRADIO_SERVER_PORT`,
            else 127.0.0.1:7860).
        progress: makes the progress bar of the build.
        built: told what the build did, before the server starts.
        options: sign-in, MCP, read-only (default: none of them).
        store: a Milvus store URI instead of the folder (default: `RAG_STORE_URI`).

    Raises:
        RagError: the address is taken or invalid, or the index cannot be built or loaded.
    """
    runtime.configure()  # this is the application: its environment, loggers and threads
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    host = host or os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    port = _port(port)
    options = options or ServeOptions()
    _check_free(host, port)
    if warning := exposure_warning(host, port, options):
        _say(warning)
    library = Library(source_dir, index_dir, store)
    uri = store or os.environ.get("RAG_STORE_URI")
    where = without_credentials(uri) if uri else f"{index_dir}/"
    _say(f"Bringing the index in {where} up to date with {source_dir}/ …")
    runtime.faiss_threads(None)  # a large index trains on every core
    report = library.refresh(progress)
    runtime.faiss_threads()  # then each question searches on one
    if built:
        built(report)
    _say("Starting the chat …")
    app = create_app(library, options)

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    mcp = f"; MCP tools ask and search: {url}{MCP_PATH}/" if options.mcp else ""
    threading.Thread(target=_announce, args=(server, url, mcp), daemon=True).start()
    server.run()


def exposure_warning(host: str, port: int, options: ServeOptions) -> str:
    """One line when the chat would be open to the network without sign-in ('' if not)."""
    if options.accounts or is_loopback(host):
        return ""
    can = "read the articles and ask" if options.read_only else "read, ask, add and remove articles"
    return (
        f"Warning: listening on {host} without sign-in: anyone who can reach port {port} "
        f"can {can}; add --auth USER:PASSWORD"
    )


def _port(port: int | None) -> int:
    raw = port if port is not None else os.environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT
    try:
        value = int(raw)
    except ValueError:
        raise RagError(f"GRADIO_SERVER_PORT={raw!r} is not a port number") from None
    if not 0 < value < 65536:
        raise RagError(f"port {value} is out of range: use 1-65535")
    return value


def _check_free(host: str, port: int) -> None:
    """Fail before the slow start if the address cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as error:
        raise RagError(
            f"cannot listen on {host}:{port} ({error.strerror or error}): "
            "pick another with --port or GRADIO_SERVER_PORT"
        ) from None


def _announce(server: object, url: str, mcp: str) -> None:
    while not getattr(server, "started", False):
        time.sleep(0.05)
    _say(f"Chat ready: {url}{mcp}  (Ctrl+C stops it)")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
