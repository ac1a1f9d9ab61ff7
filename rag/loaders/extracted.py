"""What a format loader hands back: the text every offset refers to, and the title it found."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
