"""Pipeline 4: values one package writes to neurotypes files are read and used by another package, each stage in
an environment holding only its own package.

Expectations, stated before the first run:
- bibcluster's counts -> elm-neuron: spikes placed at bin centres and binned again at the same width by
  elm-neuron give the counts back exactly, and the ELM neuron runs on them (finite outputs, one per bin);
- astrosnn's AM-SU spikes -> elm-neuron: one step per token at dt = 1 ms, binned at 1 ms, is the spike raster
  astrosnn produced, exactly;
- a real FISBe image and a real baseline segmentation of it (FISBe's sample, CC BY 4.0), cropped and written as
  InstanceLabels files, score exactly as the arrays they came from (the files lose nothing: voxel size, channels,
  ids), and the scores are those of an imperfect prediction (0 < avF1 < 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import neurotypes as nt

ROOT = Path(__file__).resolve().parents[2]
FISBE = ROOT / "packages" / "fisbe-bench" / "tests" / "data" / "fisbe-sample"


def test_bibcluster_counts_file_feeds_an_elm_neuron(stages, tmp_path):
    made = stages.run("bibcluster", "bib_simulate.py", tmp_path, 4, 60, 1)
    counts = nt.SpikeCounts.load(tmp_path / "counts.npz")
    got = stages.run(
        "elm-neuron",
        "elm_raster.py",
        tmp_path / "counts.npz",
        counts.bin_size,
        counts.n_bins,
        tmp_path / "r.npy",
    )
    assert got["shape"] == [1, made["n_bins"], made["n_units"]]
    assert got["out_shape"] == [1, made["n_bins"], 3] and got["finite"]
    np.testing.assert_array_equal(np.load(tmp_path / "r.npy").T, counts.counts)


def test_astrosnn_spikes_file_feeds_elm_neuron(stages, tmp_path):
    made = stages.run("astrosnn", "astro_spikes.py", tmp_path / "s.npz", tmp_path / "dense.npy", 40, 0)
    assert made["n_spikes"] > 0
    got = stages.run("elm-neuron", "elm_raster.py", tmp_path / "s.npz", 1e-3, 40, tmp_path / "r.npy")
    assert got["shape"] == [1, 40, made["n_units"]]
    np.testing.assert_array_equal(
        np.load(tmp_path / "r.npy"), np.load(tmp_path / "dense.npy").astype(np.float32)
    )


def test_real_fisbe_prediction_scores_the_same_from_neurotypes_files(stages, tmp_path):
    image = "R14A02-20180905_65_A6"
    direct = stages.run(
        "fisbe-bench",
        "fisbe_crop.py",
        FISBE / f"{image}.zarr",
        FISBE / "pred" / f"{image}.hdf",
        "volumes/gmm_label_cleaned",
        tmp_path,
    )
    from_files = stages.run("fisbe-bench", "fisbe_score.py", tmp_path / "gt.npz", tmp_path / "pred.npz")
    assert direct["n_gt"] >= 3 and direct["n_pred"] >= 3
    for key in ("S", "avF1", "C", "fs", "fm"):
        assert from_files[key] == pytest.approx(direct[key], abs=1e-12), key
    assert 0 < from_files["avF1"] < 1
    assert from_files["voxel_size"] == [0.44, 0.44, 0.44]
