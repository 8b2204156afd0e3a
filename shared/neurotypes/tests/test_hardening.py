"""Files from users and colleagues: crafted, damaged and foreign archives are refused with a neurotypes error
naming the file before anything large is allocated; stored values are never coerced; files get the umask's
permissions; nothing is left behind when a write fails."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neurotypes as nt
from neurotypes import _base

VALUES = [
    nt.SpikeTrains(
        [0.1, 0.2], [0, 1], 2, t_stop=1.0, unit_ids=["a", "b"], unit_metadata={"depth": [1.0, 2.0]}
    ),
    nt.SpikeCounts([[1, 2], [0, 0]], 0.01, unit_ids=["a", "b"]),
    nt.Traces([[1.0, np.nan]], 10.0, unit_ids=["x"], signal_units="mV"),
    nt.SDR(32, [1, 5, 9]),
    nt.InstanceLabels(np.arange(8, dtype=np.uint8).reshape(2, 2, 2)),
    nt.Stimulus(np.zeros((2, 3)), 5.0),
    nt.Partition([0, 1, 1], item_ids=["a", "b", "c"]),
]


def _npy_member(header: dict, payload: bytes = b"") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + payload


def _archive(path, members: dict[str, bytes], compress: bool = True) -> None:
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", mode) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _schema(name: str = "neurotypes.Partition") -> dict[str, bytes]:
    def arr(a):
        b = io.BytesIO()
        np.lib.format.write_array(b, np.asarray(a))
        return b.getvalue()

    return {"__schema__.npy": arr(np.array(name)), "__version__.npy": arr(np.array(1))}


@pytest.mark.timeout(20)
def test_zero_width_dtype_with_a_huge_shape_is_refused_at_once(tmp_path):
    # The 768-byte file of the issue: a huge array of a zero-width dtype used to hang load().
    p = tmp_path / "zero.npz"
    header = {"descr": "|V0", "fortran_order": False, "shape": (10**15,)}
    members = {
        **_schema(),
        "labels.npy": _npy_member(header),
        "item_ids.npy": _npy_member({"descr": "<U0", "fortran_order": False, "shape": (10**12, 10**6)}),
    }
    _archive(p, members)
    assert p.stat().st_size < 2000
    t0 = time.perf_counter()
    with pytest.raises(nt.FormatError, match=r"zero\.npz"):
        nt.load(p)
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.timeout(20)
def test_declared_size_larger_than_the_member_is_refused(tmp_path):
    p = tmp_path / "huge.npz"
    header = {"descr": "<i8", "fortran_order": False, "shape": (10**12,)}
    _archive(p, {**_schema(), "labels.npy": _npy_member(header, b"\x00" * 64)})
    with pytest.raises(nt.FormatError, match=r"declares shape \(1000000000000,\).*but holds 64 bytes"):
        nt.load(p)


def test_max_bytes_limits_what_is_read(tmp_path):
    p = nt.Partition(np.zeros(100_000, dtype=np.int64)).save(tmp_path / "p.npz")
    with pytest.raises(nt.FormatError, match="over the limit max_bytes=1000"):
        nt.load(p, max_bytes=1000)
    assert nt.load(p, max_bytes=None).n_items == 100_000


def test_object_arrays_and_pickles_are_refused(tmp_path):
    p = tmp_path / "obj.npz"
    b = io.BytesIO()
    np.lib.format.write_array(b, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    _archive(p, {**_schema(), "labels.npy": b.getvalue()})
    with pytest.raises(nt.FormatError, match="dtype object"):
        nt.load(p)


def test_text_renamed_npz_does_not_suggest_allow_pickle(tmp_path):
    p = tmp_path / "notes.npz"
    p.write_text("some notes\n")
    with pytest.raises(nt.FormatError) as err:
        nt.load(p)
    assert "allow_pickle" not in str(err.value) and "notes.npz" in str(err.value)


def test_truncations_and_bit_flips_are_format_errors(tmp_path):
    good = VALUES[0].save(tmp_path / "good.npz").read_bytes()
    for cut in (10, len(good) // 3, len(good) // 2, len(good) - 5):
        p = tmp_path / f"cut{cut}.npz"
        p.write_bytes(good[:cut])
        with pytest.raises(nt.FormatError, match=f"cut{cut}.npz"):
            nt.load(p)
    rng = np.random.default_rng(0)
    for k in range(40):
        data = bytearray(good)
        i = int(rng.integers(len(data)))
        data[i] ^= 1 << int(rng.integers(8))
        p = tmp_path / f"flip{k}.npz"
        p.write_bytes(bytes(data))
        try:
            nt.load(p)
        except nt.FormatError as exc:
            assert f"flip{k}.npz" in str(exc)


def test_stored_values_are_not_coerced(tmp_path):
    p = tmp_path / "sdr.npz"
    b = io.BytesIO()
    arrays = {
        "__schema__": np.array("neurotypes.SDR"),
        "__version__": np.array(1),
        "n": np.array(141.9),
        "active": np.array([1, 2]),
    }
    np.savez(b, **arrays)
    p.write_bytes(b.getvalue())
    with pytest.raises(nt.FormatError, match="'n' must hold integers, got dtype float64"):
        nt.load(p)
    arrays["n"] = np.array(b"\x10\x00", dtype="S2")
    b = io.BytesIO()
    np.savez(b, **arrays)
    p.write_bytes(b.getvalue())
    with pytest.raises(nt.FormatError, match="dtype"):
        nt.load(p)
    arrays["n"] = np.array([16])  # an array where a scalar belongs
    b = io.BytesIO()
    np.savez(b, **arrays)
    p.write_bytes(b.getvalue())
    with pytest.raises(nt.FormatError, match="must be a single value"):
        nt.load(p)


def test_constructors_refuse_what_they_cannot_store_exactly():
    with pytest.raises(ValueError, match="int64 cannot store exactly"):
        nt.SpikeCounts(np.array([[2**63]], dtype=np.uint64), 0.1)
    with pytest.raises(TypeError, match="timedelta"):
        nt.Partition(np.array([1, 2], dtype="m8[s]"))
    with pytest.raises(TypeError, match="integer dtype"):
        nt.InstanceLabels(np.zeros((1, 1, 2), dtype="m8[s]"))


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_round_trip_every_type(value, tmp_path):
    assert nt.load(value.save(tmp_path / "v.npz")) == value


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_new_files_get_the_umask_permissions(tmp_path, mask):
    code = (
        "import os, sys, neurotypes as nt; os.umask(int(sys.argv[2], 8)); "
        "nt.SDR(8, [1]).save(sys.argv[1] + '/a.npz'); nt.atomic_write_bytes(sys.argv[1] + '/b.txt', b'x'); "
        "nt.Report('p', '1', [nt.Claim('c', 1, {'m': 1})]).write(sys.argv[1] + '/r')"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path), oct(mask)], check=True)
    for f in (
        tmp_path / "a.npz",
        tmp_path / "b.txt",
        tmp_path / "r" / "report.json",
        tmp_path / "r" / "report.md",
    ):
        assert f.stat().st_mode & 0o777 == 0o666 & ~mask, f


def test_replacing_keeps_the_existing_permissions(tmp_path):
    p = nt.SDR(8, [1]).save(tmp_path / "a.npz")
    os.chmod(p, 0o640)
    nt.SDR(8, [2]).save(p)
    assert p.stat().st_mode & 0o777 == 0o640


def test_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    p = tmp_path / "keep.npz"
    nt.SDR(8, [1]).save(p)
    before = p.read_bytes()

    def broken(fd, data):
        raise OSError("disk full")

    monkeypatch.setattr(_base.os, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        nt.SDR(8, [2, 3]).save(p)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE")
def test_a_kill_while_writing_leaves_nothing_behind(tmp_path):
    # A child writes a large file slowly enough to be killed mid-write; the unnamed O_TMPFILE vanishes with it.
    code = (
        "import sys, os, neurotypes._base as b\n"
        "real = os.write\n"
        "def slow(fd, data):\n"
        "    import time; time.sleep(0.05); return real(fd, data[:4096])\n"
        "b.os.write = slow\n"
        "print('ready', flush=True)\n"
        "b.atomic_write_bytes(sys.argv[1], b'x' * 10_000_000)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "big.bin")], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------------------------- fuzz
MUTATIONS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(VALUES) - 1), edits=MUTATIONS, cut=st.one_of(st.none(), st.integers(0, 4000)))
def test_fuzzed_files_load_or_fail_with_a_neurotypes_error(tmp_path, which, edits, cut):
    data = bytearray(VALUES[which].save(tmp_path / "f.npz").read_bytes())
    for pos, byte in edits:
        data[pos % len(data)] = byte
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    p = tmp_path / "fuzzed.npz"
    p.write_bytes(bytes(data))
    try:
        value = nt.load(p, max_bytes=2**24)
    except nt.FormatError as exc:
        assert "fuzzed.npz" in str(exc)
    else:
        assert type(value).__name__ in {type(v).__name__ for v in VALUES}


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_fuzzed_report_json_fails_with_a_neurotypes_error(blob):
    with contextlib.suppress(nt.FormatError):
        nt.Report.from_json(blob.decode("utf-8", "replace"))


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=5)),
        lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=5), c, max_size=4)),
        max_leaves=30,
    )
)
def test_structurally_wrong_reports_fail_with_a_neurotypes_error(obj):
    import json

    doc = {
        "schema": "neurotypes.Report",
        "schema_version": 2,
        "package": "p",
        "version": "1",
        "claims": [obj],
    }
    with pytest.raises(nt.FormatError):
        nt.Report.from_json(json.dumps(doc))


def test_package_model_files_round_trip_and_refusals(tmp_path):
    from neurotypes.io import load_arrays, save_arrays

    p = save_arrays(
        tmp_path / "model.npz",
        {"w": np.arange(6.0).reshape(2, 3), "names": np.array(["a", "b"])},
        {"hidden": 3, "lr": 0.1},
        format="demo.Model",
        version=2,
    )
    arrays, meta, version = load_arrays(p, format="demo.Model", max_version=2)
    assert version == 2 and meta == {"hidden": 3, "lr": 0.1}
    np.testing.assert_array_equal(arrays["w"], np.arange(6.0).reshape(2, 3))
    with pytest.raises(nt.SchemaError, match="version 2; this version reads 1 to 1; upgrade"):
        load_arrays(p, format="demo.Model")
    with pytest.raises(nt.SchemaError, match=r"not a other\.Model file"):
        load_arrays(p, format="other.Model", max_version=2)
    with pytest.raises(TypeError, match="numbers, booleans or text"):
        save_arrays(tmp_path / "x.npz", {"o": np.array([object()])}, format="demo.Model")
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_arrays(tmp_path / "x.npz", {}, {"x": float("nan")}, format="demo.Model")
    import pickle

    (tmp_path / "evil.npz").write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(nt.FormatError, match=r"evil\.npz"):
        load_arrays(tmp_path / "evil.npz", format="demo.Model")


def test_read_npz_reads_foreign_archives_safely(tmp_path):
    """neurotypes.io.read_npz: any .npz of plain arrays reads; pickles and oversized declarations are refused."""
    import neurotypes.io as nio

    good = tmp_path / "acts.npz"
    np.savez(good, activations=np.arange(6.0).reshape(2, 3), names=np.array(["a", "b"]))
    got = nio.read_npz(good)
    np.testing.assert_array_equal(got["activations"], np.arange(6.0).reshape(2, 3))
    assert got["names"].tolist() == ["a", "b"]
    bad = tmp_path / "objects.npz"
    np.savez(bad, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(nt.FormatError, match=r"objects\.npz"):
        nio.read_npz(bad)
    with pytest.raises(nt.FormatError, match=r"acts\.npz"):
        nio.read_npz(good, max_bytes=8)
