"""Pipeline 9: a real NWB file (a spike-sorted Neuropixels recording, pynapple's test data, MIT) through two
methods, each in an environment holding only its own package, as a user runs them.

Expectations, stated before the first run:
- `bibcluster fit session.nwb --bin-size 1 --nwb-column` reads the Units table, clusters its 3 units and writes
  the clusters next to the units in the same NWB file; reading the file back with neurotypes (pynwb) gives the
  same labels as the Partition file it wrote, for every unit, and the units' spikes are untouched;
- neuroformer's tokenizer, reading the same file by its suffix, emits exactly one neuron-ID token per spike in
  consecutive non-overlapping windows (counted independently with neurotypes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

import neurotypes as nt

DATA = Path(__file__).resolve().parent / "data"


def test_bibcluster_clusters_land_in_the_real_nwb_file(stages, tmp_path):
    nwb = tmp_path / "session.nwb"
    shutil.copyfile(DATA / "A8604-211122.nwb", nwb)
    before = nt.SpikeTrains.from_nwb(nwb)
    stages.run(
        "bibcluster",
        "run_cli.py",
        "bibcluster",
        "fit",
        nwb,
        "--bin-size",
        "1.0",
        "--iters",
        "40",
        "--chains",
        "1",
        "--nwb-column",
        "--out",
        tmp_path / "fit",
        "-q",
    )
    clusters = nt.Partition.load(tmp_path / "fit" / "neuron_clusters.npz")
    result = json.loads((tmp_path / "fit" / "result.json").read_text())
    assert clusters.labels.tolist() == result["neuron_clusters"] and clusters.n_items == 3
    in_file = nt.Partition.from_nwb(nwb, "bibcluster_cluster")  # the column the package documents
    assert in_file.labels.tolist() == clusters.labels.tolist()
    after = nt.SpikeTrains.from_nwb(nwb)  # the spikes are untouched; the unit metadata gained the column
    np.testing.assert_array_equal(after.times, before.times)
    np.testing.assert_array_equal(after.units, before.units)
    assert after.unit_ids == before.unit_ids
    assert set(after.unit_metadata) == set(before.unit_metadata) | {"bibcluster_cluster"}


def test_neuroformer_tokenises_every_spike_of_the_real_nwb_file(stages):
    nwb = DATA / "A8604-211122.nwb"
    trains = nt.SpikeTrains.from_nwb(nwb)
    t0, t1 = 0.15, 20.0
    got = stages.run("neuroformer", "nf_tokens.py", nwb, t0, t1)
    assert got["n_units"] == trains.n_units == 3
    start = got["t_start"]
    expected = int(np.count_nonzero((trains.times >= start + t0) & (trains.times < start + t1)))
    assert expected > 100
    assert got["id_tokens"] == expected
