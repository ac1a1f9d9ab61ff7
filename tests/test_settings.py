"""The settings read from the environment outside `Settings` (rag.config)."""

from __future__ import annotations

from pathlib import Path

from rag.config import cache_dir, embed_backend


def test_cache_dir_is_rag_cache_dir_else_under_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("RAG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "rag-articles"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "rag-articles"


def test_embed_backend_is_auto_unless_set(monkeypatch):
    monkeypatch.delenv("RAG_EMBED_BACKEND", raising=False)
    assert embed_backend() == "auto"
    monkeypatch.setenv("RAG_EMBED_BACKEND", " onnx ")
    assert embed_backend() == "onnx"
