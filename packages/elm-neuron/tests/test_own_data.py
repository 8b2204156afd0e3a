"""Your own recordings: NWB Units tables in, a fitted neuron (safe model file) and its outputs (Traces) out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from elm_neuron import ELM, data, load_model, save_model
from elm_neuron.cli import main
from elm_neuron.model import neuron_response
from elm_neuron.train import fit_neuron_to_unit
from neurotypes import FormatError, SpikeTrains, Traces

pytest.importorskip("pynwb")


def _coupled_recording(seconds: float = 40.0, seed: int = 0) -> SpikeTrains:
    """Three units; unit "7" fires 5-15 ms after unit "3" spikes (a delayed copy): predictable from the inputs."""
    rng = np.random.default_rng(seed)
    driver = np.sort(rng.uniform(0.0, seconds, int(8 * seconds)))
    other = np.sort(rng.uniform(0.0, seconds, int(5 * seconds)))
    kept = driver[rng.random(driver.size) < 0.8]
    follower = np.sort(kept + rng.uniform(0.005, 0.015, kept.size))
    follower = follower[follower < seconds]
    trains = SpikeTrains.from_unit_times([driver, other, follower], t_stop=seconds)
    return SpikeTrains(trains.times, trains.units, 3, 0.0, t_stop=seconds, unit_ids=["3", "5", "7"])


@pytest.fixture(scope="module")
def nwb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "recording.nwb"
    _coupled_recording().to_nwb(path)
    return path


def test_read_recording_round_trip(nwb_file: Path) -> None:
    trains = data.read_recording(nwb_file)
    original = _coupled_recording()
    assert trains.n_units == 3 and trains.unit_ids == ("3", "5", "7")
    np.testing.assert_allclose(np.sort(trains.times), np.sort(original.times))
    assert data.read_recording(nwb_file, units=[7, 3]).unit_ids == ("7", "3")


def test_spike_prediction_windows_bin_the_recording() -> None:
    trains = _coupled_recording(seconds=4.0)
    x, y, ids = data.spike_prediction_windows(trains, "7", bin_size=0.01, window=50)
    assert x.shape == (8, 50, 2) and y.shape == (8, 50) and ids == ("3", "5")
    counts = np.minimum(trains.bin(0.01).counts, 1)  # [units, bins]
    np.testing.assert_array_equal(y.ravel(), counts[2, :400])
    np.testing.assert_array_equal(x[..., 0].ravel(), counts[0, :400])


def test_fitted_neuron_predicts_a_driven_unit() -> None:
    """A unit that copies another with a 5-15 ms delay is predictable: held-out AUC well above chance."""
    model, metrics = fit_neuron_to_unit(_coupled_recording(), "7", bin_size=0.005, window=200, steps=150)
    assert metrics["inputs"] == ["3", "5"] and metrics["test spikes"] > 20
    assert metrics["test AUC"] > 0.75  # (chance 0.5)
    assert isinstance(model, ELM) and model.num_input == 2


def test_cli_fit_then_run(nwb_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "fitted.npz"
    argv = [
        "fit",
        str(nwb_file),
        "--target",
        "7",
        "--steps",
        "20",
        "--bin-size",
        "0.01",
        "--out",
        str(model_path),
    ]
    assert main([*argv, "-q"]) == 0
    fitted = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert fitted["target"] == "7" and fitted["inputs"] == ["3", "5"]
    model, meta = load_model(model_path)
    assert meta["target"] == "7" and meta["bin size (s)"] == 0.01
    out_path = tmp_path / "outputs.npz"
    assert main(["run", str(nwb_file), "--model", str(model_path), "--out", str(out_path)]) == 0
    traces = Traces.load(out_path)
    assert traces.data.shape == (1, 4000) and traces.rate == pytest.approx(100.0)
    expected = neuron_response(model, data.read_recording(nwb_file), 0.01, ["3", "5"])
    np.testing.assert_allclose(traces.data, expected.data)
    # the pretrained NeuronIO neuron needs 1278 inputs: one line naming the rule
    assert main(["run", str(nwb_file), "--out", str(tmp_path / "x.npz")]) == 2
    assert "1278 inputs" in capsys.readouterr().err


def test_neuron_response_equals_the_forward_pass() -> None:
    trains = _coupled_recording(seconds=2.0)
    torch.manual_seed(0)
    model = ELM(3, 2, num_memory=4)
    traces = neuron_response(model, trains, 0.001)
    counts = np.minimum(trains.bin(0.001).counts, 1)
    with torch.no_grad():
        y = model(torch.as_tensor(counts.T[None], dtype=torch.float32))[0].T.numpy()
    np.testing.assert_allclose(traces.data, y, rtol=1e-6)
    assert traces.unit_ids == ("output_0", "output_1")


def test_model_files_refuse_foreign_and_damaged_files(tmp_path: Path) -> None:
    path = save_model(ELM(3, 2, num_memory=2), tmp_path / "m")
    assert path.suffix == ".npz"
    other = tmp_path / "other.npz"
    np.savez(other, format=np.array("something else"), format_version=np.array(1))
    with pytest.raises(FormatError, match=r"other\.npz"):
        load_model(other)
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(path.read_bytes()[:200])
    with pytest.raises(FormatError, match=r"damaged\.npz"):
        load_model(damaged)
    newer = tmp_path / "newer.npz"
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["format_version"] = np.array(99)
    np.savez(newer, **arrays)
    with pytest.raises(FormatError, match="version"):
        load_model(newer)
