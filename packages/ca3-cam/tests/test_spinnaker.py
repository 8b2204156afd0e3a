"""The same network through sPyNNaker (extra ``spinnaker``; run by the workspace's ``spinnaker`` session).

On a virtual board the toolchain maps, places and routes the network but returns no spikes; with a real
machine or spalloc server in the user's own config the run is real and the spikes are compared with the
paper's SpiNNaker recording of Experiment 1.
"""

import pytest

from ca3_cam import build_network, testbench
from ca3_cam.data import load_recording
from ca3_cam.pynn_engine import TIME_OFFSET_MS, build_pynn_network

pytestmark = pytest.mark.spinnaker


def test_spinnaker_maps_places_and_routes_every_population(spynnaker_config):
    import pyNN.spiNNaker as sim
    from spinn_front_end_common.data import FecDataView

    from ca3_cam.pynn_engine import _spike_rows

    net = build_network(5, 10)
    sched = testbench.functional()
    sim.setup(timestep=1.0, min_delay=1.0)
    try:
        built = build_pynn_network(sim, net, sched.input_spikes(), time_offset_ms=TIME_OFFSET_MS)
        sim.run(float(sched.t_stop_ms + TIME_OFFSET_MS))
        routing = FecDataView.get_routing_infos()
        with_outgoing = {pr.pre for pr in net.projections}
        for name, pop in built["populations"].items():
            vertices = list(pop._vertex.machine_vertices)
            assert vertices, f"{name} has no machine vertex"
            for mv in vertices:
                placement = FecDataView.get_placement_of_vertex(mv)
                assert placement is not None, f"{name} not placed"
                if name in with_outgoing:
                    partitions = list(routing.get_partitions_from(mv))
                    assert partitions, f"{name} has no routed outgoing partition"
                    assert all(routing.has_info_from(mv, p) for p in partitions)
        assert FecDataView.get_routing_table_by_partition().n_routers >= 1
        n_conn = sum(len(p.get("weight", format="list")) for p in built["projections"].values())
        assert n_conn == net.n_synapses()
        if spynnaker_config:  # real hardware: compare with the recording
            rec = load_recording(1)
            for name, pop in built["populations"].items():
                got = {tuple(r) for r in _spike_rows(pop, TIME_OFFSET_MS).tolist()}
                assert got == {tuple(r) for r in rec[name].tolist()}, name
    finally:
        sim.end()
