"""Versioned npz files: round trips, schema checks, refusal of newer versions, atomic writes."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

import neurotypes as nt
from neurotypes import _base

VALUES = [
    nt.SpikeTrains([0.1, 0.2], [0, 1], 2, t_stop=1.0),
    nt.SpikeCounts([[1, 2], [0, 0]], 0.01),
    nt.Traces([[1.0, np.nan]], 10.0, unit_ids=["x"]),
    nt.SDR(32, [1, 5, 9]),
    nt.InstanceLabels(np.arange(8, dtype=np.uint8).reshape(2, 2, 2)),
    nt.Stimulus(np.zeros((2, 3)), 5.0),
    nt.Partition([0, 1, 1], item_ids=["a", "b", "c"]),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_through_generic_load(value, tmp_path):
    path = value.save(tmp_path / "v.npz")
    back = nt.load(path)
    assert type(back) is type(value) and back == value
    assert type(value).load(path) == value


def _rewrite(path, **changes):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_newer_schema_version_is_refused(tmp_path):
    p = nt.SDR(8, [1]).save(tmp_path / "x.npz")
    _rewrite(p, __version__=np.array(2))
    with pytest.raises(nt.SchemaError, match=r"version 2, newer than the version 1"):
        nt.load(p)
    with pytest.raises(nt.SchemaError, match="upgrade neurotypes"):
        nt.SDR.load(p)


def test_wrong_or_missing_schema_is_refused(tmp_path):
    p = nt.SDR(8, [1]).save(tmp_path / "x.npz")
    with pytest.raises(nt.SchemaError, match=r"holds schema 'neurotypes\.SDR', not 'neurotypes\.Partition'"):
        nt.Partition.load(p)
    _rewrite(p, __schema__=np.array("neurotypes.Banana"))
    with pytest.raises(nt.SchemaError, match=r"unknown schema 'neurotypes\.Banana'"):
        nt.load(p)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.arange(3))
    with pytest.raises(nt.SchemaError, match="no neurotypes schema"):
        nt.load(plain)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(nt.FormatError, match="not an npz"):
        nt.load(junk)
    with pytest.raises(FileNotFoundError):
        nt.load(tmp_path / "missing.npz")


def test_damaged_content_is_refused(tmp_path):
    p = nt.SDR(8, [1]).save(tmp_path / "x.npz")
    _rewrite(p, active=np.array([9]))
    with pytest.raises(ValueError, match="active indices must lie"):
        nt.load(p)
    p2 = nt.Partition([0]).save(tmp_path / "p.npz")
    with np.load(p2) as z:
        arrays = {k: z[k] for k in z.files if k != "labels"}
    np.savez(p2, **arrays)
    p2 = p2.with_name("p.npz")
    with pytest.raises(nt.FormatError, match="'labels' is missing"):
        nt.load(tmp_path / "p.npz")


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "keep.npz"
    nt.SDR(8, [1]).save(p)
    before = p.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(_base.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        nt.SDR(8, [2, 3]).save(p)
    assert p.read_bytes() == before
    assert [f for f in os.listdir(tmp_path) if f != "keep.npz"] == []  # no temp file left behind


def test_save_names_the_file_exactly(tmp_path):
    p = nt.SDR(8, [1]).save(tmp_path / "pattern.sdr")
    assert p.name == "pattern.sdr" and p.is_file()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nt.SDR(8, [1]).save(tmp_path / "no" / "such" / "dir.npz")


def test_public_atomic_write(tmp_path):
    p = nt.atomic_write_bytes(tmp_path / "a.txt", b"one")
    nt.atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nt.atomic_write_bytes(tmp_path, b"x")
