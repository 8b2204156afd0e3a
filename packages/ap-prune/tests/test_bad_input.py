"""Bad input gets a clear error naming the argument and the rule: property-based over the public API."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from ap_prune import (
    ActivateWhilePruning,
    BaselinePruner,
    DNRTracker,
    ap_select,
    dead_neuron_rate,
    global_magnitude,
    imp_cycle,
    snapshot_weights,
)
from ap_prune.data import digits, gaussian_mixture, load_table, make_loader, split_arrays
from ap_prune.models import MLP, SmallCNN
from ap_prune.plots import plot_runs
from ap_prune.reproduce import RunResult, Settings, nearest_round, run_imp
from ap_prune.train import Classifier, accuracy, make_train_fn, resolve_device, train_cycle

FAST = settings(max_examples=25, deadline=None)
not_positive_int = st.one_of(
    st.integers(max_value=0), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none()
)
not_finite_real = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf]), st.text(max_size=3), st.none())
not_open_rate = st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0), not_finite_real)


def _raises_naming(fn, name: str) -> None:
    with pytest.raises((TypeError, ValueError)) as err:
        fn()
    assert name in str(err.value), f"the error must name {name!r}: {err.value}"


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))


@FAST
@given(arg=st.sampled_from(["p", "p_ap"]), bad=not_open_rate)
def test_pruner_rates(arg, bad):
    kwargs = {"p": 0.2, "p_ap": 0.02, arg: bad}
    _raises_naming(lambda: ActivateWhilePruning(**kwargs), arg)


@FAST
@given(bad=not_open_rate)
def test_baseline_and_ap_select_rates(bad):
    _raises_naming(lambda: BaselinePruner(p=bad), "p")
    net = _net()
    _raises_naming(lambda: ap_select(net, snapshot_weights(net), frac=bad), "frac")


@FAST
@given(k=st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2)))
def test_ap_select_k(k):
    net = _net()
    _raises_naming(lambda: ap_select(net, snapshot_weights(net), k=k), "k")


@FAST
@given(criterion=st.text(max_size=12), seed=st.integers(max_value=-1))
def test_selection_and_seed(criterion, seed):
    net = _net()
    if criterion not in ("stable_negative", "random_negative", "stable_any"):
        _raises_naming(lambda: ap_select(net, snapshot_weights(net), criterion=criterion), "criterion")
        _raises_naming(lambda: ActivateWhilePruning(criterion=criterion), "criterion")
    _raises_naming(lambda: ActivateWhilePruning(seed=seed), "seed")


@FAST
@given(bad=st.sampled_from([math.nan, math.inf, -math.inf]), where=st.integers(0, 23))
def test_ap_select_refuses_non_finite_w_start(bad, where):
    net = _net()
    w0 = snapshot_weights(net)
    w0["0"].view(-1)[where] = bad
    _raises_naming(lambda: ap_select(net, w0), "w_start")


def test_ap_select_w_start_shapes_and_types():
    net = _net()
    w0 = snapshot_weights(net)
    _raises_naming(lambda: ap_select(net, {**w0, "0": torch.zeros(3, 3)}), "w_start")
    _raises_naming(lambda: ap_select(net, {**w0, "0": np.zeros((6, 4))}), "w_start")
    _raises_naming(lambda: ap_select(net, [1, 2]), "w_start")
    _raises_naming(lambda: ap_select("net", w0), "model")


@FAST
@given(amount=st.one_of(st.integers(max_value=-1), st.floats(), st.booleans()))
def test_global_magnitude_amount(amount):
    _raises_naming(lambda: global_magnitude(_net(), amount), "amount")


@FAST
@given(rounds=not_positive_int)
def test_imp_cycle_rounds(rounds):
    _raises_naming(
        lambda: imp_cycle(_net(), lambda m, r: None, rounds=rounds, pruner=BaselinePruner()), "rounds"
    )


@FAST
@given(per=st.text(max_size=8), train_only=st.one_of(st.integers(), st.text(max_size=2), st.none()))
def test_tracker_arguments(per, train_only):
    if per not in ("element", "channel"):
        _raises_naming(lambda: DNRTracker(_net(), per=per), "per")
    _raises_naming(lambda: DNRTracker(_net(), train_only=train_only), "train_only")


@FAST
@given(bad=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_dead_neuron_rate_refuses_non_finite_inputs(bad):
    x = torch.zeros(3, 4)
    x[1, 2] = bad
    _raises_naming(lambda: dead_neuron_rate(_net(), x), "loader")
    _raises_naming(lambda: dead_neuron_rate("net", torch.zeros(2, 4)), "model")


@FAST
@given(arg=st.sampled_from(["n", "d", "k", "modes"]), bad=not_positive_int)
def test_gaussian_mixture_sizes(arg, bad):
    kwargs = {"n": 40, "d": 2, "k": 2, "modes": 1, arg: bad}
    _raises_naming(lambda: gaussian_mixture(**kwargs), arg)


@FAST
@given(sep=not_finite_real | st.floats(max_value=0.0), split=not_open_rate)
def test_mixture_sep_and_split(sep, split):
    _raises_naming(lambda: gaussian_mixture(n=40, d=2, k=2, sep=sep), "sep")
    _raises_naming(lambda: gaussian_mixture(n=40, d=2, k=2, split=split), "split")
    _raises_naming(lambda: digits(split=split), "split")


@FAST
@given(
    case=st.one_of(
        st.tuples(st.just("x"), st.just(np.array([[0.0, np.nan]] * 10))),
        st.tuples(st.just("x"), st.just(np.zeros(10))),
        st.tuples(st.just("y"), st.just(np.arange(10) + 0.5)),
        st.tuples(st.just("y"), st.just(np.zeros((10, 2)))),
        st.tuples(st.just("y"), st.just(np.arange(9) % 2)),
        st.tuples(st.just("y"), st.just(np.zeros(10, dtype=int))),
        st.tuples(st.just("y"), st.just(np.r_[np.zeros(9, dtype=int), 1])),
        st.tuples(st.just("seed"), st.integers(max_value=-1)),
    )
)
def test_split_arrays(case):
    arg, value = case
    kwargs = {"x": np.arange(20.0).reshape(10, 2), "y": np.arange(10) % 2, "seed": 0, arg: value}
    _raises_naming(lambda: split_arrays(**kwargs), arg)


@FAST
@given(content=st.binary(min_size=1, max_size=200))
def test_load_table_garbage_names_the_file(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("garbage")
    for name in ("junk.csv", "junk.npz", "junk.nwb"):
        path = folder / name
        path.write_bytes(content)
        with pytest.raises((TypeError, ValueError)) as err:
            load_table(path)
        assert name in str(err.value)


def test_load_table_arguments(tmp_path):
    _raises_naming(lambda: load_table(tmp_path / "missing.csv"), "missing.csv")
    _raises_naming(lambda: load_table(42), "path")
    ok = tmp_path / "t.csv"
    ok.write_text("a,label\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n")
    _raises_naming(lambda: load_table(ok, label=""), "label")
    _raises_naming(lambda: load_table(ok, label="class"), "'class'")
    np.savez(tmp_path / "objects.npz", x=np.array([[1, 2]], dtype=object), y=np.array([0]))
    _raises_naming(lambda: load_table(tmp_path / "objects.npz"), "objects.npz")


@FAST
@given(batch=not_positive_int, seed=st.integers(max_value=-1))
def test_make_loader(batch, seed):
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    _raises_naming(lambda: make_loader(x, y, batch_size=batch), "batch_size")
    _raises_naming(lambda: make_loader(x, y, seed=seed), "seed")
    _raises_naming(lambda: make_loader(x, y[:3]), "same length")
    _raises_naming(lambda: make_loader(np.zeros((4, 2)), y), "x")


@FAST
@given(
    sizes=st.lists(
        st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=2)), min_size=1, max_size=4
    )
)
def test_mlp_sizes(sizes):
    _raises_naming(lambda: MLP([3, *sizes]), "sizes")


def test_models_and_training_arguments():
    _raises_naming(lambda: MLP((3,)), "sizes")
    _raises_naming(lambda: MLP("34"), "sizes")
    _raises_naming(lambda: SmallCNN(n_classes=0), "n_classes")
    _raises_naming(lambda: Classifier("net"), "model")
    _raises_naming(lambda: Classifier(_net(), lr=0.0), "lr")
    _raises_naming(lambda: Classifier(_net(), momentum=1.0), "momentum")
    _raises_naming(lambda: Classifier(_net(), weight_decay=-1.0), "weight_decay")
    x, y = torch.zeros(8, 4), torch.zeros(8, dtype=torch.long)
    loader = make_loader(x, y)
    _raises_naming(lambda: train_cycle(_net(), loader, epochs=0), "epochs")
    _raises_naming(lambda: train_cycle(_net(), [(x, y)], epochs=1), "loader")
    _raises_naming(lambda: train_cycle(_net(), loader, epochs=1, device="tpu"), "device")
    _raises_naming(lambda: accuracy(_net(), x, y[:3]), "length")
    _raises_naming(lambda: accuracy(_net(), x, y, batch_size=0), "batch_size")
    _raises_naming(lambda: make_train_fn("split"), "split")
    _raises_naming(lambda: resolve_device(3), "device")


def test_reproduce_helpers_arguments():
    sp = gaussian_mixture(n=40, d=2, k=2)
    _raises_naming(lambda: run_imp(sp, Settings.tiny(), -1), "seed")
    _raises_naming(lambda: run_imp(sp, {"rounds": 1}, 0), "settings")
    _raises_naming(lambda: run_imp(sp, Settings.tiny(), 0, method="fast"), "method")
    _raises_naming(lambda: nearest_round([], 0.3), "density")
    _raises_naming(lambda: plot_runs([], "t"), "runs")
    bad = RunResult("r", 0, [1.0, 2.0], [0.1, 0.1], [0.1, 0.1], [1.0, 1.0], [0, 0], 0.0)
    _raises_naming(lambda: plot_runs([bad], "t"), "densities")
