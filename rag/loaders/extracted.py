"""What a format loader hands back: the text every offset refers to, and the title it found."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNBROKEN = re.compile(r"\S{1000,}")  # no word is this long: encoded data or minified code
_SPACELESS_SCRIPTS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


@dataclass(frozen=True)
class Extracted:
    """Text extracted from one file, its own title if it has one, and PDF page offsets."""

    text: str
    title: str = ""
    page_starts: tuple[int, ...] = ()


def clean_text(text: str) -> str:
    """Unify line endings and drop control characters, so offsets mean the same everywhere."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def drop_unbroken_runs(text: str) -> tuple[str, int]:
    """Remove runs of 1,000+ characters without whitespace (base64 blobs, minified code),
    except in scripts written without spaces (Chinese, Japanese, Korean, Thai).

    Returns the text and the number of characters removed.
    """
    removed = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal removed
        run = match.group()
        if len(_SPACELESS_SCRIPTS.findall(run[:2000])) > 200:
            return run
        removed += len(run)
        return ""

    return _UNBROKEN.sub(drop, text), removed
