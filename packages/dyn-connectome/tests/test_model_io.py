"""Results out: the model file (versioned npz, no pickle), the NWB results file, unit columns; no global state."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from dyn_connectome import DynamicConnectome, synthetic
from dyn_connectome.model import MODEL_FORMAT
from neurotypes import FormatError, Partition


@pytest.fixture(scope="module")
def fitted():
    traces, _ = synthetic.planted_epochs(n_worms=2, T=600, seed=100)
    return DynamicConnectome(window=50, rank=3, backend="louvain", n_restarts=2).fit(traces)


def test_save_load_round_trip(tmp_path, fitted):
    path = fitted.save(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())
    with np.load(path, allow_pickle=False) as z:  # readable without pickle
        assert str(z["format"]) == MODEL_FORMAT and int(z["version"]) == 1
    back = DynamicConnectome.load(path)
    assert back.unit_ids_ == fitted.unit_ids_ and back.n_animals_ == 2
    assert back.window_seconds_ == pytest.approx(5.0)
    for a, b in zip(back.components_, fitted.components_, strict=True):
        assert a.partition == b.partition
        np.testing.assert_allclose(a.affinity, b.affinity)
        np.testing.assert_allclose(a.time_profile, b.time_profile)
        np.testing.assert_allclose(a.window_times, b.window_times)
    assert back.rank == 3 and back.backend == "louvain"


def test_damaged_model_files_are_format_errors(tmp_path, fitted):
    path = fitted.save(tmp_path / "m.npz")
    raw = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match=r"cut\.npz"):
        DynamicConnectome.load(tmp_path / "cut.npz")
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["labels"] = arrays["labels"][:, :5]
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(FormatError, match="labels"):
        DynamicConnectome.load(tmp_path / "short.npz")
    arrays = {k: v for k, v in arrays.items() if k != "labels"}
    arrays["metadata"] = np.array(np.zeros(3, dtype=object), dtype=object)
    np.savez(tmp_path / "pickled.npz", **arrays)
    with pytest.raises(FormatError, match=r"pickled\.npz"):
        DynamicConnectome.load(tmp_path / "pickled.npz")


def test_results_to_nwb(tmp_path, fitted):
    pynwb = pytest.importorskip("pynwb")
    path = fitted.to_nwb(tmp_path / "r.nwb")
    with pytest.raises(FileExistsError):
        fitted.to_nwb(path)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        module = nwb.processing["dyn_connectome"]
        neurons = module["neurons"]
        assert list(neurons["neuron_name"][:]) == list(fitted.unit_ids_)
        for k, c in enumerate(fitted.components_):
            assert list(neurons[f"community_component_{k}"][:]) == c.partition.labels.tolist()
            np.testing.assert_allclose(module["animal_profiles"][f"component_{k}"][:], c.worm_profile)
        ts = module["time_profiles"]
        assert ts.rate == pytest.approx(1 / 5.0)
        np.testing.assert_allclose(ts.data[:], np.stack([c.time_profile for c in fitted.components_], axis=1))


def test_unit_columns_go_next_to_the_units(tmp_path):
    pytest.importorskip("pynwb")
    from neurotypes import SpikeTrains
    from neurotypes.io import add_unit_columns

    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 60, size=600))
    units = rng.integers(0, 4, size=600)
    st = SpikeTrains(times, units, 4, 0.0, t_stop=60.0, unit_ids=["3", "5", "8", "13"])
    path = st.to_nwb(tmp_path / "units.nwb")
    from dyn_connectome.data import load_traces

    model = DynamicConnectome(window=10, rank=1, backend="louvain", n_restarts=1).fit(
        [load_traces(path, bin_size=0.5)]
    )
    add_unit_columns(path, model.unit_columns())
    back = Partition.from_nwb(path, "dyn_connectome_component_0")
    assert back == model.components_[0].partition


def test_import_changes_no_tensorly_backend_and_imports_nothing_heavy():
    code = (
        "import sys\nimport tensorly as tl\ntl.set_backend('numpy')\n"
        "import dyn_connectome\n"
        "heavy = [m for m in ('networkx', 'matplotlib', 'sklearn') if m in sys.modules]\n"
        "from dyn_connectome import fit_ntf\nimport numpy as np\n"
        "fit_ntf(np.ones((4, 3, 2)), rank=1, n_restarts=1)\n"
        "print(heavy, tl.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] numpy"


def test_fit_runs_tensorly_on_numpy_whatever_the_callers_backend():
    # The caller's backend is left as it was; the fit itself runs on numpy inside a context manager.
    tl = pytest.importorskip("tensorly")
    from dyn_connectome import fit_ntf

    before = tl.get_backend()
    res = fit_ntf(np.ones((4, 3, 2)), rank=1, n_restarts=1)
    assert tl.get_backend() == before and res.rel_error < 1e-6
