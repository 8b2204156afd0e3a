"""Property-based bad input over the public API: every bad value is a TypeError or ValueError naming the argument."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elm_neuron import ELM, count_params, data, leaky_integrate, neuronio_routing, pretrained, save_model
from elm_neuron.model import neuron_response
from elm_neuron.train import (
    ELMClassifier,
    NeuronIOModule,
    SpikePredictionModule,
    accuracy,
    fit_classifier,
    lstm_hidden_for_params,
    make_optimizer,
    roc_auc,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Not a positive integer: zero or negative, floats (NaN and inf among them), booleans, strings.
not_positive_int = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
)
#: Not a positive finite number.
not_positive_number = st.one_of(
    st.floats(max_value=0.0),
    st.just(float("nan")),
    st.just(float("inf")),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
#: Not a probability.
not_probability = st.one_of(
    st.floats(min_value=1.0, exclude_min=True),
    st.floats(max_value=0.0, exclude_max=True),
    st.just(float("nan")),
    st.text(max_size=2),
)


def _raises(fn, *names: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((TypeError, ValueError)) as info:
        fn()
    message = str(info.value)
    assert any(n in message for n in names), f"message {message!r} names none of {names}"


@FAST
@given(
    name=st.sampled_from(["num_input", "num_output", "num_memory", "mlp_hidden", "synapses_per_branch"]),
    value=not_positive_int,
)
def test_elm_sizes(name: str, value: object) -> None:
    if name == "mlp_hidden" and not value:  # 0 / False / "" mean "default" (the reference's rule)
        return
    kwargs: dict[str, object] = {"num_input": 4, "num_output": 2, "num_memory": 3, name: value}
    _raises(lambda: ELM(**kwargs), name)  # type: ignore[arg-type]


@FAST
@given(name=st.sampled_from(["tau_s", "tau_m_min", "tau_m_max", "delta_t"]), value=not_positive_number)
def test_elm_timescales(name: str, value: object) -> None:
    _raises(lambda: ELM(4, 2, num_memory=3, **{name: value}), name)  # type: ignore[arg-type]


@FAST
@given(
    name=st.sampled_from(["lambda_value", "w_s_init"]),
    value=st.one_of(st.just(float("nan")), st.just(float("inf")), st.text(max_size=2), st.booleans()),
)
def test_elm_finite_numbers(name: str, value: object) -> None:
    _raises(lambda: ELM(4, 2, num_memory=3, **{name: value}), name)  # type: ignore[arg-type]


@FAST
@given(
    name=st.sampled_from(
        ["activation", "routing", "backend", "version", "learn_tau_m", "require_binary_input"]
    ),
    value=st.one_of(
        st.text(min_size=1, max_size=4).filter(lambda v: v.lower() not in ("none", "relu", "silu", "auto")),
        st.integers(3, 9),
        st.floats(allow_nan=True),
    ),
)
def test_elm_choices(name: str, value: object) -> None:
    _raises(lambda: ELM(4, 2, num_memory=3, **{name: value}), name)  # type: ignore[arg-type]


@FAST
@given(
    b=st.integers(0, 1),
    t=st.integers(0, 5),
    i=st.integers(0, 3),
    bad=st.sampled_from([float("nan"), float("inf"), -float("inf")]),
    backend=st.sampled_from(["auto", "numpy", "torch"]),
)
def test_forward_refuses_non_finite_inputs(b: int, t: int, i: int, bad: float, backend: str) -> None:
    model = ELM(4, 2, num_memory=3, backend=backend)
    x = torch.zeros(2, 6, 4)
    x[b, t, i] = bad
    _raises(lambda: model(x), "x must be finite")


@FAST
@given(shape=st.sampled_from([(3,), (2, 3), (1, 2, 5), (1, 2, 3, 4)]))
def test_forward_refuses_wrong_shapes(shape: tuple[int, ...]) -> None:
    _raises(lambda: ELM(4, 2, num_memory=3)(torch.zeros(shape)), "x must")


@FAST
@given(name=st.sampled_from(["num_input", "num_output", "num_memory", "num_branch"]), value=not_positive_int)
def test_count_params(name: str, value: object) -> None:
    _raises(lambda: count_params({"num_input": 4, "num_output": 2, name: value}), name)


@FAST
@given(
    name=st.sampled_from(["n_samples", "n_classes", "n_channels", "n_bins"]),
    value=not_positive_int,
    adding=st.booleans(),
)
def test_synthetic_sizes(name: str, value: object, adding: bool) -> None:
    gen = data.synthetic_shd_adding if adding else data.synthetic_shd
    _raises(lambda: gen(**{name: value}), name)  # type: ignore[arg-type]


@FAST
@given(name=st.sampled_from(["p_fire", "noise"]), value=not_probability, adding=st.booleans())
def test_synthetic_probabilities(name: str, value: object, adding: bool) -> None:
    gen = data.synthetic_shd_adding if adding else data.synthetic_shd
    _raises(lambda: gen(10, **{name: value}), name)  # type: ignore[arg-type]


@FAST
@given(
    value=st.one_of(
        st.floats(max_value=-1e-9), st.just(float("nan")), st.just(float("inf")), st.text(max_size=2)
    )
)
def test_synthetic_jitter(value: object) -> None:
    _raises(lambda: data.synthetic_shd(10, jitter=value), "jitter")  # type: ignore[arg-type]


@FAST
@given(seed=st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2), st.booleans()))
def test_synthetic_seed(seed: object) -> None:
    _raises(lambda: data.synthetic_shd(10, seed=seed), "seed")  # type: ignore[arg-type]


@FAST
@given(bin_size=not_positive_number)
def test_to_raster_bin_size(bin_size: object) -> None:
    from neurotypes import SpikeTrains

    trains = SpikeTrains.from_unit_times([np.array([0.001])], t_stop=0.01)
    _raises(lambda: data.to_raster(trains, bin_size=bin_size), "bin_size")  # type: ignore[arg-type]


@FAST
@given(
    name=st.sampled_from(["bin_size", "window", "target"]),
    value=st.one_of(
        st.integers(-5, 0), st.just(float("nan")), st.just(-1.0), st.text(min_size=1, max_size=2)
    ),
)
def test_spike_prediction_windows(name: str, value: object) -> None:
    from neurotypes import SpikeTrains

    trains = SpikeTrains.from_unit_times([np.arange(0.0, 1.0, 0.01), np.arange(0.005, 1.0, 0.02)], t_stop=1.0)
    kwargs: dict[str, object] = {"target": 0, "bin_size": 0.001, "window": 100, name: value}
    if name == "target" and isinstance(value, int) and value == 0:
        return  # unit 0 is a valid target
    _raises(lambda: data.spike_prediction_windows(trains, **kwargs), name)  # type: ignore[arg-type]


@FAST
@given(n=st.integers(1, 3), bad=st.sampled_from([float("nan"), 2.0, -0.5]))
def test_leaky_integrate_kappa(n: int, bad: float) -> None:
    kappa = torch.full((n,), 0.5)
    kappa[0] = bad
    _raises(lambda: leaky_integrate(torch.zeros(1, 4, n), kappa), "kappa")


@FAST
@given(name=st.sampled_from(["num_input", "num_branch", "synapses_per_branch"]), value=not_positive_int)
def test_neuronio_routing(name: str, value: object) -> None:
    kwargs: dict[str, object] = {"num_input": 20, "num_branch": 5, "synapses_per_branch": 4, name: value}
    _raises(lambda: neuronio_routing(**kwargs), name)  # type: ignore[arg-type]


@FAST
@given(size=st.one_of(st.integers(-3, 0), st.integers(101, 200), st.sampled_from([4, 6, "worst", 2.5, None])))
def test_pretrained_sizes(size: object) -> None:
    _raises(lambda: pretrained("neuronio", num_memory=size), "num_memory")  # type: ignore[arg-type]


@FAST
@given(
    name=st.sampled_from(["steps", "batch_size", "seed"]),
    value=st.one_of(st.integers(-3, 0), st.floats(allow_nan=True), st.text(max_size=2)),
)
def test_fit_classifier_arguments(name: str, value: object) -> None:
    if name == "seed" and value == 0:
        return
    module = ELMClassifier(ELM(3, 2, num_memory=2))
    kwargs: dict[str, object] = {"steps": 1, "batch_size": 2, "seed": 0, name: value}
    x, y = np.zeros((4, 5, 3), np.float32), np.zeros(4, np.int64)
    _raises(lambda: fit_classifier(module, x, y, **kwargs), name)  # type: ignore[arg-type]


@FAST
@given(
    bad=st.sampled_from(["nan_x", "label_range", "label_float", "length"]),
    use_accuracy=st.booleans(),
)
def test_classifier_data(bad: str, use_accuracy: bool) -> None:
    module = ELMClassifier(ELM(3, 2, num_memory=2))
    x, y = np.zeros((4, 5, 3), np.float32), np.zeros(4, np.int64)
    if bad == "nan_x":
        x[1, 2, 0] = np.nan
    elif bad == "label_range":
        y[0] = 5
    elif bad == "label_float":
        y = np.array([0.5, 0.0, 1.0, 0.0])
    else:
        y = np.zeros(3, np.int64)
    fn = (lambda: accuracy(module, x, y)) if use_accuracy else (lambda: fit_classifier(module, x, y, steps=1))
    _raises(fn, "x", "y")


@FAST
@given(
    name=st.sampled_from(["lr", "input_dropout", "cosine_steps", "optimizer"]),
    value=st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(1.5), st.text(max_size=2)),
)
def test_module_arguments(name: str, value: object) -> None:
    if name == "input_dropout" and isinstance(value, float) and 0.0 <= value < 1.0:
        return
    if name == "lr" and value == 1.5:  # a (large) valid learning rate
        return
    _raises(lambda: ELMClassifier(ELM(3, 2, num_memory=2), **{name: value}), name)  # type: ignore[arg-type]


@FAST
@given(lr=not_positive_number, burn_in=st.integers(-5, -1))
def test_neuronio_and_spike_modules(lr: object, burn_in: int) -> None:
    _raises(lambda: NeuronIOModule(ELM(3, 2, num_memory=2), lr=lr), "lr")  # type: ignore[arg-type]
    _raises(lambda: SpikePredictionModule(ELM(3, 1, num_memory=2), burn_in=burn_in), "burn_in")


@FAST
@given(
    name=st.sampled_from(["name", "lr", "weight_decay"]),
    value=st.one_of(st.just(-1.0), st.just(float("nan"))),
)
def test_make_optimizer(name: str, value: object) -> None:
    kwargs: dict[str, object] = {"name": "adam", "lr": 0.01, "weight_decay": 0.0, name: value}
    _raises(lambda: make_optimizer(params=[torch.nn.Parameter(torch.ones(2))], **kwargs), name)  # type: ignore[arg-type]


@FAST
@given(name=st.sampled_from(["num_input", "num_output", "target_params"]), value=not_positive_int)
def test_lstm_sizes(name: str, value: object) -> None:
    kwargs: dict[str, object] = {"num_input": 3, "num_output": 2, "target_params": 500, name: value}
    _raises(lambda: lstm_hidden_for_params(**kwargs), name)  # type: ignore[arg-type]


@FAST
@given(bad=st.sampled_from(["nan", "labels", "one_class", "length"]))
def test_roc_auc(bad: str) -> None:
    scores, labels = np.array([0.1, 0.2, 0.3]), np.array([0, 1, 0])
    if bad == "nan":
        scores[1] = np.nan
    elif bad == "labels":
        labels = np.array([0, 2, 1])
    elif bad == "one_class":
        labels = np.zeros(3, int)
    else:
        labels = np.array([0, 1])
    _raises(lambda: roc_auc(scores, labels), "scores", "labels")


@FAST
@given(bin_size=st.one_of(st.floats(max_value=0.0), st.just(float("nan"))))
def test_neuron_response(bin_size: float) -> None:
    from neurotypes import SpikeTrains

    trains = SpikeTrains.from_unit_times([np.array([0.001]), np.array([0.002])], t_stop=0.01)
    _raises(lambda: neuron_response(ELM(2, 1, num_memory=2), trains, bin_size), "bin_size")
    _raises(lambda: neuron_response(ELM(3, 1, num_memory=2), trains), "inputs")


def test_save_model_arguments(tmp_path: Path) -> None:
    _raises(lambda: save_model("not a model", tmp_path / "m.npz"), "model")  # type: ignore[arg-type]
    _raises(lambda: save_model(ELM(2, 1, num_memory=2), 3), "path")  # type: ignore[arg-type]
    _raises(lambda: save_model(ELM(2, 1, num_memory=2), tmp_path / "m.npz", {"x": float("nan")}), "metadata")


def test_lstm_budget_below_one_hidden_unit() -> None:
    # P(1) = 4 (n_in + 1 + 2) + 2 n_out = 28 for 3 inputs and 2 outputs (closed form of the docstring)
    assert lstm_hidden_for_params(num_input=3, num_output=2, target_params=28) == 1
    with pytest.raises(ValueError, match="target_params must be at least 28"):
        lstm_hidden_for_params(num_input=3, num_output=2, target_params=27)
