"""Property-based bad input over the public API: values that break each argument's rule must raise a TypeError
or ValueError naming the argument."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mds_cluster import (
    Clip,
    EMAStopper,
    L2Ball,
    L2Sphere,
    MDSClustering,
    Presentations,
    Responses,
    cluster_means,
    contrastive_objective,
    gaussian_blur,
    laplace_penalty,
    normalise_responses,
    optimize_stimuli,
    optimize_stimuli_loop,
    train_cnn_twin,
    twins,
)
from mds_cluster.plots import plot_discriminability, plot_mds

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
not_a_number = st.one_of(st.text(max_size=3), st.booleans(), st.just([0.5]), st.none())
not_positive = st.one_of(
    st.floats(max_value=0.0, allow_nan=False, allow_infinity=False), non_finite, not_a_number
)
not_an_int = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not float(x).is_integer()),
    st.booleans(),
    st.text(max_size=3),
)


def _raises(fn, *args, name=None, **kwargs):
    with pytest.raises((TypeError, ValueError)) as info:
        fn(*args, **kwargs)
    if name is not None:
        assert name in str(info.value), f"message does not name {name!r}: {info.value}"


TOY = twins.OnOffToy(6, 4)


@SETTINGS
@given(tau=not_positive)
def test_objective_tau(tau):
    _raises(contrastive_objective, torch.zeros(3), 0, tau=tau, name="tau")


@SETTINGS
@given(bad=st.sampled_from(["nan", "inf", "ndim", "list", "empty"]))
def test_objective_cluster_means(bad):
    value = {
        "nan": torch.tensor([1.0, math.nan]),
        "inf": torch.tensor([[1.0, math.inf], [0.0, 1.0]]),
        "ndim": torch.zeros(2, 2, 2),
        "list": [1.0, 2.0],
        "empty": torch.zeros(0),
    }[bad]
    _raises(contrastive_objective, value, 0, name="cluster_means")


@SETTINGS
@given(
    on_idx=st.one_of(
        st.integers(max_value=-1), st.integers(min_value=3), not_an_int, st.just(torch.tensor([0.5]))
    )
)
def test_objective_on_idx(on_idx):
    _raises(contrastive_objective, torch.zeros(3), on_idx, name="on_idx")


@SETTINGS
@given(bad=st.sampled_from(["labels_float", "labels_range", "labels_len", "responses_nan", "n"]))
def test_cluster_means(bad):
    r = torch.ones(2, 4)
    labels = torch.tensor([0, 1, 0, 1])
    if bad == "labels_float":
        _raises(cluster_means, r, labels.float(), 2, name="labels")
    elif bad == "labels_range":
        _raises(cluster_means, r, torch.tensor([0, 1, 2, 3]), 2, name="labels")
    elif bad == "labels_len":
        _raises(cluster_means, r, torch.tensor([0, 1]), 2, name="labels")
    elif bad == "responses_nan":
        _raises(cluster_means, torch.full((2, 4), math.nan), labels, 2, name="responses")
    else:
        _raises(cluster_means, r, labels, 0, name="n_clusters")


@SETTINGS
@given(
    scale=st.one_of(st.floats(max_value=0.0, allow_nan=False), non_finite, st.just(torch.tensor([1.0, -1.0])))
)
def test_normalise_responses(scale):
    _raises(normalise_responses, torch.ones(3, 2), 0.0, scale, name="scale")


@SETTINGS
@given(radius=not_positive)
def test_constraints(radius):
    _raises(L2Sphere, radius, name="radius")
    _raises(L2Ball, radius, name="radius")
    _raises(gaussian_blur, torch.zeros(1, 3, 3), radius, name="sigma")


@SETTINGS
@given(low=st.floats(allow_nan=True), data=st.data())
def test_clip(low, data):
    high = data.draw(st.floats(allow_nan=True))
    if math.isfinite(low) and math.isfinite(high) and low < high:
        return
    _raises(Clip, low, high)


def test_constraint_inputs():
    _raises(L2Sphere(1.0), [1.0, 2.0], name="stimuli")
    _raises(Clip(0.0, 1.0), torch.zeros(3, dtype=torch.int64), name="stimuli")
    _raises(laplace_penalty, torch.zeros(2, 5), name="spatial")
    _raises(L2Sphere(1.0).contains, torch.ones(2, 2), atol=-1.0, name="atol")


@SETTINGS
@given(
    patience=st.one_of(st.integers(max_value=0), not_an_int),
    ema=st.one_of(st.floats(min_value=1.0), st.floats(max_value=-1e-9), non_finite),
)
def test_ema_stopper(patience, ema):
    _raises(EMAStopper, patience=patience, name="patience")
    _raises(EMAStopper, ema=ema, name="ema")


@SETTINGS
@given(
    arg=st.sampled_from(
        ["tau", "steps", "lr", "smoothness", "grad_blur_sigma", "labels", "stimuli", "model"]
    ),
    data=st.data(),
)
def test_optimize_stimuli(arg, data):
    s0 = torch.zeros(2, 4, 4) + 0.1
    labels = torch.tensor([0, 1, 0, 1, 0, 1])
    kwargs = {"steps": 2, "optimizer": "sgd", "lr": 1.0}
    if arg == "labels":
        bad = data.draw(
            st.sampled_from(
                [
                    torch.tensor([0, 1, 2, 0, 1, 0]),
                    torch.tensor([0.0, 1.0]),
                    [0, 1],
                    torch.tensor([], dtype=torch.long),
                ]
            )
        )
        _raises(optimize_stimuli, TOY, s0, bad, **kwargs, name="labels")
        _raises(optimize_stimuli_loop, TOY, s0, bad, **kwargs, name="labels")
    elif arg == "stimuli":
        bad = data.draw(
            st.sampled_from(
                [
                    torch.full((2, 4, 4), math.nan),
                    torch.zeros(2, 4, 4, dtype=torch.int64),
                    "x",
                    torch.zeros(4),
                ]
            )
        )
        _raises(optimize_stimuli, TOY, bad, labels, **kwargs, name="stimuli")
    elif arg == "model":
        _raises(optimize_stimuli, lambda x: x, s0, labels, **kwargs, name="model")
    else:
        bad = data.draw(
            {
                "tau": not_positive,
                "steps": st.one_of(st.integers(max_value=-1), not_an_int),
                "lr": not_positive,
                "smoothness": st.one_of(st.floats(max_value=-1e-9, allow_nan=False), non_finite),
                "grad_blur_sigma": st.one_of(st.floats(max_value=0.0, allow_nan=False), non_finite),
            }[arg]
        )
        _raises(optimize_stimuli, TOY, s0, labels, **{**kwargs, arg: bad}, name=arg)


@SETTINGS
@given(
    arg=st.sampled_from(
        [
            "n_clusters_init",
            "tau",
            "lr",
            "steps_per_round",
            "max_rounds",
            "split_subclusters",
            "n_init",
            "seed",
            "init_std",
            "ema",
            "patience",
            "optimizer",
            "init",
            "normalize",
            "merge",
            "stim_shape",
            "smoothness",
        ]
    ),
    data=st.data(),
)
def test_mds_clustering_parameters(arg, data):
    bad = data.draw(
        {
            "n_clusters_init": st.one_of(st.integers(max_value=1), not_an_int),
            "tau": not_positive,
            "lr": not_positive,
            "steps_per_round": st.one_of(st.integers(max_value=-1), not_an_int),
            "max_rounds": st.one_of(st.integers(max_value=0), not_an_int),
            "split_subclusters": st.one_of(st.integers(max_value=1), not_an_int),
            "n_init": st.one_of(st.integers(max_value=0), not_an_int),
            "seed": st.one_of(st.integers(max_value=-1), not_an_int),
            "init_std": not_positive,
            "ema": st.one_of(st.floats(min_value=1.0), st.floats(max_value=-1e-9), non_finite),
            "patience": st.one_of(st.integers(max_value=0), not_an_int),
            "optimizer": st.text(max_size=4).filter(lambda s: s not in ("adam", "sgd")),
            "init": st.one_of(
                st.text(max_size=4).filter(lambda s: s not in ("random", "responses")), st.integers()
            ),
            "normalize": st.one_of(st.text(max_size=4).filter(lambda s: s != "noise"), st.integers()),
            "merge": st.one_of(st.integers(), st.text(max_size=2), st.none()),
            "stim_shape": st.sampled_from([(), (0, 4), (-1, 4), (4.5, 4), "44", None]),
            "smoothness": st.one_of(st.floats(max_value=-1e-9, allow_nan=False), non_finite),
        }[arg]
    )
    kwargs = {
        "stim_shape": (4, 4),
        "n_clusters_init": 2,
        "steps_per_round": 1,
        "max_rounds": 1,
        "split": False,
    }
    kwargs[arg] = bad
    shape = kwargs.pop("stim_shape")
    k = kwargs.pop("n_clusters_init")
    _raises(MDSClustering(TOY, shape, k, **kwargs).fit, name=arg)


def test_mds_clustering_model_and_neurons():
    _raises(MDSClustering(lambda x: x, (4, 4), 2).fit, name="model")  # type: ignore[arg-type]
    _raises(MDSClustering(TOY, (4, 4), 7).fit, name="n_clusters_init")
    _raises(MDSClustering(TOY, (5, 5), 2).fit, name="stim_shape")
    _raises(
        MDSClustering(TOY, (4, 4), 2, split=False, max_rounds=1).fit, neuron_idx=[0, 0, 1], name="neuron_idx"
    )


@SETTINGS
@given(bad=st.sampled_from(["nan", "cols", "ndim", "empty", "str"]))
def test_assign(bad):
    mc = _fitted()
    value = {
        "nan": np.full((2, mc.n_clusters_), np.nan),
        "cols": np.zeros((2, mc.n_clusters_ + 1)),
        "ndim": np.zeros(mc.n_clusters_),
        "empty": np.zeros((0, mc.n_clusters_)),
        "str": "abc",
    }[bad]
    _raises(mc.assign, value, name="responses")


_CACHE: dict[str, MDSClustering] = {}


def _fitted() -> MDSClustering:
    if "mc" not in _CACHE:
        _CACHE["mc"] = MDSClustering(
            TOY,
            (4, 4),
            2,
            optimizer="sgd",
            lr=10.0,
            stim_constraint=None,
            steps_per_round=5,
            split=False,
            seed=0,
        ).fit()
    return _CACHE["mc"]


def test_fitted_methods(tmp_path):
    mc = _fitted()
    _raises(mc.mds, rate=0.0, name="rate")
    _raises(mc.partition, item_ids=["a"], name="item_ids")
    _raises(mc.save, 3, name="path")
    with pytest.raises(FileNotFoundError, match=r"none\.npz"):
        MDSClustering.load(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(2))
    _raises(MDSClustering.load, bad, name="bad.npz")
    _raises(plot_mds, "mc", name="mc")
    _raises(plot_mds, mc, names=["a"], name="names")
    _raises(plot_discriminability, MDSClustering(TOY, (4, 4), 2), name="fitted")


@SETTINGS
@given(
    arg=st.sampled_from(["n_neurons", "size", "n_per_type", "noise", "seed", "prototypes", "name"]),
    data=st.data(),
)
def test_twins(arg, data):
    if arg == "n_neurons":
        _raises(twins.OnOffToy, data.draw(st.one_of(st.integers(max_value=1), not_an_int)), name="n_neurons")
    elif arg == "size":
        _raises(twins.OnOffToy, 4, data.draw(st.one_of(st.integers(max_value=0), not_an_int)), name="size")
        _raises(
            twins.LNPopulation, size=data.draw(st.one_of(st.integers(max_value=2), not_an_int)), name="size"
        )
    elif arg == "n_per_type":
        _raises(
            twins.LNPopulation,
            n_per_type=data.draw(st.one_of(st.integers(max_value=0), not_an_int)),
            name="n_per_type",
        )
    elif arg == "noise":
        _raises(
            twins.LNPopulation,
            noise=data.draw(st.one_of(st.floats(max_value=-1e-9, allow_nan=False), non_finite)),
            name="noise",
        )
    elif arg == "seed":
        _raises(
            twins.LNPopulation, seed=data.draw(st.one_of(st.integers(max_value=-1), not_an_int)), name="seed"
        )
    elif arg == "prototypes":
        bad = data.draw(st.sampled_from([(), "on_dog", ("on_dog", "blob"), (1, 2)]))
        _raises(twins.LNPopulation, prototypes=bad, name="prototypes")
    else:
        _raises(twins.prototype_filter, data.draw(st.text(max_size=5)), name="name")


def test_twin_inputs_and_adapters():
    _raises(twins.LNPopulation(n_per_type=1, size=4), np.zeros((2, 4, 4)), name="torch.Tensor")
    _raises(twins.wrap, TOY, [0, 0], name="neuron_idx")
    _raises(twins.wrap, TOY, [0.5], name="neuron_idx")
    _raises(twins.wrap, TOY, time_reduce="median", name="time_reduce")
    _raises(twins.CNNTwin, (4, 4), 3, kernel_size=4, name="kernel_size")
    _raises(twins.CNNTwin, (4,), 3, name="stim_shape")
    _raises(twins.CNNTwin, (4, 4), 0, name="n_neurons")


@SETTINGS
@given(
    arg=st.sampled_from(["n_train", "epochs", "batch_size", "lr", "contrast_range", "seed", "stim_shape"]),
    data=st.data(),
)
def test_train_cnn_twin(arg, data):
    pop = twins.LNPopulation(n_per_type=1, size=4)
    bad = data.draw(
        {
            "n_train": st.one_of(st.integers(max_value=9), not_an_int),
            "epochs": st.one_of(st.integers(max_value=0), not_an_int),
            "batch_size": st.one_of(st.integers(max_value=0), not_an_int),
            "lr": not_positive,
            "contrast_range": st.sampled_from([(2.0, 1.0), (0.0, 1.0), (1.0,), "ab", (math.nan, 1.0)]),
            "seed": st.one_of(st.integers(max_value=-1), not_an_int),
            "stim_shape": st.sampled_from([(), (0, 4), "44", (4.5, 4)]),
        }[arg]
    )
    kwargs = {"stim_shape": (4, 4), "n_train": 20, "epochs": 1}
    kwargs[arg] = bad
    _raises(train_cnn_twin, pop, **kwargs, name=arg)


@SETTINGS
@given(bad=st.sampled_from(["nan", "ndim", "ids"]))
def test_responses_and_presentations(bad):
    if bad == "nan":
        _raises(Responses, np.array([[1.0, np.nan]]), name="values")
        _raises(Presentations, [0], [np.nan], [1.0], name="start")
    elif bad == "ndim":
        _raises(Responses, np.zeros(3), name="values")
        _raises(Presentations, [[0]], [0.0], [1.0], name="stimulus")
    else:
        _raises(Responses, np.zeros((2, 2)), ("a", "a"), name="cell_ids")
        _raises(Presentations, [-1], [0.0], [1.0], name="stimulus")
