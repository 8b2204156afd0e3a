"""Equations of the neuron, the synapses and STDP against independent computations; network structure."""

import math

import numpy as np
import pytest

from ca3_cam import CA3Params, NeuronParams, STDPParams, build_network
from ca3_cam.data import load_network_config
from ca3_cam.model import CA3_POPULATIONS, expected_synapse_count
from ca3_cam.simulator import NumpySimulator, _PostHistory, ring_buffer_range, stdp_update, step_response_mv


def test_structure_56_neurons_and_synapse_count():
    net = build_network(5, 10)
    assert net.n_internal_neurons() == 56 == 3 * 5 + 4 * 10 + 1
    assert net.n_synapses() == expected_synapse_count(5, 10) == 295
    for c, m in [(1, 1), (3, 7), (16, 6)]:
        n = build_network(c, m)
        assert n.n_internal_neurons() == 3 * c + 4 * m + 1
        assert n.n_synapses() == expected_synapse_count(c, m)


def test_parameters_match_authors_network_config():
    cfg = load_network_config()
    p = CA3Params.default()
    net = build_network(5, 10, p)
    for name in CA3_POPULATIONS:
        ref = cfg["neuronParameters"][name.replace("merge", "merge") + "L"]
        got = net.population(name).neuron.as_pynn()
        for k, v in ref.items():
            assert got[k] == pytest.approx(v), (name, k)
    syn = cfg["synParameters"]["CA3cueCueRecallL-CA3contCueRecallL"]
    s = p.stdp
    assert (s.tau_plus, s.tau_minus, s.A_plus, s.A_minus, s.w_max, s.w_min) == (
        syn["tau_plus"],
        syn["tau_minus"],
        syn["A_plus"],
        syn["A_minus"],
        syn["w_max"],
        syn["w_min"],
    )
    delays = {pr.name: pr.delay for pr in net.projections}
    assert (
        delays["CA3cueCueRecall->CA3cueContRecall:inh"]
        == cfg["synParameters"]["CA3cueCueRecallL-CA3cueContRecallL-inh"]["delay"]
    )
    assert delays["CA3cueCueRecall->CA3mergeCue"] == 3
    lateral = next(pr for pr in net.projections if pr.name == "CA3cueContRecall->CA3cueContRecall")
    assert lateral.weight == 6.0 * 10 and lateral.receptor == "inhibitory"


def test_step_response_closed_forms():
    fast, default = NeuronParams(cm=0.14, tau_m=0.5), NeuronParams()
    # SpiNNaker scheme: R * w * alpha * (1 - exp(-dt/tau_m)), alpha the step mean of exp(-t/tau_syn)
    alpha = 0.3 * (1 - math.exp(-1 / 0.3))
    assert step_response_mv(6.0, default) == pytest.approx(3 / 0.27 * 6 * alpha * (1 - math.exp(-1 / 3)))
    # exact ODE solution, by brute-force Euler integration with a tiny step
    dt, v, i = 1e-5, 0.0, 5.0
    for _ in range(int(1 / dt)):
        v += dt * (-v / 0.5 + i / 0.14)
        i -= dt * i / 0.3
    assert step_response_mv(5.0, fast, scheme="exact") == pytest.approx(v, rel=1e-3)
    # why the network needs the SpiNNaker discretisation: the forgetting drive 9 - 6 + 2 nA on ContCond
    assert step_response_mv(5.0, fast) > 3.0 > step_response_mv(5.0, fast, scheme="exact")
    assert step_response_mv(3.0, fast) < 3.0 < step_response_mv(6.0, fast)
    with pytest.raises(ValueError, match="scheme"):
        step_response_mv(1.0, fast, scheme="euler")


def test_simulator_neuron_matches_closed_form_trace():
    # one Input -> CueCue spike: V(t) follows the closed form step by step, then the neuron fires at +1 ms
    net = build_network(1, 1)
    sim = NumpySimulator(net)
    out = sim.run([(0, 0)], 3)
    assert out["CA3cueCueRecall"].tolist() == [[1, 0]]
    assert out["CA3contCueRecall"].size == 0


def test_ring_buffer_range():
    assert ring_buffer_range(6.0) == 8.0
    assert ring_buffer_range(8.0) == 16.0  # an exact power of two needs one more bit
    assert ring_buffer_range(9.0) == 16.0
    assert ring_buffer_range(60.0) == 64.0
    assert ring_buffer_range(0.0) == 0.0


