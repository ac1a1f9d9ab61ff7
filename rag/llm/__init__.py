"""Optional LLM answers through any OpenAI-compatible chat server (Ollama, llama.cpp, vLLM,
LM Studio, OpenAI), grounded in the retrieved passages and with every citation checked.

Configured by `RAG_LLM_BASE_URL` and `RAG_LLM_MODEL` (see `LLMSettings`); without them
the answers stay extractive. Any failure falls back to the extractive answer, with a note.
"""

from __future__ import annotations

from .answer import Evidence, LLMAnswerer, fallback_note
from .client import LLMError
from .settings import LLMConfigError, LLMSettings

__all__ = ["Evidence", "LLMAnswerer", "LLMConfigError", "LLMError", "LLMSettings", "fallback_note"]
