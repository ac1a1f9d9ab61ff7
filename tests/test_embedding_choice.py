"""Which backend embeds what (`choose_backend`): a pure decision, tested without a model."""

from __future__ import annotations

import pytest

from rag.embedding import BACKENDS, Cpu, choose_backend
from rag.errors import RagError

# setting -> (build backend on a CPU with native bfloat16, build backend without, query backend)
CHOICES = {
    "auto": ("torch-bf16", "torch", "onnx"),
    "torch": ("torch", "torch", "torch"),
    "torch-bf16": ("torch-bf16", "torch-bf16", "torch"),
    "onnx": ("onnx", "onnx", "onnx"),
    "onnx-int8": ("onnx-int8", "onnx-int8", "onnx"),
}


class UnreadCpu(Cpu):
    """A CPU whose facts must not be read: reading them would import torch."""

    @property
    def native_bf16(self) -> bool:
        raise AssertionError("the CPU was read")


def test_every_setting_is_in_the_table():
    assert set(CHOICES) == set(BACKENDS)


@pytest.mark.parametrize(("setting", "expected"), CHOICES.items())
def test_choose_backend(setting, expected):
    with_bf16, without_bf16, query = expected
    assert choose_backend(setting, "build", Cpu(native_bf16=True)) == with_bf16, setting
    assert choose_backend(setting, "build", Cpu(native_bf16=False)) == without_bf16, setting
    assert choose_backend(setting, "query", UnreadCpu()) == query, setting


@pytest.mark.parametrize("setting", ["torch", "torch-bf16", "onnx", "onnx-int8"])
def test_a_set_backend_builds_whatever_the_cpu(setting):
    assert choose_backend(setting, "build", UnreadCpu()) == setting


@pytest.mark.parametrize("purpose", ["build", "query"])
def test_an_unknown_setting_is_a_one_line_error_naming_the_choices(purpose):
    with pytest.raises(RagError, match=r"'tensorrt': set RAG_EMBED_BACKEND to one of auto, torch"):
        choose_backend("tensorrt", purpose, Cpu(native_bf16=True))
