"""`rag doctor`: check offline, that the installation works and the index is current."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import runtime
from .config import Settings
from .errors import RagError


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it passed, and the detail."""

    name: str
    ok: bool
    detail: str


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in order; none needs the network. Run with `HF_HUB_OFFLINE=1` to prove
    that the model loads with the hub out of reach (`rag doctor` sets it)."""
    checks: list[tuple[str, Callable[[Settings], str]]] = [
        ("tiktoken encoding loads offline", _tiktoken),
        ("embedding model loads offline", _model),
        ("index loads and is intact", _index),
        ("index matches the source folder", _freshness),
        ("chat phones nowhere (analytics, telemetry, share)", _gradio_offline),
    ]
    return list(_run(checks, settings))


def _run(
    checks: list[tuple[str, Callable[[Settings], str]]], settings: Settings
) -> Iterator[Check]:
    for name, check in checks:
        try:
            yield Check(name, True, check(settings))
        except RagError as error:
            yield Check(name, False, str(error))
        except Exception as error:
            yield Check(name, False, f"{type(error).__name__}: {error}")


def _tiktoken(settings: Settings) -> str:
    from .chunking import tiktoken_counter

    count = tiktoken_counter(settings.encoding)(["Offline tokenizer check."])[0]
    return f"{settings.encoding}: {count} tokens in a test sentence"


def _model(settings: Settings) -> str:
    from .embedding import Embedder, model_location
    from .index import open_store

    manifest = open_store(settings.location, settings).committed()
    name = manifest.model if manifest else settings.embed_model
    vector = Embedder(name).embed_query("Offline model check.")
    return f"{name} from {model_location(name)} ({len(vector)} dimensions)"


def _index(settings: Settings) -> str:
    from .errors import IndexCorruptError, shown
    from .index import open_store

    store = open_store(settings.location, settings)
    manifest, data = store.open()
    problem = store.damage(manifest, full=True)
    if problem:
        raise IndexCorruptError(store.location, problem)
    return (
        f"{shown(store.location)}: {len(data.document_ids())} articles, {data.chunk_count} chunks, "
        f"built {manifest.built_at or '?'}"
    )


def _freshness(settings: Settings) -> str:
    from .indexer import pending_changes

    plan = pending_changes(settings)
    stale = [("new", plan.added), ("changed", plan.changed), ("deleted", plan.removed)]
    if any(files for _, files in stale):
        listed = "; ".join(f"{kind}: {', '.join(files)}" for kind, files in stale if files)
        raise RagError(f"{listed}: run `rag build`")
    skipped = f", {len(plan.skipped)} files skipped" if plan.skipped else ""
    return f"{len(plan.kept)} articles in {settings.source_dir}/ all indexed{skipped}"


def _gradio_offline(settings: Settings) -> str:
    chat = {**runtime.ENVIRONMENT, **os.environ}  # the chat sets these defaults at its start
    problems = [
        f"{name}={chat.get(name)!r} (needs {wanted!r})"
        for name, wanted in (
            ("GRADIO_ANALYTICS_ENABLED", "False"),
            ("HF_HUB_DISABLE_TELEMETRY", "1"),
            ("GRADIO_SHARE", "False"),
        )
        if chat.get(name, wanted if name == "GRADIO_SHARE" else None) != wanted
    ]
    if problems:
        raise RagError("; ".join(problems) + ": unset these variables")
    return "GRADIO_ANALYTICS_ENABLED=False, HF_HUB_DISABLE_TELEMETRY=1, no share link"
