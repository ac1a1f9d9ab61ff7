"""Which backend runs the model for which job: the one place that decides it.

Backends (`RAG_EMBED_BACKEND`): `torch` runs the model in torch, fp32 (its transformer
traced once and cached, so that later builds need not import sentence-transformers);
`torch-bf16` runs the same in bfloat16 (fast only on a CPU that computes bfloat16 natively);
`onnx` runs the same weights on ONNX Runtime (identical vectors, no torch import: fast
start-up); `onnx-int8` runs int8-quantized weights. `auto`, the default, embeds chunks with
bfloat16 where the CPU computes it natively, else fp32, and questions with `onnx`; the
choice is measured by benchmarks/run.py (README, Performance).
"""

from __future__ import annotations

from typing import Literal

from ..errors import RagError

BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")

Purpose = Literal["build", "query"]
"""What the model embeds: a build's chunks, or a question."""


class Cpu:
    """What the CPU can do, as far as choosing a backend goes. A fact not given is detected
    when first read, which imports torch: choosing a backend for questions reads none."""

    def __init__(self, native_bf16: bool | None = None) -> None:
        self._native_bf16 = native_bf16

    @property
    def native_bf16(self) -> bool:
        """Whether it computes bfloat16 matrix products in hardware (AVX512-BF16 or AMX)."""
        if self._native_bf16 is None:
            import torch

            checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
            self._native_bf16 = any(getattr(torch.cpu, check, lambda: False)() for check in checks)
        return self._native_bf16


THIS_CPU = Cpu()
"""This machine's CPU, detected once per process."""


def choose_backend(setting: str, purpose: Purpose, cpu: Cpu) -> str:
    """The backend that embeds for `purpose`, given the `RAG_EMBED_BACKEND` setting.

    A build runs the backend set, or for `auto` torch in bfloat16 where `cpu` computes it
    natively (twice as fast, cosine >= 0.9999 with fp32), else in fp32; onnx-int8 is never
    chosen: its speed varies from CPU to CPU and from run to run, and its vectors are further
    from fp32. A question runs in fp32, on torch if the setting is torch, else on ONNX
    Runtime (no torch import).

    Raises:
        RagError: `setting` is not one of `BACKENDS`.
    """
    if setting not in BACKENDS:
        raise RagError(
            f"unknown embedding backend {setting!r}: set RAG_EMBED_BACKEND to one of "
            + ", ".join(BACKENDS)
        )
    if purpose == "query":
        return "torch" if setting.startswith("torch") else "onnx"
    if setting == "auto":
        return "torch-bf16" if cpu.native_bf16 else "torch"
    return setting
