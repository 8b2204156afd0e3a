"""Bad input gets clear errors naming the argument and the rule."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    with pytest.raises(ValueError, match="T"):
        simulate.simulate_biclustered(T=1)
    with pytest.raises(ValueError, match="r must"):
        simulate.simulate_biclustered(r=0.0)
    with pytest.raises(ValueError, match="rate"):
        simulate.simulate_structureless(rate=0.0)


def test_peer_sweep_needs_a_python_with_the_reference_stack(tmp_path):
    import sys

    from bibcluster.reference import peer_sweep

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


def test_reproduce_rejects_bad_arguments(tmp_path):
    from bibcluster import reproduce

    with pytest.raises(ValueError, match="seed"):
        reproduce(tmp_path / "out", seed=-1)
    with pytest.raises(ValueError, match="threads"):
        reproduce(tmp_path / "out", threads=0)
    with pytest.raises(TypeError, match="seed"):
        reproduce(tmp_path / "out", seed=1.5)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ property-based bad input
# Each public function gets bad values drawn by hypothesis and must raise ValueError/TypeError naming the argument.

_bad_float = st.one_of(
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(-float("inf")),
    st.floats(max_value=0.0, allow_nan=False),
)


@settings(max_examples=25, deadline=None)
@given(
    bad=st.one_of(
        st.just(np.nan),
        st.just(np.inf),
        st.integers(max_value=-1),
        st.floats(min_value=0.01, max_value=0.99),
    ),
    where=st.tuples(st.integers(0, 3), st.integers(0, 39)),
)
def test_fit_refuses_bad_counts(bad, where):
    y = np.random.default_rng(0).poisson(2.0, (4, 40)).astype(float) + 1
    y[where] = bad
    with pytest.raises((ValueError, TypeError), match=r"counts|Y|y"):
        BiClusterSampler().fit(y, n_iter=2, burn_in=0, chains=1)


@settings(max_examples=25, deadline=None)
@given(
    kwargs=st.one_of(
        st.builds(lambda v: {"n_iter": v}, st.integers(max_value=0)),
        st.builds(lambda v: {"chains": v}, st.integers(max_value=0)),
        st.builds(lambda v: {"burn_in": v}, st.integers(max_value=-1)),
        st.builds(lambda v: {"n_iter": v}, st.floats(allow_nan=True)),
    )
)
def test_fit_refuses_bad_run_lengths(kwargs):
    y = np.random.default_rng(0).poisson(2.0, (4, 40)) + 1
    args = {"n_iter": 4, "burn_in": 0, "chains": 1} | kwargs
    with pytest.raises((ValueError, TypeError), match=next(iter(kwargs))):
        BiClusterSampler().fit(y, **args)


@settings(max_examples=20, deadline=None)
@given(bin_size=_bad_float)
def test_load_counts_refuses_bad_bin_sizes(tmp_path_factory, bin_size):
    from bibcluster.data import load_counts

    path = tmp_path_factory.mktemp("counts") / "counts.npz"
    SpikeCounts(np.ones((3, 10), dtype=np.int64), 0.05).save(path)
    with pytest.raises((ValueError, TypeError), match="bin_size"):
        load_counts(path, bin_size=bin_size)


@settings(max_examples=20, deadline=None)
@given(
    path=st.one_of(st.integers(), st.none(), st.just(""), st.text(min_size=1).map(lambda s: "no-such-" + s))
)
def test_load_counts_refuses_bad_paths(path):
    from bibcluster.data import load_counts

    with pytest.raises((ValueError, TypeError, OSError), match="path"):
        load_counts(path)


@settings(max_examples=20, deadline=None)
@given(n1=st.integers(1, 30), n2=st.integers(1, 30))
def test_plot_states_refuses_paths_of_different_lengths(n1, n2):
    from bibcluster.plots import plot_states

    if n1 == n2:
        plot_states({"a": np.zeros(n1, dtype=int), "b": np.ones(n2, dtype=int)})
    else:
        with pytest.raises(ValueError, match="paths"):
            plot_states({"a": np.zeros(n1, dtype=int), "b": np.ones(n2, dtype=int)})


@settings(max_examples=20, deadline=None)
@given(
    kwargs=st.one_of(
        st.builds(lambda v: {"n_per_cluster": v}, st.integers(max_value=0)),
        st.builds(lambda v: {"T": v}, st.integers(max_value=1)),
        st.builds(lambda v: {"n_clusters": v}, st.integers(max_value=0)),
    )
)
def test_simulation_refuses_bad_sizes(kwargs):
    with pytest.raises((ValueError, TypeError), match=next(iter(kwargs))):
        simulate.simulate_biclustered(**kwargs)


@settings(max_examples=15, deadline=None)
@given(
    kwargs=st.one_of(
        st.builds(lambda v: {"N": v}, st.integers(max_value=2)),
        st.builds(lambda v: {"T": v}, st.integers(max_value=9)),
        st.builds(lambda v: {"n_sweeps": v}, st.integers(max_value=0)),
    )
)
def test_time_per_sweep_refuses_bad_sizes(kwargs):
    from bibcluster.reproduce import time_per_sweep

    with pytest.raises((ValueError, TypeError), match=next(iter(kwargs))):
        time_per_sweep(**kwargs)


def test_save_result_refuses_bad_arguments(tmp_path):
    from bibcluster.data import save_result

    with pytest.raises(TypeError, match="post"):
        save_result(np.zeros(3), tmp_path)
