"""Lines of an article that are not its prose: photo captions and credits, bylines, datelines.

They are never an answer sentence and never an article's title.
"""

from __future__ import annotations

import re

_CREDIT = re.compile(
    r"\((?:photo|photograph|picture|image|video|illustration|graphic|source|credit)s?\b[^)]*\)"
    r"|^(?:photo|photograph|picture|image|illustration|graphic|credit|caption|pictured|"
    r"file photo|top image|main image|video)s?\s*(?:by|:|\||-|–|—)"
    r"|\b(?:getty images|afp|reuters|ap photo|associated press|shutterstock|alamy|epa|"
    r"pa images|pa wire)\s*(?:/|$|\))"
    r"|©|\bcopyright\b|all rights reserved",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:by|written by|reporting by|editing by|edited by|text by|words by)\s+"
    r"[A-Z][\w.’'-]*(?:\s+(?:[A-Z][\w.’'-]*|and|&|de|van|von|der|,))*\s*[.,]?$"
    r"|^(?:updated|published|posted|last (?:updated|modified))\b[^.!?]{0,60}$"
    r"|^(?:share|follow us|read more|related|advertisement|subscribe|sign up)\b[^.!?]{0,60}$",
    re.IGNORECASE,
)


def is_boilerplate(line: str) -> bool:
    """Whether `line` (a sentence or a line of an article) is a caption, a credit or a byline."""
    text = " ".join(line.split())
    return bool(_CREDIT.search(text) or _BYLINE.match(text))
