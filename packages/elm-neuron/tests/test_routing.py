"""Test 4: the NeuronIO routing (interleaving, overlapping windows, mask) and the checkpoints' buffers."""

from __future__ import annotations

from importlib import resources

import torch

from elm_neuron import ELM, neuronio_routing
from elm_neuron.model import interlocking_indices


def test_neuronio_routing_structure() -> None:
    idx, mask = neuronio_routing(1278, 45, 100)
    assert idx.shape == (4500,)
    assert mask.shape == (4500,)
    assert int(idx.max()) == 1277
    assert int(idx.min()) == 0
    valid = idx[mask]
    assert set(valid.tolist()) == set(range(1278))  # every input reaches a branch
    order = interlocking_indices(1278)
    # interleaving: position 2k is excitatory input k, position 2k + 1 is its inhibitory partner k + 639
    assert torch.equal(order[0::2], torch.arange(639))
    assert torch.equal(order[1::2], torch.arange(639) + 639)
    windows = idx.view(45, 100)
    # stride 29: branch j starts at interleaved position 29 j
    for j in range(45):
        assert int(windows[j, 0]) == int(order[29 * j])
    # slots past the end are invalid: branch 44 covers positions 1276.. and keeps only 2 valid slots
    assert int(mask.view(45, 100)[44].sum()) == 1278 - 29 * 44
    assert bool(mask.view(45, 100)[:41].all())
    assert not bool(mask.view(45, 100)[41].all())


def test_neuronio_routing_hand_computed_small_case() -> None:
    idx, mask = neuronio_routing(20, 5, 4)  # interleaved order 0,10,1,11,2,12,...; stride 4
    assert idx.view(5, 4)[0].tolist() == [0, 10, 1, 11]
    assert idx.view(5, 4)[4].tolist() == [8, 18, 9, 19]
    assert bool(mask.all())
    idx2, mask2 = neuronio_routing(10, 3, 5)  # stride 4: windows 0-4, 4-8, 8-12 -> positions 10-12 invalid
    assert mask2.tolist() == [True] * 12 + [False] * 3
    assert int(idx2.max()) == 9


def test_routing_equals_checkpoint_buffers() -> None:
    for name in ("num_memory_1", "num_memory_100", "best_elm_neuron"):
        path = resources.files("elm_neuron").joinpath("checkpoints", name, "neuronio_best_model_state.pt")
        with resources.as_file(path) as p:
            state = torch.load(p, map_location="cpu", weights_only=True)
        idx, mask = neuronio_routing(1278, 45, 100)
        assert torch.equal(idx, state["input_to_synapse_indices"])
        assert torch.equal(mask, state["valid_indices_mask"])
        model = ELM(1278, 2, num_memory=1, num_branch=45, synapses_per_branch=100, routing="neuronio")
        assert torch.equal(model.input_to_synapse_indices, state["input_to_synapse_indices"])


def test_random_routing_is_seeded_and_in_range() -> None:
    a = ELM(30, 2, num_memory=2, num_branch=4, synapses_per_branch=6, routing="random", routing_seed=1)
    b = ELM(
        30, 2, num_memory=2, num_branch=4, synapses_per_branch=6, routing="random_routing", routing_seed=1
    )
    assert torch.equal(a.input_to_synapse_indices, b.input_to_synapse_indices)
    assert a.input_to_synapse_indices.shape == (24,)
    assert int(a.input_to_synapse_indices.max()) < 30
    assert bool((a.valid_indices_mask == 1).all())
