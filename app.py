"""The chat UI (placeholder until the Gradio chat lands): use `rag ask` meanwhile."""

from __future__ import annotations

if __name__ == "__main__":
    raise SystemExit("The web chat is not built yet: use `rag build` and `rag ask \"...\"`.")
