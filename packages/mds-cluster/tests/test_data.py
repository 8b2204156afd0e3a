"""Recorded responses from the field's formats: tables, neurotypes files, NWB, presentations."""

from pathlib import Path

import numpy as np
import pytest

from mds_cluster import Presentations, load_responses, read_presentations, responses_from_recording
from neurotypes import FormatError, SpikeCounts, SpikeTrains, Traces

REAL = Path(__file__).parent / "data"


def _write(path, rows):
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_table_both_layouts(tmp_path):
    values = np.array([[0.5, 2.0, 0.1], [3.0, 0.2, 0.4]])
    a = _write(tmp_path / "a.csv", [["cell", 0, 1, 2], ["c1", *values[0]], ["c2", *values[1]]])
    r = load_responses(a)
    np.testing.assert_array_equal(r.values, values)
    assert r.cell_ids == ("c1", "c2")
    b = _write(tmp_path / "b.csv", [["mds", "c1", "c2"], *[[k, *values[:, k]] for k in range(3)]])
    np.testing.assert_array_equal(load_responses(b, layout="samples-by-units").values, values)
    with pytest.raises(FormatError, match="samples-by-units"):
        load_responses(b)  # transposed: refused with a hint


def test_spike_counts_npz(tmp_path):
    counts = SpikeCounts([[3, 0, 1, 0], [0, 5, 0, 1]], bin_size=1.0, unit_ids=["u1", "u2"])
    r = load_responses(counts.save(tmp_path / "c.npz"))
    np.testing.assert_array_equal(r.values, [[3, 0, 1, 0], [0, 5, 0, 1]])
    assert r.cell_ids == ("u1", "u2")


def test_presentations_average_repeats_by_hand(tmp_path):
    # Two cells, MDS 0 shown at [0, 1) and [2, 3), MDS 1 at [1, 2): rates by hand.
    st = SpikeTrains([0.1, 0.2, 0.5, 2.5, 1.1, 1.2, 1.3, 2.9], [0, 0, 0, 0, 1, 1, 1, 1], 2, 0.0, t_stop=3.0)
    pres = _write(tmp_path / "p.csv", [["mds", "start", "stop"], [0, 0.0, 1.0], [1, 1.0, 2.0], [0, 2.0, 3.0]])
    p = read_presentations(pres)
    assert p.n_stimuli == 2
    r = responses_from_recording(st, p)
    # cell 0: MDS 0 -> (3 + 1) / 2 = 2 Hz, MDS 1 -> 0; cell 1: MDS 0 -> (0 + 1) / 2, MDS 1 -> 3 Hz
    np.testing.assert_allclose(r.values, [[2.0, 0.0], [0.5, 3.0]])
    st.save(tmp_path / "st.npz")
    with pytest.raises(ValueError, match="presentations"):
        load_responses(tmp_path / "st.npz")
    np.testing.assert_allclose(load_responses(tmp_path / "st.npz", presentations=pres).values, r.values)


def test_traces_mean_over_presentations():
    tr = Traces([[0.0, 1.0, 2.0, 3.0], [4.0, 4.0, 0.0, 0.0]], rate=2.0)
    r = responses_from_recording(tr, Presentations([0, 1], [0.0, 1.0], [1.0, 2.0]))
    np.testing.assert_allclose(r.values, [[0.5, 2.5], [4.0, 0.0]])


def test_real_nwb_units_with_presentations(tmp_path):
    # The real spike-sorted file of tests/data (3 units: 11,020, 4,690, 5,644 spikes over 0.03-1087.35 s).
    pytest.importorskip("pynwb")
    pres = _write(tmp_path / "p.csv", [["mds", "start", "stop"], [0, 0.0, 500.0], [1, 500.0, 1000.0]])
    r = load_responses(REAL / "A8604-211122.nwb", presentations=pres)
    assert r.cell_ids == ("6", "191", "206") and r.values.shape == (3, 2)
    st = SpikeTrains.from_nwb(REAL / "A8604-211122.nwb")
    for i in range(3):
        t = st.unit_times(i)
        expected = [((t >= 0) & (t < 500)).sum() / 500, ((t >= 500) & (t < 1000)).sum() / 500]
        np.testing.assert_allclose(r.values[i], expected)


def test_bad_files_name_the_file(tmp_path):
    for suffix in (".csv", ".npz", ".nwb", ".xyz"):
        bad = tmp_path / f"garbage{suffix}"
        bad.write_bytes(b"\x00\x01 not responses \xff" * 20)
        with pytest.raises(ValueError, match="garbage"):
            load_responses(bad)
    with pytest.raises(FileNotFoundError):
        load_responses(tmp_path / "missing.csv")
    p = _write(tmp_path / "p.csv", [["mds", "begin", "end"], [0, 0, 1]])
    with pytest.raises(FormatError, match="mds,start,stop"):
        read_presentations(p)


def test_presentations_must_cover_every_mds_inside_the_recording():
    st = SpikeTrains([0.1], [0], 1, 0.0, t_stop=2.0)
    with pytest.raises(ValueError, match="missing"):
        responses_from_recording(st, Presentations([0, 2], [0.0, 1.0], [1.0, 2.0]))
    with pytest.raises(ValueError, match="inside the recording"):
        responses_from_recording(st, Presentations([0], [1.0], [3.0]))
    with pytest.raises(ValueError, match="stop"):
        Presentations([0], [1.0], [0.5])
