"""A trained module through sPyNNaker (extra ``spinnaker``; run by the workspace's ``spinnaker`` session).

On a virtual board the toolchain maps, places and routes the network but returns no spikes; the test checks
that every population is placed and routed and that the resources match the module's size: every synapse of
the module is loaded (``network_size``) and each population takes ``ceil(n / max atoms per core)`` neuron
cores, each with its synapse core.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from snn_vpr.network import DiehlCookParams, ModuleBank, network_size
from snn_vpr.pynn import build_pynn_module, export_module

pytestmark = pytest.mark.spinnaker


@pytest.mark.parametrize("n_e", [100, 400])  # the quick reproduction's module and the paper's 784-400-400
def test_spinnaker_maps_places_and_routes_a_module(spynnaker_config: bool, n_e: int) -> None:
    import pyNN.spiNNaker as sim
    from spinn_front_end_common.data import FecDataView

    p = DiehlCookParams()
    bank = ModuleBank(1, 784, n_e, p, seed=0)
    bank.normalise_weights()
    bank.theta = torch.full_like(bank.theta, 45.0)
    ex = export_module(bank, 0)
    rng = np.random.default_rng(0)
    times = [sorted((rng.choice(p.n_steps, 8, replace=False) * p.dt).tolist()) for _ in range(784)]
    sim.setup(timestep=p.dt, min_delay=p.dt)
    try:
        built = build_pynn_module(sim, ex, times, offset_ms=2 * p.dt)
        sim.run(p.t_present + 2 * p.dt)
        routing = FecDataView.get_routing_infos()
        cores, expected_cores = 0, 0
        for name, pop in built["populations"].items():
            vertex = pop._vertex
            machine = list(vertex.machine_vertices)
            assert machine, f"{name} has no machine vertex"
            for mv in machine:
                assert FecDataView.get_placement_of_vertex(mv) is not None, f"{name} not placed"
            cores += len(machine)
            if name == "input":  # the 784 spike sources fit one core
                expected_cores += 1
                senders = machine
            else:  # neuron cores of at most max_atoms neurons, each with a synapse core
                per_core = vertex.get_max_atoms_per_core()
                senders = [mv for mv in machine if "Neurons" in type(mv).__name__]
                assert len(senders) == math.ceil(n_e / per_core)
                assert sum(mv.vertex_slice.n_atoms for mv in senders) == n_e
                expected_cores += 2 * math.ceil(n_e / per_core)
            for mv in senders:  # every population projects somewhere: its spikes are routed
                parts = list(routing.get_partitions_from(mv))
                assert parts, f"{name} has no routed outgoing partition"
                assert all(routing.has_info_from(mv, part) for part in parts)
        assert FecDataView.get_routing_table_by_partition().n_routers >= 1
        n_syn = sum(len(pr.get("weight", format="list")) for pr in built["projections"].values())
        neurons, synapses = network_size(784, n_e)
        assert n_syn == synapses
        assert sum(pop.size for pop in built["populations"].values()) == neurons
        assert cores == expected_cores == (5 if n_e <= 256 else 9)
        if spynnaker_config:  # real hardware: the excitatory layer answers
            assert built["populations"]["exc"].get_data("spikes").segments[0].spiketrains is not None
    finally:
        sim.end()
