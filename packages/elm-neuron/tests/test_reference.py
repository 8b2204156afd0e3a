"""Tests 2 and 5: agreement with outputs of the MIT reference implementation (values in tests/data)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np
import pytest
import torch
from elm_neuron_testing import pattern, set_formula_weights

import elm_neuron
from elm_neuron import ELM, PRETRAINED_SIZES

CONFIGS = ["A_v1", "A_v2", "B_v1", "B_v2", "C_v1", "D_v1_silu_2layers", "D_v2_silu_2layers"]


def _check(y: torch.Tensor, ref: dict[str, Any]) -> None:
    assert list(y.shape) == ref["shape"]
    y64 = y.double()
    assert y64.sum().item() == pytest.approx(ref["sum"], rel=1e-4, abs=1e-4)
    assert y64.abs().sum().item() == pytest.approx(ref["abs_sum"], rel=1e-4)
    np.testing.assert_allclose(y[:, -1].numpy(), np.asarray(ref["last"]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(y[:, 10].numpy(), np.asarray(ref["t10"]), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", CONFIGS)
def test_formula_weights_match_reference(name: str, reference_values: dict[str, Any]) -> None:
    ref = reference_values[name]
    model = ELM.from_reference_config(ref["config"], version=ref["version"])
    set_formula_weights(model)
    with torch.no_grad():
        y = model(pattern(2, 50, ref["config"]["num_input"]))
    _check(y, ref)


@pytest.mark.parametrize("name", ["A_v1", "B_v2", "D_v2_silu_2layers"])
def test_constructor_accepts_reference_keys(name: str, reference_values: dict[str, Any]) -> None:
    ref = reference_values[name]
    model = ELM(**ref["config"], version=ref["version"])
    set_formula_weights(model)
    with torch.no_grad():
        y = model(pattern(2, 50, ref["config"]["num_input"]))
    _check(y, ref)
    # the state dict round-trips through the reference's key names into a fresh model
    clone = ELM.from_reference_config(model.reference_config(), version=ref["version"])
    clone.load_state_dict(model.state_dict(), strict=True)
    torch.testing.assert_close(clone(pattern(2, 50, ref["config"]["num_input"])), y)


def test_state_dict_keys_are_the_reference_names() -> None:
    v1 = ELM(20, 3, num_memory=8)
    assert set(v1.state_dict()) == {
        "_proto_w_s", "tau_s", "_proto_tau_m", "input_to_synapse_indices", "valid_indices_mask",
        "mlp.network.0.weight", "mlp.network.0.bias", "mlp.network.2.weight", "mlp.network.2.bias",
        "w_y.weight", "w_y.bias",
    }  # fmt: skip
    v2 = ELM(20, 3, num_memory=8, version=2)
    assert "tau_b" in v2.state_dict()
    assert "tau_s" not in v2.state_dict()
    # unrouted models store empty routing tensors, as the reference does
    assert v1.state_dict()["input_to_synapse_indices"].shape == (0,)


ALL_SIZES: list[int | str] = [*PRETRAINED_SIZES, "best"]


@pytest.mark.parametrize("size", ALL_SIZES)
def test_pretrained_checkpoints(size: int | str, reference_values: dict[str, Any]) -> None:
    neuron = elm_neuron.pretrained("neuronio", num_memory=size)
    info = elm_neuron.pretrained_info(size)
    expected = info["model_stats"]["model_param_count"]
    assert neuron.num_trainable_parameters() == expected
    # tau_m from _proto_tau_m is log-spaced between 1 and 150
    tau = neuron.tau_m.detach().double().numpy()
    if tau.size > 1:
        np.testing.assert_allclose(tau, np.logspace(0, np.log10(150), tau.size), rtol=1e-4)
    with torch.no_grad():
        y = neuron(pattern(1, 300, 1278))
    key = "best_elm_neuron" if size == "best" else f"num_memory_{size}"
    _check(y, reference_values["pretrained"][key])


def test_pretrained_loads_strict_from_raw_files() -> None:
    folder = resources.files("elm_neuron").joinpath("checkpoints", "num_memory_7")
    cfg = json.loads(folder.joinpath("model_config.json").read_text())
    with resources.as_file(folder.joinpath("neuronio_best_model_state.pt")) as path:
        state = torch.load(path, map_location="cpu", weights_only=True)
    model = ELM(**cfg)
    assert model.load_state_dict(state, strict=True) is not None
    assert torch.equal(model.input_to_synapse_indices, state["input_to_synapse_indices"])
    assert torch.equal(model.valid_indices_mask, state["valid_indices_mask"])


def test_neuronio_eval_head() -> None:
    neuron = elm_neuron.pretrained("neuronio", num_memory=2)
    x = pattern(1, 40, 1278)
    with torch.no_grad():
        raw = neuron(x)
        head = neuron.neuronio_eval_forward(x)
    torch.testing.assert_close(head[..., 0], torch.sigmoid(raw[..., 0]))
    torch.testing.assert_close(head[..., 1], raw[..., 1] * 10)
