"""The web chat: rendering (pure), the source routes, the Gradio page and the server.

`render` and `source_page` need neither Gradio nor FastAPI; `ui`, `routes` and `server`
import them when the chat starts, so `import rag` stays light.
"""

from __future__ import annotations
