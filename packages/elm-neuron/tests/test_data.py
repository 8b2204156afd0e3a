"""Synthetic tasks, spike-train inputs, and the SHD / NeuronIO loaders on small files written here."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from elm_neuron import ELM, data
from neurotypes import SpikeTrains


def test_synthetic_shd_follows_the_templates() -> None:
    x, y = data.synthetic_shd(600, jitter=0.0, p_fire=1.0, noise=0.0, seed=3)
    templates = data.synthetic_shd_templates(seed=0)
    assert x.shape == (600, 40, 32)
    assert x.dtype == np.float32
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert set(np.unique(y)) == set(range(10))
    # without jitter/noise each channel fires exactly once, at the rounded template time (when inside the window)
    for k in range(20):
        bins = np.rint(templates[y[k]]).astype(int)
        inside = bins < 40
        assert np.array_equal(x[k].argmax(0)[inside], bins[inside])
        assert np.array_equal(x[k].sum(0), inside.astype(np.float32))


def test_synthetic_shd_statistics_and_seeds() -> None:
    x, _ = data.synthetic_shd(2000, jitter=0.0, p_fire=0.8, noise=0.01, seed=1)
    per_channel = x.sum(1)  # ~0.8 pattern spikes + ~0.4 background per channel
    assert per_channel.mean() == pytest.approx(
        0.8 * np.mean(np.rint(data.synthetic_shd_templates()) < 40) + 0.01 * 40, abs=0.03
    )
    a, ya = data.synthetic_shd(50, seed=7)
    b, yb = data.synthetic_shd(50, seed=7)
    c, _ = data.synthetic_shd(50, seed=8)
    assert np.array_equal(a, b)
    assert np.array_equal(ya, yb)
    assert not np.array_equal(a, c)


def test_synthetic_adding_labels_are_sums() -> None:
    x, y = data.synthetic_shd_adding(400, jitter=0.0, p_fire=1.0, noise=0.0, seed=2)
    assert x.shape == (400, 80, 32)
    assert y.min() >= 0
    assert y.max() <= 18
    templates = data.synthetic_shd_templates(seed=0)
    first = [
        int(np.argmin([np.abs(x[k, :40].argmax(0) - np.rint(templates[c])).sum() for c in range(10)]))
        for k in range(30)
    ]
    second = [
        int(np.argmin([np.abs(x[k, 40:].argmax(0) - np.rint(templates[c])).sum() for c in range(10)]))
        for k in range(30)
    ]
    assert [a + b for a, b in zip(first, second, strict=True)] == y[:30].tolist()


def test_model_accepts_spike_trains() -> None:
    trains = [
        SpikeTrains.from_unit_times([np.array([0.0005, 0.0102]), np.array([0.0031])], t_stop=0.02),
        SpikeTrains.from_unit_times([np.array([]), np.array([0.015])], t_stop=0.02),
    ]
    raster = data.to_raster(trains, bin_size=0.001)
    assert raster.shape == (2, 20, 2)
    expected = torch.zeros(2, 20, 2)
    expected[0, 0, 0] = expected[0, 10, 0] = expected[0, 3, 1] = expected[1, 15, 1] = 1
    torch.testing.assert_close(raster, expected)
    model = ELM(2, 3, num_memory=4)  # delta_t = 1 (ms): bins of 1 ms by default
    torch.testing.assert_close(model(trains), model(expected))


def _write_shd(path: Path, times: list[np.ndarray], units: list[np.ndarray], labels: list[int]) -> None:
    with h5py.File(path, "w") as f:
        t = f.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.float32))
        u = f.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.uint16))
        for k in range(len(times)):
            t[k] = times[k]
            u[k] = units[k]
        f.create_dataset("labels", data=np.asarray(labels, dtype=np.uint16))


def test_shd_loader_bins_spikes(tmp_path: Path) -> None:
    path = tmp_path / "tiny_shd.h5"
    _write_shd(
        path,
        [np.array([0.001, 0.0125, 0.9999, 1.2], dtype=np.float32), np.array([0.5], dtype=np.float32)],
        [np.array([0, 699, 3, 5], dtype=np.uint16), np.array([42], dtype=np.uint16)],
        [13, 4],
    )
    x, y = data.shd(path)
    assert x.shape == (2, 100, 700)
    assert y.tolist() == [13, 4]
    assert x[0, 0, 0] == 1
    assert x[0, 1, 699] == 1
    assert x[0, 99, 3] == 1
    assert x.sum() == 4
    assert x[1, 50, 42] == 1
    xa, ya = data.shd_adding(x, y, 5, seed=0)
    assert xa.shape == (5, 200, 700)
    assert set(ya.tolist()) <= {6, 7, 8}


def test_shd_loader_rejects_malformed_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        f.create_dataset("labels", data=np.zeros(2, dtype=np.uint16))
    with pytest.raises(ValueError, match="missing dataset 'spikes/times'"):
        data.shd(bad)
    out_of_range = tmp_path / "units.h5"
    _write_shd(out_of_range, [np.array([0.1], dtype=np.float32)], [np.array([700], dtype=np.uint16)], [0])
    with pytest.raises(ValueError, match="channel ids outside"):
        data.shd(out_of_range)
    with pytest.raises(FileNotFoundError, match="path"):
        data.shd(tmp_path / "missing.h5")


def test_neuronio_loader(tmp_path: Path) -> None:
    sim = {
        "exInputSpikeTimes": {0: [1, 5], 2: [9]},
        "inhInputSpikeTimes": {1: [3]},
        "outputSpikeTimes": np.array([4.5, 7.7]),
        "somaVoltageLowRes": np.linspace(-70, -60, 10),
    }
    experiment = {"Params": {"allSegmentsType": ["basal"] * 3, "totalSimDurationInSec": 0.01},
                  "Results": {"listOfSingleSimulationDicts": [sim]}}  # fmt: skip
    path = tmp_path / "sim__tiny.p"
    path.write_bytes(pickle.dumps(experiment, protocol=2))
    with pytest.raises(ValueError, match="allow_pickle=True only for a file you trust"):
        data.neuronio(path)  # pickles are refused by default
    d = data.neuronio(path, allow_pickle=True)
    assert d.x.shape == (1, 10, 6)
    assert d.x[0, 1, 0]
    assert d.x[0, 5, 0]
    assert d.x[0, 9, 2]
    assert d.x[0, 3, 4]
    assert d.x.sum() == 4
    assert d.y_spike[0].nonzero()[0].tolist() == [4, 7]
    np.testing.assert_allclose(d.y_soma[0], np.linspace(-70, -60, 10))
    (tmp_path / "junk.p").write_bytes(pickle.dumps({"nope": 1}))
    with pytest.raises(ValueError, match=r"junk\.p is not a NeuronIO simulation file"):
        data.neuronio(tmp_path / "junk.p", allow_pickle=True)
    # converted once, the archive loads without allow_pickle and gives the same arrays
    saved = data.save_neuronio(d, tmp_path / "sim__tiny")
    assert saved.name == "sim__tiny.npz" and not list(tmp_path.glob(".*.tmp"))
    again = data.neuronio(saved)
    for name in ("x", "y_spike", "y_soma"):
        np.testing.assert_array_equal(getattr(again, name), getattr(d, name))
    assert again.x.dtype == np.bool_


def test_neuronio_loader_never_unpickles_without_consent(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (tmp_path / "pwned",))

    evil = tmp_path / "sim__evil.p"
    evil.write_bytes(pickle.dumps({"Params": Boom()}))
    with pytest.raises(ValueError, match=r"sim__evil\.p is not an archive written by save_neuronio"):
        data.neuronio(evil)
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(TypeError, match="allow_pickle must be True or False"):
        data.neuronio(evil, allow_pickle="yes")  # type: ignore[arg-type]


def test_neuronio_loader_names_the_file_on_damaged_input(tmp_path: Path) -> None:
    truncated = tmp_path / "sim__cut.p"
    truncated.write_bytes(pickle.dumps({"Params": {"a": 1}}, protocol=2)[:-5])
    with pytest.raises(ValueError, match=r"cannot read .*sim__cut\.p as a pickle"):
        data.neuronio(truncated, allow_pickle=True)
    bad_zip = tmp_path / "bad.npz"
    bad_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ValueError, match=r"bad\.npz"):
        data.neuronio(bad_zip)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x=np.zeros((1, 3, 2)), y_spike=np.zeros((1, 3)), y_soma=np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"wrong\.npz: x must be a boolean"):
        data.neuronio(wrong)
    objects = tmp_path / "objects.npz"
    np.savez(objects, x=np.array([{"a": 1}], dtype=object), y_spike=np.zeros(1), y_soma=np.zeros(1))
    with pytest.raises(ValueError, match=r"objects\.npz"):
        data.neuronio(objects)
    missing = tmp_path / "missing.npz"
    np.savez(missing, x=np.zeros((1, 3, 2), bool))
    with pytest.raises(ValueError, match=r"missing\.npz is not a NeuronIO archive"):
        data.neuronio(missing)


def test_unreadable_shd_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from elm_neuron.cli import main

    junk = tmp_path / "not_hdf5.h5"
    junk.write_bytes(b"this is not an HDF5 file" * 10)
    with pytest.raises(ValueError, match=r"cannot read .*not_hdf5\.h5 as an HDF5 file"):
        data.shd(junk)
    assert main(["train", "--task", "shd", str(junk), "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "not_hdf5.h5" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
