"""The web chat: `python app.py [--host H] [--port P] [--source DIR] [--index DIR]`.

Brings the index up to date with the articles first (embedding only what changed), then
serves the chat on http://127.0.0.1:7860 (or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT).
The same as `rag serve`; the code lives in `rag/web/`.
"""

from __future__ import annotations

import sys

from rag.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
