"""Files written through neurotypes by one party are read by another, and schema versions are enforced."""

from __future__ import annotations

import io

import numpy as np
import pytest

import neurotypes as nt


def _bump_version(path, version):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["__version__"] = np.array(version)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_binned_spikes_written_then_read_as_traces(tmp_path):
    rng = np.random.default_rng(0)
    spikes = nt.SpikeTrains(np.sort(rng.uniform(0, 2, 300)), rng.integers(0, 10, 300), 10, t_stop=2.0)
    spikes.save(tmp_path / "spikes.npz")
    counts = nt.load(tmp_path / "spikes.npz").bin(0.1)
    counts.save(tmp_path / "counts.npz")
    traces = nt.load(tmp_path / "counts.npz").to_traces()
    assert traces.rate == pytest.approx(10.0)
    assert traces.data.sum() == 300


@pytest.mark.parametrize(
    "value",
    [nt.SDR(16, [1, 2]), nt.Partition([0, 1]), nt.SpikeCounts([[1]], 0.1), nt.Traces([[0.0]], 1.0)],
    ids=lambda v: type(v).__name__,
)
def test_newer_schema_is_refused_everywhere(tmp_path, value):
    p = value.save(tmp_path / "v.npz")
    _bump_version(p, value.VERSION + 1)
    with pytest.raises(nt.SchemaError, match="newer than the version"):
        nt.load(p)
