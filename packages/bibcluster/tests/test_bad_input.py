"""Bad input gets clear errors naming the argument and the rule."""

from pathlib import Path

import numpy as np
import pytest

from bibcluster import BiClusterSampler, simulate
from neurotypes import SpikeCounts


def _counts(a):
    return np.asarray(a)


@pytest.fixture
def good():
    return np.random.default_rng(0).poisson(2.0, (4, 40)).astype(np.int64) + 1


def test_negative_counts(good):
    bad = good.copy()
    bad[0, 3] = -1
    with pytest.raises(ValueError, match="non-negative"):
        BiClusterSampler().fit(bad, n_iter=2, burn_in=0, chains=1)


def test_non_integer_counts(good):
    with pytest.raises(ValueError, match="integers"):
        BiClusterSampler().fit(good + 0.5, n_iter=2, burn_in=0, chains=1)


def test_silent_neurons(good):
    bad = good.copy()
    bad[2] = 0
    with pytest.raises(ValueError, match=r"silent neurons.*\[2\]"):
        BiClusterSampler().fit(SpikeCounts(counts=bad, bin_size=0.5), n_iter=2, burn_in=0, chains=1)


def test_too_few_bins(good):
    with pytest.raises(ValueError, match="too few time bins"):
        BiClusterSampler().fit(good[:, :5], n_iter=2, burn_in=0, chains=1)


def test_wrong_types_and_shapes(good):
    with pytest.raises(TypeError, match="SpikeCounts"):
        BiClusterSampler().fit(good.tolist(), n_iter=2, burn_in=0, chains=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2-D"):
        BiClusterSampler().fit(good[0], n_iter=2, burn_in=0, chains=1)
    with pytest.raises(ValueError, match="at least 2 neurons"):
        BiClusterSampler().fit(good[:1], n_iter=2, burn_in=0, chains=1)
    with pytest.raises(ValueError, match="finite"):
        BiClusterSampler().fit(np.where(good > 3, np.nan, good), n_iter=2, burn_in=0, chains=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"p": 0}, "p must"),
        ({"family": "gauss"}, "family"),
        ({"r_fixed": -1.0}, "r_fixed"),
        ({"constraint": "svd"}, "constraint"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"init_clusters": 0}, "init_clusters"),
        ({"init_states": 11}, "init_states"),
        ({"state_moves": -1}, "state_moves"),
        ({"state_moves": 1.5}, "state_moves"),
        ({"prior": "mfm"}, "prior"),
        ({"threads": 0}, "threads"),
        ({"threads": True}, "threads"),
    ],
)
def test_bad_sampler_settings(good, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BiClusterSampler(**kwargs).fit(good, n_iter=2, burn_in=0, chains=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_iter": 0}, "n_iter"), ({"burn_in": 5, "n_iter": 5}, "burn_in"), ({"chains": 0}, "chains")],
)
def test_bad_run_lengths(good, kwargs, match):
    args = {"n_iter": 2, "burn_in": 0, "chains": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        BiClusterSampler().fit(good, **args)


def test_simulation_rejects_bad_arguments():
    with pytest.raises(ValueError, match="family"):
        simulate.simulate_biclustered(family="gauss")
    with pytest.raises(ValueError, match="T must"):
        simulate.simulate_biclustered(T=1)
    with pytest.raises(ValueError, match="r must"):
        simulate.simulate_biclustered(r=0.0)
    with pytest.raises(ValueError, match="rate"):
        simulate.simulate_structureless(rate=0.0)


def test_peer_sweep_needs_a_python_with_the_reference_stack(tmp_path):
    import sys

    from bibcluster.refbench import peer_sweep

    y = np.ones((3, 20), dtype=np.int64)
    z = np.zeros(3, dtype=np.int64)
    with pytest.raises(ValueError, match="python must be the path"):
        peer_sweep(y, z, tmp_path / "no-python")
    with pytest.raises(ValueError, match="iters"):
        peer_sweep(y, z, sys.executable, iters=0)
    with pytest.raises(ValueError, match="script must be"):
        peer_sweep(y, z, sys.executable, script=tmp_path / "missing.py")
    # this environment has no pyhsmm: the subprocess fails and the error says so
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "peer_sweep.py"
    with pytest.raises(RuntimeError, match="peer sweep failed"):
        peer_sweep(y, z, sys.executable, iters=1, script=script)


def test_reproduce_rejects_a_missing_peer_python(tmp_path):
    from bibcluster import reproduce

    with pytest.raises(ValueError, match="peer_python"):
        reproduce(tmp_path / "out", peer_python=tmp_path / "missing")
    with pytest.raises(ValueError, match="seed"):
        reproduce(tmp_path / "out", seed=-1)
    with pytest.raises(ValueError, match="n_jobs"):
        reproduce(tmp_path / "out", n_jobs=0)
    assert not (tmp_path / "out").exists()
