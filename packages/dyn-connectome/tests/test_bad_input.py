"""Property-based bad input over the public API: each argument gets values that break its rule, and every public
function must refuse them with a TypeError or ValueError that names the argument (never a foreign error, never a
plausible wrong result)."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyn_connectome import (
    DynamicConnectome,
    PairIndex,
    build_affinity_tensor,
    data,
    description_length,
    detect,
    differential_affinity,
    fit_ntf,
    fit_wsbm,
    normalized_mutual_information,
    ntf,
    plots,
    rank_sweep,
    spike_rates,
    tensor,
    worm_concentration,
)
from dyn_connectome.affinity import n_windows
from neurotypes import Partition, Traces

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

not_an_int = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not float(x).is_integer()),
    st.booleans(),
    st.text(max_size=3),
    st.just([1]),
)
not_positive_int = st.one_of(st.integers(max_value=0), not_an_int)
not_a_number = st.one_of(st.text(max_size=3), st.booleans(), st.just([0.5]), st.just(None))
non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
negative = st.floats(max_value=-1e-6, allow_nan=False, allow_infinity=False)
not_a_probability = st.one_of(
    st.floats(min_value=1.0 + 1e-6, allow_infinity=False), negative, non_finite, not_a_number
)
not_positive = st.one_of(
    st.floats(max_value=0.0, allow_infinity=False, allow_nan=False), non_finite, not_a_number
)


def _raises(fn, *args, name=None, **kwargs):
    with pytest.raises((TypeError, ValueError)) as info:
        fn(*args, **kwargs)
    if name is not None:
        assert name in str(info.value), f"message does not name {name!r}: {info.value}"


def _traces(n=4, t=120, rate=10.0):
    return Traces(
        np.random.default_rng(0).normal(size=(n, t)), rate=rate, unit_ids=[f"u{k}" for k in range(n)]
    )


def _bad_matrix():
    """Arrays that break a finite, non-negative, symmetric, square matrix rule."""
    good = np.ones((4, 4))
    nan = good.copy()
    nan[0, 1] = nan[1, 0] = np.nan
    inf = good.copy()
    inf[2, 3] = inf[3, 2] = np.inf
    neg = good.copy()
    neg[0, 2] = neg[2, 0] = -1.0
    asym = good.copy()
    asym[0, 3] = 5.0
    return st.sampled_from(
        [
            nan,
            inf,
            neg,
            asym,
            np.ones((3, 4)),
            np.ones(4),
            np.ones((2, 2, 2)),
            np.array([["a"]]),
            "abc",
            np.zeros((0, 0)),
        ]
    )


# -------------------------------------------------------------------------------------------------- stage 1


@SETTINGS
@given(window=st.one_of(st.integers(max_value=1), not_an_int))
def test_differential_affinity_window(window):
    _raises(differential_affinity, _traces(), window=window, name="window")


@SETTINGS
@given(
    kind=st.one_of(
        st.text(max_size=5).filter(lambda s: s not in ("corise", "pearson_window", "paper")),
        st.integers(),
        st.just(None),
    )
)
def test_differential_affinity_kind(kind):
    _raises(differential_affinity, _traces(), kind=kind, name="kind")


@SETTINGS
@given(bad=st.sampled_from(["inf", "ndim1", "ndim3", "strings", "empty", "ragged"]))
def test_differential_affinity_traces(bad):
    x = np.random.default_rng(0).normal(size=(3, 100))
    value = {
        "inf": np.where(x > 2, np.inf, x),
        "ndim1": x[0],
        "ndim3": x[None],
        "strings": np.array([["a"] * 100] * 3),
        "empty": np.zeros((0, 100)),
        "ragged": [[1.0, 2.0], [1.0]],
    }[bad]
    _raises(differential_affinity, value, window=10, name="traces")


@SETTINGS
@given(n=st.one_of(st.integers(max_value=-1), not_an_int), w=st.integers(1, 10))
def test_n_windows(n, w):
    _raises(n_windows, n, w, name="n_samples")
    _raises(n_windows, 10, n if not isinstance(n, int) else 0, name="window")


# -------------------------------------------------------------------------------------------------- stage 2


@SETTINGS
@given(
    arg=st.sampled_from(["window", "align", "pairs", "dtype", "traces"]),
    data_=st.data(),
)
def test_build_affinity_tensor(arg, data_):
    traces = [_traces(), _traces()]
    bad = {
        "window": st.one_of(st.integers(max_value=1), not_an_int),
        "align": st.text(max_size=4),
        "pairs": st.text(max_size=4),
        "dtype": st.sampled_from([np.int64, float, "float32", np.float16]),
        "traces": st.sampled_from(
            [[], _traces(), [np.zeros((3, 100))], "abc", np.zeros((2, 3, 100)), [_traces(), None]]
        ),
    }[arg]
    value = data_.draw(bad)
    if arg == "traces":
        _raises(build_affinity_tensor, value, name="traces")
    else:
        _raises(build_affinity_tensor, traces, **{arg: value}, name=arg)


@SETTINGS
@given(n=st.one_of(st.integers(max_value=1), not_an_int))
def test_pair_index(n):
    _raises(tensor.pair_index, n, name="n")


@SETTINGS
@given(a=st.one_of(st.integers(max_value=-1), st.integers(min_value=4), not_an_int))
def test_pair_index_methods(a):
    pairs = PairIndex.for_units(["a", "b", "c", "d"])
    _raises(pairs.index_of, a, 1, name="a")
    _raises(pairs.to_matrix, np.full(6, np.nan), name="values")
    _raises(pairs.to_matrix, np.ones(5), name="values")
    _raises(pairs.to_vector, np.ones((3, 3)), name="matrix")
    _raises(PairIndex.for_units, ["a", "a"], name="unit_ids")


# -------------------------------------------------------------------------------------------------- stage 2b


def _x():
    rng = np.random.default_rng(0)
    return rng.uniform(size=(10, 4, 2))


@SETTINGS
@given(
    arg=st.sampled_from(["rank", "n_restarts", "n_iter_max", "tol", "method", "seed", "progress"]),
    data_=st.data(),
)
def test_fit_ntf_arguments(arg, data_):
    bad = {
        "rank": not_positive_int,
        "n_restarts": not_positive_int,
        "n_iter_max": not_positive_int,
        "tol": st.one_of(negative, non_finite, not_a_number.filter(lambda v: v is not None)),
        "method": st.text(max_size=4).filter(lambda s: s not in ("hals", "mu")),
        "seed": st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2)),
        "progress": st.one_of(st.integers(), st.text(max_size=2), st.none()),
    }[arg]
    _raises(fit_ntf, _x(), **{arg: data_.draw(bad)}, n_iter_max=5) if arg != "n_iter_max" else _raises(
        fit_ntf, _x(), n_iter_max=data_.draw(bad)
    )


@SETTINGS
@given(bad=st.sampled_from(["neg", "inf", "ndim", "allnan", "zeros", "str", "empty"]))
def test_fit_ntf_tensor(bad):
    x = _x()
    value = {
        "neg": -x,
        "inf": np.where(x > 0.9, np.inf, x),
        "ndim": x[0],
        "allnan": np.full_like(x, np.nan),
        "zeros": np.zeros_like(x),
        "str": "tensor",
        "empty": np.zeros((0, 3, 2)),
    }[bad]
    _raises(fit_ntf, value, name="X")
    _raises(rank_sweep, value, ranks=[1], name="X")


@SETTINGS
@given(
    ranks=st.one_of(
        st.just([]),
        st.just([1, 1]),
        st.lists(st.integers(max_value=0), min_size=1, max_size=3),
        st.just("12"),
        st.just(3),
    )
)
def test_rank_sweep_ranks(ranks):
    _raises(rank_sweep, _x(), ranks=ranks, name="ranks")


def test_ntf_result_and_similarity():
    good = fit_ntf(_x(), rank=2, n_restarts=1, n_iter_max=5)
    _raises(ntf.NTFResult, np.ones(2), np.ones((3, 3)), np.ones((2, 2)), np.ones((2, 2)), 0.0, name="f_pairs")
    _raises(
        ntf.NTFResult,
        np.array([np.nan, 1]),
        np.ones((3, 2)),
        np.ones((2, 2)),
        np.ones((2, 2)),
        0.0,
        name="weights",
    )
    _raises(ntf.factor_similarity, good, "x", name="b")
    other = fit_ntf(_x(), rank=1, n_restarts=1, n_iter_max=5)
    _raises(ntf.factor_similarity, good, other, name="rank")
    _raises(ntf.relative_error, np.ones(3), np.ones(4), name="result")
    _raises(ntf.relative_error, np.ones(3), np.ones(3), mask=np.ones(2, bool), name="mask")


@SETTINGS
@given(s=st.one_of(st.floats(min_value=1.0001, allow_infinity=False), negative, non_finite))
def test_rank_sweep_stable_rank(s):
    sweep = rank_sweep(_x(), ranks=[1, 2], n_restarts=2, n_iter_max=5)
    _raises(sweep.stable_rank, s, name="min_similarity")


# -------------------------------------------------------------------------------------------------- stage 3


@SETTINGS
@given(a=_bad_matrix())
def test_detect_and_wsbm_adjacency(a):
    _raises(detect, a, name="adjacency")
    _raises(fit_wsbm, a, name="adjacency")
    _raises(description_length, a, [0, 0, 1, 1], name="adjacency")


@SETTINGS
@given(arg=st.sampled_from(["backend", "seed", "item_ids"]), data_=st.data())
def test_detect_arguments(arg, data_):
    a = np.ones((4, 4))
    bad = {
        "backend": st.one_of(
            st.text(max_size=4).filter(lambda s: s not in ("wsbm", "leiden", "louvain", "graph-tool")),
            st.integers(),
        ),
        "seed": st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2)),
        "item_ids": st.sampled_from([["a"], ["a", "a", "b", "c"], "abcd", [1, 2, 3, 4], ["", "b", "c", "d"]]),
    }[arg]
    _raises(detect, a, **{arg: data_.draw(bad)}, name=arg)


@SETTINGS
@given(arg=st.sampled_from(["alpha0", "beta0", "n_sweeps", "shrink", "init", "seed"]), data_=st.data())
def test_fit_wsbm_arguments(arg, data_):
    a = np.ones((4, 4))
    bad = {
        "alpha0": not_positive,
        "beta0": not_positive.filter(lambda v: v is not None),
        "n_sweeps": st.one_of(st.integers(max_value=-1), not_an_int),
        "shrink": st.one_of(
            st.floats(max_value=1.0, allow_nan=False, allow_infinity=False), non_finite, not_a_number
        ),
        "init": st.text(max_size=4),
        "seed": st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2)),
    }[arg]
    _raises(fit_wsbm, a, **{arg: data_.draw(bad)}, name=arg)


@SETTINGS
@given(
    labels=st.sampled_from(
        [[0, 1], [0, 1, 2, 3, 4], [0.5, 1, 2, 3], ["a", "b", "c", "d"], [[0, 1], [2, 3]], [np.nan] * 4]
    )
)
def test_description_length_labels(labels):
    _raises(description_length, np.ones((4, 4)), labels, name="labels")


@SETTINGS
@given(bad=st.sampled_from([[], [0.5, 1.0], ["a", "b"], [[0, 1]], [np.nan, 1.0]]))
def test_nmi_labels(bad):
    _raises(normalized_mutual_information, bad, [0, 1], name="labels_true")
    _raises(normalized_mutual_information, [0, 1], bad, name="labels_pred")


# -------------------------------------------------------------------------------------------------- data


@SETTINGS
@given(
    arg=st.sampled_from(
        [
            "n_per_group",
            "n_groups",
            "n_worms",
            "T",
            "epochs",
            "drive_rate",
            "tau",
            "seed",
            "private_rate",
            "noise",
            "rate",
        ]
    ),
    data_=st.data(),
)
def test_planted_epochs(arg, data_):
    bad = {
        "n_per_group": not_positive_int,
        "n_groups": not_positive_int,
        "n_worms": not_positive_int,
        "T": not_positive_int,
        "epochs": st.one_of(not_positive_int, st.integers(min_value=1201)),
        "drive_rate": st.one_of(negative, non_finite, not_a_number),
        "tau": not_positive,
        "seed": st.one_of(st.integers(max_value=-1), not_an_int),
        "private_rate": st.one_of(negative, non_finite, not_a_number),
        "noise": st.one_of(negative, non_finite, not_a_number),
        "rate": not_positive,
    }[arg]
    _raises(data.planted_epochs, **{arg: data_.draw(bad)}, name=arg)


@SETTINGS
@given(arg=st.sampled_from(["N", "B", "p_in", "p_out", "mean_in", "mean_out", "seed"]), data_=st.data())
def test_weighted_planted_partition(arg, data_):
    bad = {
        "N": not_positive_int,
        "B": st.one_of(not_positive_int, st.integers(min_value=121)),
        "p_in": not_a_probability,
        "p_out": not_a_probability,
        "mean_in": not_positive,
        "mean_out": not_positive,
        "seed": st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2)),
    }[arg]
    _raises(data.weighted_planted_partition, **{arg: data_.draw(bad)}, name=arg)


@SETTINGS
@given(arg=st.sampled_from(["N", "p", "mean"]), data_=st.data())
def test_weighted_er(arg, data_):
    bad = {"N": not_positive_int, "p": not_a_probability, "mean": not_positive}[arg]
    _raises(data.weighted_er, **{arg: data_.draw(bad)}, name=arg)


@SETTINGS
@given(
    arg=st.sampled_from(["N", "k", "maxk", "mu_t", "mu_w", "beta", "t1", "t2", "minc", "maxc"]),
    data_=st.data(),
)
def test_weighted_lfr(arg, data_):
    bad = {
        "N": st.one_of(st.integers(max_value=3), not_an_int),
        "k": st.one_of(not_positive, st.floats(min_value=101, max_value=1e6)),
        "maxk": st.one_of(not_positive_int, st.integers(min_value=125)),
        "mu_t": not_a_probability,
        "mu_w": not_a_probability,
        "beta": st.one_of(negative, non_finite, not_a_number),
        "t1": st.one_of(negative, non_finite, not_a_number),
        "t2": st.one_of(negative, non_finite, not_a_number),
        "minc": st.one_of(st.integers(max_value=1), st.integers(min_value=126), not_an_int),
        "maxc": st.one_of(st.integers(max_value=9), st.integers(min_value=126), not_an_int),
    }[arg]
    _raises(data.weighted_lfr, **{arg: data_.draw(bad)}, name=arg)


@SETTINGS
@given(bin_size=not_positive, tau=not_positive.filter(lambda v: v is not None))
def test_spike_rates(bin_size, tau):
    from neurotypes import SpikeTrains

    st_ = SpikeTrains([0.1, 0.2], [0, 1], 2, 0.0, t_stop=1.0)
    _raises(spike_rates, st_, bin_size, name="bin_size")
    _raises(spike_rates, st_, 0.1, tau=tau, name="tau")
    _raises(spike_rates, np.zeros(3), 0.1, name="spike_trains")


@SETTINGS
@given(arg=st.sampled_from(["rate", "bin_size", "tau", "layout", "path", "segment"]), data_=st.data())
def test_load_traces_arguments(arg, data_, tmp_path_factory):
    folder = tmp_path_factory.mktemp("csv")
    p = folder / "w.csv"
    p.write_text("neuron,0,1,2\nAVAL,1,2,3\nAWBL,0,1,0\n")
    bad = {
        "rate": not_positive.filter(lambda v: v is not None),
        "bin_size": not_positive.filter(lambda v: v is not None),
        "tau": not_positive.filter(lambda v: v is not None),
        "layout": st.text(max_size=5),
        "path": st.sampled_from([3, None, b"w.csv", ""]),
        "segment": st.sampled_from([-1, 1.5, "a"]),
    }[arg]
    value = data_.draw(bad)
    if arg == "path":
        _raises(data.load_traces, value, name="path")
    elif arg == "segment":
        pytest.importorskip("neo")
        from pathlib import Path

        abf = Path(__file__).parent / "data" / "17o05027_ic_ramp.abf"
        _raises(data.load_traces, abf, segment=value, name="segment")
    else:
        _raises(data.load_traces, p, **{arg: value}, name=arg)


# -------------------------------------------------------------------------------------------------- model


@SETTINGS
@given(
    arg=st.sampled_from(
        [
            "window",
            "rank",
            "n_restarts",
            "method",
            "align",
            "kind",
            "backend",
            "seed",
            "uneven_worm_threshold",
            "progress",
        ]
    ),
    data_=st.data(),
)
def test_dynamic_connectome_parameters(arg, data_):
    bad = {
        "window": st.one_of(st.integers(max_value=1), not_an_int),
        "rank": not_positive_int,
        "n_restarts": not_positive_int,
        "method": st.text(max_size=4),
        "align": st.text(max_size=4),
        "kind": st.one_of(st.text(max_size=4), st.integers()),
        "backend": st.one_of(st.text(max_size=4), st.integers()),
        "seed": st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2)),
        "uneven_worm_threshold": not_a_probability,
        "progress": st.one_of(st.integers(), st.text(max_size=2), st.none()),
    }[arg]
    _raises(DynamicConnectome(**{arg: data_.draw(bad)}).fit, [_traces(t=200)], name=arg)


@SETTINGS
@given(traces=st.sampled_from(["x", None, 3, [], [None], [np.zeros((3, 200))], np.zeros((2, 3, 200))]))
def test_dynamic_connectome_traces(traces):
    _raises(DynamicConnectome(window=50).fit, traces, name="traces")


@SETTINGS
@given(profile=st.sampled_from([[], [0.0, 0.0], [-1.0, 2.0], [np.nan, 1.0], [[1.0]], "ab"]))
def test_worm_concentration(profile):
    _raises(worm_concentration, profile, name="worm_profile")


def test_model_file_methods(tmp_path):
    model = DynamicConnectome(window=50, rank=1, backend="louvain", n_restarts=1)
    _raises(model.save, tmp_path / "m.npz")  # not fitted
    _raises(model.unit_columns)
    model.fit([_traces(t=200)])
    _raises(model.unit_columns, prefix="", name="prefix")
    _raises(model.save, 3, name="path")
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(2))
    _raises(DynamicConnectome.load, bad, name="bad.npz")
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    _raises(DynamicConnectome.load, text, name="text.npz")


# -------------------------------------------------------------------------------------------------- plots


def test_plots_refuse_bad_arguments():
    res = fit_ntf(_x(), rank=2, n_restarts=1, n_iter_max=5)
    part = Partition([0, 0, 1, 1])
    _raises(plots.plot_loadings, "res", name="res")
    _raises(plots.plot_loadings, res, epochs=0, name="epochs")
    _raises(plots.plot_communities, [np.ones((4, 4))], [part, part], name="partitions")
    _raises(plots.plot_communities, [np.ones((3, 3))], [part], name="partitions[0]")
    _raises(plots.plot_communities, np.ones((4, 4)), [part], name="adjacencies")
    _raises(plots.plot_community_graph, np.ones((4, 4)), part, top_fraction=0.0, name="top_fraction")
    _raises(plots.plot_community_graph, -np.ones((4, 4)), part, name="adjacencies[0]")
    _raises(plots.plot_rank_sweep, "sweep", name="sweep")
    _raises(plots.plot_benchmark, {}, name="scores")
