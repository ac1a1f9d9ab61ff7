"""How the chat is served beyond host and port: sign-in, MCP, read-only; flags or environment."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import RagError
from .access import Accounts, load_accounts

_YES, _NO = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
ANSWER_CONCURRENCY = 4  # measured: benchmarks/concurrency.py (README, Chat)


@dataclass(frozen=True)
class ServeOptions:
    """`read_only`: no adding or removing articles from the page. `mcp`: also serve the MCP
    tools. `accounts`: who may sign in (none: no sign-in). `answer_concurrency`: questions
    of the chat answered at once (the rest wait in Gradio's queue)."""

    read_only: bool = False
    mcp: bool = False
    accounts: Accounts = field(default_factory=lambda: Accounts({}))
    answer_concurrency: int = ANSWER_CONCURRENCY

    @classmethod
    def from_env(
        cls, *, read_only: bool = False, mcp: bool = False, auth: Sequence[str] = (),
        auth_file: str | None = None,
    ) -> ServeOptions:  # fmt: skip
        """The flags given, or else `RAG_READ_ONLY`, `RAG_MCP`, `RAG_AUTH` (`user:password`
        pairs separated by commas) and `RAG_AUTH_FILE`; `RAG_ANSWER_CONCURRENCY`.

        Raises:
            RagError: a variable is not a yes/no value, or an account is malformed.
        """
        pairs = list(auth) or [p for p in os.environ.get("RAG_AUTH", "").split(",") if p.strip()]
        return cls(
            read_only=read_only or _flag("RAG_READ_ONLY"),
            mcp=mcp or _flag("RAG_MCP"),
            accounts=load_accounts(pairs, auth_file or os.environ.get("RAG_AUTH_FILE") or None),
            answer_concurrency=_count("RAG_ANSWER_CONCURRENCY", ANSWER_CONCURRENCY),
        )


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    raise RagError(f"{name}={raw!r} is not a whole number above 0")


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in _YES or raw in _NO:
        return raw in _YES
    raise RagError(f"{name}={raw!r} is not a yes/no value: use 1 or 0")