def _hist(post_times):
    h = _PostHistory.empty(1)
    for t in post_times:
        h.add(np.array([0]), t, 3.0)
    return h


def test_stdp_update_hand_computed_pairs():
    s = STDPParams()  # A = 6 nA, tau = 3 ms, dendritic delay, zero-lag pairs count, clip each
    # learning: pre at 1 and 3, post at 1 and 3, delay 1. At the pre spike at 3 the window (0, 2] holds the
    # post at 1 (seen at 2): +6 exp(-1/3); the last post (1, seen at 2) depresses -6 exp(-1/3): net 0.
    w = stdp_update(np.array([0.0]), 3, 1, 1.0, _hist([1, 3]), 1, s)
    assert w[0] == pytest.approx(0.0)
    # next pre at 17: the post at 3 (seen at 4) potentiates from the trace at 3 = 1 + exp(-2/3)
    r3 = 1 + math.exp(-2 / 3)
    o3 = 1 + math.exp(-2 / 3)
    w = stdp_update(np.array([0.0]), 17, 3, r3, _hist([1, 3]), 1, s)
    expected = max(0.0, min(6.0, 6 * r3 * math.exp(-1 / 3))) - 6 * o3 * math.exp(-13 / 3)
    assert w[0] == pytest.approx(expected)
    # zero-lag pair depresses with the full trace; without zero_lag it does nothing
    w = stdp_update(np.array([6.0]), 5, 0, 0.0, _hist([4]), 1, s)
    assert w[0] == pytest.approx(0.0)
    s2 = STDPParams(zero_lag=False)
    assert stdp_update(np.array([6.0]), 5, 0, 0.0, _hist([4]), 1, s2)[0] == 6.0
    # scaling A by w_max multiplies the step by 6
    assert STDPParams(a_scaled_by_wmax=True).step_plus == 36.0 and STDPParams().step_plus == 6.0
    unscaled = stdp_update(np.array([0.0]), 10, 2, 1.0, _hist([3]), 1, STDPParams(clip_each=False))
    assert unscaled[0] == pytest.approx(6 * math.exp(-2 / 3) - 6 * math.exp(-6 / 3))
    scaled = stdp_update(
        np.array([0.0]), 10, 2, 1.0, _hist([3]), 1, STDPParams(clip_each=False, a_scaled_by_wmax=True)
    )
    assert scaled[0] == 6.0  # 36 exp(-2/3) - 36 exp(-2) > w_max


def test_clip_each_versus_sum_then_clip():
    # weight at w_max, a causal post then an anticausal pre: clipping each pairing wipes the weight
    # (forgetting), summing first keeps it
    h = _hist([5])
    each = stdp_update(np.array([6.0]), 7, 4, 1.0, h, 1, STDPParams())
    summed = stdp_update(np.array([6.0]), 7, 4, 1.0, h, 1, STDPParams(clip_each=False))
    assert each[0] == pytest.approx(max(0.0, 6.0 - 6 * math.exp(-1 / 3)))
    assert summed[0] == pytest.approx(min(6.0, 6 + 6 * math.exp(-2 / 3) - 6 * math.exp(-1 / 3)))


def test_post_history_keeps_15_events_and_placeholder():
    h = _hist(range(1, 30))
    assert h.count[0] == 15
    assert h.times[0, 0] == 0 and h.times[0, 1:].tolist() == list(range(15, 30))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cm": 0.0}, "cm must be > 0"),
        ({"v_thresh": -70.0}, "v_thresh must be > v_reset"),
        ({"tau_refrac": -1.0}, "tau_refrac"),
    ],
)
def test_neuron_params_validate(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NeuronParams(**kwargs)


def test_build_network_validates():
    with pytest.raises(ValueError, match="n_cues must be >= 1"):
        build_network(0, 3)
    with pytest.raises(TypeError, match="n_content must be an int"):
        build_network(3, 2.5)
    with pytest.raises(TypeError, match="params must be a CA3Params"):
        build_network(3, 3, params={"w_exc": 6})
    with pytest.raises(ValueError, match="w_max must be > w_min"):
        STDPParams(w_max=0.0)
