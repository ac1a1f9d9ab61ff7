"""The embedding model on ONNX Runtime: same weights, no torch import, exported once and cached.

A local sentence-transformers folder made of a Transformer, a mean or CLS Pooling and an
optional Normalize module can run without torch: its tokenizer.json is read by `tokenizers`
and its transformer, exported to ONNX the first time torch is loaded anyway (a build), runs
on ONNX Runtime. `rag ask` then starts without importing torch or sentence-transformers.
The int8 variant quantizes the weights per output channel (dynamic quantization).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import cache_dir

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelFiles:
    """What a local sentence-transformers folder says about itself, read without loading it."""

    path: Path
    max_seq_length: int
    pooling: str  # "mean" or "cls"
    dim: int
    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt: str = ""

    @classmethod
    def read(cls, location: str) -> ModelFiles | None:
        """The folder's description, or None if it is not a folder this module can run."""
        path = Path(location)
        try:
            modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
            kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
            if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
                return None
            if modules[0].get("path") or not (path / "tokenizer.json").is_file():
                return None
            pooling = json.loads((path / modules[1]["path"] / "config.json").read_text("utf-8"))
            bert = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
            st_config = path / "config_sentence_transformers.json"
            extra = json.loads(st_config.read_text("utf-8")) if st_config.is_file() else {}
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True]
        mode = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(
            modes[0] if len(modes) == 1 else ""
        )
        if mode is None or bert.get("do_lower_case") or not bert.get("max_seq_length"):
            return None
        prompts = extra.get("prompts") or {}
        default = prompts.get(extra.get("default_prompt_name") or "", "")
        dim = int(pooling.get("word_embedding_dimension") or 0)
        return cls(path, int(bert["max_seq_length"]), mode, dim, prompts, default)

    def fingerprint(self) -> str:
        """A key that changes whenever the folder's weights or configuration do."""
        digest = hashlib.blake2b(str(self.path.resolve()).encode(), digest_size=12)
        for item in sorted(self.path.iterdir()):
            if item.is_file():
                stat = item.stat()
                digest.update(f"{item.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()


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

    def __call__(self, texts: Sequence[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
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


class OnnxEncoder:
    """Token vectors and pooled vectors of the model's transformer, run by ONNX Runtime."""

    def __init__(self, files: ModelFiles, model_path: Path) -> None:
        import onnxruntime

        onnxruntime.set_default_logger_severity(3)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        # Idle threads sleep rather than spin: a spinning thread keeps a core busy after each
        # short question, a core the chat server needs (benchmarks/concurrency.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._names = [i.name for i in self._session.get_inputs()]
        self._pooling = files.pooling

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(pooled vectors (n, dim), token vectors (n, length, dim)), not normalized."""
        tokens = self._session.run(None, {name: inputs[name] for name in self._names})[0]
        return pool(tokens, inputs["attention_mask"], self._pooling), tokens


def pool(tokens: np.ndarray, attention_mask: np.ndarray, pooling: str) -> np.ndarray:
    """The pooled vectors (n, dim) of token vectors (n, length, dim), by `pooling`."""
    if pooling == "cls":
        return tokens[:, 0]
    mask = attention_mask[..., None].astype(np.float32)
    pooled: np.ndarray = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    return pooled


def exported_path(files: ModelFiles, quantized: bool) -> Path:
    """Where the ONNX export of `files` is (or will be) cached."""
    name = "model-int8.onnx" if quantized else "model.onnx"
    return cache_dir() / "onnx" / files.fingerprint() / name


def export(model: Any, files: ModelFiles, quantized: bool) -> Path | None:
    """Export a loaded SentenceTransformer's transformer to the cache; None if that fails
    (no `onnx` package, an architecture the exporter cannot trace...)."""
    plain = cached(exported_path(files, False), lambda path: _export_fp32(model, path))
    if plain is None or not quantized:
        return plain
    return cached(exported_path(files, True), lambda path: _quantize(plain, path))


def cached(target: Path, write: Callable[[Path], None]) -> Path | None:
    """`target` in the cache, first written by `write(path)` to a temporary file that then
    replaces it whole; None if writing fails (the caller runs the model another way)."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        write(temporary)
        os.replace(temporary, target)
    except Exception as error:  # any failure means: do without it
        _log.info("could not write %s: %s", target, error)
        temporary.unlink(missing_ok=True)
        return None
    return target


def _quantize(source: Path, target: Path) -> None:
    """Int8 weights per output channel, except the feed-forward output layers, whose
    inputs have outliers: quantizing them too costs cosine 0.989 instead of 0.995."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = [node.name for node in onnx.load(str(source), load_external_data=False).graph.node]
    keep = [name for name in names if re.search(r"layer\.\d+/output/dense/MatMul$", name)]
    root = logging.getLogger()
    muffle = logging.NullHandler()  # it warns through the root logger, which would print it
    root.addHandler(muffle)
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(
            source, target, weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep
        )
    finally:
        logging.disable(disabled)
        root.removeHandler(muffle)


def _export_fp32(model: Any, target: Path) -> None:
    import torch

    example = example_inputs()
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "tokens")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            token_model(model), example, str(target),
            input_names=list(INPUTS), output_names=["tokens"], dynamic_axes=axes,
            opset_version=17, dynamo=False,
        )  # fmt: skip


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
