"""Sign-in for a shared deployment: the accounts, and the gate on the routes Gradio does not
guard itself.

Gradio's own login (`auth=`) guards the page, its API and its files. The source views, the
raw files and the MCP endpoint are ours or mounted beside its API, so `SignInGate` guards
them: a request passes with the session cookie of a signed-in browser, or with HTTP Basic
credentials of an account (for programs such as MCP clients). Nothing else is let through.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import RagError


class Accounts:
    """User names and their passwords; `check` is what Gradio's login calls."""

    def __init__(self, passwords: dict[str, str]) -> None:
        self._passwords = dict(passwords)

    def __bool__(self) -> bool:
        return bool(self._passwords)

    def check(self, user: str, password: str) -> bool:
        """Whether `password` is `user`'s (compared in constant time)."""
        expected = self._passwords.get(user)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    def check_basic(self, header: str) -> bool:
        """Whether an `Authorization: Basic …` header holds an account's credentials."""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(sep) and self.check(user, password)


def load_accounts(pairs: Iterable[str], users_file: str | None) -> Accounts:
    """Accounts from `user:password` pairs and from a file of such lines (blank lines and
    lines starting with `#` are skipped).

    Raises:
        RagError: the file cannot be read, or an entry is not `user:password`.
    """
    entries = [(pair, "--auth / RAG_AUTH") for pair in pairs]
    if users_file:
        try:
            lines = Path(users_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise RagError(f"cannot read the users file {users_file}: {error}") from None
        entries += [
            (line.strip(), f"{users_file} line {n}")
            for n, line in enumerate(lines, start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    passwords: dict[str, str] = {}
    for entry, origin in entries:
        user, sep, password = entry.partition(":")
        if not (sep and user.strip() and password):
            raise RagError(f"{origin}: expected USER:PASSWORD, got {_masked(entry)!r}")
        passwords[user.strip()] = password
    return Accounts(passwords)


def is_loopback(host: str) -> bool:
    """Whether every address `host` stands for is this machine's loopback."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


class SignInGate:
    """ASGI middleware: requests under `guarded` path prefixes need a signed-in session or
    an account's Basic credentials; they get 401 otherwise. Other paths pass untouched."""

    def __init__(
        self, app: ASGIApp, accounts: Accounts, signed_in: Callable[[HTTPConnection], bool],
        guarded: tuple[str, ...],
    ) -> None:  # fmt: skip
        self.app, self._accounts, self._signed_in, self._guarded = app, accounts, signed_in, guarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self._guarded):
            connection = HTTPConnection(scope)
            header = connection.headers.get("authorization", "")
            if not (self._signed_in(connection) or self._accounts.check_basic(header)):
                response = PlainTextResponse(
                    "Sign in first: open the chat's address in a browser and sign in, or send "
                    "an account's credentials (HTTP Basic).",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="articles"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _masked(entry: str) -> str:
    """An entry as it may be shown in an error: any password part hidden."""
    user, sep, _ = entry.partition(":")
    return f"{user}:***" if sep else entry
