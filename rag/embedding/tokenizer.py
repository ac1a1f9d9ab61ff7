"""The model's tokenizers: model inputs and each token's character offsets for a batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .files import ModelFiles

INPUTS = ("input_ids", "attention_mask", "token_type_ids")

Inputs = dict[str, np.ndarray]


class Tokenizer:
    """The model's fast tokenizer (tokenizers, without transformers), with char offsets."""

    def __init__(self, files: ModelFiles) -> None:
        from tokenizers import Tokenizer as RustTokenizer

        self._count = RustTokenizer.from_file(str(files.path / "tokenizer.json"))
        self._count.no_truncation()
        self._count.no_padding()
        self._encode = RustTokenizer.from_file(str(files.path / "tokenizer.json"))
        self._encode.no_padding()
        self._encode.enable_truncation(files.max_seq_length)

    def count(self, texts: list[str]) -> list[int]:
        """Tokens in each text, without special tokens or truncation."""
        encodings = self._count.encode_batch(texts, add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def __call__(self, texts: Sequence[str]) -> tuple[Inputs, np.ndarray]:
        """Model inputs for a batch, padded to its longest text, and (n, length, 2) offsets."""
        encodings = self._encode.encode_batch(list(texts))
        length = max(len(e.ids) for e in encodings)
        inputs = {name: np.zeros((len(texts), length), dtype=np.int64) for name in INPUTS}
        offsets = np.zeros((len(texts), length, 2), dtype=np.int64)
        for i, e in enumerate(encodings):
            n = len(e.ids)
            inputs["input_ids"][i, :n] = e.ids
            inputs["attention_mask"][i, :n] = e.attention_mask
            inputs["token_type_ids"][i, :n] = e.type_ids
            offsets[i, :n] = e.offsets
        return inputs, offsets


class HubTokenizer:
    """The same for a model that only sentence-transformers runs: its transformers tokenizer."""

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self._tokenizer = tokenizer
        self._max_length = max_length

    def count(self, texts: list[str]) -> list[int]:
        """Tokens in each text, without special tokens or truncation."""
        return [len(i) for i in self._tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def __call__(self, texts: Sequence[str]) -> tuple[Inputs, np.ndarray]:
        """Model inputs for a batch, padded to its longest text, and (n, length, 2) offsets."""
        features = self._tokenizer(
            list(texts), padding=True, truncation=True, max_length=self._max_length,
            return_tensors="np", return_offsets_mapping=True,
        )  # fmt: skip
        offsets = features.pop("offset_mapping")
        inputs = {name: np.asarray(array, dtype=np.int64) for name, array in features.items()}
        return inputs, offsets
