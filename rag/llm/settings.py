"""Where the optional LLM is and the limits on every call to it, from `RAG_LLM_*` variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from ..errors import RagError


class LLMConfigError(RagError, ValueError):
    """An LLM setting has a value that cannot work."""


@dataclass(frozen=True)
class LLMSettings:
    """How to reach an OpenAI-compatible chat server. No `base_url`: no LLM, extractive answers.

    Each field `x` can be set by the variable `RAG_LLM_X` (e.g. `RAG_LLM_BASE_URL`).
    """

    base_url: str = ""  # up to /v1, e.g. http://localhost:11434/v1 (Ollama)
    model: str = ""  # the model name the server knows, e.g. llama3.2
    api_key: str = ""  # sent as a Bearer token when set
    timeout: float = 60.0  # seconds: the deadline of each call to the server
    context_tokens: int = 3000  # prompt budget in tiktoken tokens: instructions, chat, passages
    max_tokens: int = 512  # the longest answer asked of the model
    temperature: float = 0.1

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        if not self.base_url.startswith(("http://", "https://")):
            raise LLMConfigError(
                f"RAG_LLM_BASE_URL={self.base_url!r} is not an http(s) URL: "
                "use e.g. http://localhost:11434/v1"
            )
        if not self.model:
            raise LLMConfigError(
                "RAG_LLM_BASE_URL is set but RAG_LLM_MODEL is not: name the model to use "
                "(e.g. RAG_LLM_MODEL=llama3.2)"
            )
        for name, low in (("timeout", 0.1), ("context_tokens", 500), ("max_tokens", 16)):
            if getattr(self, name) < low:
                raise LLMConfigError(f"RAG_LLM_{name.upper()} must be at least {low:g}")

    @property
    def enabled(self) -> bool:
        """True when a server is configured."""
        return bool(self.base_url)

    @classmethod
    def from_env(cls, **overrides: object) -> LLMSettings:
        """Defaults, then `RAG_LLM_*` variables, then the non-None `overrides`.

        Raises:
            LLMConfigError: a value is malformed, or a server is named without a model.
        """
        values: dict[str, Any] = {}  # each value of its field's type
        for f in dataclasses.fields(cls):
            variable = f"RAG_LLM_{f.name.upper()}"
            raw = os.environ.get(variable, "").strip()
            if raw:
                values[f.name] = _convert(variable, raw, type(f.default))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(variable: str, raw: str, kind: type) -> object:
    try:
        return kind(raw)
    except ValueError:
        raise LLMConfigError(f"{variable}={raw!r} is not a valid {kind.__name__}") from None
