"""Fingerprints of index generation files (`rag.index.checksums`): what damage each check finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.index import checksums

MIB = 2**20
BIG = 5 * MIB  # above four blocks: the sampled check reads its start, middle and end only


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    generation = tmp_path / "gen"
    (generation / "lexical").mkdir(parents=True)
    (generation / "chunks.npy").write_bytes(b"chunks" * 100)
    (generation / "lexical" / "vocab.json").write_text('{"bee": 0}')
    (generation / "vectors.faiss").write_bytes(bytes(range(256)) * (BIG // 256))
    return generation


def _flip(path: Path, offset: int) -> None:
    """Change one byte, keeping the size."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_intact_folder_passes_every_check(folder: Path) -> None:
    recorded = checksums.fingerprints(folder)
    assert set(recorded["full"]) == {"chunks.npy", "lexical/vocab.json", "vectors.faiss"}
    assert recorded["full"]["chunks.npy"] == recorded["sampled"]["chunks.npy"], "small: whole"
    assert recorded["full"]["vectors.faiss"] != recorded["sampled"]["vectors.faiss"]
    assert [checksums.damaged(folder, recorded, full) for full in (None, True, False)] == [""] * 3


@pytest.mark.parametrize("full", [True, False])
def test_a_changed_byte_of_a_small_file_is_found_by_both_checks(folder: Path, full: bool) -> None:
    recorded = checksums.fingerprints(folder)
    _flip(folder / "lexical" / "vocab.json", 3)
    problem = checksums.damaged(folder, recorded, full)
    assert problem == "lexical/vocab.json has changed since it was written"


def test_the_sampled_check_reads_the_ends_and_middle_and_the_full_check_every_byte(
    folder: Path,
) -> None:
    recorded, faiss_file = checksums.fingerprints(folder), folder / "vectors.faiss"
    _flip(faiss_file, MIB + 10)  # between the first block and the middle one
    assert checksums.damaged(folder, recorded, full=False) == ""
    assert checksums.damaged(folder, recorded, full=True) == (
        "vectors.faiss has changed since it was written"
    )
    _flip(faiss_file, 0)  # the header, where damage would crash a reader
    assert "vectors.faiss" in checksums.damaged(folder, recorded, full=False)


def test_by_default_only_a_folder_over_the_full_check_size_is_sampled(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = checksums.fingerprints(folder)
    _flip(folder / "vectors.faiss", MIB + 10)
    assert "vectors.faiss" in checksums.damaged(folder, recorded)
    monkeypatch.setattr(checksums, "FULL_CHECK_BYTES", BIG)
    assert checksums.damaged(folder, recorded) == ""


def test_the_first_missing_or_foreign_file_by_name_is_named(folder: Path) -> None:
    recorded = checksums.fingerprints(folder)
    (folder / "lexical" / "vocab.json").unlink()
    (folder / "zz.tmp").write_text("left over")
    assert checksums.damaged(folder, recorded) == "lexical/vocab.json is missing"
    (folder / "a.tmp").write_text("left over")
    assert checksums.damaged(folder, recorded) == "a.tmp does not belong to the index"
