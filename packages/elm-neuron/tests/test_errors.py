"""Bad input gets a clear error naming the argument and the rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import elm_neuron
from elm_neuron import ELM, count_params, data
from elm_neuron.train import ELMClassifier, NeuronIOModule, fit_classifier


def test_wrong_input_width_and_shape() -> None:
    model = ELM(5, 2, num_memory=3)
    with pytest.raises(ValueError, match="num_input=5"):
        model(torch.zeros(1, 4, 6))
    with pytest.raises(ValueError, match=r"\[batch, time, inputs\]"):
        model(torch.zeros(4, 5))


def test_nan_and_non_binary_spikes() -> None:
    model = ELM(5, 2, num_memory=3)
    x = torch.zeros(1, 4, 5)
    x[0, 2, 1] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        model(x)
    neuron = elm_neuron.pretrained("neuronio", num_memory=1)
    spikes = torch.zeros(1, 3, 1278)
    spikes[0, 1, 7] = 0.5
    with pytest.raises(ValueError, match="binary"):
        neuron(spikes)


def test_inconsistent_branch_settings() -> None:
    with pytest.raises(ValueError, match="num_branch \\* synapses_per_branch must equal num_input"):
        ELM(20, 2, num_branch=5, synapses_per_branch=3)
    with pytest.raises(ValueError, match="synapses_per_branch must be >= ceil"):
        ELM(1278, 2, num_branch=45, synapses_per_branch=20, routing="neuronio")
    with pytest.raises(ValueError, match="routing must be None, 'random' or 'neuronio'"):
        ELM(4, 2, routing="dendritic")
    with pytest.raises(ValueError, match="num_branch must be positive"):
        ELM(4, 2, num_branch=0)


def test_bad_hyperparameters() -> None:
    with pytest.raises(ValueError, match="version must be 1 or 2"):
        ELM(4, 2, version=3)
    with pytest.raises(ValueError, match="activation must be one of"):
        ELM(4, 2, activation="gelu")
    with pytest.raises(ValueError, match="tau_m_max must exceed tau_m_min"):
        ELM(4, 2, tau_m_min=10.0, tau_m_max=10.0)
    with pytest.raises(ValueError, match="delta_t must be > 0"):
        ELM(4, 2, delta_t=0.0)
    with pytest.raises(TypeError, match="num_input must be an integer"):
        ELM(4.5, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown key 'memory_tau_maximum'"):
        ELM.from_reference_config({"num_input": 4, "num_output": 2, "memory_tau_maximum": 3})
    with pytest.raises(TypeError, match="given twice"):
        ELM(4, 2, tau_m_max=50.0, memory_tau_max=60.0)
    with pytest.raises(TypeError, match="missing required key 'num_output'"):
        count_params({"num_input": 3})


def test_pretrained_and_training_arguments() -> None:
    with pytest.raises(ValueError, match="num_memory must be one of"):
        elm_neuron.pretrained("neuronio", num_memory=4)
    with pytest.raises(ValueError, match="task must be 'neuronio'"):
        elm_neuron.pretrained("shd")
    with pytest.raises(ValueError, match="input_dropout must be in"):
        ELMClassifier(ELM(3, 2, num_memory=2), input_dropout=1.5)
    with pytest.raises(ValueError, match="num_output=2"):
        NeuronIOModule(ELM(3, 3, num_memory=2))
    with pytest.raises(ValueError, match="y \\[n\\]"):
        fit_classifier(ELMClassifier(ELM(3, 2, num_memory=2)), np.zeros((4, 5, 3)), np.zeros(3), steps=1)


def test_data_arguments() -> None:
    with pytest.raises(ValueError, match=r"p_fire must lie in \[0, 1\]"):
        data.synthetic_shd(10, p_fire=1.5)
    with pytest.raises(ValueError, match="n_samples must be positive"):
        data.synthetic_shd_adding(0)
    with pytest.raises(ValueError, match="at least one SpikeTrains"):
        data.to_raster([], bin_size=0.001)
    from neurotypes import SpikeTrains

    st = SpikeTrains.from_unit_times([np.array([0.001])], t_stop=0.01)
    with pytest.raises(ValueError, match="bin_size must be > 0"):
        data.to_raster(st, bin_size=-1.0)
    with pytest.raises(TypeError, match=r"trains\[0\] must be neurotypes\.SpikeTrains"):
        data.to_raster([np.zeros(3)], bin_size=0.001)  # type: ignore[list-item]


def test_pretrained_can_accept_real_valued_input() -> None:
    neuron = elm_neuron.pretrained("neuronio", num_memory=1, require_binary_input=False)
    x = torch.full((1, 5, 1278), 0.5)
    assert neuron(x).shape == (1, 5, 2)


def test_reference_synapse_weight_name_is_accepted() -> None:
    model = ELM(4, 2, num_memory=2, w_s_value=0.3)
    assert model.w_s_init == 0.3 and bool((model._proto_w_s == 0.3).all())
    assert ELM(**model.reference_config()).w_s_init == 0.3
    with pytest.raises(ValueError, match="w_s_init must be finite"):
        ELM(4, 2, w_s_init=float("nan"))
