"""neo interop (the optional extra): PyNN-style blocks in, neo spike trains out."""

from __future__ import annotations

import numpy as np
import pytest

import neurotypes as nt

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")


def test_to_neo_and_back():
    st_ = nt.SpikeTrains([0.001, 0.002, 0.5], [2, 0, 2], n_units=3, t_stop=1.0)
    trains = st_.to_neo()
    assert len(trains) == 3
    assert [int(t.annotations["source_index"]) for t in trains] == [0, 1, 2]
    np.testing.assert_allclose(trains[2].rescale(pq.s).magnitude, [0.001, 0.5])
    assert nt.SpikeTrains.from_neo(trains) == st_


def test_from_pynn_style_block_in_milliseconds():
    seg = neo.Segment()
    seg.spiketrains.append(
        neo.SpikeTrain([5.0, 7.5] * pq.ms, t_start=0 * pq.ms, t_stop=90 * pq.ms, source_index=1)
    )
    seg.spiketrains.append(
        neo.SpikeTrain([1.0] * pq.ms, t_start=0 * pq.ms, t_stop=90 * pq.ms, source_index=0)
    )
    block = neo.Block()
    block.segments.append(seg)
    st_ = nt.SpikeTrains.from_neo(block, n_units=4)
    assert st_.n_units == 4 and st_.t_stop == pytest.approx(0.09)
    np.testing.assert_allclose(st_.times, [0.001, 0.005, 0.0075])
    assert st_.units.tolist() == [0, 1, 1]


def test_from_neo_bad_input():
    with pytest.raises(ValueError, match="no spike trains"):
        nt.SpikeTrains.from_neo([])
    with pytest.raises(TypeError, match=r"obj\[0\] must be a neo.SpikeTrain"):
        nt.SpikeTrains.from_neo([np.array([1.0])])
    tr = neo.SpikeTrain([1.0] * pq.s, t_stop=2 * pq.s, source_index=3)
    with pytest.raises(ValueError, match="n_units"):
        nt.SpikeTrains.from_neo([tr], n_units=2)
