"""`rag doctor`: an offline checklist that fails loudly on a stale index or phone-home settings."""

from __future__ import annotations

import shutil

import pytest
from conftest import SEEDS, run_cli

import rag

pytestmark = pytest.mark.slow  # `rag doctor` in fresh processes, which load the model


def test_doctor_passes_on_a_current_index(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    rag.build_index(folder, tmp_path / "index")
    result = run_cli("doctor", "--source", str(folder), "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert [line[:3] for line in lines[:5]] == ["ok "] * 5
    assert "loads offline" in result.stdout and "384 dimensions" in result.stdout
    assert lines[-1] == "5 of 5 checks passed"


def test_doctor_lists_new_changed_and_deleted_files(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    (folder / "extra.txt").write_text("Extra article about harbour cranes.", encoding="utf-8")
    rag.build_index(folder, tmp_path / "index")
    (folder / "new.txt").write_text("A new article about lighthouses.", encoding="utf-8")
    (folder / "extra.txt").write_text(
        "Extra article about harbour cranes, revised.", encoding="utf-8"
    )
    (folder / "000_866b00fbbd318d60.txt").unlink()
    result = run_cli("doctor", "--source", str(folder), "--index", str(tmp_path / "index"))
    assert result.returncode == 1
    stale = next(line for line in result.stdout.splitlines() if "matches the source folder" in line)
    assert stale.startswith("FAIL")
    assert "new: new.txt" in stale and "changed: extra.txt" in stale
    assert "deleted: 000_866b00fbbd318d60.txt" in stale and "run `rag build`" in stale


def test_doctor_flags_analytics_and_a_missing_index(tmp_path):
    result = run_cli(
        "doctor", "--index", str(tmp_path / "none"), env={"GRADIO_ANALYTICS_ENABLED": "True"}
    )
    assert result.returncode == 1
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert any("no index in" in line for line in failures)
    assert any("GRADIO_ANALYTICS_ENABLED='True'" in line for line in failures)
    assert result.stdout.splitlines()[-1].endswith("checks passed")
