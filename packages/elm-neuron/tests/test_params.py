"""Test 1: trainable parameter counts, closed form and module, against the paper's table."""

from __future__ import annotations

import pytest

from elm_neuron import ELM, count_params

NEURONIO = {
    1: 4601, 2: 4708, 3: 4823, 5: 5077, 7: 5363, 10: 5852, 15: 6827, 20: 8002,
    25: 9377, 30: 10952, 40: 14702, 50: 19252, 75: 34127, 100: 54002,
}  # fmt: skip
NEURONIO_CFG = {
    "num_input": 1278, "num_output": 2, "num_branch": 45, "num_synapse_per_branch": 100,
    "input_to_synapse_routing": "neuronio_routing", "memory_tau_max": 150.0,
}  # fmt: skip


@pytest.mark.parametrize(("d_m", "expected"), sorted(NEURONIO.items()))
def test_neuronio_table(d_m: int, expected: int) -> None:
    assert 4 * d_m**2 + 95 * d_m + 4502 == expected  # the table itself is the closed form
    assert count_params(NEURONIO_CFG, num_memory=d_m) == expected
    model = ELM.from_reference_config({**NEURONIO_CFG, "num_memory": d_m})
    assert model.num_trainable_parameters() == expected
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        ({"num_input": 700, "num_output": 20, "num_memory": 100}, 183020),
        ({"num_input": 700, "num_output": 19, "num_memory": 100}, 182919),
        ({"num_input": 20, "num_output": 3, "num_memory": 8}, 647),
        ({"num_input": 20, "num_output": 3, "num_memory": 8, "version": 2}, 647),
        ({"num_input": 20, "num_output": 3, "num_memory": 8, "num_branch": 5, "synapses_per_branch": 4}, 407),
        (
            {
                "num_input": 20,
                "num_output": 3,
                "num_memory": 8,
                "num_branch": 5,
                "synapses_per_branch": 4,
                "version": 2,
            },
            407,
        ),
        ({"num_input": 32, "num_output": 10, "num_memory": 32}, 6602),
        ({"num_input": 32, "num_output": 19, "num_memory": 32}, 6899),
    ],
)
def test_other_configurations(cfg: dict[str, int], expected: int) -> None:
    assert count_params(cfg) == expected
    assert ELM(**cfg).num_trainable_parameters() == expected


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    "extra",
    [
        {"learn_tau_m": True},
        {"mlp_layers": 2, "mlp_hidden": 9},
        {"mlp_layers": 0},
        {"routing": "random", "num_branch": 3, "synapses_per_branch": 5},
    ],
)
def test_closed_form_matches_module_for_variants(version: int, extra: dict[str, object]) -> None:
    cfg = {"num_input": 12, "num_output": 4, "num_memory": 6, "version": version, **extra}
    assert count_params(cfg) == ELM(**cfg).num_trainable_parameters()
