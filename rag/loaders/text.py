"""Plain text: detect the encoding (BOM, UTF-8, then a charset guess) and refuse binary data."""

from __future__ import annotations

import codecs

from .errors import SkipFile
from .extracted import Extracted, clean_text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_BYTES = 8192


def load_text(data: bytes) -> Extracted:
    """A .txt article: its decoded text; the title is left to the first line."""
    return Extracted(text=clean_text(decode(data)))


def decode(data: bytes) -> str:
    """Decode bytes of unknown encoding into text.

    Raises:
        SkipFile: the bytes look binary, or no encoding decodes them.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise SkipFile(
                    f"invalid {encoding.upper()} text despite its byte-order mark"
                ) from None
    if _looks_binary(data[:_SNIFF_BYTES]):
        raise SkipFile("binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    if guess is None:
        raise SkipFile("not valid text in any known encoding")
    return str(guess)


def _looks_binary(head: bytes) -> bool:
    """Binary formats are full of NUL bytes and control codes; text has next to none."""
    control = sum(1 for byte in head if byte < 32 and byte not in b"\n\r\t\f\b")
    return head.count(0) > len(head) * 0.01 or control > len(head) * 0.05
