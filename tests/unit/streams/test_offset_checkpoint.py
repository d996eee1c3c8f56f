"""The .checkpoint file in Java's OffsetCheckpoint text format."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.streams.state.offset_checkpoint import OFFSET_UNKNOWN, OffsetCheckpoint


def test_written_bytes_are_javas_format(tmp_path: Path) -> None:
    checkpoint = OffsetCheckpoint(tmp_path / ".checkpoint")
    checkpoint.write({("app-counts-changelog", 0): 1234, ("app-counts-changelog", 1): OFFSET_UNKNOWN})
    assert (tmp_path / ".checkpoint").read_bytes() == b"0\n2\napp-counts-changelog 0 1234\napp-counts-changelog 1 -4\n"
    assert not (tmp_path / ".checkpoint.tmp").exists()


def test_reads_a_java_file_and_skips_invalid_offsets(tmp_path: Path) -> None:
    (tmp_path / ".checkpoint").write_text("0\n3\nt 0 5\nt  1   7\nt 2 -1\n")
    assert OffsetCheckpoint(tmp_path / ".checkpoint").read() == {("t", 0): 5, ("t", 1): 7}


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("1\n0\n", "Unknown offset checkpoint version: 1"),
        ("0\n2\nt 0 1\n", "Expected 2 entries but found only 1"),
        ("0\n1\nt 0\n", "Malformed line"),
    ],
)
def test_bad_files_fail(tmp_path: Path, content: str, error: str) -> None:
    (tmp_path / ".checkpoint").write_text(content)
    with pytest.raises((OSError, ValueError), match=error):
        OffsetCheckpoint(tmp_path / ".checkpoint").read()


def test_missing_file_reads_empty_and_empty_write_deletes(tmp_path: Path) -> None:
    checkpoint = OffsetCheckpoint(tmp_path / ".checkpoint")
    assert checkpoint.read() == {}
    checkpoint.write({("t", 0): 1})
    checkpoint.write({})
    assert not (tmp_path / ".checkpoint").exists()
    with pytest.raises(ValueError, match="negative offset"):
        checkpoint.write({("t", 0): -1})


@settings(max_examples=8, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.from_regex(r"[a-zA-Z0-9._-]{1,20}", fullmatch=True), st.integers(0, 1000)), st.integers(0, 2**63 - 1), max_size=8
    )
)
def test_round_trip(offsets: dict[tuple[str, int], int]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = OffsetCheckpoint(Path(tmp) / ".checkpoint")
        checkpoint.write(offsets)
        assert checkpoint.read() == offsets
