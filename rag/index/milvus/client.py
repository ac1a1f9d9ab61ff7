"""The connection to Milvus: pymilvus (an optional extra) imported on demand, Milvus Lite
started without its log on our terminal, the token read from `RAG_STORE_TOKEN` only, and
engine failures turned into one-line errors that name the URI and never the token."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ... import runtime
from ...errors import RagError, StoreUnavailableError

INSTALL = 'pip install ".[milvus]" (in the rag checkout)'
TOKEN_VARIABLE = "RAG_STORE_TOKEN"
MAX_ROWS = 16_384
"""The most rows one search or query may return (Milvus's topk and offset+limit cap)."""
TIMEOUT = 10.0  # seconds to reach a server before saying it is unavailable
CALL_SECONDS = 60  # seconds a call may take, retries included
_LOCAL = {"create_schema", "prepare_index_params"}  # client methods that make no call
_LOCK = threading.Lock()


def is_milvus(location: str) -> bool:
    """Whether `location` names a Milvus store: a Milvus Lite file (`*.db`) or a server."""
    return location.endswith(".db") or location.startswith(("http://", "https://"))


def without_credentials(uri: str) -> str:
    """`uri` without a user or password, as it may be shown."""
    if not uri.startswith(("http://", "https://")):
        return uri
    parts = urlsplit(uri)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def pymilvus() -> Any:
    """The pymilvus module, or a one-line error saying how to install it."""
    try:
        import pymilvus as module
    except ImportError:
        raise RagError(f"a Milvus store needs the milvus extra: {INSTALL}") from None
    runtime.reapply_logger_levels()  # importing pymilvus configured its loggers over ours
    return module


class Connection:
    """One client of one Milvus URI, connected on first use; `call` runs a client method and
    turns an engine failure into `StoreUnavailableError`."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.shown = without_credentials(uri)
        self._client: Any = None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """`MilvusClient.<method>(*args, **kwargs)`, errors translated; an engine that does
        not answer fails within `CALL_SECONDS` (pymilvus would retry for minutes)."""
        client = self._connect()
        if method not in _LOCAL:
            kwargs.setdefault("timeout", CALL_SECONDS)  # an int: pymilvus's retry deadline
            if self.uri.endswith(".db") and _stop_if_dead(Path(self.uri)):
                self._disconnect()
                raise StoreUnavailableError(
                    f"the Milvus store {self.shown} failed (Milvus Lite's engine stopped; "
                    "it starts again at the next request)"
                )
        return self._guarded(getattr(client, method), *args, **kwargs)

    def close(self) -> None:
        """Disconnect, and stop Milvus Lite's engine for this file (so that another process
        may open it)."""
        self._disconnect()
        if self.uri.endswith(".db"):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.uri)

    def _connect(self) -> Any:
        if self._client is None:
            module = pymilvus()
            if self.uri.endswith(".db"):
                _start_lite(Path(self.uri))
            token = os.environ.get(TOKEN_VARIABLE, "")
            self._client = self._guarded(
                module.MilvusClient, uri=self.uri, token=token, timeout=TIMEOUT
            )
        return self._client

    def _guarded(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from pymilvus.exceptions import MilvusException

        try:
            return function(*args, **kwargs)
        except MilvusException as error:
            self._forget_dead_engine()
            raise self._unavailable(str(error.message), error.code) from None
        except Exception as error:  # grpc and socket errors reach us unwrapped
            if type(error).__module__.startswith(("grpc", "pymilvus")):
                self._forget_dead_engine()
                raise self._unavailable(str(error), None) from None
            raise

    def _forget_dead_engine(self) -> None:
        """If Milvus Lite's engine has died, drop it and our client: the next call starts a
        new engine on the same file (what it had committed is there)."""
        if self.uri.endswith(".db") and _stop_if_dead(Path(self.uri)):
            self._disconnect()

    def _disconnect(self) -> None:
        """Drop our client (pymilvus would hand the next one the same dead channel)."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def _unavailable(self, reason: str, code: int | None) -> StoreUnavailableError:
        token = os.environ.get(TOKEN_VARIABLE, "")
        reason = " ".join((reason.replace(token, "***") if token else reason).split())[:300]
        if code in (1800, 2) and ("auth" in reason.lower() or "token" in reason.lower()):
            hint = f": check {TOKEN_VARIABLE}"
        elif self.uri.endswith(".db"):
            hint = ""
        else:
            hint = ": is the server running?"
        return StoreUnavailableError(f"the Milvus store {self.shown} failed ({reason}){hint}")


def _start_lite(path: Path) -> None:
    """Start Milvus Lite's engine for `path` as pymilvus would, with its log (tantivy's INFO
    lines on every insert) sent to the null device instead of our stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # milvus-lite 2.5 imports the deprecated pkg_resources
        from milvus_lite.server import Server
        from milvus_lite.server_manager import server_manager_instance as manager
    key = str(path.absolute().resolve())
    if not path.absolute().parent.is_dir():
        raise StoreUnavailableError(f"no folder {path.absolute().parent}/ for {path}")
    with _LOCK, manager._lock:
        if key in manager._servers and manager._servers[key]._p.poll() is None:
            return
        if key in manager._servers:  # its engine died: start another
            manager._servers.pop(key).stop()
        server = Server(key)
        server._lock_fd = open(server._lock_path, "a")  # noqa: SIM115 (the server keeps it)
        try:
            fcntl.lockf(server._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            server._lock_fd.close()
            server._lock_fd = None
            raise StoreUnavailableError(
                f"the Milvus Lite file {path} is open in another process (Milvus Lite allows "
                "one process per file): stop it, or use a Milvus server"
            ) from None
        env = {**os.environ, "LD_LIBRARY_PATH": str(server._bin_path)}
        server._p = subprocess.Popen(
            args=server.args, env=env, cwd=str(server._work_dir),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            server._p.wait(0.5)
        except subprocess.TimeoutExpired:
            manager._servers[key] = server
            return
        raise StoreUnavailableError(f"Milvus Lite could not start on {path}")


def _stop_if_dead(path: Path) -> bool:
    """Forget Milvus Lite's engine for `path` if its process has ended; whether it had."""
    from milvus_lite.server_manager import server_manager_instance as manager

    key = str(path.absolute().resolve())
    with _LOCK, manager._lock:
        server = manager._servers.get(key)
        if server is None or server._p is None or server._p.poll() is None:
            return False
        manager._servers.pop(key).stop()
        return True
