"""The model in torch: sentence-transformers loading and running it, and its transformer
as a plain torch module for the ONNX export and the TorchScript trace to start from."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import ModelLoadError, first_line
from .tokenizer import Inputs


def load_sentence_transformer(name: str, location: str) -> Any:
    """The SentenceTransformer at `location` (`name` is what the user called it), on CPU.

    Raises:
        ModelLoadError: it cannot be loaded.
    """
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(location, device="cpu")
    except (OSError, ValueError, ImportError) as error:
        raise ModelLoadError(
            f"cannot load the embedding model {name!r} ({first_line(error)}): "
            "set RAG_EMBED_MODEL (or --model) to a local model folder or a model "
            "name that can be downloaded"
        ) from None


def forward(model: Any, inputs: Inputs, bf16: bool) -> tuple[np.ndarray, np.ndarray]:
    """(pooled vectors, token vectors) of a loaded SentenceTransformer, not normalized."""
    import torch

    with precision(bf16):
        out = model({name: torch.from_numpy(array) for name, array in inputs.items()})
    return out["sentence_embedding"].float().numpy(), out["token_embeddings"].float().numpy()


@contextmanager
def precision(bf16: bool) -> Iterator[None]:
    """Inference, with matrix products in bfloat16 if `bf16`."""
    import torch

    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        yield


def token_model(model: Any) -> Any:
    """A copy of a loaded SentenceTransformer's transformer as a torch module that maps
    (input_ids, attention_mask, token_type_ids) to token vectors, ready to be traced."""
    import torch

    transformer = copy.deepcopy(model[0].auto_model).eval()  # tracing leaves state behind

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden: torch.Tensor = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return hidden

    return LastHiddenState()


def example_inputs() -> tuple[Any, Any, Any]:
    """Model inputs to trace with: a batch of two texts of eight tokens."""
    import torch

    example = torch.ones((2, 8), dtype=torch.int64)
    return example, example, torch.zeros_like(example)
