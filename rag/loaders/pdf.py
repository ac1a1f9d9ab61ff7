"""PDF: the text layer, page by page, remembering where each page starts."""

from __future__ import annotations

import io

from .errors import SkipFile
from .extracted import Extracted, clean_text


def load_pdf(data: bytes) -> Extracted:
    """A PDF article: its pages' text joined by blank lines; the title from its metadata."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipFile("encrypted PDF: it needs a password")
        pages = [clean_text(page.extract_text() or "").strip() for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except SkipFile:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        raise SkipFile(f"unreadable PDF ({type(error).__name__}: {error})"[:200]) from None
    except NotImplementedError:
        raise SkipFile("encrypted PDF with an unsupported cipher") from None
    if not any(pages):
        raise SkipFile("PDF without a text layer (scanned?): run OCR on it first")
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2
    return Extracted(text="\n\n".join(pages), title=str(title), page_starts=tuple(starts))
